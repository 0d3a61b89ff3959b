// Flex Consumption plan and the Function App (.NET isolated worker, framework-dependent) with a system-assigned
// identity. Its application settings are written by appsettings.bicep once the identity holds its roles.

@description('Azure region.')
param location string

@description('Hosting plan name.')
param planName string

@description('Function App name (globally unique host name).')
param functionAppName string

@description('URL of the blob container that receives deployment packages.')
param deploymentContainerUrl string

@description('Browser origins allowed to call the API (the platform answers CORS; the app does not).')
param corsAllowedOrigins array

@description('Upper bound for scale-out. Keep it in proportion to what Cosmos DB serverless and Service Bus Standard absorb.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance (MB).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      // No ftpsState: Flex Consumption rejects it ("site configuration properties (Site.SiteConfig.FtpsState, ...)
      // for Flex Consumption sites is invalid"); FTP publishing is switched off by the `ftp` policy below.
      // CORS is the platform's job for an isolated-worker app (ARCHITECTURE.md decision 1). Bearer tokens, no
      // cookies: no credentials.
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      // The runtime is declared here, never as app settings: Flex Consumption refuses FUNCTIONS_WORKER_RUNTIME and
      // sets FUNCTIONS_EXTENSION_VERSION itself. The version string must be the catalog's '10.0' (a bare '10' is
      // accepted by Resource Manager but the host never starts).
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
  }
}

// No publishing with user name and password (FTP or SCM basic auth); deployments sign in with Entra ID.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output principalId string = site.identity.principalId

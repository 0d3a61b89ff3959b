// The app's storage account (AzureWebJobsStorage, by identity): the host's state, the Flex Consumption deployment
// container, the app's documents (CONTRACT §10) and its Data Protection key ring. Shared keys are off: everything signs
// in with Entra ID.

@description('Azure region.')
param location string

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Blob container of the app\'s documents: statements and reconciliation reports (the app uses `documents`).')
param documentsContainerName string

@description('Blob container of the app\'s ASP.NET Core Data Protection key ring (blob keys.xml), which encrypts the webhook signing secrets.')
param dataProtectionContainerName string

@description('Days a deleted blob, blob version or container can still be restored.')
@minValue(1)
@maxValue(365)
param deleteRetentionDays int = 7

@description('Days after which earlier versions of the host\'s own blobs and of deployment packages are deleted (never documents).')
@minValue(1)
param hostVersionRetentionDays int = 7

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: storageAccountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

// Versioning is what keeps every earlier statement when a period is generated again (the app writes with
// Documents__SnapshotBeforeOverwrite=false here). Soft delete lets a deleted blob, version or container come back
// within deleteRetentionDays.
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource documentsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: documentsContainerName
  properties: {
    publicAccess: 'None'
  }
}

// The key ring that encrypts the webhook signing secrets (CONTRACT §11): lose a key and every secret it protected is
// lost with it, so no lifecycle rule touches this container and versioning and soft delete cover it like the documents.
resource dataProtectionContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: dataProtectionContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Versioning covers the whole account, so every overwrite of a deployment package or of a blob the host keeps
// (timer schedule status, lock metadata, host keys) would keep a version forever. Those earlier versions go after
// hostVersionRetentionDays; no rule matches the documents container, whose versions are the statements' history, nor
// the data protection container, whose keys must outlive every secret they encrypted.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'host-state-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${deploymentContainerName}/'
                'azure-webjobs-hosts/'
                'azure-webjobs-secrets/'
              ]
            }
            actions: {
              version: {
                delete: {
                  daysAfterCreationGreaterThan: hostVersionRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
  // After the blob service's versioning setting, which its version action is about.
  dependsOn: [
    blobService
  ]
}

output storageAccountName string = storage.name
output documentsContainerName string = documentsContainer.name
output dataProtectionContainerName string = dataProtectionContainer.name
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'

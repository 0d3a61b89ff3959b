// PartnerBase Payouts: everything the Function App (a .NET isolated worker on Flex Consumption) needs.
// Every connection between Azure resources uses the app's managed identity: no keys, no connection
// strings in settings (Application Insights' connection string holds no secret that grants data access).

targetScope = 'resourceGroup'

@description('Azure region for every resource (one that offers Flex Consumption).')
param location string = resourceGroup().location

@description('Short prefix (2-10 lowercase letters and digits) for resource names; a hash of the resource group makes them unique.')
@minLength(2)
@maxLength(10)
param namePrefix string = 'pb'

@description('More browser origins the API answers CORS requests from, e.g. a custom domain of the console, https://app.example.com (the Function App\'s platform CORS; the app itself does no CORS). The console\'s Static Web App origin is always allowed.')
param corsAllowedOrigins array = []

@description('Region of the console\'s Static Web App (a region that offers Static Web Apps; its content is served from a global edge).')
@allowed([
  'centralus'
  'eastasia'
  'eastus2'
  'westeurope'
  'westus2'
])
param consoleLocation string = 'westeurope'

@description('Static Web Apps plan of the console: Free, or Standard for an SLA.')
@allowed([
  'Free'
  'Standard'
])
param consoleSku string = 'Standard'

@description('Entra ID authority that issues the API\'s tokens, e.g. https://login.microsoftonline.com/{tenant-id}/v2.0.')
param tokenAuthority string

@description('Audience the API\'s tokens must carry (the API app registration\'s application id URI or client id).')
param tokenAudience string

@secure()
@description('Stripe secret API key. Empty: no secret is stored and payouts are paid by the simulated provider.')
param stripeApiKey string = ''

@description('Six-field NCRONTAB schedule of the monthly commission run (CommissionRun).')
param commissionRunSchedule string = '0 0 2 1 * *'

@description('Six-field NCRONTAB schedule of PublishPayoutEvents (new payout events to the Service Bus topic).')
param eventRelaySchedule string = '*/5 * * * * *'

@description('Six-field NCRONTAB schedule of ProcessPayments (drains the `payments` subscription).')
param paymentsSchedule string = '*/5 * * * * *'

@description('Six-field NCRONTAB schedule of SendNotifications (drains the `notifications` subscription).')
param notificationsSchedule string = '*/5 * * * * *'

@description('Six-field NCRONTAB schedule of GenerateStatements (the previous month\'s statements, after the commission run).')
param statementsSchedule string = '0 0 4 1 * *'

@description('Six-field NCRONTAB schedule of ReconcilePayments (the day before\'s reconciliation).')
param reconciliationSchedule string = '0 30 3 * * *'

@description('Six-field NCRONTAB schedule of DeliverWebhooks (drains the `webhooks` subscription and sends the attempts that are due).')
param webhooksSchedule string = '*/5 * * * * *'

@description('SMTP relay host for notification emails. Empty: notifications are only logged.')
param smtpHost string = ''

@description('Cosmos DB database name.')
param cosmosDatabaseName string = 'partnerbase'

var suffix = uniqueString(resourceGroup().id)
var prefix = toLower(namePrefix)
var compactPrefix = replace(prefix, '-', '')
var topicName = 'payout-events'
// The app's DocumentStore writes to this container; it is not a setting.
var documentsContainerName = 'documents'
// The key ring of ASP.NET Core Data Protection (webhook signing secrets); the app takes it from DataProtection__Container.
var dataProtectionContainerName = 'data-protection'
var hasStripeKey = !empty(stripeApiKey)

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: '${prefix}-log-${suffix}'
    appInsightsName: '${prefix}-appi-${suffix}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    storageAccountName: take('st${compactPrefix}${suffix}', 24)
    deploymentContainerName: 'app-package'
    documentsContainerName: documentsContainerName
    dataProtectionContainerName: dataProtectionContainerName
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    location: location
    accountName: '${prefix}-cosmos-${suffix}'
    databaseName: cosmosDatabaseName
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    location: location
    namespaceName: '${prefix}-sb-${suffix}'
    topicName: topicName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    vaultName: take('kv${compactPrefix}${suffix}', 24)
    stripeApiKey: stripeApiKey
  }
}

// The web console (CONTRACT §9). It refers to nothing else here, so the Function App can take its origin.
module console 'modules/staticwebapp.bicep' = {
  name: 'staticwebapp'
  params: {
    location: consoleLocation
    name: '${prefix}-swa-${suffix}'
    skuName: consoleSku
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    planName: '${prefix}-plan-${suffix}'
    functionAppName: '${prefix}-func-${suffix}'
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    corsAllowedOrigins: union(corsAllowedOrigins, ['https://${console.outputs.defaultHostName}'])
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.storageAccountName
    documentsContainerName: storage.outputs.documentsContainerName
    dataProtectionContainerName: storage.outputs.dataProtectionContainerName
    cosmosAccountName: cosmos.outputs.accountName
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    keyVaultName: keyVault.outputs.vaultName
  }
}

// No FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION: on Flex Consumption the runtime comes from
// functionAppConfig (functionapp.bicep) and the platform refuses or overrides those settings.
var baseSettings = {
  // The host's storage, by identity (blob, queue and table endpoints derive from the account name).
  AzureWebJobsStorage__accountName: storage.outputs.storageAccountName
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.appInsightsConnectionString
  Storage__Provider: 'cosmos'
  // No Cosmos__Key: without one the app signs in with its identity.
  Cosmos__Endpoint: cosmos.outputs.documentEndpoint
  Cosmos__Database: cosmos.outputs.databaseName
  Cosmos__Container: cosmos.outputs.containerName
  // ServiceBusClient with DefaultAzureCredential (the app's identity) on the namespace; no connection string.
  ServiceBus__FullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ServiceBus__TopicName: topicName
  Events__Transport: 'servicebus'
  // %…Schedule% of the timer functions (CONTRACT §7).
  CommissionRunSchedule: commissionRunSchedule
  EventRelaySchedule: eventRelaySchedule
  PaymentsSchedule: paymentsSchedule
  NotificationsSchedule: notificationsSchedule
  StatementsSchedule: statementsSchedule
  ReconciliationSchedule: reconciliationSchedule
  WebhooksSchedule: webhooksSchedule
  // Blob versioning (storage.bicep) keeps every earlier document; the app's snapshots are for Azurite, which has none.
  // The container itself comes from storage.bicep (the app creates it only in Development).
  Documents__SnapshotBeforeOverwrite: 'false'
  // Webhook URLs may not reach loopback, private or link-local addresses (SSRF, CONTRACT §11); true only in Development.
  Webhooks__AllowPrivateNetworks: 'false'
  // Data Protection keeps its key ring (keys.xml) in this container of the AzureWebJobsStorage account, by identity.
  DataProtection__Container: storage.outputs.dataProtectionContainerName
  Authentication__Schemes__Bearer__Authority: tokenAuthority
  Authentication__Schemes__Bearer__ValidAudiences__0: tokenAudience
  Payments__Provider: hasStripeKey ? 'stripe' : 'simulated'
  Notifications__Provider: empty(smtpHost) ? 'log' : 'smtp'
}

var paymentSettings = hasStripeKey
  ? {
      // Resolved by the platform with the app's identity (Key Vault Secrets User).
      Payments__Stripe__ApiKey: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.stripeSecretUri})'
    }
  : {}

var smtpSettings = empty(smtpHost)
  ? {}
  : {
      Notifications__Smtp__Host: smtpHost
    }

module appSettings 'modules/appsettings.bicep' = {
  name: 'appsettings'
  dependsOn: [
    roles
  ]
  params: {
    functionAppName: functionApp.outputs.name
    settings: union(baseSettings, paymentSettings, smtpSettings)
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output cosmosEndpoint string = cosmos.outputs.documentEndpoint
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
// The console's wwwroot/appsettings.json takes apiBaseUrl as Api:BaseUrl; consoleUrl is its Entra redirect URI base.
output apiBaseUrl string = 'https://${functionApp.outputs.defaultHostName}/api/'
output staticWebAppName string = console.outputs.name
output consoleHostName string = console.outputs.defaultHostName
output consoleUrl string = 'https://${console.outputs.defaultHostName}'

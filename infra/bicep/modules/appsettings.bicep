// Writes the Function App's application settings (the whole set: this replaces what is there).
// A separate step so that it runs after the identity's role assignments exist: the Key Vault reference
// and the identity-based connections then resolve on the restart the change causes.

@description('Function App name.')
param functionAppName string

@description('Application settings, name to value.')
param settings object

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: settings
}

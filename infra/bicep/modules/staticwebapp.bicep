// The web console (CONTRACT §9): a Blazor WebAssembly app served as static files by an Azure Static Web App.
// Its content is uploaded with the site's deployment token (`swa deploy`), not built from a repository; it signs
// users in with Entra ID itself (OIDC in the browser) and calls the Function App cross-origin, so the Static Web
// App has no linked backend and nothing here refers to the Function App. main.bicep adds this site's origin to the
// Function App's CORS, which makes the Function App depend on this module and never the other way round.

@description('Region for the Static Web App\'s metadata (the content itself is served from a global edge).')
param location string

@description('Static Web App name.')
param name string

@description('Free, or Standard for an SLA, more custom domains and private endpoints.')
@allowed([
  'Free'
  'Standard'
])
param skuName string

resource site 'Microsoft.Web/staticSites@2024-04-01' = {
  name: name
  location: location
  sku: {
    name: skuName
    tier: skuName
  }
  properties: {
    // staticwebapp.config.json in the uploaded content carries the fallback route and the security headers.
    allowConfigFileUpdates: true
    // Every upload goes to production; no preview environments reachable at other host names (and origins).
    stagingEnvironmentPolicy: 'Disabled'
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostname

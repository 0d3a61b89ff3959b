// Cosmos DB for NoSQL, serverless, Entra ID only (no account keys): one database with the
// `payouts` container (partition key /orgId) and the `leases` container (change-feed checkpoints).

@description('Azure region.')
param location string

@description('Cosmos DB account name (3-44 lowercase letters, digits and hyphens).')
@minLength(3)
@maxLength(44)
param accountName string

@description('SQL database name.')
param databaseName string

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: accountName
  location: location
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    capabilities: [
      {
        name: 'EnableServerless'
      }
    ]
    // Data-plane access only with Entra ID tokens and the data-plane RBAC roles below/in roles.bicep.
    disableLocalAuth: true
    // Databases and containers are managed here (control plane), never by the app.
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

resource payouts 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: 'payouts'
  properties: {
    resource: {
      id: 'payouts'
      partitionKey: {
        paths: [
          '/orgId'
        ]
        kind: 'Hash'
      }
      // TTL on, no default expiry: only documents with their own `ttl` (idempotency records) expire.
      defaultTtl: -1
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: [
          {
            path: '/*'
          }
        ]
        // The nested resource bodies are never filtered on; queries use the top-level copies.
        excludedPaths: [
          {
            path: '/payout/*'
          }
          {
            path: '/event/*'
          }
          {
            path: '/partner/*'
          }
          {
            path: '/settings/*'
          }
          {
            path: '/record/*'
          }
          {
            path: '/statement/*'
          }
          {
            path: '/reconciliation/*'
          }
          {
            path: '/transfer/*'
          }
          {
            path: '/endpoint/*'
          }
          {
            path: '/delivery/*'
          }
          {
            path: '/"_etag"/?'
          }
        ]
      }
    }
  }
}

// `leases`: the event relay's durable change-feed checkpoint (ARCHITECTURE.md decision 3), and the lease container
// a future CosmosDBTrigger would use. Created here: with Entra ID only, the app cannot create containers itself.
resource leases 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: 'leases'
  properties: {
    resource: {
      id: 'leases'
      partitionKey: {
        paths: [
          '/id'
        ]
        kind: 'Hash'
      }
    }
  }
}

output accountName string = account.name
output documentEndpoint string = account.properties.documentEndpoint
output databaseName string = database.name
output containerName string = payouts.name

// Key Vault (Azure RBAC, soft delete) holding the Stripe API key. The app reads the secret through a
// Key Vault reference in its settings, with its own identity (Key Vault Secrets User, roles.bicep).

@description('Azure region.')
param location string

@description('Key Vault name (3-24 letters, digits and hyphens; starts with a letter).')
@minLength(3)
@maxLength(24)
param vaultName string

@secure()
@description('Stripe secret API key. Empty: no secret is stored.')
param stripeApiKey string = ''

@description('Secret name for the Stripe API key.')
param stripeSecretName string = 'stripe-api-key'

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    publicNetworkAccess: 'Enabled'
  }
}

resource stripeSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(stripeApiKey)) {
  parent: vault
  name: stripeSecretName
  properties: {
    value: stripeApiKey
    contentType: 'text/plain'
  }
}

output vaultName string = vault.name
@description('Versionless URI of the Stripe secret, so a rotated key is picked up (the secret exists only when a key was given).')
output stripeSecretUri string = '${vault.properties.vaultUri}secrets/${stripeSecret.name}'

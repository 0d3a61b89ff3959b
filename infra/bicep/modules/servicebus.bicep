// Service Bus namespace (Standard: topics need it), Entra ID only, with the `payout-events` topic and
// its two session-enabled subscriptions.

@description('Azure region.')
param location string

@description('Service Bus namespace name (6-50 letters, digits and hyphens; starts with a letter).')
@minLength(6)
@maxLength(50)
param namespaceName string

@description('Topic that carries every payout event.')
param topicName string = 'payout-events'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: topicName
  properties: {
    // The publisher sets MessageId = CloudEvents id, so a re-sent event is dropped inside this window.
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    supportOrdering: true
    enablePartitioning: false
    defaultMessageTimeToLive: 'P14D'
  }
}

var subscriptionProperties = {
  // SessionId = payout id: events of one payout are handled in order.
  requiresSession: true
  maxDeliveryCount: 10
  deadLetteringOnMessageExpiration: true
  deadLetteringOnFilterEvaluationExceptions: true
  lockDuration: 'PT1M'
}

resource payments 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: topic
  name: 'payments'
  properties: subscriptionProperties
}

// Every subscription is created with a catch-all rule named `$Default`, and Resource Manager has no
// way to delete a child resource. Writing the rule under that very name replaces the catch-all, so
// this SQL filter is the subscription's only rule.
resource paymentsFilter 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = {
  parent: payments
  name: '$Default'
  properties: {
    filterType: 'SqlFilter'
    sqlFilter: {
      // CONTRACT §6 filters on approved only; processing is added so that a failed payout finance moves back to
      // processing is paid again (the consumer acts only on a user's move, not on its own).
      sqlExpression: 'eventType IN (\'com.partnerbase.payout.approved\', \'com.partnerbase.payout.processing\')'
    }
  }
}

// No rule declared: the `$Default` catch-all stays, and every event reaches notifications.
resource notifications 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: topic
  name: 'notifications'
  properties: subscriptionProperties
}

output namespaceName string = namespace.name
@description('Host name of the namespace, e.g. name.servicebus.windows.net (from the endpoint, so any cloud works).')
output fullyQualifiedNamespace string = split(split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), '/')[0], ':')[0]
output topicName string = topic.name

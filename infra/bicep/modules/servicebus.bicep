// Service Bus namespace (Standard: topics need it), Entra ID only, with the `payout-events` topic and
// its three session-enabled subscriptions.

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
    // PublishPayoutEvents sets MessageId = CloudEvents id and moves its checkpoint only after sending, so a crash
    // re-sends; the broker drops a MessageId it has seen inside this window (CONTRACT §6, ARCHITECTURE decision 2).
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    supportOrdering: true
    enablePartitioning: false
    defaultMessageTimeToLive: 'P14D'
  }
}

// Every subscription: SessionId = payout id, so the events of one payout are handled in order; a message abandoned
// 10 times, or one that expires unhandled, goes to the dead-letter queue instead of being lost.
resource payments 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: topic
  name: 'payments'
  properties: {
    requiresSession: true
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
    deadLetteringOnFilterEvaluationExceptions: true
    lockDuration: 'PT1M'
  }
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
      // CONTRACT §6. `eventType` is an application property the publisher sets on every message.
      sqlExpression: 'eventType IN (\'com.partnerbase.payout.approved\', \'com.partnerbase.payout.processing\')'
    }
  }
}

resource notifications 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: topic
  name: 'notifications'
  properties: {
    requiresSession: true
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
    deadLetteringOnFilterEvaluationExceptions: true
    lockDuration: 'PT1M'
  }
}

// Every event reaches notifications: its `$Default` rule is written out as the catch-all (what the broker's own
// TrueFilter is), so a redeployment also restores it if someone narrowed it by hand.
resource notificationsFilter 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = {
  parent: notifications
  name: '$Default'
  properties: {
    filterType: 'SqlFilter'
    sqlFilter: {
      sqlExpression: '1=1'
    }
  }
}

// DeliverWebhooks (CONTRACT §11, ARCHITECTURE decision 7) turns each event into deliveries to the organization's
// endpoints. Its own subscription, so that webhook retries and failures never hold up payments or notifications.
resource webhooks 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: topic
  name: 'webhooks'
  properties: {
    requiresSession: true
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
    deadLetteringOnFilterEvaluationExceptions: true
    lockDuration: 'PT1M'
  }
}

// Every event reaches webhooks (endpoints choose their event types in the app), with the same catch-all as notifications.
resource webhooksFilter 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = {
  parent: webhooks
  name: '$Default'
  properties: {
    filterType: 'SqlFilter'
    sqlFilter: {
      sqlExpression: '1=1'
    }
  }
}

output namespaceName string = namespace.name
@description('Host name of the namespace, e.g. name.servicebus.windows.net (from the endpoint, so any cloud works).')
output fullyQualifiedNamespace string = split(split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), '/')[0], ':')[0]
output topicName string = topic.name

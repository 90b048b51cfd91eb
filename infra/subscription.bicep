// The Event Grid subscription that delivers GameCompleted events to the
// GameCompleted function. Deployed after the zip is published: Event Grid
// checks that an AzureFunction endpoint exists when the subscription is
// created. The topic, app and storage come from main.bicep.

targetScope = 'resourceGroup'

@description('The namePrefix main.bicep was deployed with.')
@minLength(3)
@maxLength(11)
param namePrefix string

@description('The topic\'s input schema; events are delivered in the same schema.')
@allowed([
  'EventGridSchema'
  'CloudEventSchemaV1_0'
])
param eventGridSchema string = 'EventGridSchema'

@description('Delivery attempts before an event is dead-lettered (Event Grid allows 1-30).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes an event is retried before it is dead-lettered (Event Grid allows 1-1440).')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

@description('Events per delivery. The host fails a whole batch when one event fails, so 1 keeps a retry to the event that needs it.')
@minValue(1)
@maxValue(5000)
param maxEventsPerBatch int = 1

// The same names as in main.bicep.
var names = {
  storage: '${namePrefix}store'
  functionApp: '${namePrefix}-func'
  topic: '${namePrefix}-topic'
}
var deadLetterContainer = 'deadletter'

resource topic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: names.topic
}

resource site 'Microsoft.Web/sites@2023-12-01' existing = {
  name: names.functionApp
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: names.storage
}

resource gameCompleted 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'gridboard-gamecompleted'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${site.id}/functions/GameCompleted'
        maxEventsPerBatch: maxEventsPerBatch
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: eventGridSchema
    filter: {
      includedEventTypes: [
        'GameCompleted'
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterDestination: {
      endpointType: 'StorageBlob'
      properties: {
        resourceId: storage.id
        blobContainerName: deadLetterContainer
      }
    }
  }
}

output subscriptionName string = gameCompleted.name

// gridboard on Azure: everything the app needs before its code is published.
// The Event Grid subscription to GameCompleted is in subscription.bicep: an
// AzureFunction endpoint can only be created once the function exists, that
// is after the zip is published (scripts/deploy runs the two in order).
//
// API versions are the stable ones documented in the Azure template
// reference (learn.microsoft.com/azure/templates/<provider>/<type>).

targetScope = 'resourceGroup'

@description('Prefix of every resource name: 3-11 lower-case letters and digits, starting with a letter. Storage, Cosmos DB, Key Vault, topic and Function App names must be unique in Azure, so choose one nobody else uses.')
@minLength(3)
@maxLength(11)
param namePrefix string

@description('Region of every resource.')
param location string = resourceGroup().location

@description('Input schema of the Event Grid topic, fixed when the topic is created. GameAPI publishes Event Grid schema events.')
@allowed([
  'EventGridSchema'
  'CloudEventSchemaV1_0'
])
param eventGridSchema string = 'EventGridSchema'

@description('true: the Cosmos DB connection string and the topic key are Key Vault secrets, read by the app through Key Vault references and a managed identity. false: they are plain app settings.')
param useKeyVault bool = true

@description('Cosmos DB capacity mode: serverless (pay per request unit, the cheap default for a workshop) or provisioned throughput. It cannot be changed by redeploying.')
@allowed([
  'serverless'
  'provisioned'
])
param cosmosCapacityMode string = 'serverless'

@description('Shared database throughput in RU/s, provisioned mode only.')
@minValue(400)
param cosmosDatabaseThroughput int = 400

@description('MongoDB server version of the Cosmos DB account.')
@allowed([
  '4.2'
  '5.0'
  '6.0'
])
param cosmosServerVersion string = '6.0'

@description('Database name (COSMOS_DATABASE): a letter, then letters, digits, _ or -.')
param cosmosDatabaseName string = 'rockpaperscissors'

@description('LEADERBOARD_TTL_SECONDS: how long a saved leaderboard stays valid.')
@minValue(1)
@maxValue(31536000)
param leaderboardTtlSeconds int = 86400

@description('LEADERBOARD_REFRESH_MS: least time between two leaderboard refreshes of one instance; games stored meanwhile are taken in together.')
@minValue(0)
@maxValue(60000)
param leaderboardRefreshMs int = 1000

@description('EVENT_GRID_AUTH: key sends aeg-sas-key, sas a SAS token signed with the key.')
@allowed([
  'key'
  'sas'
])
param eventGridAuth string = 'key'

@description('GRIDBOARD_ENABLE_GENERATE: switches on Generate, which writes made-up games.')
param enableGenerate bool = false

@description('Application Insights (with a Log Analytics workspace) for the host\'s and the handler\'s logs.')
param enableAppInsights bool = true

// The same names are derived in subscription.bicep and scripts/deploy.
var names = {
  storage: '${namePrefix}store'
  plan: '${namePrefix}-plan'
  functionApp: '${namePrefix}-func'
  topic: '${namePrefix}-topic'
  cosmos: '${namePrefix}-cosmos'
  keyVault: '${namePrefix}-kv'
  identity: '${namePrefix}-id'
  workspace: '${namePrefix}-logs'
  insights: '${namePrefix}-insights'
}
var deadLetterContainer = 'deadletter'
var serverless = cosmosCapacityMode == 'serverless'
// Built-in role "Key Vault Secrets User": read secret values.
var keyVaultSecretsUserRole = '4633458b-17de-408a-b874-0445c86b69e6'

// Storage: the Functions host's own storage (AzureWebJobsStorage), the
// published packages (az functionapp deployment source config-zip uploads
// them with this connection string on Linux Consumption), and the
// container Event Grid dead-letters undeliverable events into.
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: names.storage
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deadLetter 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainer
  properties: {
    publicAccess: 'None'
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = if (enableAppInsights) {
  name: names.workspace
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = if (enableAppInsights) {
  name: names.insights
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

// Event Grid custom topic. Keys stay enabled: gridboard's SendResult and
// GameAPI both publish with the topic key (aeg-sas-key or a SAS token).
resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: names.topic
  location: location
  properties: {
    inputSchema: eventGridSchema
    publicNetworkAccess: 'Enabled'
    disableLocalAuth: false
  }
}

// Cosmos DB for MongoDB. gridboard creates its collections and indexes
// itself at start-up, so only the account and the database are declared.
resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: names.cosmos
  location: location
  kind: 'MongoDB'
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
    apiProperties: {
      serverVersion: cosmosServerVersion
    }
    capabilities: serverless ? [
      {
        name: 'EnableServerless'
      }
    ] : []
    minimalTlsVersion: 'Tls12'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/mongodbDatabases@2024-05-15' = {
  parent: cosmos
  name: cosmosDatabaseName
  properties: {
    resource: {
      id: cosmosDatabaseName
    }
    options: serverless ? {} : {
      throughput: cosmosDatabaseThroughput
    }
  }
}

// The identity the app reads its Key Vault references with. User-assigned,
// so its role assignment exists before the app's settings refer to it.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = if (useKeyVault) {
  name: names.keyVault
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource cosmosSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (useKeyVault) {
  parent: vault
  name: 'cosmos-connection-string'
  properties: {
    value: cosmos.listConnectionStrings().connectionStrings[0].connectionString
  }
}

resource topicKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (useKeyVault) {
  parent: vault
  name: 'event-grid-topic-key'
  properties: {
    value: topic.listKeys().key1
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useKeyVault) {
  scope: vault
  name: guid(vault.id, identity.id, keyVaultSecretsUserRole)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRole)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Linux Consumption plan.
resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: names.plan
  location: location
  sku: {
    name: 'Y1'
    tier: 'Dynamic'
    size: 'Y1'
    family: 'Y'
  }
  properties: {
    reserved: true
  }
}

// The function app. Its app settings are a separate resource (the module
// below), so that the settings the publish step writes survive a redeploy.
resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: names.functionApp
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      // A custom handler brings its own executable: no language stack
      // (the Functions stack list gives custom handlers an empty
      // linuxFxVersion and FUNCTIONS_WORKER_RUNTIME=custom).
      linuxFxVersion: ''
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      http20Enabled: true
    }
  }
}

var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${storage.name};EndpointSuffix=${environment().suffixes.storage};AccountKey=${storage.listKeys().keys[0].value}'
var keyVaultRef = '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName='

// Every setting gridboard reads (README "Settings"), except the port the
// host sets itself and EVENT_GRID_CA_FILE, which is for local HTTPS only.
var appSettings = {
  // AzureWebJobsStorage stays a plain connection string: on Linux
  // Consumption, az's zip publish reads it to upload the package.
  AzureWebJobsStorage: storageConnection
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'custom'
  COSMOS_CONNECTION_STRING: useKeyVault ? '${keyVaultRef}cosmos-connection-string)' : cosmos.listConnectionStrings().connectionStrings[0].connectionString
  COSMOS_DATABASE: cosmosDatabaseName
  LEADERBOARD_TTL_SECONDS: string(leaderboardTtlSeconds)
  LEADERBOARD_REFRESH_MS: string(leaderboardRefreshMs)
  LEADERBOARD_CACHE_MS: '1000'
  GRIDBOARD_THREADS: '32'
  GRIDBOARD_DB_CLIENTS: '32'
  GRIDBOARD_KEEP_ALIVE_MS: '5000'
  GRIDBOARD_MAX_BODY_BYTES: '4194304'
  GRIDBOARD_REQUEST_TIMEOUT_MS: '30000'
  GRIDBOARD_ENABLE_GENERATE: enableGenerate ? 'true' : 'false'
  EVENT_GRID_TOPIC_ENDPOINT: topic.properties.endpoint
  EVENT_GRID_TOPIC_KEY: useKeyVault ? '${keyVaultRef}event-grid-topic-key)' : topic.listKeys().key1
  EVENT_GRID_AUTH: eventGridAuth
  EVENT_GRID_SCHEMA: eventGridSchema == 'CloudEventSchemaV1_0' ? 'cloudevents' : 'eventgrid'
  EVENT_GRID_SOURCE: '/gridboard/SendResult'
  EVENT_GRID_TIMEOUT_MS: '5000'
  EVENT_GRID_DEADLINE_MS: '15000'
}
var insightsSettings = enableAppInsights ? {
  APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
} : {}

module settings 'modules/appsettings.bicep' = {
  name: 'gridboard-appsettings'
  params: {
    functionAppName: site.name
    settings: union(appSettings, insightsSettings)
    // Read when the module runs, after the site exists.
    currentSettings: list('${site.id}/config/appsettings', '2023-12-01').properties
  }
  dependsOn: [
    secretsUser
    cosmosSecret
    topicKeySecret
    database
  ]
}

output functionAppName string = site.name
output functionAppHostName string = site.properties.defaultHostName
output sendResultUrl string = 'https://${site.properties.defaultHostName}/api/Stats/SendResult'
output getStatsUrl string = 'https://${site.properties.defaultHostName}/api/Stats/GetStats/{period}'
output statsPageUrl string = 'https://${site.properties.defaultHostName}/api/Stats'
output topicName string = topic.name
output topicEndpoint string = topic.properties.endpoint
output cosmosAccountName string = cosmos.name
output storageAccountName string = storage.name
output deadLetterContainer string = deadLetter.name
output keyVaultName string = useKeyVault ? names.keyVault : ''

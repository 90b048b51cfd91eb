// The function app's settings, written as one set. App Service replaces
// all of a site's settings on every write, so the two keys the publish step
// owns are carried over from the settings the app has now:
// WEBSITE_RUN_FROM_PACKAGE (the package URL az's zip publish sets on Linux
// Consumption) and GRIDBOARD_PACKAGE_SHA256 (the hash scripts/deploy
// records). Without them a redeploy of the template would leave the app
// without its code. Everything else comes from the template.

@description('Name of the function app.')
param functionAppName string

@secure()
@description('The settings the template owns.')
param settings object

@secure()
@description('The settings the app has now, as config/appsettings lists them.')
param currentSettings object

var runFromPackage = contains(currentSettings, 'WEBSITE_RUN_FROM_PACKAGE') ? {
  WEBSITE_RUN_FROM_PACKAGE: currentSettings.WEBSITE_RUN_FROM_PACKAGE
} : {}
var packageHash = contains(currentSettings, 'GRIDBOARD_PACKAGE_SHA256') ? {
  GRIDBOARD_PACKAGE_SHA256: currentSettings.GRIDBOARD_PACKAGE_SHA256
} : {}

resource site 'Microsoft.Web/sites@2023-12-01' existing = {
  name: functionAppName
}

resource appsettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: site
  name: 'appsettings'
  properties: union(settings, runFromPackage, packageHash)
}

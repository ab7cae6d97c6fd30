// The app's user-assigned managed identity.
//
// Created before anything that uses it, so its role assignments are created before the site: a
// system-assigned identity would only exist once the site does. Created is not propagated: a new
// assignment can take minutes to take effect, which infra/README.md ("What a deployment looks
// like") covers with a check after the first deployment.

@description('Name of the managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for the identity.')
param tags object

resource userAssignedIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id: attached to the site and used for Key Vault references.')
output identityResourceId string = userAssignedIdentity.id

@description('Client id: what identity-based connections (`__clientId`) and App Insights Entra auth name.')
output clientId string = userAssignedIdentity.properties.clientId

@description('Principal (object) id: the subject of the role assignments.')
output identityPrincipalId string = userAssignedIdentity.properties.principalId

// Optional network isolation (enableNetworkIsolation): a VNet with an integration subnet for the
// function app and private endpoints (with private DNS) for the storage services and Key Vault.
//
// `privateLinkTargets` is compared with Terraform's `private_link_targets` by
// tests/infra/test_infra_parity.py: change both together.

@description('Name of the virtual network.')
param vnetName string

@description('Azure region.')
param location string

@description('Tags for the network resources.')
param tags object

@description('Address space of the VNet.')
param vnetAddressPrefix string

@description('Subnet delegated to the Elastic Premium plan for outbound VNet integration.')
param integrationSubnetPrefix string

@description('Subnet holding the private endpoints.')
param privateEndpointSubnetPrefix string

@description('Resource id of the identity-only storage account (blob, queue, table endpoints).')
param taskHubStorageAccountId string

@description('Resource id of the content-share storage account (file endpoint).')
param contentStorageAccountId string

@description('Resource id of the Key Vault.')
param keyVaultId string

var integrationSubnetName = 'snet-function-integration'
var privateEndpointSubnetName = 'snet-private-endpoints'

// Public-cloud zone names; sovereign clouds use their own suffixes.
var privateLinkTargets = [
  {
    name: 'blob'
    groupId: 'blob'
    resourceId: taskHubStorageAccountId
    zone: 'privatelink.blob.core.windows.net'
  }
  {
    name: 'queue'
    groupId: 'queue'
    resourceId: taskHubStorageAccountId
    zone: 'privatelink.queue.core.windows.net'
  }
  {
    name: 'table'
    groupId: 'table'
    resourceId: taskHubStorageAccountId
    zone: 'privatelink.table.core.windows.net'
  }
  {
    name: 'file'
    groupId: 'file'
    resourceId: contentStorageAccountId
    zone: 'privatelink.file.core.windows.net'
  }
  {
    name: 'vault'
    groupId: 'vault'
    resourceId: keyVaultId
    zone: 'privatelink.vaultcore.azure.net'
  }
]

// Subnet rules (infra/terraform/network.tf `nsg_rules` holds the same table; the parity test
// compares them). The integration subnet carries only the app's outbound traffic (route-all):
// HTTPS and SMB to the private endpoints, HTTPS to the internet (the remote build's package
// index, Entra ID, Application Insights ingestion, the health monitor's targets), nothing else.
// The private endpoint subnet accepts HTTPS and SMB from the integration subnet only. Traffic to
// Azure DNS (168.63.129.16) is platform traffic that NSGs do not filter.
var nsgRules = {
  integration: [
    {
      name: 'allow-private-endpoints-out'
      priority: 100
      direction: 'Outbound'
      access: 'Allow'
      protocol: 'Tcp'
      source: integrationSubnetPrefix
      destination: privateEndpointSubnetPrefix
      ports: [
        '443'
        '445'
      ]
    }
    {
      name: 'allow-https-internet-out'
      priority: 110
      direction: 'Outbound'
      access: 'Allow'
      protocol: 'Tcp'
      source: integrationSubnetPrefix
      destination: 'Internet'
      ports: [
        '443'
      ]
    }
    {
      name: 'deny-all-out'
      priority: 4096
      direction: 'Outbound'
      access: 'Deny'
      protocol: '*'
      source: '*'
      destination: '*'
      ports: [
        '*'
      ]
    }
    {
      name: 'deny-all-in'
      priority: 4096
      direction: 'Inbound'
      access: 'Deny'
      protocol: '*'
      source: '*'
      destination: '*'
      ports: [
        '*'
      ]
    }
  ]
  privateEndpoints: [
    {
      name: 'allow-integration-subnet-in'
      priority: 100
      direction: 'Inbound'
      access: 'Allow'
      protocol: 'Tcp'
      source: integrationSubnetPrefix
      destination: privateEndpointSubnetPrefix
      ports: [
        '443'
        '445'
      ]
    }
    {
      name: 'deny-all-in'
      priority: 4096
      direction: 'Inbound'
      access: 'Deny'
      protocol: '*'
      source: '*'
      destination: '*'
      ports: [
        '*'
      ]
    }
    {
      name: 'deny-all-out'
      priority: 4096
      direction: 'Outbound'
      access: 'Deny'
      protocol: '*'
      source: '*'
      destination: '*'
      ports: [
        '*'
      ]
    }
  ]
}

resource integrationNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: 'nsg-${vnetName}-integration'
  location: location
  tags: tags
  properties: {
    securityRules: [
      for rule in nsgRules.integration: {
        name: rule.name
        properties: {
          priority: rule.priority
          direction: rule.direction
          access: rule.access
          protocol: rule.protocol
          sourceAddressPrefix: rule.source
          sourcePortRange: '*'
          destinationAddressPrefix: rule.destination
          destinationPortRanges: rule.ports
        }
      }
    ]
  }
}

resource privateEndpointNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: 'nsg-${vnetName}-private-endpoints'
  location: location
  tags: tags
  properties: {
    securityRules: [
      for rule in nsgRules.privateEndpoints: {
        name: rule.name
        properties: {
          priority: rule.priority
          direction: rule.direction
          access: rule.access
          protocol: rule.protocol
          sourceAddressPrefix: rule.source
          sourcePortRange: '*'
          destinationAddressPrefix: rule.destination
          destinationPortRanges: rule.ports
        }
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        vnetAddressPrefix
      ]
    }
    subnets: [
      {
        name: integrationSubnetName
        properties: {
          addressPrefix: integrationSubnetPrefix
          networkSecurityGroup: {
            id: integrationNsg.id
          }
          delegations: [
            {
              name: 'elastic-premium'
              properties: {
                serviceName: 'Microsoft.Web/serverFarms'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          networkSecurityGroup: {
            id: privateEndpointNsg.id
          }
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for target in privateLinkTargets: {
    name: target.zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (target, index) in privateLinkTargets: {
    parent: zones[index]
    name: 'link-${vnetName}'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for target in privateLinkTargets: {
    name: 'pe-${vnetName}-${target.name}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, privateEndpointSubnetName)
      }
      privateLinkServiceConnections: [
        {
          name: target.name
          properties: {
            privateLinkServiceId: target.resourceId
            groupIds: [
              target.groupId
            ]
          }
        }
      ]
    }
  }
]

resource privateDnsZoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (target, index) in privateLinkTargets: {
    parent: privateEndpoints[index]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: target.name
          properties: {
            privateDnsZoneId: zones[index].id
          }
        }
      ]
    }
  }
]

@description('Resource id of the integration subnet (the site\'s virtualNetworkSubnetId).')
output integrationSubnetResourceId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, integrationSubnetName)

# Optional network isolation (enable_network_isolation): a VNet with an integration subnet for
# the function app and private endpoints (with private DNS) for the storage services and Key
# Vault.
#
# `private_link_targets` is compared with `privateLinkTargets` in
# infra/bicep/modules/network.bicep by tests/infra/test_infra_parity.py: change both together.

locals {
  network_count = var.enable_network_isolation ? 1 : 0
  vnet_name     = "vnet-${local.base_name}"

  # Public-cloud zone names; sovereign clouds use their own suffixes.
  private_link_targets = {
    blob = {
      group_id    = "blob"
      resource_id = azurerm_storage_account.task_hub.id
      zone        = "privatelink.blob.core.windows.net"
    }
    queue = {
      group_id    = "queue"
      resource_id = azurerm_storage_account.task_hub.id
      zone        = "privatelink.queue.core.windows.net"
    }
    table = {
      group_id    = "table"
      resource_id = azurerm_storage_account.task_hub.id
      zone        = "privatelink.table.core.windows.net"
    }
    file = {
      group_id    = "file"
      resource_id = azurerm_storage_account.content.id
      zone        = "privatelink.file.core.windows.net"
    }
    vault = {
      group_id    = "vault"
      resource_id = azurerm_key_vault.this.id
      zone        = "privatelink.vaultcore.azure.net"
    }
  }
  deployed_private_link_targets = var.enable_network_isolation ? local.private_link_targets : {}

  # Subnet rules (`nsgRules` in infra/bicep/modules/network.bicep holds the same table; the
  # parity test compares them). The integration subnet carries only the app's outbound traffic
  # (route-all): HTTPS and SMB to the private endpoints, HTTPS to the internet (the remote build's
  # package index, Entra ID, Application Insights ingestion, the health monitor's targets),
  # nothing else. The private endpoint subnet accepts HTTPS and SMB from the integration subnet
  # only. Traffic to Azure DNS (168.63.129.16) is platform traffic that NSGs do not filter.
  nsg_rules = {
    integration = [
      {
        name        = "allow-private-endpoints-out"
        priority    = 100
        direction   = "Outbound"
        access      = "Allow"
        protocol    = "Tcp"
        source      = var.integration_subnet_prefix
        destination = var.private_endpoint_subnet_prefix
        ports       = ["443", "445"]
      },
      {
        name        = "allow-https-internet-out"
        priority    = 110
        direction   = "Outbound"
        access      = "Allow"
        protocol    = "Tcp"
        source      = var.integration_subnet_prefix
        destination = "Internet"
        ports       = ["443"]
      },
      {
        name        = "deny-all-out"
        priority    = 4096
        direction   = "Outbound"
        access      = "Deny"
        protocol    = "*"
        source      = "*"
        destination = "*"
        ports       = ["*"]
      },
      {
        name        = "deny-all-in"
        priority    = 4096
        direction   = "Inbound"
        access      = "Deny"
        protocol    = "*"
        source      = "*"
        destination = "*"
        ports       = ["*"]
      },
    ]
    private_endpoints = [
      {
        name        = "allow-integration-subnet-in"
        priority    = 100
        direction   = "Inbound"
        access      = "Allow"
        protocol    = "Tcp"
        source      = var.integration_subnet_prefix
        destination = var.private_endpoint_subnet_prefix
        ports       = ["443", "445"]
      },
      {
        name        = "deny-all-in"
        priority    = 4096
        direction   = "Inbound"
        access      = "Deny"
        protocol    = "*"
        source      = "*"
        destination = "*"
        ports       = ["*"]
      },
      {
        name        = "deny-all-out"
        priority    = 4096
        direction   = "Outbound"
        access      = "Deny"
        protocol    = "*"
        source      = "*"
        destination = "*"
        ports       = ["*"]
      },
    ]
  }
}

resource "azurerm_network_security_group" "integration" {
  count = local.network_count

  name                = "nsg-${local.vnet_name}-integration"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  tags                = local.tags

  dynamic "security_rule" {
    for_each = local.nsg_rules.integration
    content {
      name                       = security_rule.value.name
      priority                   = security_rule.value.priority
      direction                  = security_rule.value.direction
      access                     = security_rule.value.access
      protocol                   = security_rule.value.protocol
      source_address_prefix      = security_rule.value.source
      source_port_range          = "*"
      destination_address_prefix = security_rule.value.destination
      destination_port_ranges    = security_rule.value.ports
    }
  }
}

resource "azurerm_network_security_group" "private_endpoints" {
  count = local.network_count

  name                = "nsg-${local.vnet_name}-private-endpoints"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  tags                = local.tags

  dynamic "security_rule" {
    for_each = local.nsg_rules.private_endpoints
    content {
      name                       = security_rule.value.name
      priority                   = security_rule.value.priority
      direction                  = security_rule.value.direction
      access                     = security_rule.value.access
      protocol                   = security_rule.value.protocol
      source_address_prefix      = security_rule.value.source
      source_port_range          = "*"
      destination_address_prefix = security_rule.value.destination
      destination_port_ranges    = security_rule.value.ports
    }
  }
}

resource "azurerm_virtual_network" "this" {
  count = local.network_count

  name                = local.vnet_name
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  tags                = local.tags
  address_space       = [var.vnet_address_prefix]
}

resource "azurerm_subnet" "integration" {
  count = local.network_count

  name                 = "snet-function-integration"
  resource_group_name  = data.azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this[0].name
  address_prefixes     = [var.integration_subnet_prefix]

  delegation {
    name = "elastic-premium"
    service_delegation {
      name    = "Microsoft.Web/serverFarms"
      actions = ["Microsoft.Network/virtualNetworks/subnets/action"]
    }
  }
}

resource "azurerm_subnet" "private_endpoints" {
  count = local.network_count

  name                              = "snet-private-endpoints"
  resource_group_name               = data.azurerm_resource_group.this.name
  virtual_network_name              = azurerm_virtual_network.this[0].name
  address_prefixes                  = [var.private_endpoint_subnet_prefix]
  private_endpoint_network_policies = "Enabled"
}

resource "azurerm_subnet_network_security_group_association" "integration" {
  count = local.network_count

  subnet_id                 = azurerm_subnet.integration[0].id
  network_security_group_id = azurerm_network_security_group.integration[0].id
}

resource "azurerm_subnet_network_security_group_association" "private_endpoints" {
  count = local.network_count

  subnet_id                 = azurerm_subnet.private_endpoints[0].id
  network_security_group_id = azurerm_network_security_group.private_endpoints[0].id
}

resource "azurerm_private_dns_zone" "this" {
  for_each = local.deployed_private_link_targets

  name                = each.value.zone
  resource_group_name = data.azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "this" {
  for_each = local.deployed_private_link_targets

  name                  = "link-${local.vnet_name}"
  resource_group_name   = data.azurerm_resource_group.this.name
  private_dns_zone_name = azurerm_private_dns_zone.this[each.key].name
  virtual_network_id    = azurerm_virtual_network.this[0].id
  registration_enabled  = false
  tags                  = local.tags
}

resource "azurerm_private_endpoint" "this" {
  for_each = local.deployed_private_link_targets

  name                = "pe-${local.vnet_name}-${each.key}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  tags                = local.tags
  subnet_id           = azurerm_subnet.private_endpoints[0].id

  private_service_connection {
    name                           = each.key
    private_connection_resource_id = each.value.resource_id
    subresource_names              = [each.value.group_id]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.this[each.key].id]
  }
}

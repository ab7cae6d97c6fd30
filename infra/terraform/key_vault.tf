# Key Vault (RBAC mode, purge protection) holding the content share's connection string.

resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_109: Deny-by-default needs a private path: with enable_network_isolation = true the vault denies public traffic behind a private endpoint; by default the app resolves its Key Vault reference over the public endpoint with Entra ID (RBAC) auth.
  #checkov:skip=CKV_AZURE_189: Public network access is disabled when enable_network_isolation = true; by default the app has no VNet and reaches the vault over its public endpoint with Entra ID (RBAC) auth.
  #checkov:skip=CKV2_AZURE_32: The vault private endpoint exists when enable_network_isolation = true (network.tf); the default configuration has no VNet.
  name                       = local.key_vault_name
  resource_group_name        = data.azurerm_resource_group.this.name
  location                   = local.location
  tags                       = local.tags
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 90

  public_network_access_enabled = !var.enable_network_isolation

  network_acls {
    default_action = var.enable_network_isolation ? "Deny" : "Allow"
    bypass         = "AzureServices"
  }
}

# Written through Azure Resource Manager (azapi), like Bicep's Microsoft.KeyVault/vaults/secrets:
# azurerm_key_vault_secret would need a data-plane role for whoever runs Terraform and network
# access to the vault, which enable_network_isolation removes. The app reads the secret through
# a Key Vault reference with its user-assigned identity (Key Vault Secrets User).
resource "azapi_resource" "content_share_secret" {
  type      = "Microsoft.KeyVault/vaults/secrets@2023-07-01"
  name      = local.content_share_secret_name
  parent_id = azurerm_key_vault.this.id

  body = {
    properties = {
      contentType = "Azure Files connection string (Functions content share)"
      # The provider's connection string carries the endpoint suffix of the account's cloud.
      value = azurerm_storage_account.content.primary_connection_string
    }
  }
}

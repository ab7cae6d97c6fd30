# Terraform and provider pins.
#
# azurerm 4.78 is the first 4.x release with every argument name used here that 5.0 keeps
# (rbac_authorization_enabled, local_authentication_enabled on App Insights); the configuration
# avoids arguments 5.0 removes, so moving to 5.x is a pin change plus a reviewed plan.
# No Terraform language feature newer than 1.9 is used.

terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.78"
    }
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.5"
    }
  }
}

provider "azurerm" {
  # The subscription comes from ARM_SUBSCRIPTION_ID (or `az account show`), never from code.

  # The task-hub account has shared keys disabled: data-plane calls must use Entra ID.
  storage_use_azuread = true

  features {
    storage {
      # This configuration uses no data-plane-only storage arguments (queue_properties,
      # static_website); skipping data-plane reads keeps plans working when the accounts'
      # public endpoints are disabled (enable_network_isolation = true).
      data_plane_available = false
    }
    key_vault {
      # Purge protection is on: a deleted vault can only be recovered, never purged early.
      purge_soft_delete_on_destroy    = false
      recover_soft_deleted_key_vaults = true
    }
  }
}

# The Key Vault secret is written through Azure Resource Manager (see key_vault.tf).
provider "azapi" {}

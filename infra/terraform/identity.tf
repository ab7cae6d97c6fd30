# The app's user-assigned managed identity.
#
# Created before anything that uses it, so its role assignments exist (and have time to
# propagate) before the function app first starts: a system-assigned identity would only exist
# once the site does, and its first cold start would race the role assignments.

resource "azurerm_user_assigned_identity" "app" {
  name                = "id-${local.base_name}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  tags                = local.tags
}

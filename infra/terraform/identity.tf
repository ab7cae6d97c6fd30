# The app's user-assigned managed identity.
#
# Created before anything that uses it, so its role assignments are created before the site: a
# system-assigned identity would only exist once the site does. Created is not propagated: a new
# assignment can take minutes to take effect, which infra/README.md ("What a deployment looks
# like") covers with a check after the first deployment.

resource "azurerm_user_assigned_identity" "app" {
  name                = "id-${local.base_name}"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  tags                = local.tags
}

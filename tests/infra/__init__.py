"""Static checks of infra/ (Bicep, Terraform, checkov policies) and of their parity.

Nothing here reaches Azure: the Bicep compiler and the Terraform CLI are not available offline,
so these tests read the sources with tree-sitter-bicep and python-hcl2 and run checkov.
"""

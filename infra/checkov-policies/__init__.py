"""Custom checkov policies for this repository's Bicep and Terraform (CKV_DSHOP_*).

checkov's Bicep support reuses its ARM checks, which have no rule for shared-key access, blob
public access, identity-based AzureWebJobsStorage, or site TLS/FTPS on slots. These policies
close those gaps and state the same rules for Terraform, so both trees are held to one standard.

Load them with `checkov --external-checks-dir infra/checkov-policies` (checkov only imports
check files from a directory that has this `__init__.py`, and puts the directory itself on
sys.path so the checks can import dshop_conf). The directory name is not a valid package name
on purpose: nothing can shadow the real `checkov` package with it. Every check exists once per
framework under the same id; see infra/README.md for the list.
"""

"""The shop app across deployments that raise (or roll back) its orchestration version."""

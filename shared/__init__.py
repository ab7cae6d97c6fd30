"""Contracts, settings, storage access and error kinds shared by every layer (no decorators)."""

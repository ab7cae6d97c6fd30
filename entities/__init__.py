"""Durable entities."""

"""Pydantic contracts for HTTP bodies, orchestration inputs/outputs and activity payloads."""

"""HTTP in and out: validation, auth level, status codes. No business logic."""

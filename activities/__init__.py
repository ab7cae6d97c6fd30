"""Every side effect lives here, and each activity is idempotent (activities run at least once)."""

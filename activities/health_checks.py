"""Activities: health_checks (to be built)."""

import azure.durable_functions as df

bp = df.Blueprint()

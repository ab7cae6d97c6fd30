"""Cheap reachability probes for `GET /api/health`.

A probe answers only "reachable or not": the reason goes to the log, never to the anonymous
caller. Each probe is bounded (no retries, short socket timeouts) because the platform's
health check calls it every minute on every instance and must not pile up waiting calls.
"""

from __future__ import annotations

import logging

from shared import storage

logger = logging.getLogger(__name__)


def table_storage_reachable(timeout_seconds: float) -> bool:
    """One authenticated, read-only round trip to the app's Table Storage account.

    Listing one table needs only the data-plane read permission the app already has, and
    succeeds on an empty account, so it tests connectivity and credentials, not content.
    """
    try:
        pages = storage.table_service().list_tables(
            results_per_page=1,
            retry_total=0,
            connection_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
        )
        next(iter(pages.by_page()), None)
        return True
    except Exception:  # any failure means "not usable now"; the details stay in the log
        logger.warning("table storage health probe failed", exc_info=True)
        return False

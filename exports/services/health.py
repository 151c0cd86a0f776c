"""Whether this process can do its work: for load balancers and orchestrators (/readyz)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import current_app
from django.core.files.storage import default_storage
from django.db import connection

logger = logging.getLogger(__name__)

# Seconds each dependency gets to answer: a readiness probe must answer within its own timeout.
PROBE_TIMEOUT = 3.0


def readiness() -> dict[str, str]:
    """Each dependency the site needs to serve people and queue work, with "ok" or what is
    wrong (the kind of error only: a probe's answer is public)."""
    return {name: _probe(check) for name, check in CHECKS.items()}


def _probe(check: Callable[[], None]) -> str:
    try:
        check()
    except Exception as error:  # any failure means "not ready", whatever raised it
        logger.warning("Readiness check %s failed: %s", check.__name__, error)
        return f"unavailable ({type(error).__name__})"
    return "ok"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with current_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT)


def _storage() -> None:
    # exists() on a key that is never written asks the storage a question it must answer:
    # a HEAD on S3 (credentials and bucket checked), a stat on files.
    default_storage.exists("readiness-probe")


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "broker": _broker,
    "storage": _storage,
}

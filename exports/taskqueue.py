"""Publishing work for the Celery worker, and the name of every task.

Services publish through here and never import the tasks: a task is named, published only after
the transaction that made its work due has committed, and a broker that cannot be reached costs
nothing but time, because the database row already says what is due and the sweeper
(exports.services.sweep.sweep_exports) publishes it again.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError, OperationalError

logger = logging.getLogger(__name__)

SUBMIT = "exports.tasks.submit_export_task"
CHECK = "exports.tasks.check_export_task"
FETCH = "exports.tasks.fetch_archive_task"
READ = "exports.tasks.read_export_task"
NOTIFY = "exports.tasks.notify_export_task"
CANCEL_AT_TIKTOK = "exports.tasks.cancel_at_tiktok_task"
REMIND = "exports.tasks.remind_before_deletion_task"
DELETE = "exports.tasks.delete_expired_archive_task"
WITHDRAW = "exports.tasks.withdraw_grant_task"
SWEEP = "exports.tasks.sweep_exports_task"
# The queue of the long archive copies, which a worker of its own consumes (see celery.py).
DOWNLOADS_QUEUE = "downloads"


def enqueue(task_name: str, export_id: object, *, delay: float = 0.0) -> None:
    """Publishes `task_name(export_id)` once the current transaction commits."""
    transaction.on_commit(lambda: publish(task_name, export_id, delay=delay))


def publish(task_name: str, export_id: object, *, delay: float = 0.0) -> None:
    """Publishes now. A delay is capped at EXPORT_POLL_MAX: Redis redelivers a message held
    past its visibility timeout, again and again, so long waits live in the row
    (`next_step_at`) and the sweep, never in a countdown. A broker that cannot be reached is
    tried once, not for the seconds kombu would spend retrying: a web request would hang that
    long on every publish while the broker is down, for nothing the sweep does not do."""
    countdown = min(max(0.0, delay), settings.EXPORT_POLL_MAX) or None
    try:
        with current_app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=0)
            current_app.send_task(
                task_name,
                args=[str(export_id)],
                countdown=countdown,
                retry=False,
                producer=producer,
            )
    except (OperationalError, KombuError, OSError) as error:
        logger.warning(
            "Could not publish %s(%s) (%s); the sweeper will.",
            task_name,
            export_id,
            type(error).__name__,
        )

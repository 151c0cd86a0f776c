"""Celery tasks: ids in, one service call, nothing else. The services make every task safe to
run twice; the database row, not the message, says what is due."""

from __future__ import annotations

from celery import shared_task

from exports import services
from exports.tiktok import TransientTikTokError

# The copy of a multi-GB archive may take long; Redis redelivers unacknowledged tasks after the
# visibility timeout (4 h in settings), which must stay above this hard limit.
FETCH_TIME_LIMIT = 3 * 3600

# Where the row counts the tries (exports, emails, withdrawals) the row decides when to try
# again and the sweep publishes it then. Cancelling at TikTok keeps no count: bounded Celery
# retries with backoff and jitter carry it through a passing TikTok failure.
RETRY_TIKTOK = {
    "autoretry_for": (TransientTikTokError,),
    "retry_backoff": 15,
    "retry_backoff_max": 600,
    "max_retries": 8,
}


@shared_task(acks_late=True, ignore_result=True)
def submit_export_task(export_id: str) -> None:
    services.submit_export(export_id)


@shared_task(acks_late=True, ignore_result=True)
def check_export_task(export_id: str) -> None:
    services.check_export(export_id)


# The long steps on the downloads queue (a copy, a reading): requeued if their worker dies.
LONG_STEP = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "time_limit": FETCH_TIME_LIMIT,
    "soft_time_limit": FETCH_TIME_LIMIT - 120,
}


@shared_task(**LONG_STEP)
def fetch_archive_task(export_id: str) -> None:
    services.fetch_archive(export_id)


@shared_task(**LONG_STEP)
def read_export_task(export_id: str) -> None:
    services.read_export(export_id)


@shared_task(acks_late=True, ignore_result=True)
def notify_export_task(export_id: str) -> None:
    services.notify_export_outcome(export_id)


@shared_task(acks_late=True, ignore_result=True, **RETRY_TIKTOK)
def cancel_at_tiktok_task(export_id: str) -> None:
    services.cancel_at_tiktok(export_id)


@shared_task(acks_late=True, ignore_result=True)
def remind_before_deletion_task(export_id: str) -> None:
    services.remind_before_deletion(export_id)


@shared_task(acks_late=True, ignore_result=True)
def delete_expired_archive_task(export_id: str) -> None:
    services.delete_expired_archive(export_id)


@shared_task(acks_late=True, ignore_result=True)
def withdraw_grant_task(authorization_id: str) -> None:
    services.withdraw_grant(authorization_id)


@shared_task(ignore_result=True)
def sweep_exports_task() -> None:
    services.sweep()

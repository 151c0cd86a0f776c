"""The sweep: the guaranteed path by which due work reaches the worker."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from exports import taskqueue
from exports.models import ExportRequest, ExportState, TikTokAuthorization


def sweep_exports(now: dt.datetime | None = None) -> dict[str, int]:
    """Publishes every step that is due, whatever happened to the messages that should have
    carried it. Runs every EXPORT_SWEEP_INTERVAL from beat (and `manage.py sweep_exports`).
    A step the sweep published is not published again for a few sweeps, so work waiting in a
    busy queue does not pile up there. Returns how many of each step it published. Safe to run
    at any time, even twice at once: each step claims its row before acting."""
    now = now or timezone.now()
    rows = ExportRequest.objects
    reminder = dt.timedelta(hours=settings.EXPORT_REMINDER_HOURS)
    due = {
        taskqueue.SUBMIT: rows.due(ExportState.REQUESTED, now),
        taskqueue.CHECK: rows.due(ExportState.PROCESSING, now),
        taskqueue.FETCH: rows.fetch_lease_lapsed(now),
        taskqueue.NOTIFY: rows.awaiting_notification(now),
        taskqueue.REMIND: rows.due_for_reminder(now, reminder),
        taskqueue.DELETE: rows.due_for_deletion(now),
    }
    recently = now - dt.timedelta(seconds=5 * settings.EXPORT_SWEEP_INTERVAL)
    not_recently_published = Q(last_published_at__isnull=True) | Q(last_published_at__lt=recently)
    work = {
        task_name: list(
            exports.filter(not_recently_published)
            .order_by("next_step_at")
            .values_list("pk", flat=True)[:500]
        )
        for task_name, exports in due.items()
    }
    everything = {export_id for ids in work.values() for export_id in ids}
    ExportRequest.objects.filter(pk__in=everything).update(last_published_at=now)
    for task_name, ids in work.items():
        for export_id in ids:
            taskqueue.publish(task_name, export_id)
    return {task_name.rsplit(".", 1)[-1]: len(ids) for task_name, ids in work.items()}


def sweep_withdrawals(now: dt.datetime | None = None) -> int:
    """Publishes the withdrawal of every grant given up here that TikTok has not been told of
    yet and no worker holds: its message was lost, or its last try failed and released it.
    Returns how many it published. Safe to run at any time: withdraw_grant claims first."""
    now = now or timezone.now()
    due = TikTokAuthorization.objects.withdrawal_due(now).order_by("withdrawn_at")
    ids = list(due.values_list("pk", flat=True)[:500])
    for authorization_id in ids:
        taskqueue.publish(taskqueue.WITHDRAW, authorization_id)
    return len(ids)

"""The sweep: the guaranteed path by which due work reaches the worker.

`sweep()` is the one entry point: beat runs it every EXPORT_SWEEP_INTERVAL
(exports.tasks.sweep_exports_task) and `manage.py sweep_exports` runs the same function.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from exports import taskqueue
from exports.models import (
    EmailKind,
    ExportReading,
    ExportRequest,
    ExportState,
    TikTokAuthorization,
)
from exports.ratelimit import delete_expired_rate_limit_counters
from exports.services.retention import abort_abandoned_uploads

# At most this many of each step are published per sweep: the rest wait for the next one.
BATCH = 500


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Publishes everything that is due, whatever happened to the messages that should have
    carried it: the exports' steps and emails, the withdrawals of grants given up here; aborts
    S3 uploads no copy works on any more and forgets rate-limit windows that ended. Returns how
    much of each it did. Safe to run at any time, even twice at once: each step claims its row
    before acting."""
    now = now or timezone.now()
    done = sweep_exports(now)
    done["read_export_task"] = sweep_readings(now)
    done["withdraw_grant_task"] = sweep_withdrawals(now)
    done["abandoned_uploads_aborted"] = abort_abandoned_uploads()
    done["rate_limit_windows_forgotten"] = delete_expired_rate_limit_counters(now)
    return done


def sweep_exports(now: dt.datetime | None = None) -> dict[str, int]:
    """Publishes every export step that is due. A step the sweep published is not published
    again for a few sweeps, so work waiting in a busy queue does not pile up there. Returns how
    many of each step it published."""
    now = now or timezone.now()
    rows = ExportRequest.objects
    due = {
        taskqueue.SUBMIT: rows.due(ExportState.REQUESTED, now),
        taskqueue.CHECK: rows.due(ExportState.PROCESSING, now),
        taskqueue.FETCH: rows.fetch_lease_lapsed(now),
        taskqueue.NOTIFY: rows.with_email_due(EmailKind.OUTCOME, now),
        taskqueue.REMIND: rows.with_email_due(EmailKind.REMINDER, now),
        taskqueue.DELETE: rows.due_for_deletion(now),
    }
    recently = now - dt.timedelta(seconds=5 * settings.EXPORT_SWEEP_INTERVAL)
    not_recently_published = Q(last_published_at__isnull=True) | Q(last_published_at__lt=recently)
    work = {
        task_name: list(
            exports.filter(not_recently_published)
            .order_by("next_step_at")
            .values_list("pk", flat=True)[:BATCH]
        )
        for task_name, exports in due.items()
    }
    everything = {export_id for ids in work.values() for export_id in ids}
    # Bookkeeping of the sweep itself, not a step of the export: its state is not touched.
    ExportRequest.objects.filter(pk__in=everything).update(last_published_at=now)
    for task_name, ids in work.items():
        for export_id in ids:
            taskqueue.publish(task_name, export_id)
    return {task_name.rsplit(".", 1)[-1]: len(ids) for task_name, ids in work.items()}


def sweep_readings(now: dt.datetime | None = None) -> int:
    """Publishes every reading of an archive that is due: waiting, or left by a worker whose
    lease lapsed (killed mid-way: the next one goes on from its last checkpoint). Returns how
    many it published."""
    now = now or timezone.now()
    due = ExportReading.objects.due(now).order_by("next_step_at")
    ids = list(due.values_list("export_id", flat=True)[:BATCH])
    for export_id in ids:
        taskqueue.publish(taskqueue.READ, export_id)
    return len(ids)


def sweep_withdrawals(now: dt.datetime | None = None) -> int:
    """Publishes the withdrawal of every grant given up here that TikTok has not been told of
    yet and no worker holds or waits on: its message was lost, or its last try failed and its
    wait is over. Returns how many it published."""
    now = now or timezone.now()
    due = TikTokAuthorization.objects.withdrawal_due(now).order_by("withdrawn_at")
    ids = list(due.values_list("pk", flat=True)[:BATCH])
    for authorization_id in ids:
        taskqueue.publish(taskqueue.WITHDRAW, authorization_id)
    return len(ids)

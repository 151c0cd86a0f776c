"""The worker's side of an export: ask TikTok, follow the request, copy the archive.

Each step first claims its row with a conditional UPDATE on the state it expects (and, for the
copy, a lease), so a step delivered twice, or by the sweeper and a countdown at once, runs once.
The row says what is due next (`next_step_at`); exports.services.sweep publishes whatever is
due, so a lost message costs at most one sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from exports import taskqueue
from exports.archive_store import (
    ArchiveInvalidError,
    StoredArchive,
    archive_key,
    copy_archive,
    delete_archive,
)
from exports.models import (
    ACTIVE_STATES,
    ExportEvent,
    ExportRequest,
    ExportState,
    TikTokAuthorization,
)
from exports.services.locale import in_owner_locale
from exports.services.reasons import reason_for
from exports.tiktok import (
    DataRequestStatus,
    PermanentTikTokError,
    PortabilityClient,
    TikTokError,
    TransientTikTokError,
)
from exports.tiktok.oauth import refresh_claim

logger = logging.getLogger(__name__)

# Attempts at asking TikTok for the export before giving up (spread over about an hour).
SUBMIT_ATTEMPTS = 10
# How long TikTok may take to prepare an export before the site stops waiting.
PREPARATION_DEADLINE = dt.timedelta(days=7)
# How long to wait for TikTok's webhook to name a request whose answer was lost.
UNCONFIRMED_WAIT = dt.timedelta(days=1)
# How often a copy in progress renews its lease and reports its progress.
HEARTBEAT_SECONDS = 1.0


class LeaseLostError(Exception):
    """The copy no longer holds its export: it was cancelled, or another worker took over."""


def step_claim() -> dt.timedelta:
    """How long a claimed step (asking or checking) may take before the sweep may run it
    again: longer than the slowest possible run (a token refresh, the call, a second refresh
    and the call again, each within the timeouts)."""
    call = settings.TIKTOK_CONNECT_TIMEOUT + settings.TIKTOK_READ_TIMEOUT
    return 2 * refresh_claim() + dt.timedelta(seconds=2 * call + 30)


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt `attempt + 1`: EXPORT_POLL_INITIAL doubling up to
    EXPORT_POLL_MAX, with ±20 % jitter so that many exports do not poll in step."""
    doubling = 2 ** min(max(0, attempt), 30)
    base = min(settings.EXPORT_POLL_INITIAL * doubling, settings.EXPORT_POLL_MAX)
    return base * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not secrecy)


@in_owner_locale
def submit_export(export_id: uuid.UUID | str) -> None:
    """Asks TikTok for the export (Add Data Request) when it is due.

    Idempotent: only a run that claims the REQUESTED row calls TikTok. On success the export is
    PROCESSING with TikTok's request_id. A failure that left TikTok untouched is retried later
    (up to SUBMIT_ATTEMPTS); one that may have reached TikTok is retried only on an ongoing
    scope: a once-only scope would be used up by the first call, so the export waits for
    TikTok's webhook to name the request instead. A permanent failure fails the export with a
    reason its owner can read.
    """
    now = timezone.now()
    claimed = ExportRequest.objects.filter(
        pk=export_id,
        state=ExportState.REQUESTED,
        next_step_at__lte=now,
        tiktok_request_id__isnull=True,
    ).update(next_step_at=now + step_claim(), submit_attempts=F("submit_attempts") + 1)
    if not claimed:
        return
    export = ExportRequest.objects.get(pk=export_id)
    if export.add_unconfirmed_at is not None:
        _fail(export, "add_unconfirmed", _("TikTok never confirmed the request. Ask again."))
        return
    if export.submit_attempts > SUBMIT_ATTEMPTS:
        _fail(export, "submit_attempts", _("TikTok could not be reached for a long time."))
        return
    try:
        request_id = _client(export).add_data_request(export.data_format, list(export.categories))
    except TransientTikTokError as error:
        if error.may_have_taken_effect and export.scope.endswith(".single"):
            _await_confirmation(export)
        else:
            _retry_later(export, error, export.submit_attempts)
        return
    except PermanentTikTokError as error:
        _fail(export, error.code, reason_for(error))
        return
    _accepted(export, request_id)


def adopt_request(export_id: uuid.UUID, request_id: int) -> bool:
    """TikTok's webhook named the request of an export whose Add answer was lost: it carries
    on from there. Returns whether it did (idempotent)."""
    with transaction.atomic():
        adopted = ExportRequest.objects.filter(
            pk=export_id, state=ExportState.REQUESTED, add_unconfirmed_at__isnull=False
        ).update(
            tiktok_request_id=request_id,
            state=ExportState.PROCESSING,
            next_step_at=timezone.now(),
        )
        if adopted:
            ExportRequest.objects.get(pk=export_id).record(ExportEvent.Kind.ACCEPTED)
            taskqueue.enqueue(taskqueue.CHECK, export_id)
    return bool(adopted)


@in_owner_locale
def check_export(export_id: uuid.UUID | str) -> None:
    """Asks TikTok how the export is coming along (Check Status) when a check is due.

    Idempotent. pending: check again later, backing off; downloading (ready): start the copy;
    expired or cancelled at TikTok: the export ends so. An export TikTok has not prepared
    within PREPARATION_DEADLINE fails, so no export waits forever.
    """
    now = timezone.now()
    claimed = ExportRequest.objects.filter(
        pk=export_id, state=ExportState.PROCESSING, next_step_at__lte=now
    ).update(next_step_at=now + step_claim(), check_count=F("check_count") + 1)
    if not claimed:
        return
    export = ExportRequest.objects.get(pk=export_id)
    if now - export.created_at > PREPARATION_DEADLINE:
        _fail(export, "not_prepared", _("TikTok did not prepare the export within a week."))
        return
    try:
        status = _client(export).check(export.tiktok_request_id)
    except TransientTikTokError as error:
        _retry_later(export, error, export.check_count)
        return
    except PermanentTikTokError as error:
        _fail(export, error.code, reason_for(error))
        return
    _apply_status(export, status)


@in_owner_locale
def fetch_archive(export_id: uuid.UUID | str) -> None:
    """Copies the ready archive from TikTok into storage, checked and hashed, when due.

    Holds a lease on the row while it copies and renews it as bytes arrive; a second delivery
    of the task finds the lease held and returns at once. A copy that breaks off or arrives
    corrupt is retried from the start (TikTok's download is a POST: no Range to resume), up to
    EXPORT_FETCH_ATTEMPTS. The archive is never held in memory.
    """
    export = _claim_fetch(export_id)
    if export is None:
        return
    owner = export.lease_owner
    key = archive_key(export.user_id, export.pk)
    try:
        with _client(export).download(export.tiktok_request_id) as stream:
            heartbeat = _Heartbeat(export.pk, owner, stream.content_length)
            stored = copy_archive(
                stream.chunks(),
                key,
                expected_size=stream.content_length,
                on_progress=heartbeat.beat,
            )
        heartbeat.beat(stored.size, force=True)
    except LeaseLostError:
        logger.info("Copy of export %s stopped: its lease was lost", export.pk)
        return
    except (TransientTikTokError, ArchiveInvalidError) as error:
        _retry_fetch(export, owner, error)
        return
    except PermanentTikTokError as error:
        _settle_undownloadable(export, owner, error)
        return
    _stored(export, owner, stored)


def cancel_at_tiktok(export_id: uuid.UUID | str) -> None:
    """Tells TikTok that a cancelled export is no longer wanted. Idempotent: TikTok refusing
    because the request already ended is fine. Raises TransientTikTokError to be retried."""
    export = ExportRequest.objects.filter(pk=export_id, state=ExportState.CANCELLED).first()
    if export is None or export.tiktok_request_id is None:
        return
    try:
        _client(export).cancel(export.tiktok_request_id)
    except PermanentTikTokError as error:
        logger.info("TikTok did not cancel export %s: %s", export.pk, error.code)


def _client(export: ExportRequest) -> PortabilityClient:
    """The client for the export's owner. Raises PermanentTikTokError if they have no TikTok
    sign-in any more."""
    authorization = TikTokAuthorization.objects.for_user(export.user).first()
    if authorization is None:
        raise PermanentTikTokError("access_token_invalid", "The TikTok sign-in was removed.")
    return PortabilityClient(authorization.pk)


def _await_confirmation(export: ExportRequest) -> None:
    """TikTok may have accepted the request and used up its once-only scope: asking again
    would fail. Wait for the webhook that names the request (services.webhooks adopts it);
    without it, the next submit after UNCONFIRMED_WAIT fails the export."""
    with transaction.atomic():
        waiting = ExportRequest.objects.filter(pk=export.pk, state=ExportState.REQUESTED).update(
            add_unconfirmed_at=timezone.now(), next_step_at=timezone.now() + UNCONFIRMED_WAIT
        )
        if waiting:
            export.record(ExportEvent.Kind.UNCONFIRMED)
    logger.warning("TikTok's answer to the request of export %s was lost", export.pk)


def _accepted(export: ExportRequest, request_id: int) -> None:
    delay = backoff(0)
    with transaction.atomic():
        moved = ExportRequest.objects.filter(pk=export.pk, state=ExportState.REQUESTED).update(
            tiktok_request_id=request_id,
            state=ExportState.PROCESSING,
            next_step_at=timezone.now() + dt.timedelta(seconds=delay),
        )
        if moved:
            export.record(ExportEvent.Kind.ACCEPTED)
            taskqueue.enqueue(taskqueue.CHECK, export.pk, delay=delay)
        else:
            # Cancelled while TikTok was being asked: remember the request to cancel it there.
            cancelled = ExportRequest.objects.filter(
                pk=export.pk, state=ExportState.CANCELLED, tiktok_request_id__isnull=True
            ).update(tiktok_request_id=request_id)
            if cancelled:
                taskqueue.enqueue(taskqueue.CANCEL_AT_TIKTOK, export.pk)


def _apply_status(export: ExportRequest, status: DataRequestStatus) -> None:
    times = {"tiktok_apply_time": status.apply_time, "tiktok_collect_time": status.collect_time}
    times = {name: value for name, value in times.items() if value is not None}
    if status.status == "pending":
        delay = backoff(export.check_count)
        waiting = ExportRequest.objects.filter(pk=export.pk, state=ExportState.PROCESSING).update(
            next_step_at=timezone.now() + dt.timedelta(seconds=delay), **times
        )
        if waiting:
            taskqueue.publish(taskqueue.CHECK, export.pk, delay=delay)
    elif status.status == "downloading":
        with transaction.atomic():
            moved = ExportRequest.objects.filter(pk=export.pk, state=ExportState.PROCESSING).update(
                state=ExportState.FETCHING,
                tiktok_ready_at=timezone.now(),
                next_step_at=timezone.now(),
                **times,
            )
            if moved:
                export.record(ExportEvent.Kind.READY_AT_TIKTOK)
                taskqueue.enqueue(taskqueue.FETCH, export.pk)
    elif status.status == "expired":
        _end(export, ExportState.EXPIRED, ExportEvent.Kind.EXPIRED)
    else:
        _end(export, ExportState.CANCELLED, ExportEvent.Kind.CANCELLED)


def _claim_fetch(export_id: uuid.UUID | str) -> ExportRequest | None:
    now = timezone.now()
    owner = uuid.uuid4().hex
    claimed = (
        ExportRequest.objects.filter(pk=export_id)
        .fetch_lease_lapsed(now)
        .update(
            lease_owner=owner,
            lease_expires_at=now + dt.timedelta(seconds=settings.EXPORT_FETCH_LEASE),
            fetch_attempts=F("fetch_attempts") + 1,
            fetch_started_at=now,
            bytes_received=0,
            bytes_total=None,
        )
    )
    if not claimed:
        return None
    export = ExportRequest.objects.get(pk=export_id)
    if export.fetch_attempts > settings.EXPORT_FETCH_ATTEMPTS:
        _fail(export, "fetch_attempts", _("The archive could not be copied from TikTok."))
        return None
    return export


class _Heartbeat:
    """Renews the copy's lease and records its progress, about once a second."""

    def __init__(self, export_id: uuid.UUID, owner: str, total: int | None) -> None:
        self.export_id = export_id
        self.owner = owner
        self.total = total
        self.last = 0.0

    def beat(self, received: int, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.last < HEARTBEAT_SECONDS:
            return
        self.last = time.monotonic()
        lease_until = timezone.now() + dt.timedelta(seconds=settings.EXPORT_FETCH_LEASE)
        kept = ExportRequest.objects.filter(
            pk=self.export_id, state=ExportState.FETCHING, lease_owner=self.owner
        ).update(bytes_received=received, bytes_total=self.total, lease_expires_at=lease_until)
        if not kept:
            raise LeaseLostError


def _stored(export: ExportRequest, owner: str, stored: StoredArchive) -> None:
    now = timezone.now()
    with transaction.atomic():
        moved = ExportRequest.objects.filter(
            pk=export.pk, state=ExportState.FETCHING, lease_owner=owner
        ).update(
            state=ExportState.READY,
            archive_key=stored.key,
            archive_size=stored.size,
            archive_sha256=stored.sha256,
            archive_entries=stored.entries,
            bytes_received=stored.size,
            bytes_total=stored.size,
            ready_at=now,
            retention_until=now + dt.timedelta(days=settings.EXPORT_RETENTION_DAYS),
            lease_owner="",
            lease_expires_at=None,
            next_step_at=None,
        )
        if moved:
            export.record(ExportEvent.Kind.STORED)
            taskqueue.enqueue(taskqueue.NOTIFY, export.pk)
    if not moved:
        _discard_unwanted(export.pk, stored.key)


def _discard_unwanted(export_id: uuid.UUID, key: str) -> None:
    """The export ended (cancelled, say) while its archive was being stored: remove the copy,
    unless another run of the copy made the export READY with it."""
    state = ExportRequest.objects.filter(pk=export_id).values_list("state", flat=True).first()
    # READY: another run stored it. FETCHING: another run is copying it and will store it.
    if state not in (ExportState.READY, ExportState.FETCHING):
        delete_archive(key)


def _retry_fetch(export: ExportRequest, owner: str, error: Exception) -> None:
    if export.fetch_attempts >= settings.EXPORT_FETCH_ATTEMPTS:
        _fail(export, "fetch_failed", _("The archive could not be copied from TikTok intact."))
        return
    delay = _retry_delay(error, export.fetch_attempts)
    with transaction.atomic():
        released = ExportRequest.objects.filter(
            pk=export.pk, state=ExportState.FETCHING, lease_owner=owner
        ).update(
            lease_owner="",
            lease_expires_at=None,
            next_step_at=timezone.now() + dt.timedelta(seconds=delay),
        )
        if released:
            export.record(ExportEvent.Kind.FETCH_FAILED, _describe(error))
            taskqueue.enqueue(taskqueue.FETCH, export.pk, delay=delay)
    logger.warning("Copy of export %s failed (%s); retrying", export.pk, _describe(error))


def _settle_undownloadable(export: ExportRequest, owner: str, error: PermanentTikTokError) -> None:
    """TikTok refused the download: find out whether the request expired or was cancelled
    there, which is the usual reason, before calling it a failure."""
    try:
        status = _client(export).check(export.tiktok_request_id)
    except TransientTikTokError as check_error:
        _retry_fetch(export, owner, check_error)
        return
    except PermanentTikTokError:
        status = None
    if status is not None and status.status == "expired":
        _end(export, ExportState.EXPIRED, ExportEvent.Kind.EXPIRED)
    elif status is not None and status.status == "cancelled":
        _end(export, ExportState.CANCELLED, ExportEvent.Kind.CANCELLED)
    else:
        _fail(export, error.code, reason_for(error))


def _retry_later(export: ExportRequest, error: TransientTikTokError, attempt: int) -> None:
    delay = _retry_delay(error, attempt)
    waiting = ExportRequest.objects.filter(pk=export.pk, state=export.state).update(
        next_step_at=timezone.now() + dt.timedelta(seconds=delay)
    )
    task = taskqueue.SUBMIT if export.state == ExportState.REQUESTED else taskqueue.CHECK
    if waiting:
        taskqueue.publish(task, export.pk, delay=delay)
    logger.warning("TikTok call for export %s failed (%s); retrying", export.pk, error.code)


def _retry_delay(error: Exception, attempt: int) -> float:
    retry_after = getattr(error, "retry_after", None)
    return max(backoff(attempt), retry_after or 0.0)


def _fail(export: ExportRequest, code: str, reason: str) -> None:
    _end(export, ExportState.FAILED, ExportEvent.Kind.FAILED, code=code, reason=reason)


def _end(
    export: ExportRequest, state: str, event: str, *, code: str = "", reason: str = ""
) -> None:
    with transaction.atomic():
        ended = ExportRequest.objects.filter(pk=export.pk, state__in=ACTIVE_STATES).update(
            state=state,
            failure_code=code[:64],
            failure_reason=reason,
            next_step_at=None,
            lease_owner="",
            lease_expires_at=None,
        )
        if ended:
            export.record(event, reason)
            if state in (ExportState.FAILED, ExportState.EXPIRED):
                taskqueue.enqueue(taskqueue.NOTIFY, export.pk)


def _describe(error: Any) -> str:
    if isinstance(error, TikTokError):
        return f"{error.code}: {error.message}" if error.message else error.code
    return str(error)

"""The worker's side of an export, in the order it lives (exports/lifecycle.py has the map):
ask TikTok (submit_export), follow the request (check_export), copy the archive
(fetch_archive), store it; and, for an export cancelled here, tell TikTok (cancel_at_tiktok).

Each step first claims its row through ExportRequest.objects.transition on the state it
expects (and, for the copy, a lease), so a step delivered twice, or by the sweeper and a
countdown at once, runs once. The row says what is due next (`next_step_at`);
exports.services.sweep publishes whatever is due, so a lost message costs at most one sweep.
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
from django.db.models import F, Q
from django.utils import timezone

from exports import taskqueue
from exports.archive_store import (
    ArchiveInvalidError,
    StoredArchive,
    archive_key,
    archive_storage,
    copy_archive,
)
from exports.failures import NOT_ELIGIBLE
from exports.lifecycle import ALLOWED_MOVES
from exports.models import (
    ACTIVE_STATES,
    ExportEvent,
    ExportRequest,
    ExportState,
    TikTokAuthorization,
)
from exports.services.locale import in_owner_locale
from exports.services.reading import schedule_reading
from exports.tiktok import (
    DataRequestStatus,
    NotEligibleError,
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
    claimed = ExportRequest.objects.transition(
        export_id,
        [ExportState.REQUESTED],
        when=Q(next_step_at__lte=now, tiktok_request_id__isnull=True),
        next_step_at=now + step_claim(),
        submit_attempts=F("submit_attempts") + 1,
    )
    if not claimed:
        return
    export = ExportRequest.objects.get(pk=export_id)
    if export.add_unconfirmed_at is not None:
        _fail(export, "add_unconfirmed")
        return
    if export.submit_attempts > SUBMIT_ATTEMPTS:
        _fail(export, "submit_attempts")
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
        _fail_for(export, error)
        return
    _accepted(export, request_id)


def _await_confirmation(export: ExportRequest) -> None:
    """TikTok may have accepted the request and used up its once-only scope: asking again
    would fail. Wait for the webhook that names the request (adopt_request); without it, the
    next submit after UNCONFIRMED_WAIT fails the export."""
    ExportRequest.objects.transition(
        export.pk,
        [ExportState.REQUESTED],
        event=ExportEvent.Kind.UNCONFIRMED,
        add_unconfirmed_at=timezone.now(),
        next_step_at=timezone.now() + UNCONFIRMED_WAIT,
    )
    logger.warning("TikTok's answer to the request of export %s was lost", export.pk)


def adopt_request(export_id: uuid.UUID, request_id: int) -> bool:
    """TikTok's webhook named the request of an export whose Add answer was lost: it carries
    on from there. Returns whether it did (idempotent)."""
    return ExportRequest.objects.transition(
        export_id,
        [ExportState.REQUESTED],
        ExportState.PROCESSING,
        when=Q(add_unconfirmed_at__isnull=False),
        event=ExportEvent.Kind.ACCEPTED,
        publish=taskqueue.CHECK,
        tiktok_request_id=request_id,
        next_step_at=timezone.now(),
    )


def _accepted(export: ExportRequest, request_id: int) -> None:
    delay = backoff(0)
    moved = ExportRequest.objects.transition(
        export.pk,
        [ExportState.REQUESTED],
        ExportState.PROCESSING,
        event=ExportEvent.Kind.ACCEPTED,
        publish=taskqueue.CHECK,
        delay=delay,
        tiktok_request_id=request_id,
        next_step_at=timezone.now() + dt.timedelta(seconds=delay),
    )
    if not moved:
        # Cancelled while TikTok was being asked: remember the request to cancel it there.
        ExportRequest.objects.transition(
            export.pk,
            [ExportState.CANCELLED],
            when=Q(tiktok_request_id__isnull=True),
            publish=taskqueue.CANCEL_AT_TIKTOK,
            tiktok_request_id=request_id,
        )


@in_owner_locale
def check_export(export_id: uuid.UUID | str) -> None:
    """Asks TikTok how the export is coming along (Check Status) when a check is due.

    Idempotent. pending: check again later, backing off; downloading (ready): start the copy;
    expired or cancelled at TikTok: the export ends so. An export TikTok has not prepared
    within PREPARATION_DEADLINE fails, so no export waits forever.
    """
    now = timezone.now()
    claimed = ExportRequest.objects.transition(
        export_id,
        [ExportState.PROCESSING],
        when=Q(next_step_at__lte=now),
        next_step_at=now + step_claim(),
        check_count=F("check_count") + 1,
    )
    if not claimed:
        return
    export = ExportRequest.objects.get(pk=export_id)
    if now - export.created_at > PREPARATION_DEADLINE:
        _fail(export, "not_prepared")
        return
    try:
        status = _client(export).check(export.tiktok_request_id)
    except TransientTikTokError as error:
        _retry_later(export, error, export.check_count)
        return
    except PermanentTikTokError as error:
        _fail_for(export, error)
        return
    _apply_status(export, status)


def check_now(export_id: uuid.UUID | str) -> bool:
    """TikTok said the export is ready (its webhook): check at once instead of at the next
    poll. Returns whether the export was waiting on TikTok."""
    return ExportRequest.objects.transition(
        export_id,
        [ExportState.PROCESSING],
        publish=taskqueue.CHECK,
        next_step_at=timezone.now(),
    )


def _apply_status(export: ExportRequest, status: DataRequestStatus) -> None:
    times = {"tiktok_apply_time": status.apply_time, "tiktok_collect_time": status.collect_time}
    times = {name: value for name, value in times.items() if value is not None}
    if status.status == "pending":
        delay = backoff(export.check_count)
        ExportRequest.objects.transition(
            export.pk,
            [ExportState.PROCESSING],
            publish=taskqueue.CHECK,
            delay=delay,
            next_step_at=timezone.now() + dt.timedelta(seconds=delay),
            **times,
        )
    elif status.status == "downloading":
        ExportRequest.objects.transition(
            export.pk,
            [ExportState.PROCESSING],
            ExportState.FETCHING,
            event=ExportEvent.Kind.READY_AT_TIKTOK,
            publish=taskqueue.FETCH,
            tiktok_ready_at=timezone.now(),
            next_step_at=timezone.now(),
            **times,
        )
    elif status.status == "expired":
        _end(export, ExportState.EXPIRED, ExportEvent.Kind.EXPIRED)
    else:
        _end(export, ExportState.CANCELLED, ExportEvent.Kind.CANCELLED)


@in_owner_locale
def fetch_archive(export_id: uuid.UUID | str) -> None:
    """Copies the ready archive from TikTok into storage, checked and hashed, when due.

    Holds a lease on the row while it copies and renews it as bytes arrive; a second delivery
    of the task finds the lease held and returns at once. A copy that breaks off or arrives
    corrupt is retried from the start (TikTok's download is a POST: no Range to resume), up to
    EXPORT_FETCH_ATTEMPTS. The archive is never held in memory. A copy that loses its export
    (cancelled, or its owner deleted their account) stops, and nothing of it stays in storage.
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


def _claim_fetch(export_id: uuid.UUID | str) -> ExportRequest | None:
    now = timezone.now()
    owner = uuid.uuid4().hex
    claimed = ExportRequest.objects.transition(
        export_id,
        [ExportState.FETCHING],
        when=Q(next_step_at__lte=now)
        & (Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)),
        lease_owner=owner,
        lease_expires_at=now + dt.timedelta(seconds=settings.EXPORT_FETCH_LEASE),
        fetch_attempts=F("fetch_attempts") + 1,
        fetch_started_at=now,
        bytes_received=0,
        bytes_total=None,
    )
    if not claimed:
        return None
    export = ExportRequest.objects.get(pk=export_id)
    if export.fetch_attempts > settings.EXPORT_FETCH_ATTEMPTS:
        _fail(export, "fetch_attempts")
        return None
    return export


class _Heartbeat:
    """Renews the copy's lease and records its progress, about once a second."""

    def __init__(self, export_id: uuid.UUID, owner: str, total: int | None) -> None:
        self.export_id = export_id
        self.owner = owner
        self.total = total
        self.last = 0.0

    def beat(self, received: int) -> None:
        if time.monotonic() - self.last < HEARTBEAT_SECONDS:
            return
        self.last = time.monotonic()
        kept = ExportRequest.objects.transition(
            self.export_id,
            [ExportState.FETCHING],
            when=Q(lease_owner=self.owner),
            bytes_received=received,
            bytes_total=self.total,
            lease_expires_at=timezone.now() + dt.timedelta(seconds=settings.EXPORT_FETCH_LEASE),
        )
        if not kept:
            raise LeaseLostError


def _stored(export: ExportRequest, owner: str, stored: StoredArchive) -> None:
    """The copy is complete: the export is READY with it, unless it ended (or went with its
    owner's account) while the copy was being committed, in which case the copy goes."""
    now = timezone.now()
    # Stored and owed its reading in one transaction: a reading is never lost between the two.
    with transaction.atomic():
        moved = ExportRequest.objects.transition(
            export.pk,
            [ExportState.FETCHING],
            ExportState.READY,
            when=Q(lease_owner=owner),
            event=ExportEvent.Kind.STORED,
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
            schedule_reading(export.pk)
    if not moved:
        _discard_unwanted(export.pk, stored.key)


def _discard_unwanted(export_id: uuid.UUID, key: str) -> None:
    """The export ended (cancelled, say, or deleted with its owner's account) while its archive
    was being stored: remove the copy, unless another run of the copy made the export READY
    with it or is copying it now."""
    state = ExportRequest.objects.filter(pk=export_id).values_list("state", flat=True).first()
    if state not in (ExportState.READY, ExportState.FETCHING):
        archive_storage().delete(key)
        logger.info("Removed the copy of export %s, which ended while it was stored", export_id)


def _retry_fetch(export: ExportRequest, owner: str, error: Exception) -> None:
    if export.fetch_attempts >= settings.EXPORT_FETCH_ATTEMPTS:
        _fail(export, "fetch_failed")
        return
    delay = _retry_delay(error, export.fetch_attempts)
    ExportRequest.objects.transition(
        export.pk,
        [ExportState.FETCHING],
        when=Q(lease_owner=owner),
        event=ExportEvent.Kind.FETCH_FAILED,
        detail=_describe(error),
        publish=taskqueue.FETCH,
        delay=delay,
        lease_owner="",
        lease_expires_at=None,
        next_step_at=timezone.now() + dt.timedelta(seconds=delay),
    )
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
        _fail_for(export, error)


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


# Shared by the steps -----------------------------------------------------------------------


def _client(export: ExportRequest) -> PortabilityClient:
    """The client for the export's owner. Raises PermanentTikTokError if they have no TikTok
    sign-in any more."""
    authorization = TikTokAuthorization.objects.for_user(export.user).first()
    if authorization is None:
        raise PermanentTikTokError("access_token_invalid", "The TikTok sign-in was removed.")
    return PortabilityClient(authorization.pk)


def _retry_later(export: ExportRequest, error: TransientTikTokError, attempt: int) -> None:
    delay = _retry_delay(error, attempt)
    step = taskqueue.SUBMIT if export.state == ExportState.REQUESTED else taskqueue.CHECK
    ExportRequest.objects.transition(
        export.pk,
        [export.state],
        publish=step,
        delay=delay,
        next_step_at=timezone.now() + dt.timedelta(seconds=delay),
    )
    logger.warning("TikTok call for export %s failed (%s); retrying", export.pk, error.code)


def _retry_delay(error: Exception, attempt: int) -> float:
    retry_after = getattr(error, "retry_after", None)
    return max(backoff(attempt), retry_after or 0.0)


def _fail(export: ExportRequest, code: str, tiktok_words: str = "") -> None:
    """Fails the export with `code`, which decides what its owner reads (exports.failures)."""
    _end(export, ExportState.FAILED, ExportEvent.Kind.FAILED, code=code, reason=tiktok_words)


def _fail_for(export: ExportRequest, error: PermanentTikTokError) -> None:
    """Fails the export for TikTok's refusal. A refusal for where the person lives also marks
    their grant, so the site stops offering exports TikTok would refuse again."""
    code = NOT_ELIGIBLE if isinstance(error, NotEligibleError) else error.code[:64]
    # Together: a page that sees the export failed must see why, or it would offer a retry.
    with transaction.atomic():
        if code == NOT_ELIGIBLE:
            TikTokAuthorization.objects.filter(user_id=export.user_id).update(
                not_eligible_at=timezone.now()
            )
        _fail(export, code, _describe(error))


def _end(
    export: ExportRequest, state: str, event: str, *, code: str = "", reason: str = ""
) -> None:
    """Ends an export under way (from whichever active state it is in that may end so)."""
    ExportRequest.objects.transition(
        export.pk,
        [active for active in ACTIVE_STATES if state in ALLOWED_MOVES[active]],
        state,
        event=event,
        detail=reason,
        failure_code=code[:64],
        failure_reason=reason,
        next_step_at=None,
        lease_owner="",
        lease_expires_at=None,
    )


def _describe(error: Any) -> str:
    if isinstance(error, TikTokError):
        return f"{error.code}: {error.message}" if error.message else error.code
    return str(error)

"""The worker's steps (exports.services.pipeline) against TikTok faked at the HTTP seam, without a
worker: each step is called as its task would call it, and what it publishes is recorded."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable

import pytest
import requests
import responses
from django.core.files.storage import default_storage
from django.utils import timezone

from exports import services, taskqueue
from exports.archive_store import archive_key
from exports.models import ExportEvent, ExportRequest, ExportState
from exports.services import pipeline
from tests.exports import factories
from tests.exports.factories import (
    ADD_URL,
    BIG_REQUEST_ID,
    CANCEL_URL,
    CHECK_URL,
    DOWNLOAD_URL,
    MIB,
    authorize,
    check_data,
    envelope,
    flip_one_byte,
    make_export,
    make_user,
    make_zip,
    raw_ok_body,
    spool_files,
    stored_files,
)

tiktok_at_real_urls = factories.tiktok_at_real_urls
archive_dirs = factories.archive_dirs
published = factories.published

ATTEMPTS = 3


@pytest.fixture(autouse=True)
def _pipeline_settings(tiktok_at_real_urls, archive_dirs, published, settings):
    settings.EXPORT_POLL_INITIAL = 15.0
    settings.EXPORT_POLL_MAX = 600.0
    settings.EXPORT_FETCH_ATTEMPTS = ATTEMPTS
    settings.EXPORT_FETCH_LEASE = 120.0
    settings.EXPORT_RETENTION_DAYS = 7


@pytest.fixture
def user(db):
    person = make_user()
    authorize(person)
    return person


def kinds(export: ExportRequest) -> list[str]:
    return list(export.events.values_list("kind", flat=True))


def make_due(export: ExportRequest) -> None:
    ExportRequest.objects.filter(pk=export.pk).update(
        next_step_at=timezone.now() - dt.timedelta(seconds=1)
    )


def seconds_until(moment: dt.datetime) -> float:
    return (moment - timezone.now()).total_seconds()


def zip_response(body: bytes, *, content_length: int | None = None) -> None:
    headers = {} if content_length is None else {"Content-Length": str(content_length)}
    responses.post(DOWNLOAD_URL, body=body, content_type="application/zip", headers=headers)


class HookedBody(io.BufferedReader):
    """A download body that runs `hook` when the copy asks for its first chunk, and counts
    how much of it was read."""

    def __init__(self, data: bytes, hook: Callable[[], None]) -> None:
        super().__init__(io.BytesIO(data))
        self.hook = hook
        self.reads = 0
        self.served = 0

    def read(self, size: int | None = -1) -> bytes:
        if self.reads == 0:
            self.hook()
        self.reads += 1
        chunk = super().read(size)
        self.served += len(chunk)
        return chunk


# Submit ------------------------------------------------------------------------------------


@responses.activate
def test_submit_moves_the_export_to_processing_with_tiktoks_int64_id(
    user, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.request_export(user, ["activity", "all_data"], "json")
    responses.post(ADD_URL, body=raw_ok_body(str(BIG_REQUEST_ID)), content_type="application/json")

    with django_capture_on_commit_callbacks(execute=True):
        services.submit_export(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.PROCESSING
    assert export.tiktok_request_id == BIG_REQUEST_ID
    assert seconds_until(export.next_step_at) > 0
    assert kinds(export) == [ExportEvent.Kind.REQUESTED, ExportEvent.Kind.ACCEPTED]
    assert json.loads(responses.calls[0].request.body) == {
        "data_format": "json",
        "category_selection_list": ["all_data"],
    }
    assert [p.task for p in published.of(export.pk)] == [taskqueue.SUBMIT, taskqueue.CHECK]
    assert published.of(export.pk)[-1].delay > 0


@pytest.mark.parametrize(
    ("refusal", "reads"),
    [
        (
            (401, "scope_not_authorized", ""),
            ("not allowed to export that data", "scope_not_authorized"),
        ),
        (
            (400, "invalid_params", "Invalid `data_format`."),
            (
                "TikTok refused the request as it was made. Please ask again.",
                "invalid_params: Invalid `data_format`.",
            ),
        ),
    ],
    ids=["scope_not_authorized", "invalid_params"],
)
@responses.activate
def test_a_permanent_refusal_of_the_request_fails_the_export_with_a_readable_reason(
    user, published, django_capture_on_commit_callbacks, refusal, reads
):
    status, code, message = refusal
    person_reads, operator_reads = reads  # what the page and email say; what the operator sees
    export = make_export(user)
    responses.post(ADD_URL, status=status, json=envelope(code, message))

    with django_capture_on_commit_callbacks(execute=True):
        services.submit_export(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.FAILED
    assert export.failure_code == code
    assert person_reads in export.failure_message
    assert code not in export.failure_message  # words for a person, not TikTok's code
    assert not message or message not in export.failure_message  # nor TikTok's English
    assert export.failure_reason == operator_reads  # TikTok's own words, for the operator
    assert export.next_step_at is None
    assert kinds(export) == [ExportEvent.Kind.FAILED]
    assert [p.task for p in published.of(export.pk)] == [taskqueue.NOTIFY]


@pytest.mark.parametrize(
    ("fault", "at_least"),
    [
        (
            {
                "status": 429,
                "json": envelope("rate_limit_exceeded"),
                "headers": {"Retry-After": "120"},
            },
            120,
        ),
        ({"status": 500, "json": envelope("internal_error", "Something went wrong")}, 1),
        ({"body": requests.ConnectionError("connection reset")}, 1),
    ],
    ids=["rate_limited", "internal_error", "connection_error"],
)
@responses.activate
def test_a_transient_failure_keeps_the_export_requested_and_publishes_a_retry(
    user, published, fault, at_least, django_capture_on_commit_callbacks
):
    export = make_export(user)
    responses.post(ADD_URL, **fault)

    with django_capture_on_commit_callbacks(execute=True):
        services.submit_export(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.REQUESTED
    assert export.tiktok_request_id is None
    assert export.submit_attempts == 1
    assert seconds_until(export.next_step_at) >= at_least - 1
    retries = published.of(export.pk)
    assert [p.task for p in retries] == [taskqueue.SUBMIT]
    assert retries[0].delay >= at_least


@responses.activate
def test_a_submit_delivered_again_while_the_first_is_asking_tiktok_does_nothing(user, published):
    export = make_export(user)

    def add(request):
        services.submit_export(export.pk)  # the same task, delivered twice
        return 200, {}, json.dumps(envelope(data={"request_id": BIG_REQUEST_ID}))

    responses.add_callback(responses.POST, ADD_URL, callback=add)

    services.submit_export(export.pk)

    assert len(responses.calls) == 1
    export.refresh_from_db()
    assert export.state == ExportState.PROCESSING
    assert export.submit_attempts == 1


@responses.activate
def test_a_submit_that_is_not_due_yet_does_not_call_tiktok(user):
    export = make_export(user, next_step_at=timezone.now() + dt.timedelta(minutes=5))

    services.submit_export(export.pk)

    assert len(responses.calls) == 0
    export.refresh_from_db()
    assert export.submit_attempts == 0


@responses.activate
def test_an_export_cancelled_while_tiktok_accepts_it_is_cancelled_there_too(
    user, published, django_capture_on_commit_callbacks
):
    export = make_export(user)

    def add(request):
        services.cancel_export(user, export.pk)
        return 200, {}, json.dumps(envelope(data={"request_id": BIG_REQUEST_ID}))

    responses.add_callback(responses.POST, ADD_URL, callback=add)

    with django_capture_on_commit_callbacks(execute=True):
        services.submit_export(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.CANCELLED
    assert export.tiktok_request_id == BIG_REQUEST_ID
    assert [p.task for p in published.of(export.pk)] == [taskqueue.CANCEL_AT_TIKTOK]


# Check -------------------------------------------------------------------------------------


@responses.activate
def test_pending_keeps_checking_later_and_backs_off(
    user, published, django_capture_on_commit_callbacks
):
    export = make_export(user, ExportState.PROCESSING)
    responses.post(CHECK_URL, json=envelope(data=check_data("pending")))

    with django_capture_on_commit_callbacks(execute=True):
        services.check_export(export.pk)
    export.refresh_from_db()
    first_wait = seconds_until(export.next_step_at)
    make_due(export)
    with django_capture_on_commit_callbacks(execute=True):
        services.check_export(export.pk)
    export.refresh_from_db()
    second_wait = seconds_until(export.next_step_at)

    assert export.state == ExportState.PROCESSING
    assert export.check_count == 2
    assert 0 < first_wait < second_wait
    delays = [p.delay for p in published.of(export.pk)]
    assert [p.task for p in published.of(export.pk)] == [taskqueue.CHECK, taskqueue.CHECK]
    assert 0 < delays[0] < delays[1]
    assert export.tiktok_apply_time == dt.datetime(2023, 12, 21, 19, 29, 49, tzinfo=dt.UTC)


@responses.activate
def test_downloading_at_tiktok_starts_the_copy(user, published, django_capture_on_commit_callbacks):
    export = make_export(user, ExportState.PROCESSING)
    responses.post(CHECK_URL, json=envelope(data=check_data("downloading")))

    with django_capture_on_commit_callbacks(execute=True):
        services.check_export(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.FETCHING
    assert export.tiktok_ready_at is not None
    assert seconds_until(export.next_step_at) <= 0
    assert kinds(export) == [ExportEvent.Kind.READY_AT_TIKTOK]
    assert [p.task for p in published.of(export.pk)] == [taskqueue.FETCH]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("expired", (ExportState.EXPIRED, [taskqueue.NOTIFY])),
        ("cancelled", (ExportState.CANCELLED, [])),
    ],
)
@responses.activate
def test_an_export_that_ended_at_tiktok_ends_here_the_same_way(
    user, published, django_capture_on_commit_callbacks, status, outcome
):
    state, tasks = outcome
    export = make_export(user, ExportState.PROCESSING)
    responses.post(CHECK_URL, json=envelope(data=check_data(status)))

    with django_capture_on_commit_callbacks(execute=True):
        services.check_export(export.pk)

    export.refresh_from_db()
    assert export.state == state
    assert export.next_step_at is None
    assert [p.task for p in published.of(export.pk)] == tasks


@responses.activate
def test_a_check_of_a_cancelled_export_does_not_call_tiktok(user):
    export = make_export(user, ExportState.CANCELLED)

    services.check_export(export.pk)

    assert len(responses.calls) == 0


# Fetch -------------------------------------------------------------------------------------


@responses.activate
def test_a_valid_zip_is_stored_checked_and_ready(
    user, published, archive_dirs, django_capture_on_commit_callbacks
):
    _, spool = archive_dirs
    export = make_export(user, ExportState.FETCHING)
    archive = make_zip(int(1.5 * MIB))
    zip_response(archive, content_length=len(archive))

    with django_capture_on_commit_callbacks(execute=True):
        services.fetch_archive(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.READY
    assert export.archive_key == archive_key(user.pk, export.pk)
    assert export.archive_size == len(archive)
    assert export.archive_sha256 == hashlib.sha256(archive).hexdigest()
    assert export.archive_entries == 2
    retention = export.retention_until - export.ready_at
    assert retention == dt.timedelta(days=7)
    assert (export.lease_owner, export.lease_expires_at) == ("", None)
    with default_storage.open(export.archive_key, "rb") as stored:
        assert stored.read() == archive
    assert spool_files(spool) == []
    assert kinds(export) == [ExportEvent.Kind.STORED]
    assert [p.task for p in published.of(export.pk)] == [taskqueue.NOTIFY, taskqueue.READ]


BROKEN_BODIES = {
    "longer_content_length": lambda a: (a[: len(a) // 2], len(a)),
    "cut_short_without_length": lambda a: (a[: len(a) - 200], None),
    "one_flipped_byte": lambda a: (flip_one_byte(a), len(a)),
}


@pytest.mark.parametrize("broken", BROKEN_BODIES.values(), ids=BROKEN_BODIES.keys())
@responses.activate
def test_a_broken_archive_never_reaches_ready_and_is_retried_then_failed(
    user, published, archive_dirs, django_capture_on_commit_callbacks, broken
):
    media, spool = archive_dirs
    export = make_export(user, ExportState.FETCHING)
    body, content_length = broken(make_zip(int(1.5 * MIB)))
    zip_response(body, content_length=content_length)

    for attempt in range(1, ATTEMPTS):
        with django_capture_on_commit_callbacks(execute=True):
            services.fetch_archive(export.pk)
        export.refresh_from_db()
        assert export.state == ExportState.FETCHING
        assert export.fetch_attempts == attempt
        assert (export.lease_owner, export.lease_expires_at) == ("", None)
        assert seconds_until(export.next_step_at) > 0
        assert published[-1].task == taskqueue.FETCH
        assert published[-1].delay > 0
        assert stored_files(media) == []
        assert spool_files(spool) == []
        make_due(export)

    with django_capture_on_commit_callbacks(execute=True):
        services.fetch_archive(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.FAILED
    assert export.failure_code == "fetch_failed"
    assert export.failure_message == (
        "The archive could not be copied from TikTok intact. Please ask again."
    )
    assert export.archive_key == ""
    assert stored_files(media) == []
    assert spool_files(spool) == []
    assert kinds(export) == [ExportEvent.Kind.FETCH_FAILED] * (ATTEMPTS - 1) + [
        ExportEvent.Kind.FAILED
    ]
    assert len(responses.calls) == ATTEMPTS
    assert published[-1].task == taskqueue.NOTIFY


@pytest.mark.parametrize(
    ("status", "state"),
    [("expired", ExportState.EXPIRED), ("cancelled", ExportState.CANCELLED)],
)
@responses.activate
def test_a_refused_download_of_a_request_that_ended_at_tiktok_ends_the_export_so(
    user, status, state
):
    export = make_export(user, ExportState.FETCHING)
    refusal = envelope("invalid_params", "Incorrect `request_id`. Please validate the request.")
    refusal["error"]["http_status_code"] = 400
    responses.post(DOWNLOAD_URL, status=400, json=refusal)
    responses.post(CHECK_URL, json=envelope(data=check_data(status)))

    services.fetch_archive(export.pk)

    export.refresh_from_db()
    assert export.state == state
    assert export.archive_key == ""


@responses.activate
def test_a_refused_download_of_a_request_still_ready_at_tiktok_fails_with_a_reason(user):
    export = make_export(user, ExportState.FETCHING)
    responses.post(DOWNLOAD_URL, status=400, json=envelope("invalid_params", "Bad request_id."))
    responses.post(CHECK_URL, json=envelope(data=check_data("downloading")))

    services.fetch_archive(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.FAILED
    assert "Bad request_id." in export.failure_reason


@responses.activate
def test_cancelling_during_the_copy_stops_it_and_keeps_nothing(user, archive_dirs, monkeypatch):
    monkeypatch.setattr("exports.services.pipeline.HEARTBEAT_SECONDS", 0)
    media, spool = archive_dirs
    export = make_export(user, ExportState.FETCHING)
    archive = make_zip(4 * MIB)
    body = HookedBody(archive, lambda: services.cancel_export(user, export.pk))
    responses.post(
        DOWNLOAD_URL,
        body=body,
        content_type="application/zip",
        headers={"Content-Length": str(len(archive))},
    )

    services.fetch_archive(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.CANCELLED
    assert export.archive_key == ""
    assert body.served < len(archive)  # stopped part-way, not after the whole body
    assert stored_files(media) == []
    assert spool_files(spool) == []


@responses.activate
def test_a_second_fetch_returns_at_once_while_the_first_holds_the_lease(
    user, published, archive_dirs, django_capture_on_commit_callbacks
):
    export = make_export(user, ExportState.FETCHING)
    archive = make_zip(int(1.5 * MIB))
    seen_during_copy: dict[str, object] = {}

    def second_delivery() -> None:
        services.fetch_archive(export.pk)
        row = ExportRequest.objects.get(pk=export.pk)
        seen_during_copy.update(calls=len(responses.calls), attempts=row.fetch_attempts)

    body = HookedBody(archive, second_delivery)
    responses.post(
        DOWNLOAD_URL,
        body=body,
        content_type="application/zip",
        headers={"Content-Length": str(len(archive))},
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.fetch_archive(export.pk)

    assert seen_during_copy == {"calls": 1, "attempts": 1}
    assert len(responses.calls) == 1
    export.refresh_from_db()
    assert export.state == ExportState.READY
    assert [p.task for p in published.of(export.pk)] == [taskqueue.NOTIFY, taskqueue.READ]


@responses.activate
def test_a_fetch_finding_the_lease_held_does_not_download(user):
    export = make_export(user, ExportState.FETCHING)
    holder = pipeline._claim_fetch(export.pk)
    assert holder is not None

    services.fetch_archive(export.pk)

    assert len(responses.calls) == 0
    export.refresh_from_db()
    assert export.lease_owner == holder.lease_owner
    assert export.fetch_attempts == 1


# Cancel at TikTok --------------------------------------------------------------------------


@responses.activate
def test_cancel_at_tiktok_sends_the_request_id(user):
    export = make_export(user, ExportState.CANCELLED)
    responses.post(CANCEL_URL, json={"error": {"code": "ok", "message": "", "log_id": "L"}})

    services.cancel_at_tiktok(export.pk)

    assert json.loads(responses.calls[0].request.body) == {"request_id": BIG_REQUEST_ID}


@responses.activate
def test_cancel_at_tiktok_accepts_a_request_that_already_ended_there(user):
    export = make_export(user, ExportState.CANCELLED)
    responses.post(CANCEL_URL, status=400, json=envelope("invalid_params", "Already expired."))

    services.cancel_at_tiktok(export.pk)

    assert len(responses.calls) == 1


@responses.activate
def test_cancel_at_tiktok_skips_exports_tiktok_never_accepted_or_not_cancelled(user):
    never_sent = make_export(user, ExportState.CANCELLED, tiktok_request_id=None)
    active = make_export(
        user, ExportState.PROCESSING, scope="portability.activity.ongoing", tiktok_request_id=7
    )

    services.cancel_at_tiktok(never_sent.pk)
    services.cancel_at_tiktok(active.pk)

    assert len(responses.calls) == 0


# Sweep -------------------------------------------------------------------------------------


def test_sweep_publishes_exactly_the_due_steps_and_the_missing_notifications(db, published):
    now = timezone.now()
    past, future = now - dt.timedelta(minutes=1), now + dt.timedelta(minutes=5)
    rows = {
        "requested_due": (ExportState.REQUESTED, {"next_step_at": past}),
        "requested_later": (ExportState.REQUESTED, {"next_step_at": future}),
        "requested_unscheduled": (ExportState.REQUESTED, {"next_step_at": None}),
        "processing_due": (ExportState.PROCESSING, {"next_step_at": past}),
        "processing_later": (ExportState.PROCESSING, {"next_step_at": future}),
        "fetching_unleased": (ExportState.FETCHING, {"next_step_at": past}),
        "fetching_lease_lapsed": (
            ExportState.FETCHING,
            {"next_step_at": past, "lease_owner": "gone", "lease_expires_at": past},
        ),
        "fetching_lease_held": (
            ExportState.FETCHING,
            {"next_step_at": past, "lease_owner": "busy", "lease_expires_at": future},
        ),
        "fetching_retry_later": (ExportState.FETCHING, {"next_step_at": future}),
        "ready_unnotified": (ExportState.READY, {"next_step_at": None}),
        "ready_notified": (ExportState.READY, {"next_step_at": None, "notified_at": past}),
        "failed_unnotified": (ExportState.FAILED, {"next_step_at": None}),
        "expired_unnotified": (ExportState.EXPIRED, {"next_step_at": None}),
        "cancelled": (ExportState.CANCELLED, {"next_step_at": None}),
    }
    exports = {}
    for number, (name, (state, fields)) in enumerate(rows.items()):
        request_id = None if state == ExportState.REQUESTED else BIG_REQUEST_ID + number
        exports[name] = make_export(make_user(name), state, tiktok_request_id=request_id, **fields)

    counts = services.sweep_exports(now)

    expected = {
        (taskqueue.SUBMIT, "requested_due"),
        (taskqueue.CHECK, "processing_due"),
        (taskqueue.FETCH, "fetching_unleased"),
        (taskqueue.FETCH, "fetching_lease_lapsed"),
        (taskqueue.NOTIFY, "ready_unnotified"),
        (taskqueue.NOTIFY, "failed_unnotified"),
        (taskqueue.NOTIFY, "expired_unnotified"),
    }
    assert published.pairs() == {(task, str(exports[name].pk)) for task, name in expected}
    assert len(published) == len(expected)
    assert counts == {
        "submit_export_task": 1,
        "check_export_task": 1,
        "fetch_archive_task": 2,
        "notify_export_task": 3,
        "remind_before_deletion_task": 0,
        "delete_expired_archive_task": 0,
    }

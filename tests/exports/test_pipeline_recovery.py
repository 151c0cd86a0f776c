"""The pipeline when things go wrong at the worst moment: an answer lost on the way back, a
worker dying between steps, a step waiting in a busy queue, an email that cannot be sent."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests
import responses
from allauth.account.models import EmailAddress
from django.utils import timezone

from exports import services, taskqueue
from exports.models import EmailKind, ExportEmail, ExportEvent, ExportRequest, ExportState
from exports.services import pipeline
from exports.services.export_requests import used_up_scopes
from tests.exports import factories
from tests.exports.factories import (
    ADD_URL,
    BIG_REQUEST_ID,
    authorize,
    email_of,
    envelope,
    make_export,
    make_user,
    sign_webhook,
)

tiktok_at_real_urls = factories.tiktok_at_real_urls
archive_dirs = factories.archive_dirs
published = factories.published

SINGLE = "portability.all.single"
# exports.taskqueue.publish itself, before the recorder fixture stands in for it.
REAL_PUBLISH = taskqueue.publish


@pytest.fixture(autouse=True)
def _isolated(tiktok_at_real_urls, archive_dirs, published):
    """TikTok at its real URLs (faked with responses); nothing reaches a broker."""


@pytest.fixture
def user(db):
    person = make_user()
    authorize(person, ["user.info.basic", SINGLE])
    return person


def make_due(export: ExportRequest) -> None:
    ExportRequest.objects.filter(pk=export.pk).update(
        next_step_at=timezone.now() - dt.timedelta(seconds=1)
    )


@responses.activate
def test_a_lost_answer_on_a_once_only_scope_never_sends_a_second_request(user, published):
    export = make_export(user, scope=SINGLE)
    responses.post(ADD_URL, body=requests.ReadTimeout("the answer never came"))

    services.submit_export(export.pk)
    make_due(export)
    services.submit_export(export.pk)

    assert len(responses.calls) == 1
    export.refresh_from_db()
    assert export.state == ExportState.FAILED
    assert export.failure_code == "add_unconfirmed"
    assert ExportEvent.Kind.UNCONFIRMED in export.events.values_list("kind", flat=True)


@responses.activate
def test_tiktoks_webhook_names_the_request_whose_answer_was_lost(user, client, published):
    export = make_export(user, scope=SINGLE)
    responses.post(ADD_URL, body=requests.ReadTimeout("the answer never came"))
    services.submit_export(export.pk)
    body = json.dumps(
        {
            "client_key": factories.CLIENT_KEY,
            "event": "portability.download.ready",
            "create_time": int(time.time()),
            "user_openid": user.tiktok_authorization.open_id,
            "content": json.dumps({"request_id": BIG_REQUEST_ID}),
        }
    ).encode()

    answer = client.post(
        "/webhooks/tiktok/",
        body,
        content_type="application/json",
        headers={"TikTok-Signature": sign_webhook(body, int(time.time()))},
    )

    assert answer.status_code == 200
    export.refresh_from_db()
    assert export.state == ExportState.PROCESSING
    assert export.tiktok_request_id == BIG_REQUEST_ID
    assert len(responses.calls) == 1


@responses.activate
def test_a_request_that_never_left_is_sent_again_even_on_a_once_only_scope(user, published):
    export = make_export(user, scope=SINGLE)
    responses.post(ADD_URL, body=requests.ConnectTimeout("no connection"))
    responses.post(ADD_URL, json=envelope(data={"request_id": BIG_REQUEST_ID}))

    services.submit_export(export.pk)
    make_due(export)
    services.submit_export(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.PROCESSING
    assert len(responses.calls) == 2


def test_a_late_answer_for_a_cancelled_export_does_not_replace_its_request(
    user, published, django_capture_on_commit_callbacks
):
    export = make_export(user, scope=SINGLE)
    services.cancel_export(user, export.pk)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline._accepted(export, 111)
        pipeline._accepted(export, 222)

    export.refresh_from_db()
    assert export.tiktok_request_id == 111
    assert [p.task for p in published.of(export.pk)].count(taskqueue.CANCEL_AT_TIKTOK) == 1


def test_a_new_grant_makes_a_used_once_only_scope_usable_again(user):
    make_export(user, ExportState.READY, scope=SINGLE, created_at=timezone.now())
    assert used_up_scopes(user) == {SINGLE}

    authorization = user.tiktok_authorization
    authorization.granted_at = timezone.now() + dt.timedelta(seconds=1)
    authorization.save(update_fields=["granted_at"])

    assert used_up_scopes(user) == set()


def test_a_step_waiting_in_a_busy_queue_is_not_published_every_sweep(user, published):
    export = make_export(user, ExportState.FETCHING)

    services.sweep_exports()
    services.sweep_exports()

    assert [p.task for p in published.of(export.pk)] == [taskqueue.FETCH]


def test_a_long_wait_never_becomes_a_countdown_beyond_the_polling_cap(settings, monkeypatch):
    settings.EXPORT_POLL_MAX = 600.0
    sent: list[dict] = []
    monkeypatch.setattr(
        "exports.taskqueue.current_app.send_task", lambda *args, **kwargs: sent.append(kwargs)
    )

    REAL_PUBLISH(taskqueue.CHECK, "some-export", delay=7 * 24 * 3600)
    REAL_PUBLISH(taskqueue.CHECK, "some-export", delay=30)

    assert [message["countdown"] for message in sent] == [600.0, 30]


def test_an_export_tiktok_never_prepares_fails_after_a_week(user, published):
    export = make_export(
        user, ExportState.PROCESSING, created_at=timezone.now() - dt.timedelta(days=8)
    )

    services.check_export(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.FAILED
    assert export.failure_code == "not_prepared"


def test_leftovers_of_a_copy_that_ended_are_removed_by_the_sweep(user, published, archive_dirs):
    media, _ = archive_dirs
    export = make_export(
        user, ExportState.CANCELLED, tiktok_ready_at=timezone.now(), next_step_at=None
    )
    leftover = media / "exports" / str(user.pk) / f".{export.pk}.zip.partial"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"PK\x03\x04 half an archive")

    services.sweep_exports()
    services.delete_expired_archive(export.pk)

    assert (taskqueue.DELETE, str(export.pk)) in published.pairs()
    assert not leftover.exists()
    export.refresh_from_db()
    assert export.archive_deleted_at is not None


def test_an_email_whose_sender_died_is_sent_by_a_later_run(user, mailoutbox):
    EmailAddress.objects.create(user=user, email="ana@example.org", verified=True, primary=True)
    export = make_export(
        user,
        ExportState.FAILED,
        next_step_at=None,
        failure_code="invalid_params",
        notify_claimed_until=timezone.now() - dt.timedelta(seconds=1),
        notify_attempts=1,
    )

    services.notify_export_outcome(export.pk)
    services.notify_export_outcome(export.pk)

    assert len(mailoutbox) == 1
    assert email_of(export).sent_at is not None


def test_an_email_that_keeps_failing_is_given_up_after_its_attempts(user, monkeypatch):
    EmailAddress.objects.create(user=user, email="ana@example.org", verified=True, primary=True)
    export = make_export(user, ExportState.FAILED, next_step_at=None, failure_code="fetch_failed")

    def refuse(*args: object) -> None:
        raise OSError("mail server refuses")

    monkeypatch.setattr("exports.emails.send_export_outcome", refuse)
    for _ in range(20):
        services.notify_export_outcome(export.pk)
        # The wait the failed try set before the next one, passed.
        ExportEmail.objects.filter(export=export).update(claimed_until=None)

    email = email_of(export)
    assert email.attempts == 8
    assert email.sent_at is None
    assert (
        not ExportRequest.objects.with_email_due(EmailKind.OUTCOME, timezone.now())
        .filter(pk=export.pk)
        .exists()
    )

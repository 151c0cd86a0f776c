"""The export's life in one place (exports/lifecycle.py): every move it allows goes through
ExportRequest.objects.transition, and no other; the sweep is one function for beat and the
command; rows, not Celery, decide when a counted try comes again."""

from __future__ import annotations

import datetime as dt
import io
import smtplib

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.utils import timezone

from exports import taskqueue, tasks
from exports.lifecycle import ALLOWED_MOVES, IllegalTransitionError
from exports.models import (
    EmailKind,
    ExportEmail,
    ExportEvent,
    ExportRequest,
    ExportState,
    TikTokAuthorization,
)
from exports.services.disconnection import WITHDRAW_ATTEMPTS, withdraw_grant
from exports.services.notifications import notify_export_outcome
from exports.services.sweep import sweep_exports, sweep_withdrawals
from exports.tiktok import TransientTikTokError
from tests.exports import factories
from tests.exports.factories import authorize, email_of, make_export, make_user

published = factories.published
tiktok_at_real_urls = factories.tiktok_at_real_urls

ALLOWED = [(start, end) for start, ends in ALLOWED_MOVES.items() for end in sorted(ends)]
REFUSED = [
    (start, end)
    for start in ALLOWED_MOVES
    for end in ALLOWED_MOVES
    if end not in ALLOWED_MOVES[start] and end != start
]


@pytest.fixture
def person(db):
    return make_user("ana")


def withdrawn(person: object) -> TikTokAuthorization:
    """A grant the person gave up here, whose withdrawal at TikTok is still owed."""
    authorization = authorize(person)
    authorization.user = None
    authorization.withdrawn_at = timezone.now()
    authorization.save()
    return authorization


def tiktok_unreachable(authorization_id: int) -> None:
    raise TransientTikTokError("network_error", "TikTok could not be reached.")


@pytest.mark.parametrize(("start", "end"), ALLOWED)
def test_every_move_the_life_allows_changes_the_state_and_records_its_event(
    person, published, django_capture_on_commit_callbacks, start, end
):
    export = make_export(person, start)

    with django_capture_on_commit_callbacks(execute=True):
        moved = ExportRequest.objects.transition(
            export.pk, [start], end, event=ExportEvent.Kind.CANCELLED, publish=taskqueue.CHECK
        )

    assert moved
    assert ExportRequest.objects.get(pk=export.pk).state == end
    assert list(export.events.values_list("kind", flat=True)) == [ExportEvent.Kind.CANCELLED]
    assert taskqueue.CHECK in [p.task for p in published.of(export.pk)]


@pytest.mark.parametrize(("start", "end"), REFUSED)
def test_a_move_the_life_does_not_have_is_refused_and_changes_nothing(person, start, end):
    export = make_export(person, start)

    with pytest.raises(IllegalTransitionError):
        ExportRequest.objects.transition(export.pk, [start], end)

    assert ExportRequest.objects.get(pk=export.pk).state == start
    assert not export.events.exists()


def test_a_move_from_a_state_the_export_is_not_in_does_nothing_and_says_so(
    person, published, django_capture_on_commit_callbacks
):
    export = make_export(person, ExportState.PROCESSING)

    with django_capture_on_commit_callbacks(execute=True):
        moved = ExportRequest.objects.transition(
            export.pk,
            [ExportState.REQUESTED],
            ExportState.CANCELLED,
            event=ExportEvent.Kind.CANCELLED,
            publish=taskqueue.CANCEL_AT_TIKTOK,
        )

    assert not moved
    assert ExportRequest.objects.get(pk=export.pk).state == ExportState.PROCESSING
    assert not export.events.exists()
    assert published == []


@pytest.mark.parametrize(
    ("end", "owed"),
    [
        (ExportState.READY, {EmailKind.OUTCOME, EmailKind.REMINDER}),
        (ExportState.FAILED, {EmailKind.OUTCOME}),
        (ExportState.EXPIRED, {EmailKind.OUTCOME}),
        (ExportState.CANCELLED, set()),
    ],
)
def test_entering_a_state_owes_exactly_the_emails_it_is_told_by_and_sends_the_outcome(
    person, published, django_capture_on_commit_callbacks, end, owed
):
    export = make_export(person, ExportState.FETCHING)

    with django_capture_on_commit_callbacks(execute=True):
        ExportRequest.objects.transition(export.pk, [ExportState.FETCHING], end)

    assert set(export.emails.values_list("kind", flat=True)) == owed
    notified = taskqueue.NOTIFY in [p.task for p in published.of(export.pk)]
    assert notified == (EmailKind.OUTCOME in owed)


def test_the_command_and_the_beat_task_run_the_same_sweep(monkeypatch, db):
    calls = []
    monkeypatch.setattr("exports.services.sweep", lambda: calls.append("sweep") or {"x": 1})

    tasks.sweep_exports_task()
    call_command("sweep_exports", stdout=io.StringIO())

    assert calls == ["sweep", "sweep"]


def test_the_sweep_command_publishes_a_withdrawal_whose_message_was_lost(
    person, published, tiktok_at_real_urls
):
    authorization = withdrawn(person)
    out = io.StringIO()

    call_command("sweep_exports", stdout=out)

    assert (taskqueue.WITHDRAW, str(authorization.pk)) in published.pairs()
    assert "withdraw_grant_task: 1" in out.getvalue()


def test_a_failed_withdrawal_waits_in_its_row_and_is_not_published_again_every_sweep(
    person, published, tiktok_at_real_urls, monkeypatch
):
    authorization = withdrawn(person)
    monkeypatch.setattr("exports.services.disconnection.revoke_grant", tiktok_unreachable)
    withdraw_grant(authorization.pk)  # no exception for Celery to retry: the row decides
    authorization.refresh_from_db()

    assert authorization.withdraw_attempts == 1
    assert authorization.withdraw_claimed_until > timezone.now()
    assert sweep_withdrawals() == 0
    later = authorization.withdraw_claimed_until + dt.timedelta(seconds=1)
    assert sweep_withdrawals(later) == 1
    assert published.of(authorization.pk)[0].task == taskqueue.WITHDRAW


def test_a_withdrawal_that_keeps_failing_is_given_up_after_its_attempts(
    person, tiktok_at_real_urls, monkeypatch
):
    authorization = withdrawn(person)
    monkeypatch.setattr("exports.services.disconnection.revoke_grant", tiktok_unreachable)
    for _ in range(WITHDRAW_ATTEMPTS + 2):
        withdraw_grant(authorization.pk)
        TikTokAuthorization.objects.filter(pk=authorization.pk).update(withdraw_claimed_until=None)

    assert not TikTokAuthorization.objects.filter(pk=authorization.pk).exists()


def test_a_failed_email_waits_in_its_row_before_the_sweep_sends_it_again(
    person, published, monkeypatch
):
    EmailAddress.objects.create(user=person, email="ana@example.org", verified=True, primary=True)
    export = make_export(person, ExportState.FAILED, next_step_at=None, failure_code="fetch_failed")

    def refuse(*args: object) -> None:
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("exports.emails.send_export_outcome", refuse)
    notify_export_outcome(export.pk)
    email = email_of(export)

    assert (email.attempts, email.sent_at) == (1, None)
    assert email.claimed_until > timezone.now() + dt.timedelta(seconds=20)
    assert sweep_exports()["notify_export_task"] == 0
    later = email.claimed_until + dt.timedelta(seconds=1)
    assert sweep_exports(later)["notify_export_task"] == 1


def test_the_email_tasks_leave_retries_to_the_row_not_to_celery():
    for task in (
        tasks.notify_export_task,
        tasks.remind_before_deletion_task,
        tasks.withdraw_grant_task,
    ):
        assert not getattr(task, "autoretry_for", ()), task.name


def test_emails_are_unique_per_export_and_kind(person):
    export = make_export(person, ExportState.READY, next_step_at=None)

    ExportEmail.owe(export.pk, EmailKind.OUTCOME)
    ExportEmail.owe(export.pk, EmailKind.OUTCOME)

    assert export.emails.filter(kind=EmailKind.OUTCOME).count() == 1

"""Asking for the email about an export once more: from the export page, or from an emailed link
that has expired."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from exports import services, taskqueue
from exports.models import ExportEvent, ExportState
from exports.services.notifications import export_link
from tests.exports import factories
from tests.exports.factories import (
    authorize,
    make_export,
    make_owner_with_verified_email,
    make_ready_export,
    make_user,
    make_zip,
)

archive_dirs = factories.archive_dirs
published = factories.published


@pytest.fixture(autouse=True)
def _settings(archive_dirs, published, settings):
    settings.SITE_URL = "https://exports.example"
    settings.EXPORT_EMAIL_LINK_DAYS = 7


@pytest.fixture
def owner(db):
    return make_owner_with_verified_email()


@pytest.fixture
def export(owner, mailoutbox):
    export = make_ready_export(owner, make_zip())
    services.notify_export_outcome(export.pk)
    assert len(mailoutbox) == 1
    return export


def resend(client, export):
    return client.post(f"/exports/{export.pk}/resend-email/", follow=True)


def test_the_owner_gets_the_email_again_exactly_once_per_ask(client, owner, export, mailoutbox):
    client.force_login(owner)

    page = resend(client, export)
    services.notify_export_outcome(export.pk)
    services.notify_export_outcome(export.pk)

    assert "sending the email again" in page.content.decode()
    assert len(mailoutbox) == 2
    assert mailoutbox[1].to == ["owner@example.com"]
    kinds = list(export.events.values_list("kind", flat=True))
    assert kinds.count(ExportEvent.Kind.EMAILED) == 2
    assert ExportEvent.Kind.EMAIL_RESENT in kinds


def test_the_resend_is_published_for_the_worker_after_the_ask_commits(
    client, owner, export, published, django_capture_on_commit_callbacks
):
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        resend(client, export)

    assert (taskqueue.NOTIFY, str(export.pk)) in published.pairs()


def test_asking_twice_before_it_went_says_it_is_on_its_way(client, owner, export, mailoutbox):
    client.force_login(owner)
    resend(client, export)

    page = resend(client, export)

    assert "on its way already" in page.content.decode()
    services.notify_export_outcome(export.pk)
    assert len(mailoutbox) == 2


def test_an_email_given_up_on_can_be_asked_for_again(client, owner, mailoutbox):
    export = make_export(owner, ExportState.FAILED, next_step_at=None, notify_attempts=8)
    client.force_login(owner)

    resend(client, export)
    services.notify_export_outcome(export.pk)

    assert len(mailoutbox) == 1


def test_an_export_under_way_has_no_email_to_send_again(client, owner, mailoutbox):
    export = make_export(owner, ExportState.PROCESSING)
    client.force_login(owner)

    page = resend(client, export)

    assert "has not ended yet" in page.content.decode()
    assert not export.emails.exists()
    assert mailoutbox == []


def test_without_a_verified_address_the_person_is_told_to_add_one(client, db, mailoutbox):
    person = make_user("noemail")
    authorize(person, open_id="open-noemail")
    export = make_export(person, ExportState.FAILED, next_step_at=None, notified_at=timezone.now())
    client.force_login(person)

    page = resend(client, export)

    assert "Add and verify an email address first" in page.content.decode()
    assert mailoutbox == []


def test_another_person_gets_404_and_nothing_is_sent(client, export, mailoutbox, published):
    stranger = make_user("stranger")
    client.force_login(stranger)

    response = client.post(f"/exports/{export.pk}/resend-email/")

    assert response.status_code == 404
    assert published.of(export.pk) == []
    assert len(mailoutbox) == 1


def test_a_signed_out_visitor_is_sent_to_sign_in(client, export):
    response = client.post(f"/exports/{export.pk}/resend-email/")

    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_an_expired_link_offers_its_owner_a_new_email(client, owner, export, mailoutbox):
    path = export_link(export).removeprefix("https://exports.example")
    client.force_login(owner)

    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        page = client.get(path)

    assert page.status_code == 410
    assert "Email me a new link" in page.content.decode()
    assert f"/exports/{export.pk}/resend-email/" in page.content.decode()


def test_an_expired_link_offers_nothing_to_someone_else(client, export):
    path = export_link(export).removeprefix("https://exports.example")
    client.force_login(make_user("stranger"))

    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        page = client.get(path)

    assert page.status_code == 410
    assert "resend-email" not in page.content.decode()

"""The one email about how an export ended, and the signed link in it."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from exports import services
from exports.models import ExportEvent, ExportRequest, ExportState
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

SITE = "https://exports.example"
LINK = re.compile(re.escape(SITE) + r"/exports/link/(?P<token>[^/\s]+)/")


@pytest.fixture(autouse=True)
def _email_settings(archive_dirs, published, settings):
    settings.SITE_URL = SITE
    settings.EXPORT_EMAIL_LINK_DAYS = 7


@pytest.fixture
def owner(db):
    return make_owner_with_verified_email()


@pytest.fixture
def export(owner):
    return make_ready_export(owner, make_zip())


def link_path(token: str) -> str:
    return reverse("open_emailed_link", args=[token])


def emailed_token(export: ExportRequest) -> str:
    return LINK.search(export_link(export))["token"]


# The email ---------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [ExportState.READY, ExportState.FAILED, ExportState.EXPIRED])
def test_one_email_goes_to_the_verified_address_when_an_export_ends(owner, mailoutbox, state):
    export = make_export(owner, state, next_step_at=None, failure_code="invalid_params")

    services.notify_export_outcome(export.pk)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["owner@example.com"]
    assert ExportEvent.Kind.EMAILED in export.events.values_list("kind", flat=True)


def test_the_primary_verified_address_is_chosen_over_others(owner, export, mailoutbox):
    EmailAddress.objects.filter(user=owner).update(primary=False)
    EmailAddress.objects.create(user=owner, email="unverified@example.com", primary=False)
    EmailAddress.objects.create(user=owner, email="main@example.com", verified=True, primary=True)

    services.notify_export_outcome(export.pk)

    assert [message.to for message in mailoutbox] == [["main@example.com"]]


def test_calling_it_twice_sends_one_email(export, mailoutbox):
    services.notify_export_outcome(export.pk)
    services.notify_export_outcome(export.pk)

    assert len(mailoutbox) == 1


def test_a_cancelled_export_sends_no_email(owner, mailoutbox):
    export = make_export(owner, ExportState.CANCELLED, next_step_at=None)

    services.notify_export_outcome(export.pk)

    assert mailoutbox == []


def test_no_email_without_a_verified_address_and_the_dashboard_says_to_add_one(
    client, db, mailoutbox
):
    person = make_user("nomail")
    authorize(person)
    EmailAddress.objects.create(user=person, email="nomail@example.com", verified=False)
    export = make_ready_export(person, make_zip())

    services.notify_export_outcome(export.pk)
    client.force_login(person)
    dashboard = client.get(reverse("dashboard"))

    assert mailoutbox == []
    assert dashboard.status_code == 200
    assert "TikTok does not give us your email address." in dashboard.text
    assert "to be told when an export is ready." in dashboard.text
    assert "We email" not in dashboard.text


def test_the_dashboard_names_the_verified_address(client, owner):
    client.force_login(owner)

    dashboard = client.get(reverse("dashboard"))

    assert "We email owner@example.com when an export is ready." in dashboard.text
    assert "TikTok does not give us your email address." not in dashboard.text


def test_the_email_holds_the_signed_site_link_and_no_storage_url(export, mailoutbox):
    services.notify_export_outcome(export.pk)

    text = mailoutbox[0].body
    urls = re.findall(r"https?://\S+", text)
    assert len(urls) == 1
    assert LINK.fullmatch(urls[0])
    assert export.archive_key not in text
    assert "/media/" not in text
    assert str(export.pk) not in text  # the export's id travels only inside the signed token


# Following the link ------------------------------------------------------------------------


def test_the_owner_signed_in_is_taken_to_the_export_page(client, owner, export):
    client.force_login(owner)

    response = client.get(link_path(emailed_token(export)))

    assert response.status_code == 302
    assert response["Location"] == reverse("export_detail", args=[export.pk])


def test_signed_out_the_link_leads_to_sign_in_and_back(client, export):
    path = link_path(emailed_token(export))

    response = client.get(path)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("home")
    assert parse_qs(location.query)["next"] == [path]


def test_another_signed_in_person_gets_404(client, export):
    client.force_login(make_user("mallory"))

    response = client.get(link_path(emailed_token(export)))

    assert response.status_code == 404


def test_a_link_to_an_export_that_was_deleted_is_404(client, owner, export):
    token = emailed_token(export)
    export.delete()
    client.force_login(owner)

    response = client.get(link_path(token))

    assert response.status_code == 404


@pytest.mark.parametrize("tamper", ["last_character", "payload", "made_up"])
def test_a_tampered_link_gets_a_400_page_saying_it_is_not_valid(client, owner, export, tamper):
    token = emailed_token(export)
    changed = {
        "last_character": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "payload": ("A" if token[0] != "A" else "B") + token[1:],
        "made_up": "not-a-real-token",
    }[tamper]
    client.force_login(owner)

    response = client.get(link_path(changed))

    assert response.status_code == 400
    assert "This link is not valid" in response.text


def test_an_expired_link_gets_a_410_page_saying_it_has_expired(client, owner, export, monkeypatch):
    eight_days_ago = time.time() - 8 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr("django.core.signing.time.time", lambda: eight_days_ago)
        token = emailed_token(export)
    client.force_login(owner)

    response = client.get(link_path(token))

    assert response.status_code == 410
    assert "This link has expired" in response.text


def test_a_link_six_days_old_still_works(client, owner, export, monkeypatch):
    six_days_ago = time.time() - 6 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr("django.core.signing.time.time", lambda: six_days_ago)
        token = emailed_token(export)
    client.force_login(owner)

    response = client.get(link_path(token))

    assert response.status_code == 302

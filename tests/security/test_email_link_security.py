"""The signed link in export emails (checklist T11), beyond the cases of
tests/exports/test_email_links.py: links signed under a retired key or for another purpose are
refused, and no email gives away where or how archives are stored."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from exports import services
from exports.models import ExportState, TikTokAuthorization
from exports.services.notifications import LINK_SALT, export_link
from tests.exports import factories
from tests.exports.factories import authorize, make_export, make_ready_export, make_user, make_zip
from tests.support.s3 import moto_s3

published = factories.published

SITE = "https://exports.example"
# Distinctive, so that finding it in an email means the storage leaked, not a word of the text.
BUCKET = "archive-bucket-3f9c1a"
LINK = re.compile(re.escape(SITE) + r"/exports/link/(?P<token>[^/\s]+)/")


@pytest.fixture(autouse=True)
def _site(settings, published):
    settings.SITE_URL = SITE
    settings.EXPORT_EMAIL_LINK_DAYS = 7


@pytest.fixture
def owner(db):
    person = make_user("owner")
    authorize(person, access_token="act.owners-access-token", refresh_token="rft.owners-refresh")
    EmailAddress.objects.create(user=person, email="owner@example.com", verified=True, primary=True)
    return person


def token_of(link: str) -> str:
    return LINK.fullmatch(link)["token"]


def open_link(client, token: str):
    return client.get(reverse("open_emailed_link", args=[token]))


# Which links are accepted -------------------------------------------------------------------


@pytest.fixture
def export_in_files(owner, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "allow_overwrite": True},
        },
    }
    return make_ready_export(owner, make_zip())


def test_a_link_signed_under_a_retired_secret_key_is_refused(
    client, owner, export_in_files, settings
):
    settings.SECRET_KEY = "the-key-of-last-year-" + "x" * 30
    token = token_of(export_link(export_in_files))
    settings.SECRET_KEY = "the-key-of-this-year-" + "y" * 30
    settings.SECRET_KEY_FALLBACKS = []
    client.force_login(owner)

    answer = open_link(client, token)

    assert answer.status_code == 400
    assert "This link is not valid" in answer.text


def test_a_link_signed_under_a_key_still_in_the_fallbacks_keeps_working(
    client, owner, export_in_files, settings
):
    old_key = "the-key-of-last-year-" + "x" * 30
    settings.SECRET_KEY = old_key
    token = token_of(export_link(export_in_files))
    settings.SECRET_KEY = "the-key-of-this-year-" + "y" * 30
    settings.SECRET_KEY_FALLBACKS = [old_key]
    client.force_login(owner)

    answer = open_link(client, token)

    assert answer.status_code == 302
    assert answer["Location"] == reverse("export_detail", args=[export_in_files.pk])


@pytest.mark.parametrize(
    "signer",
    [
        signing.TimestampSigner(salt="exports.some-other-purpose"),
        signing.TimestampSigner(),
        signing.Signer(salt=LINK_SALT),
    ],
    ids=["another_salt", "no_salt", "without_a_timestamp"],
)
def test_a_value_signed_with_the_site_key_for_another_purpose_is_not_a_link(
    client, owner, export_in_files, signer
):
    payload = {"export": str(export_in_files.pk), "user": owner.pk}
    client.force_login(owner)

    answer = open_link(client, signer.sign_object(payload))

    assert answer.status_code == 400
    assert "This link is not valid" in answer.text


# What an email gives away -------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3():
    with moto_s3(bucket=BUCKET) as server:
        yield server


@pytest.fixture
def in_s3(s3, settings):
    """Archives in S3 as production stores them, so a storage URL in an email would show."""
    settings.STORAGES = {**settings.STORAGES, "default": s3.storage_settings()}
    settings.AWS_STORAGE_BUCKET_NAME = s3.bucket
    return s3


def readable_parts(message) -> str:
    """What a person reads: the subject, the text, and any other form of the body."""
    parts = [message.subject, message.body]
    parts += [content for content, _type in getattr(message, "alternatives", [])]
    return "\n".join(parts)


def assert_gives_nothing_away(message, forbidden: list[str]) -> None:
    readable = readable_parts(message)
    everything = readable + "\n" + str(message.message())  # the headers too
    assert [value for value in forbidden if value and value in everything] == []
    links = re.findall(r"https?://[^\s\"'<>]+", readable)
    assert len(links) == 1
    assert LINK.fullmatch(links[0])


def secrets_of_storage(server, export) -> list[str]:
    endpoint = urlsplit(server.endpoint)
    return [
        endpoint.netloc,
        f"{endpoint.hostname}:{endpoint.port}",
        server.bucket,
        server.access_key,
        server.secret_key,
        export.archive_key,
        "X-Amz-",
        "AWSAccessKeyId",
        "Signature=",
    ]


@pytest.mark.parametrize("state", [ExportState.READY, ExportState.FAILED, ExportState.EXPIRED])
def test_the_outcome_email_names_neither_the_storage_nor_any_credential(
    owner, in_s3, mailoutbox, state
):
    if state == ExportState.READY:
        export = make_ready_export(owner, make_zip())  # its archive is in the bucket
    else:
        export = make_export(owner, state, next_step_at=None, failure_code="invalid_params")

    services.notify_export_outcome(export.pk)

    assert len(mailoutbox) == 1
    authorization = TikTokAuthorization.objects.get(user=owner)
    assert_gives_nothing_away(
        mailoutbox[0],
        [
            *secrets_of_storage(in_s3, export),
            authorization.access_token,
            authorization.refresh_token,
        ],
    )


def test_the_deletion_reminder_names_neither_the_storage_nor_any_credential(
    owner, in_s3, mailoutbox
):
    export = make_ready_export(owner, make_zip())
    export.retention_until = timezone.now() + dt.timedelta(hours=3)
    export.save(update_fields=["retention_until"])

    services.remind_before_deletion(export.pk)

    assert len(mailoutbox) == 1
    authorization = TikTokAuthorization.objects.get(user=owner)
    assert_gives_nothing_away(
        mailoutbox[0],
        [
            *secrets_of_storage(in_s3, export),
            authorization.access_token,
            authorization.refresh_token,
        ],
    )

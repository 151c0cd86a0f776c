"""Downloads from S3 (checklist T10), against s3rver, a real S3 server process that enforces a
presigned link's expiry: the owner is sent to a link made for that click, short-lived, that
makes the browser save the file; nobody else gets one signed at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from exports.downloads import PRESIGNED_SECONDS
from tests.exports import factories
from tests.exports.factories import authorize, make_ready_export, make_user, make_zip
from tests.support.s3 import s3rver

published = factories.published

ARCHIVE = make_zip(64 * 1024)


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    with s3rver(tmp_path_factory.mktemp("s3rver")) as server:
        yield server


@pytest.fixture
def in_s3(s3_server, settings, published):
    """The site's storage is the s3rver process, configured as settings.py does from AWS_*."""
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage_settings()}
    settings.AWS_STORAGE_BUCKET_NAME = s3_server.bucket
    return s3_server


@pytest.fixture
def owner(db):
    person = make_user("owner")
    authorize(person)
    return person


@pytest.fixture
def export(in_s3, owner):
    return make_ready_export(owner, ARCHIVE)


@contextmanager
def presigned_links() -> Iterator[list[str]]:
    """Every download link boto3 signs meanwhile (listened to on the storage's own client)."""
    signed: list[str] = []

    def record(request, **kwargs) -> None:
        if request.context.get("is_presign_request"):
            signed.append(request.url)

    events = storages["default"].connection.meta.client.meta.events
    events.register("before-sign.s3.GetObject", record)
    try:
        yield signed
    finally:
        events.unregister("before-sign.s3.GetObject", record)


def download(client, export):
    return client.get(reverse("download_export", args=[export.pk]))


def test_the_owner_gets_a_302_to_a_five_minute_attachment_link_that_is_not_cached(
    client, owner, export, in_s3
):
    client.force_login(owner)

    with presigned_links() as signed:
        answer = download(client, export)

    assert answer.status_code == 302
    link = answer["Location"]
    assert len(signed) == 1
    assert link.startswith(signed[0])
    assert link.startswith(in_s3.endpoint + "/")
    query = parse_qs(urlsplit(link).query)
    assert 0 < int(query["X-Amz-Expires"][0]) <= 300
    disposition = query["response-content-disposition"][0]
    assert disposition.startswith("attachment;")
    assert export.archive_filename() in disposition
    assert answer["Cache-Control"] == "no-store"
    assert answer["Referrer-Policy"] == "no-referrer"
    fetched = requests.get(link, timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == ARCHIVE
    assert fetched.headers["Content-Disposition"].startswith("attachment;")


def test_another_signed_in_person_gets_404_and_no_link_is_signed(client, export):
    client.force_login(make_user("mallory"))

    with presigned_links() as signed:
        answer = download(client, export)

    assert answer.status_code == 404
    assert "X-Amz" not in answer.text
    assert signed == []


def test_a_signed_out_visitor_is_sent_to_sign_in_and_no_link_is_signed(client, export):
    with presigned_links() as signed:
        answer = download(client, export)

    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("home") + "?next=")
    assert signed == []


def test_storage_refuses_the_link_once_its_five_minutes_have_passed(client, owner, export):
    client.force_login(owner)
    now = timezone.now()
    links = {}
    for age in (PRESIGNED_SECONDS - 60, PRESIGNED_SECONDS + 1):
        # The link as the owner got it `age` seconds ago (s3rver judges by its own clock).
        with time_machine.travel(now - dt.timedelta(seconds=age), tick=False):
            links[age] = download(client, export)["Location"]

    recent = requests.get(links[PRESIGNED_SECONDS - 60], timeout=30)
    expired = requests.get(links[PRESIGNED_SECONDS + 1], timeout=30)

    assert recent.status_code == 200
    assert recent.content == ARCHIVE
    assert expired.status_code == 403
    assert "Request has expired" in expired.text

"""The export pipeline end to end, the way it runs in production: the site over real HTTP, the
sandbox as TikTok (with its webhooks), a real Celery worker process on Redis, PostgreSQL."""

from __future__ import annotations

import email
import hashlib
import io
import json
import os
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest
import redis
from allauth.account.models import EmailAddress

from exports.models import ExportRequest, ExportState
from tests.exports.conftest import sign_in
from tests.support.browser import Browser
from tests.support.processes import celery_worker, database_url_of_tests
from tiktok_sandbox.archives import ArchiveSpec, archive_sha256_and_size
from tiktok_sandbox.faults import inject_fault
from tiktok_sandbox.models import PortabilityRequest

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Pipeline:
    site: str
    mail_dir: Path
    log: Path

    def emails_to(self, address: str) -> list[Message]:
        """Every email the worker sent to `address` (its mail backend writes files)."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_text().split("-" * 79):
                message = email.message_from_string(chunk.strip())
                if chunk.strip() and address in str(message.get("To", "")):
                    messages.append(message)
        return messages


@pytest.fixture(scope="module")
def worker(django_db_setup, live_server, tmp_path_factory) -> Iterator[Pipeline]:
    """One worker for the module, pointed at the live server (and its sandbox). The first
    status check is scheduled 30 s out, so an export that is copied within seconds of being
    ready was woken by the sandbox's webhook."""
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
    home = tmp_path_factory.mktemp("worker")
    env = {
        "DATABASE_URL": database_url_of_tests(),
        "SITE_URL": live_server.url,
        "VAR_DIR": str(home),
        "EXPORT_POLL_INITIAL": "30",
        "EXPORT_POLL_MAX": "60",
        "CONN_MAX_AGE": "0",
    }
    log = home / "worker.log"
    with celery_worker(env, log):
        yield Pipeline(site=live_server.url, mail_dir=home / "mail", log=log)


@pytest.fixture
def pipeline(worker, site, settings) -> Pipeline:
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 1.0
    return worker


def wait_for(
    export_id: object, predicate: Callable[[ExportRequest], bool], log: Path
) -> ExportRequest:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        export = ExportRequest.objects.get(pk=export_id)
        if predicate(export):
            return export
        time.sleep(0.2)
    raise AssertionError(f"export stuck in {export.state}; worker log:\n{log.read_text()[-4000:]}")


def ask_for_export(browser: Browser, site: str, kinds: list[str], data_format: str = "json"):
    """Asks for an export of `kinds` on the new-export page; returns the page it lands on."""
    new_export = browser.get(site + "/exports/new/")
    return browser.submit(
        new_export,
        "Ask TikTok for my data",
        data={"kinds": kinds, "data_format": data_format},
    )


def add_verified_email(browser: Browser, site: str, address: str, mailoutbox) -> None:
    """Adds an address through allauth's page and follows the confirmation email."""
    page = browser.get(site + "/accounts/email/")
    browser.submit(page, "Add email", data={"email": address})
    body = mailoutbox[-1].body
    confirm_url = re.search(r"https?://\S+/accounts/confirm-email/\S+/", body).group(0)
    confirmation = browser.get(confirm_url)
    browser.submit(confirmation, "Confirm")
    assert EmailAddress.objects.get(email=address).verified


def test_export_goes_from_request_to_download_with_exactly_one_email(
    pipeline, browser, site, mailoutbox
):
    sign_in(browser, site, kinds=["all"], frequency="single")
    add_verified_email(browser, site, "ana@example.org", mailoutbox)

    page = ask_for_export(browser, site, ["activity", "postsandprofile"])
    export = ExportRequest.objects.get()
    assert page.url == f"{site}/exports/{export.pk}/"
    export = wait_for(export.pk, lambda e: e.state == ExportState.READY, pipeline.log)

    # Woken by TikTok's webhook: the scheduled poll (30 s out) never had to run.
    assert export.check_count == 1
    assert export.tiktok_request_id > 2**53
    download = browser.session.get(f"{site}/exports/{export.pk}/download/", timeout=30)
    assert download.status_code == 200
    produced = PortabilityRequest.objects.get(request_id=export.tiktok_request_id)
    sandbox_sha256, sandbox_size = archive_sha256_and_size(ArchiveSpec.for_request(produced))
    assert hashlib.sha256(download.content).hexdigest() == sandbox_sha256
    assert len(download.content) == sandbox_size
    assert export.archive_sha256 == sandbox_sha256
    assert len(download.content) == export.archive_size
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert archive.testzip() is None
        data = json.loads(archive.read("user_data_tiktok.json"))
    assert "Your Activity" in data
    assert "Post" in data
    assert "Direct Message" not in data

    time.sleep(1)  # a second email would be sent right after the first
    emails = pipeline.emails_to("ana@example.org")
    assert len(emails) == 1
    assert "ready" in emails[0]["Subject"]
    body = emails[0].get_payload(decode=True).decode()
    link = re.search(r"https?://\S+/exports/link/\S+/", body).group(0)
    assert "media" not in link
    assert browser.get(link).url == f"{site}/exports/{export.pk}/"
    history = browser.get(f"{site}/exports/{export.pk}/").text
    assert "TikTok accepted the request" in history
    assert "Your archive is stored, checked and ready to download." in history


def test_a_request_that_expires_at_tiktok_before_the_copy_ends_expired(
    pipeline, browser, site, settings
):
    settings.TIKTOK_SANDBOX_EXPORT_EXPIRES_AFTER = 0.0
    sign_in(browser, site, kinds=["activity"], frequency="ongoing")

    ask_for_export(browser, site, ["activity"])

    export = wait_for(ExportRequest.objects.get().pk, lambda e: not e.is_active, pipeline.log)
    assert export.state == ExportState.EXPIRED
    assert not export.archive_key
    page = browser.get(f"{site}/exports/{export.pk}/").text
    assert "expired before it could be copied" in page


def test_cancelling_while_tiktok_prepares_cancels_at_tiktok_too(pipeline, browser, site, settings):
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 600.0
    sign_in(browser, site, kinds=["directmessages"], frequency="ongoing")
    ask_for_export(browser, site, ["directmessages"])
    export = wait_for(
        ExportRequest.objects.get().pk, lambda e: e.state == ExportState.PROCESSING, pipeline.log
    )

    page = browser.get(f"{site}/exports/{export.pk}/")
    assert f'href="/exports/{export.pk}/cancel/"' in page.text
    assert "Cancel this export…" in page.text
    confirm = browser.get(f"{site}/exports/{export.pk}/cancel/")
    assert ExportRequest.objects.get().state == ExportState.PROCESSING  # asking changes nothing
    after = browser.submit(confirm, "Cancel the export")

    assert "The export was cancelled." in after.text
    assert ExportRequest.objects.get().state == ExportState.CANCELLED
    check = sandbox_status(browser, site, export.tiktok_request_id)
    deadline = time.monotonic() + 30
    while check != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.3)
        check = sandbox_status(browser, site, export.tiktok_request_id)
    assert check == "cancelled"


def test_tiktok_refusing_the_request_fails_it_with_a_reason_and_one_email(
    pipeline, browser, site, mailoutbox
):
    sign_in(browser, site, kinds=["activity"], frequency="ongoing")
    add_verified_email(browser, site, "jonas@example.org", mailoutbox)
    inject_fault(
        "add",
        error="scope_not_authorized",
        http_status=401,
        description="The user did not authorize the scope required for completing this request.",
    )

    ask_for_export(browser, site, ["activity"])

    export = wait_for(ExportRequest.objects.get().pk, lambda e: not e.is_active, pipeline.log)
    assert export.state == ExportState.FAILED
    assert export.failure_code == "scope_not_authorized"
    assert "not allowed to export that data" in export.failure_message
    assert "did not authorize the scope" in export.failure_reason  # TikTok's words, kept
    page = browser.get(f"{site}/exports/{export.pk}/").text
    assert "not allowed to export that data" in page
    assert "did not authorize the scope" not in page  # ...for the operator only
    time.sleep(1)
    emails = pipeline.emails_to("jonas@example.org")
    assert len(emails) == 1
    assert "could not be completed" in emails[0]["Subject"]


def test_a_second_request_while_one_is_under_way_makes_no_second_tiktok_request(
    pipeline, browser, site, settings
):
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 600.0
    sign_in(browser, site, kinds=["activity"], frequency="ongoing")
    first = ask_for_export(browser, site, ["activity"])

    second = ask_for_export(browser, site, ["activity"])

    assert ExportRequest.objects.count() == 1
    assert second.url == first.url
    assert "already under way" in second.text
    export = wait_for(
        ExportRequest.objects.get().pk, lambda e: e.state == ExportState.PROCESSING, pipeline.log
    )
    assert export.submit_attempts == 1


def sandbox_status(browser: Browser, site: str, request_id: int) -> str:
    """What the sandbox (TikTok) says of a request, asked with the person's own token."""
    authorization = ExportRequest.objects.get(
        tiktok_request_id=request_id
    ).user.tiktok_authorization
    answer = browser.session.post(
        f"{site}/tiktok-sandbox/v2/user/data/check/",
        params={"fields": "request_id,status"},
        json={"request_id": request_id},
        headers={"Authorization": f"Bearer {authorization.access_token}"},
        timeout=10,
    )
    return answer.json()["data"]["status"]

"""Leaving: disconnecting TikTok, deleting the account, and TikTok telling us the person removed
the site's access. Over real HTTP with the sandbox as TikTok and a real Celery worker."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from exports.datasets import ExportReading, ExportRecord, ReadingState
from exports.models import (
    ExportEvent,
    ExportRequest,
    ExportState,
    TikTokAccessRemoval,
    TikTokAuthorization,
)
from exports.services import remove_access
from tests.exports import factories
from tests.exports.conftest import sign_in
from tests.exports.test_pipeline_end_to_end import (
    Pipeline,
    add_verified_email,
    ask_for_export,
    pipeline,
    wait_for,
    worker,
)
from tests.support.browser import Browser
from tests.support.database import dump_database
from tiktok_sandbox.models import DeliveryState, Grant, PortabilityRequest, WebhookDelivery
from tiktok_sandbox.webhooks import REASON_USER_DISCONNECTED, remove_authorization

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["pipeline", "worker"]  # fixtures, shared with the end-to-end tests


def eventually(condition: Callable[[], object], what: str, log: Path, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen; worker log:\n{log.read_text()[-4000:]}")


def one_ready_and_one_under_way(browser: Browser, site: str, pipeline: Pipeline, settings):
    """Signs in with two kinds of data; the first export is copied and ready, the second is
    still being prepared at TikTok."""
    sign_in(browser, site, kinds=["activity", "postsandprofile"], frequency="ongoing")
    ask_for_export(browser, site, ["activity"])
    ready = wait_for(
        ExportRequest.objects.get().pk, lambda e: e.state == ExportState.READY, pipeline.log
    )
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 3600.0
    ask_for_export(browser, site, ["postsandprofile"])
    under_way = wait_for(
        ExportRequest.objects.exclude(pk=ready.pk).get().pk,
        lambda e: e.state == ExportState.PROCESSING,
        pipeline.log,
    )
    return ready, under_way


def sign_in_again_from_the_dashboard(browser: Browser, site: str):
    return sign_in(
        browser,
        site,
        kinds=["activity"],
        frequency="ongoing",
        start_from="/dashboard/",
        button="Continue with TikTok",
    )


def sandbox_grant_revoked(open_id: str) -> bool:
    return not Grant.objects.filter(open_id=open_id, revoked_at__isnull=True).exists()


def sandbox_request_status(request_id: int) -> str:
    return PortabilityRequest.objects.get(request_id=request_id).status(timezone.now())


def removal_webhooks_delivered(open_id: str) -> bool:
    deliveries = WebhookDelivery.objects.filter(open_id=open_id, event="authorization.removed")
    return deliveries.exists() and not deliveries.exclude(state=DeliveryState.DELIVERED).exists()


# Disconnecting ---------------------------------------------------------------------------------


def test_disconnecting_revokes_at_tiktok_cancels_work_under_way_and_keeps_stored_archives(
    pipeline, browser, site, settings
):
    ready, under_way = one_ready_and_one_under_way(browser, site, pipeline, settings)
    open_id = TikTokAuthorization.objects.get().open_id

    confirm = browser.get(site + "/account/disconnect-tiktok/")
    assert "Your export in progress will be cancelled." in confirm.text
    after = browser.submit(confirm, "Disconnect TikTok")

    assert after.url == site + "/dashboard/"
    assert "TikTok is disconnected. Your exports in progress were cancelled." in after.text
    assert ExportRequest.objects.get(pk=under_way.pk).state == ExportState.CANCELLED
    assert ExportEvent.objects.filter(export=under_way, kind=ExportEvent.Kind.DISCONNECTED).exists()
    eventually(lambda: not TikTokAuthorization.objects.exists(), "the withdrawal", pipeline.log)
    assert sandbox_grant_revoked(open_id)
    assert sandbox_request_status(under_way.tiktok_request_id) == "cancelled"
    # TikTok confirms the revoke with authorization.removed: nothing more to do, no notice.
    eventually(lambda: removal_webhooks_delivered(open_id), "the webhook", pipeline.log)
    assert not TikTokAccessRemoval.objects.exists()
    download = browser.session.get(f"{site}/exports/{ready.pk}/download/", timeout=30)
    assert download.status_code == 200
    assert len(download.content) == ready.archive_size
    dashboard = browser.get(site + "/dashboard/").text
    assert "Disconnect TikTok" not in dashboard
    assert "TikTok access removed" not in dashboard


def test_signing_in_again_after_disconnecting_works_and_lets_exports_start(
    pipeline, browser, site, settings
):
    sign_in(browser, site, kinds=["activity"], frequency="ongoing")
    browser.submit(browser.get(site + "/account/disconnect-tiktok/"), "Disconnect TikTok")

    again = sign_in_again_from_the_dashboard(browser, site)

    assert again.final.url == site + "/dashboard/"
    authorization = eventually(
        lambda: TikTokAuthorization.objects.filter(user__isnull=False).first(),
        "the new grant",
        pipeline.log,
    )
    assert authorization.granted_portability_scopes == ["portability.activity.ongoing"]
    ask_for_export(browser, site, ["activity"])
    export = wait_for(
        ExportRequest.objects.get().pk, lambda e: e.state == ExportState.READY, pipeline.log
    )
    assert export.archive_size > 0


# Deleting the account ----------------------------------------------------------------------


def dump_site_tables() -> str:
    """The site's database without the sandbox's tables: they stand for TikTok's side, which
    keeps the person's TikTok account."""
    return dump_database(exclude_tables=["tiktok_sandbox_*"])


def rows_pointing_at(user_id: int) -> list[str]:
    """Every model with a foreign key to users that still has a row of this user."""
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                (getattr(field, "many_to_one", False) or getattr(field, "one_to_one", False))
                and field.related_model is get_user_model()
                and field.concrete
            ) and model._default_manager.filter(**{field.name: user_id}).exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


def stored_files() -> list[Path]:
    media = Path(django_settings.MEDIA_ROOT)
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def test_deleting_the_account_leaves_nothing_of_the_person_in_the_database_or_storage(
    pipeline, browser, site, settings, mailoutbox
):
    files_before = set(stored_files())
    add_email_after_sign_in = "leaving.person@example.org"
    ready, under_way = one_ready_and_one_under_way(browser, site, pipeline, settings)
    add_verified_email(browser, site, add_email_after_sign_in, mailoutbox)
    user = get_user_model().objects.get()
    authorization = TikTokAuthorization.objects.get()
    account = SocialAccount.objects.get()
    # What the worker read out of the ready archive goes with it.
    eventually(
        lambda: ExportReading.objects.filter(export=ready, state=ReadingState.DONE).exists(),
        "the reading of the archive",
        pipeline.log,
    )
    read = ExportRecord.objects.filter(export=ready, dataset="watch_history").first()
    traces = {
        "username": user.get_username(),
        "open_id": authorization.open_id,
        "display name": account.extra_data["display_name"],
        "email": add_email_after_sign_in,
        "access token": authorization.access_token,
        "refresh token": authorization.refresh_token,
        "archive key": ready.archive_key,
        "archive sha256": ready.archive_sha256,
        "ready export": str(ready.pk),
        "export under way": str(under_way.pk),
        "TikTok request": str(under_way.tiktok_request_id),
        "a watched video read from the archive": read.fields["link"],
    }
    archive_files = set(stored_files()) - files_before
    assert archive_files, "the ready export's archive is in storage"
    assert all(value in dump_site_tables() for name, value in traces.items() if "token" not in name)

    confirm = browser.get(site + "/account/delete/")
    assert "Delete your account?" in confirm.text
    after = browser.submit(confirm, "Delete my account")

    assert after.url == site + "/"
    assert "Your account and everything we held of yours are deleted." in after.text
    eventually(lambda: not TikTokAuthorization.objects.exists(), "the withdrawal", pipeline.log)
    assert sandbox_grant_revoked(traces["open_id"])
    assert sandbox_request_status(under_way.tiktok_request_id) == "cancelled"
    eventually(lambda: removal_webhooks_delivered(traces["open_id"]), "the webhook", pipeline.log)
    dump = dump_site_tables()
    left = [name for name, value in traces.items() if value in dump]
    assert left == [], f"still in the database: {left}"
    assert rows_pointing_at(user.pk) == []
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert set(stored_files()) & archive_files == set()
    # Signed out everywhere: the dashboard sends them to the home page to sign in.
    assert browser.get(site + "/dashboard/").url == site + "/?next=/dashboard/"


def test_deleting_the_account_needs_a_signed_in_person_and_a_post(client, db):
    assert client.get("/account/delete/").status_code == 302
    assert client.post("/account/delete/").status_code == 302
    person = factories.make_user()
    client.force_login(person)
    assert client.put("/account/delete/").status_code == 405
    assert get_user_model().objects.filter(pk=person.pk).exists()


# TikTok removing the access ----------------------------------------------------------------


def test_tiktok_removing_the_access_purges_tokens_cancels_work_and_tells_the_person(
    pipeline, browser, site, settings
):
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 3600.0
    sign_in(browser, site, kinds=["activity"], frequency="ongoing")
    ask_for_export(browser, site, ["activity"])
    export = wait_for(
        ExportRequest.objects.get().pk, lambda e: e.state == ExportState.PROCESSING, pipeline.log
    )
    open_id = TikTokAuthorization.objects.get().open_id

    assert remove_authorization(open_id, REASON_USER_DISCONNECTED) == 1

    eventually(lambda: not TikTokAuthorization.objects.exists(), "the purge", pipeline.log)
    export.refresh_from_db()
    assert export.state == ExportState.CANCELLED
    assert ExportEvent.objects.filter(export=export, kind=ExportEvent.Kind.ACCESS_REMOVED).exists()
    dashboard = browser.get(site + "/dashboard/").text
    assert "TikTok access removed" in dashboard
    assert "because you disconnected this site in TikTok" in dashboard
    assert "Your export in progress was cancelled." in dashboard

    sign_in_again_from_the_dashboard(browser, site)

    assert not TikTokAccessRemoval.objects.exists()
    assert "TikTok access removed" not in browser.get(site + "/dashboard/").text


def test_a_removal_older_than_the_current_grant_changes_nothing(db):
    person = factories.make_user()
    authorization = factories.authorize(person)
    export = factories.make_export(person, ExportState.PROCESSING)

    outcome = remove_access(
        authorization.open_id, 1, authorization.granted_at - dt.timedelta(minutes=5)
    )

    assert outcome == "older than the current grant"
    assert TikTokAuthorization.objects.filter(pk=authorization.pk).exists()
    assert ExportRequest.objects.get(pk=export.pk).state == ExportState.PROCESSING


def test_a_signed_removal_webhook_is_acted_on_once(client, db, settings):
    settings.TIKTOK_CLIENT_SECRET = factories.CLIENT_SECRET
    person = factories.make_user()
    authorization = factories.authorize(person)
    body = json.dumps(
        {
            "client_key": factories.CLIENT_KEY,
            "event": "authorization.removed",
            # Well after the grant: about it, with no need to ask TikTok.
            "create_time": int(time.time()) + 10,
            "user_openid": authorization.open_id,
            "content": json.dumps({"reason": 4}),
        }
    ).encode()
    headers = {"TikTok-Signature": factories.sign_webhook(body, int(time.time()))}

    first = client.post("/webhooks/tiktok/", body, content_type="application/json", headers=headers)
    second = client.post(
        "/webhooks/tiktok/", body, content_type="application/json", headers=headers
    )

    assert (first.status_code, second.status_code) == (200, 200)
    assert not TikTokAuthorization.objects.exists()
    removal = TikTokAccessRemoval.objects.get(user=person)
    assert removal.reason == TikTokAccessRemoval.Reason.ACCOUNT_BANNED
    assert abs(removal.removed_at - timezone.now()) < dt.timedelta(minutes=1)

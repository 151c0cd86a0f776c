"""Limits on signing in, asking for exports and asking for an email again: a person over a limit
gets a page saying what they did too often and when they can try again, a program gets 429 with
Retry-After (the task API in its own JSON)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.utils import timezone

from exports import ratelimit, services
from exports.models import ExportEmail, ExportRequest, ExportState
from tests.exports import factories
from tests.exports.factories import authorize, make_export, make_user

published = factories.published
tiktok_at_real_urls = factories.tiktok_at_real_urls

SIGN_IN_FORM = {"kinds": ["activity"], "frequency": "single"}
EXPORT_FORM = {"kinds": ["all"], "data_format": "json"}
# 10:05:30 UTC: the sign-in limit's 15-minute window ends at 10:15, the hour-long ones at 11:00.
FROZEN_AT = dt.datetime(2025, 3, 3, 10, 5, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _no_broker(published, tiktok_at_real_urls):
    """Tasks are recorded instead of published; TikTok is never called by these views."""


@pytest.fixture
def person(client, db):
    user = make_user()
    authorize(user)
    client.force_login(user)
    return user


def sign_in_attempts(client, count: int, **headers: str) -> list[int]:
    return [
        client.post("/sign-in/tiktok/", SIGN_IN_FORM, headers=headers).status_code
        for _ in range(count)
    ]


def test_signing_in_too_often_from_one_address_gets_a_429_page_saying_how_long_to_wait(client, db):
    limit = ratelimit.SIGN_IN.limit

    statuses = sign_in_attempts(client, limit)
    over = client.post("/sign-in/tiktok/", SIGN_IN_FORM)

    assert statuses == [302] * limit
    assert over.status_code == 429
    assert 0 < int(over["Retry-After"]) <= ratelimit.SIGN_IN.window_seconds
    assert "Too many tries" in over.content.decode()
    assert "You can try again in" in over.content.decode()


def test_the_sign_in_limit_page_names_signing_in_and_the_time_to_try_again_in_the_persons_zone(
    client, db
):
    client.cookies["tz"] = "Europe%2FBerlin"  # as site.js writes it
    with time_machine.travel(FROZEN_AT, tick=False):
        sign_in_attempts(client, ratelimit.SIGN_IN.limit)
        over = client.post("/sign-in/tiktok/", SIGN_IN_FORM)

    page = over.content.decode()
    assert over.status_code == 429
    assert over["Retry-After"] == str(9 * 60 + 30)
    assert "Too many sign-in attempts came from your network in a short while." in page
    assert "You can try again in 10 minutes, at 11:15." in page  # 10:15 UTC is 11:15 in Berlin


def test_in_the_last_minute_of_a_window_the_page_says_a_minute(client, db):
    with time_machine.travel(FROZEN_AT.replace(minute=14), tick=False):
        sign_in_attempts(client, ratelimit.SIGN_IN.limit)
        over = client.post("/sign-in/tiktok/", SIGN_IN_FORM)

    assert over["Retry-After"] == "30"
    assert "You can try again in a minute, at 10:15." in over.content.decode()


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(client, db):
    sign_in_attempts(client, ratelimit.SIGN_IN.limit)

    forged = client.post(
        "/sign-in/tiktok/", SIGN_IN_FORM, headers={"X-Forwarded-For": "203.0.113.9"}
    )

    assert forged.status_code == 429


def test_behind_one_proxy_the_address_the_proxy_saw_counts_not_what_the_client_wrote(
    client, db, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy appends the address it saw; anything before it came from the client.
    sign_in_attempts(client, ratelimit.SIGN_IN.limit, **{"X-Forwarded-For": "198.51.100.7"})

    forged = client.post(
        "/sign-in/tiktok/",
        SIGN_IN_FORM,
        headers={"X-Forwarded-For": "203.0.113.1, 198.51.100.7"},
    )
    someone_else = client.post(
        "/sign-in/tiktok/", SIGN_IN_FORM, headers={"X-Forwarded-For": "198.51.100.8"}
    )

    assert forged.status_code == 429
    assert someone_else.status_code == 302


def test_ipv6_clients_of_one_network_share_a_limit(rf):
    first = rf.get("/", REMOTE_ADDR="2001:db8:1:2::10")
    second = rf.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::1")
    other = rf.get("/", REMOTE_ADDR="2001:db8:1:3::10")

    assert ratelimit.client_address(first) == ratelimit.client_address(second)
    assert ratelimit.client_address(first) != ratelimit.client_address(other)


def ask_for_exports(client, person, count: int) -> list[int]:
    """Asks for `count` exports through the dashboard's form, each after the last is cancelled
    (one export at a time is allowed, and only the limit should refuse)."""
    statuses = []
    for _ in range(count):
        ExportRequest.objects.filter(user=person).update(state=ExportState.CANCELLED)
        statuses.append(client.post("/exports/", EXPORT_FORM).status_code)
    ExportRequest.objects.filter(user=person).update(state=ExportState.CANCELLED)
    return statuses


def test_asking_for_exports_too_often_gets_a_429_page_saying_so_and_makes_no_more_exports(
    client, person
):
    limit = ratelimit.REQUEST_EXPORT.limit
    with time_machine.travel(FROZEN_AT, tick=False):
        statuses = ask_for_exports(client, person, limit)
        over = client.post("/exports/", EXPORT_FORM)

    page = over.content.decode()
    assert statuses == [302] * limit
    assert over.status_code == 429
    assert "You asked for exports too often in a short while." in page
    assert "You can try again in 55 minutes, at 11:00." in page
    assert "sign-in" not in page
    assert ExportRequest.objects.filter(user=person).count() == limit


def test_over_the_export_limit_the_task_api_still_answers_in_its_json(client, person):
    _row, token = services.create_api_token(person, "my script", None)
    with time_machine.travel(FROZEN_AT, tick=False):
        ask_for_exports(client, person, ratelimit.REQUEST_EXPORT.limit)  # the limit both share
        refused = client.post(
            "/v2/data_portability/task/create/",
            json.dumps({"data_types": ["ACTIVITY"]}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert int(refused["Retry-After"]) > 0


def test_the_export_limit_is_per_person(client, person):
    for _ in range(ratelimit.REQUEST_EXPORT.limit + 1):
        client.post("/exports/", EXPORT_FORM)
    other = make_user("ben")
    authorize(other, open_id="open-ben")
    client.force_login(other)

    response = client.post("/exports/", EXPORT_FORM)

    assert response.status_code == 302
    assert ExportRequest.objects.filter(user=other).count() == 1


def test_asking_for_the_email_again_too_often_gets_a_429_page_saying_so(
    client, person, published, django_capture_on_commit_callbacks
):
    EmailAddress.objects.create(user=person, email="ana@example.com", verified=True, primary=True)
    export = make_export(person, ExportState.FAILED, next_step_at=None)
    url = f"/exports/{export.pk}/resend-email/"
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(ratelimit.RESEND_EMAIL.limit):
            ExportEmail.objects.filter(export=export).update(sent_at=timezone.now())
            assert client.post(url).status_code == 302
        over = client.post(url)

    assert over.status_code == 429
    assert "You asked for the email again too often in a short while." in over.content.decode()
    assert len(published.of(export.pk)) == ratelimit.RESEND_EMAIL.limit


def test_with_the_cache_down_requests_go_through_rather_than_fail(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }

    statuses = sign_in_attempts(client, ratelimit.SIGN_IN.limit + 2)

    assert statuses == [302] * (ratelimit.SIGN_IN.limit + 2)

"""Limits on signing in, asking for exports and asking for an email again: a person over a limit
gets a page saying how long to wait, a program gets 429 with Retry-After."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from exports import ratelimit
from exports.models import ExportEmail, ExportRequest, ExportState
from tests.exports import factories
from tests.exports.factories import authorize, make_export, make_user

published = factories.published
tiktok_at_real_urls = factories.tiktok_at_real_urls

SIGN_IN_FORM = {"kinds": ["activity"], "frequency": "single"}


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
    assert "minutes and try again" in over.content.decode()


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


def test_asking_for_exports_too_often_gets_a_429_and_makes_no_more_exports(client, person):
    limit = ratelimit.REQUEST_EXPORT.limit
    for _ in range(limit):
        ExportRequest.objects.filter(user=person).update(state=ExportState.CANCELLED)
        response = client.post("/exports/", {"categories": ["all_data"], "data_format": "json"})
        assert response.status_code == 302
    ExportRequest.objects.filter(user=person).update(state=ExportState.CANCELLED)

    over = client.post("/exports/", {"categories": ["all_data"], "data_format": "json"})

    assert over.status_code == 429
    assert ExportRequest.objects.filter(user=person).count() == limit


def test_the_export_limit_is_per_person(client, person):
    for _ in range(ratelimit.REQUEST_EXPORT.limit + 1):
        client.post("/exports/", {"categories": ["all_data"], "data_format": "json"})
    other = make_user("ben")
    authorize(other, open_id="open-ben")
    client.force_login(other)

    response = client.post("/exports/", {"categories": ["all_data"], "data_format": "json"})

    assert response.status_code == 302
    assert ExportRequest.objects.filter(user=other).count() == 1


def test_asking_for_the_email_again_too_often_gets_a_429(
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

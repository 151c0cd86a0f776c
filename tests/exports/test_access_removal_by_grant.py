"""TikTok's `authorization.removed` is about a grant, and TikTok stamps it in whole seconds: a
removal of the grant before arriving just after a new sign-in must not remove the new one.
TikTok is asked whether the current grant still works whenever the clock cannot tell."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import responses

from exports.models import ExportRequest, ExportState, TikTokAccessRemoval, TikTokAuthorization
from exports.services.disconnection import GRANT_CLOCK_TOLERANCE, remove_access
from tests.exports import factories
from tests.exports.factories import API, authorize, envelope, make_export, make_user, sign_webhook

tiktok_at_real_urls = factories.tiktok_at_real_urls
published = factories.published
USER_INFO_URL = API + "/v2/user/info/"
PROFILE = {"user": {"open_id": "open-ana", "display_name": "Ana"}}


@pytest.fixture
def grant(db, tiktok_at_real_urls, published):
    """A person who has just signed in again, with an export under way on the new grant."""
    person = make_user("ana")
    authorization = authorize(person, open_id="open-ana")
    make_export(person, ExportState.PROCESSING)
    return authorization


def stamped_like_tiktok(moment: dt.datetime) -> dt.datetime:
    """What a webhook's create_time says of `moment`: whole seconds."""
    return dt.datetime.fromtimestamp(int(moment.timestamp()), tz=dt.UTC)


def still_connected(authorization: TikTokAuthorization) -> bool:
    return (
        TikTokAuthorization.objects.filter(pk=authorization.pk).exists()
        and ExportRequest.objects.get().state == ExportState.PROCESSING
        and not TikTokAccessRemoval.objects.exists()
    )


@responses.activate
def test_a_removal_stamped_in_the_second_of_a_new_sign_in_keeps_the_grant_tiktok_still_honours(
    grant,
):
    responses.get(USER_INFO_URL, json=envelope(data=PROFILE))

    outcome = remove_access("open-ana", 1, stamped_like_tiktok(grant.granted_at))

    assert outcome == "about an earlier grant: the current one works"
    assert still_connected(grant)
    assert len(responses.calls) == 1


@responses.activate
def test_a_removal_milliseconds_before_the_new_grant_but_stamped_after_it_keeps_the_grant(grant):
    # TikTok's clock a little ahead of ours: the old grant's removal carries a later second.
    responses.get(USER_INFO_URL, json=envelope(data=PROFILE))

    remove_access("open-ana", 1, stamped_like_tiktok(grant.granted_at) + dt.timedelta(seconds=1))

    assert still_connected(grant)


@responses.activate
def test_a_removal_in_the_same_second_of_a_grant_tiktok_no_longer_honours_removes_it(grant):
    responses.get(
        USER_INFO_URL,
        status=401,
        json=envelope("access_token_invalid", "The access token is invalid or not found."),
    )

    outcome = remove_access("open-ana", 1, stamped_like_tiktok(grant.granted_at))

    assert outcome == "access removed, 1 exports cancelled"
    assert not TikTokAuthorization.objects.exists()
    assert ExportRequest.objects.get().state == ExportState.CANCELLED
    assert TikTokAccessRemoval.objects.get().reason == TikTokAccessRemoval.Reason.DISCONNECTED


@responses.activate
def test_a_removal_well_after_the_grant_removes_it_without_asking_tiktok(grant):
    outcome = remove_access(
        "open-ana", 1, grant.granted_at + GRANT_CLOCK_TOLERANCE + dt.timedelta(seconds=1)
    )

    assert outcome.startswith("access removed")
    assert not TikTokAuthorization.objects.exists()
    assert len(responses.calls) == 0


@responses.activate
def test_a_removal_well_before_the_grant_changes_nothing_without_asking_tiktok(grant):
    outcome = remove_access(
        "open-ana", 1, grant.granted_at - GRANT_CLOCK_TOLERANCE - dt.timedelta(seconds=1)
    )

    assert outcome == "older than the current grant"
    assert still_connected(grant)
    assert len(responses.calls) == 0


@responses.activate
def test_when_tiktok_cannot_tell_the_webhook_is_answered_503_to_be_delivered_again(
    grant, client, settings
):
    settings.TIKTOK_CLIENT_SECRET = factories.CLIENT_SECRET
    responses.get(USER_INFO_URL, status=503, body="unavailable")
    created = int(grant.granted_at.timestamp())
    body = json.dumps(
        {
            "client_key": factories.CLIENT_KEY,
            "event": "authorization.removed",
            "create_time": created,
            "user_openid": "open-ana",
            "content": json.dumps({"reason": 1}),
        }
    ).encode()
    headers = {"TikTok-Signature": sign_webhook(body, created)}

    first = client.post("/webhooks/tiktok/", body, content_type="application/json", headers=headers)

    assert first.status_code == 503
    assert still_connected(grant)
    responses.replace(
        responses.GET, USER_INFO_URL, status=401, json=envelope("access_token_invalid")
    )
    again = client.post("/webhooks/tiktok/", body, content_type="application/json", headers=headers)
    assert again.status_code == 200
    assert not TikTokAuthorization.objects.exists()

"""exports.tiktok's Data Portability client and token refresh at the HTTP seam (`responses`),
with the payloads of tiktok-api.md §1.4, §1.7, §1.9 and §2."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.db import connection
from django.utils import timezone

from exports import tiktok
from exports.models import TikTokAuthorization
from tests.exports import factories
from tests.exports.factories import (
    ADD_URL,
    BIG_REQUEST_ID,
    CANCEL_URL,
    CHECK_URL,
    CLIENT_KEY,
    CLIENT_SECRET,
    DOWNLOAD_URL,
    MIB,
    TOKEN_URL,
    authorize,
    check_data,
    envelope,
    make_user,
    make_zip,
    oauth_error,
    raw_ok_body,
    token_response,
)

tiktok_at_real_urls = factories.tiktok_at_real_urls


@pytest.fixture(autouse=True)
def _real_urls(tiktok_at_real_urls):
    """Every test here talks to TikTok's documented URLs."""


@pytest.fixture
def authorization(db):
    return authorize(make_user())


def query(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def sent_json(call) -> dict:
    return json.loads(call.request.body)


def sent_form(call) -> dict[str, str]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else body
    return {name: values[0] for name, values in parse_qs(text).items()}


# Add Data Request --------------------------------------------------------------------------


@responses.activate
def test_add_sends_the_fields_query_and_the_json_body_with_the_bearer_token(authorization):
    responses.post(ADD_URL, json=envelope(data={"request_id": 123451234512345}))

    tiktok.PortabilityClient(authorization.pk).add_data_request("json", ["activity", "video"])

    call = responses.calls[0]
    assert query(call) == {"fields": ["request_id"]}
    assert sent_json(call) == {
        "data_format": "json",
        "category_selection_list": ["activity", "video"],
    }
    assert call.request.headers["Authorization"] == "Bearer act.x"
    assert call.request.headers["Content-Type"] == "application/json"


@responses.activate
def test_add_returns_an_int64_request_id_exactly_even_above_two_to_the_53(authorization):
    responses.post(ADD_URL, body=raw_ok_body(str(BIG_REQUEST_ID)), content_type="application/json")

    request_id = tiktok.PortabilityClient(authorization.pk).add_data_request("json", ["all_data"])

    assert type(request_id) is int
    assert request_id == BIG_REQUEST_ID
    assert request_id != int(float(BIG_REQUEST_ID))


@pytest.mark.parametrize(
    "raw_request_id",
    ["7.234567890123457e18", "123451234512345.0", '"abc"', '"12-34"', "null", "true", "-5", "0"],
)
@responses.activate
def test_add_refuses_a_request_id_that_is_not_a_positive_integer(authorization, raw_request_id):
    responses.post(ADD_URL, body=raw_ok_body(raw_request_id), content_type="application/json")

    with pytest.raises(tiktok.PermanentTikTokError) as raised:
        tiktok.PortabilityClient(authorization.pk).add_data_request("json", ["all_data"])

    assert raised.value.code == "invalid_response"


# Check Status ------------------------------------------------------------------------------


@responses.activate
def test_check_sends_every_documented_field_and_parses_status_and_times(authorization):
    responses.post(CHECK_URL, json=envelope(data=check_data("downloading")))

    status = tiktok.PortabilityClient(authorization.pk).check(BIG_REQUEST_ID)

    call = responses.calls[0]
    assert set(query(call)["fields"][0].split(",")) == {
        "request_id",
        "apply_time",
        "collect_time",
        "status",
        "data_format",
        "category_selection_list",
    }
    assert sent_json(call) == {"request_id": BIG_REQUEST_ID}
    assert status.request_id == BIG_REQUEST_ID
    assert status.status == "downloading"
    assert status.apply_time == dt.datetime(2023, 12, 21, 19, 29, 49, tzinfo=dt.UTC)
    assert status.collect_time == dt.datetime(2023, 12, 21, 19, 44, 22, tzinfo=dt.UTC)


@pytest.mark.parametrize("status", ["pending", "downloading", "expired", "cancelled"])
@responses.activate
def test_check_accepts_each_documented_status(authorization, status):
    responses.post(CHECK_URL, json=envelope(data=check_data(status)))

    assert tiktok.PortabilityClient(authorization.pk).check(BIG_REQUEST_ID).status == status


@pytest.mark.parametrize("status", ["failed", "ready", "processing", ""])
@responses.activate
def test_check_refuses_a_status_tiktok_does_not_document(authorization, status):
    responses.post(CHECK_URL, json=envelope(data=check_data(status)))

    with pytest.raises(tiktok.PermanentTikTokError) as raised:
        tiktok.PortabilityClient(authorization.pk).check(BIG_REQUEST_ID)

    assert raised.value.code == "unexpected_status"


# Cancel ------------------------------------------------------------------------------------


@responses.activate
def test_cancel_sends_the_request_id_in_the_json_body(authorization):
    responses.post(
        CANCEL_URL, json={"error": {"code": "ok", "message": "", "log_id": "L"}}
    )  # no `data` on success (§2.6)

    tiktok.PortabilityClient(authorization.pk).cancel(BIG_REQUEST_ID)

    call = responses.calls[0]
    assert sent_json(call) == {"request_id": BIG_REQUEST_ID}
    assert call.request.headers["Authorization"] == "Bearer act.x"


@responses.activate
def test_cancel_refused_by_tiktok_raises_the_typed_error(authorization):
    responses.post(
        CANCEL_URL, status=400, json=envelope("invalid_params", "Incorrect `request_id`.")
    )

    with pytest.raises(tiktok.PermanentTikTokError) as raised:
        tiktok.PortabilityClient(authorization.pk).cancel(BIG_REQUEST_ID)

    assert raised.value.code == "invalid_params"


# Download ----------------------------------------------------------------------------------


@responses.activate
def test_download_streams_the_zip_in_chunks_and_reports_its_length(authorization):
    archive = make_zip(int(2.5 * MIB))
    responses.post(
        DOWNLOAD_URL,
        body=archive,
        content_type="application/zip",
        headers={"Content-Length": str(len(archive))},
    )

    with tiktok.PortabilityClient(authorization.pk).download(BIG_REQUEST_ID) as stream:
        length = stream.content_length
        chunks = list(stream.chunks())

    assert length == len(archive)
    assert [len(chunk) for chunk in chunks] == [MIB, MIB, len(archive) - 2 * MIB]
    assert b"".join(chunks) == archive
    assert sent_json(responses.calls[0]) == {"request_id": BIG_REQUEST_ID}


@responses.activate
def test_download_without_content_length_reports_none(authorization):
    archive = make_zip()
    responses.post(DOWNLOAD_URL, body=archive, content_type="application/zip")

    with tiktok.PortabilityClient(authorization.pk).download(BIG_REQUEST_ID) as stream:
        assert stream.content_length is None
        assert b"".join(stream.chunks()) == archive


@responses.activate
def test_a_json_error_body_on_download_raises_the_typed_error(authorization):
    failure = envelope("invalid_params", "Incorrect `request_id`. Please validate the request.")
    failure["error"]["http_status_code"] = 400
    responses.post(DOWNLOAD_URL, status=400, json=failure)

    with (
        pytest.raises(tiktok.PermanentTikTokError) as raised,
        tiktok.PortabilityClient(authorization.pk).download(BIG_REQUEST_ID),
    ):
        pytest.fail("the stream opened")

    assert raised.value.code == "invalid_params"
    assert raised.value.http_status == 400


@responses.activate
def test_a_body_shorter_than_its_content_length_breaks_off_as_a_transient_error(authorization):
    archive = make_zip(2 * MIB)
    responses.post(
        DOWNLOAD_URL,
        body=archive[: MIB + 10],
        content_type="application/zip",
        headers={"Content-Length": str(len(archive))},
    )

    with (
        pytest.raises(tiktok.TransientTikTokError) as raised,
        tiktok.PortabilityClient(authorization.pk).download(BIG_REQUEST_ID) as stream,
    ):
        list(stream.chunks())

    assert raised.value.code == "download_interrupted"


# Tokens ------------------------------------------------------------------------------------


@responses.activate
def test_access_token_invalid_makes_exactly_one_refresh_and_one_retry(authorization):
    responses.post(ADD_URL, status=401, json=envelope("access_token_invalid", "expired"))
    responses.post(ADD_URL, json=envelope(data={"request_id": 42}))
    responses.post(TOKEN_URL, json=token_response("act.new", "rft.new"))

    request_id = tiktok.PortabilityClient(authorization.pk).add_data_request("json", ["all_data"])

    assert request_id == 42
    assert [call.request.url.split("?")[0] for call in responses.calls] == [
        ADD_URL,
        TOKEN_URL,
        ADD_URL,
    ]
    refresh = responses.calls[1].request
    assert refresh.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent_form(responses.calls[1]) == {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": "rft.x",
    }
    assert responses.calls[0].request.headers["Authorization"] == "Bearer act.x"
    assert responses.calls[2].request.headers["Authorization"] == "Bearer act.new"


@responses.activate
def test_refreshed_tokens_are_stored_encrypted_with_their_new_expiry(authorization):
    responses.post(ADD_URL, status=401, json=envelope("access_token_invalid"))
    responses.post(ADD_URL, json=envelope(data={"request_id": 42}))
    responses.post(TOKEN_URL, json=token_response("act.new-secret", "rft.new-secret"))
    before = timezone.now()

    tiktok.PortabilityClient(authorization.pk).add_data_request("json", ["all_data"])

    stored = TikTokAuthorization.objects.get(pk=authorization.pk)
    assert (stored.access_token, stored.refresh_token) == ("act.new-secret", "rft.new-secret")
    assert "act.new-secret" not in stored.access_token_ciphertext
    assert "rft.new-secret" not in stored.refresh_token_ciphertext
    assert before + dt.timedelta(seconds=7200) <= stored.access_token_expires_at
    assert stored.access_token_expires_at <= timezone.now() + dt.timedelta(seconds=7200)
    assert stored.refresh_claimed_until is None


@responses.activate
def test_a_second_access_token_invalid_after_the_refresh_is_not_retried_again(authorization):
    responses.post(ADD_URL, status=401, json=envelope("access_token_invalid"))
    responses.post(TOKEN_URL, json=token_response("act.new", "rft.new"))

    with pytest.raises(tiktok.AccessTokenInvalidError):
        tiktok.PortabilityClient(authorization.pk).add_data_request("json", ["all_data"])

    urls = [call.request.url.split("?")[0] for call in responses.calls]
    assert urls == [ADD_URL, TOKEN_URL, ADD_URL]


@responses.activate
def test_an_expired_access_token_is_refreshed_before_the_call(db):
    authorization = authorize(make_user(), expires_in=dt.timedelta(minutes=-5))
    responses.post(TOKEN_URL, json=token_response("act.new", "rft.new"))
    responses.post(CHECK_URL, json=envelope(data=check_data("pending")))

    tiktok.PortabilityClient(authorization.pk).check(BIG_REQUEST_ID)

    assert [call.request.url.split("?")[0] for call in responses.calls] == [TOKEN_URL, CHECK_URL]
    assert responses.calls[1].request.headers["Authorization"] == "Bearer act.new"


@responses.activate
def test_a_refused_refresh_raises_refresh_token_invalid_and_releases_the_claim(authorization):
    responses.post(ADD_URL, status=401, json=envelope("access_token_invalid"))
    responses.post(
        TOKEN_URL, status=400, json=oauth_error("invalid_grant", "Refresh token is invalid.")
    )

    with pytest.raises(tiktok.PermanentTikTokError) as raised:
        tiktok.PortabilityClient(authorization.pk).add_data_request("json", ["all_data"])

    assert raised.value.code == "refresh_token_invalid"
    stored = TikTokAuthorization.objects.get(pk=authorization.pk)
    assert stored.access_token == "act.x"
    assert stored.refresh_claimed_until is None


@responses.activate
def test_token_endpoint_unreachable_during_refresh_is_transient(authorization):
    responses.post(TOKEN_URL, body=requests.ConnectionError("reset"))

    with pytest.raises(tiktok.TransientTikTokError):
        tiktok.refresh_access_token(authorization.pk, stale_access_token="act.x")

    assert TikTokAuthorization.objects.get(pk=authorization.pk).refresh_claimed_until is None


@pytest.mark.django_db(transaction=True)
@responses.activate
def test_ten_concurrent_refreshes_make_one_call_to_tiktok_and_all_get_the_new_token():
    authorization = authorize(make_user())
    lock = threading.Lock()
    calls: list[dict[str, str]] = []

    def rotate(request):
        with lock:
            calls.append({k: v[0] for k, v in parse_qs(request.body).items()})
            number = len(calls)
        time.sleep(0.3)  # the others arrive while this refresh is in flight
        body = token_response(f"act.rotated-{number}", f"rft.rotated-{number}")
        return 200, {}, json.dumps(body)

    responses.add_callback(responses.POST, TOKEN_URL, callback=rotate)
    start = threading.Barrier(10)
    results: list[str] = []
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            start.wait()
            token = tiktok.refresh_access_token(authorization.pk, stale_access_token="act.x")
            with lock:
                results.append(token)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(calls) == 1
    assert calls[0]["refresh_token"] == "rft.x"
    assert results == ["act.rotated-1"] * 10
    stored = TikTokAuthorization.objects.get(pk=authorization.pk)
    assert (stored.access_token, stored.refresh_token) == ("act.rotated-1", "rft.rotated-1")

"""POST /v2/user/data/download/: the zip of a ready request."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from django.test import Client

from tests.sandbox.conftest import (
    OTHER_PERSONA,
    PERSONA,
    Clock,
    assert_api_error,
    call_data,
    content_of,
    download,
    grant_tokens,
    new_request_id,
)
from tiktok_sandbox.archives import ArchiveSpec, archive_sha256_and_size
from tiktok_sandbox.models import PortabilityRequest
from tiktok_sandbox.personas import PERSONAS

DOCUMENTED_FAILURE = "Incorrect `request_id`. Please validate the request."

pytestmark = pytest.mark.usefixtures("ready_at_once")


def unzip(response: Any) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(content_of(response)))
    assert archive.testzip() is None
    return archive


def test_ready_request_downloads_as_a_zip_attachment(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    request_id = new_request_id(client, data_tokens["access_token"])

    response = download(client, data_tokens["access_token"], request_id)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="tiktok_data_{request_id}.zip"'
    )
    body = content_of(response)
    assert body.startswith(b"PK\x03\x04")
    assert int(response["Content-Length"]) == len(body)


def test_json_archive_holds_only_the_requested_sections(
    client: Client, data_tokens: dict[str, Any], settings: Any
) -> None:
    settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT = "gen_c"
    request_id = new_request_id(
        client, data_tokens["access_token"], categories=["video", "profile"]
    )

    archive = unzip(download(client, data_tokens["access_token"], request_id))

    assert archive.namelist() == ["user_data_tiktok.json"]
    document = json.loads(archive.read("user_data_tiktok.json"))
    assert list(document) == ["Post", "Profile And Settings"]
    profile = document["Profile And Settings"]["Profile Info"]["ProfileMap"]
    assert profile["userName"] == PERSONA.username
    assert profile["displayName"] == PERSONA.display_name
    assert profile["followerCount"] == PERSONA.follower_count


def test_all_data_archive_holds_the_ten_top_level_keys(
    client: Client, data_tokens: dict[str, Any], settings: Any
) -> None:
    settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT = "gen_c"
    request_id = new_request_id(client, data_tokens["access_token"], categories=["all_data"])

    archive = unzip(download(client, data_tokens["access_token"], request_id))

    assert list(json.loads(archive.read("user_data_tiktok.json"))) == [
        "Comment",
        "Direct Message",
        "Income+ Wallet",
        "Likes and Favorites",
        "Location Review",
        "Post",
        "Profile And Settings",
        "TikTok Live",
        "TikTok Shop",
        "Your Activity",
    ]


def test_text_archive_holds_txt_files_of_the_requested_categories(
    client: Client, data_tokens: dict[str, Any], settings: Any
) -> None:
    settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT = "gen_c"
    request_id = new_request_id(
        client, data_tokens["access_token"], categories=["activity"], data_format="text"
    )

    archive = unzip(download(client, data_tokens["access_token"], request_id))

    names = archive.namelist()
    assert {
        "TikTok/Your Activity/Watch History.txt",
        "TikTok/Likes and Favourites/Like List.txt",
        "TikTok/Your Activity/Searches.txt",
        "TikTok/Comments/Comments.txt",
    } <= set(names)
    assert all(name.startswith("TikTok/") and name.endswith(".txt") for name in names)
    assert "TikTok/Posts/Posts.txt" not in names
    assert "TikTok/Profile and Settings/Profile Info.txt" not in names
    watched = archive.read("TikTok/Your Activity/Watch History.txt").decode()
    assert watched.startswith("Date: ")
    assert "\n\nDate: " in watched


def test_an_empty_section_of_a_text_archive_says_so(client: Client, settings: Any) -> None:
    settings.TIKTOK_SANDBOX_ARCHIVE_LANGUAGE = "en"
    sanne = next(persona for persona in PERSONAS if persona.follower_count == 0)
    token = grant_tokens(client, persona=sanne.open_id)["access_token"]
    request_id = new_request_id(client, token, categories=["profile"], data_format="text")

    archive = unzip(download(client, token, request_id))

    follower = archive.read("TikTok/Profile and Settings/Follower.txt").decode()
    assert follower == "You have no data in this section\n"


def test_json_archive_comes_in_the_layout_of_the_persona(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    request_id = new_request_id(client, data_tokens["access_token"], categories=["activity"])

    archive = unzip(download(client, data_tokens["access_token"], request_id))

    assert PERSONA.archive_layout == "gen_b"
    document = json.loads(archive.read("user_data_tiktok.json"))
    assert list(document) == ["Ads and data", "Comment", "Your Activity"]
    assert document["Your Activity"]["Follower"]["FansList"]


def test_two_downloads_are_byte_identical_and_match_the_archive_helper(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)

    first = content_of(download(client, token, request_id))
    second = content_of(download(client, token, request_id))

    assert first == second
    stored = PortabilityRequest.objects.get(request_id=request_id)
    digest, size = archive_sha256_and_size(ArchiveSpec.for_request(stored))
    assert size == len(first)
    assert digest == hashlib.sha256(first).hexdigest()


def test_download_of_a_sized_archive_is_about_that_size(
    client: Client, data_tokens: dict[str, Any], settings: Any
) -> None:
    settings.TIKTOK_SANDBOX_ARCHIVE_SIZE = 2 * 2**20
    request_id = new_request_id(client, data_tokens["access_token"])

    body = content_of(download(client, data_tokens["access_token"], request_id))

    assert abs(len(body) - 2 * 2**20) < 0.01 * 2 * 2**20


@pytest.mark.parametrize("moment", ["pending", "expired", "cancelled"])
def test_a_request_that_is_not_ready_cannot_be_downloaded(
    client: Client, data_tokens: dict[str, Any], settings: Any, clock: Clock, moment: str
) -> None:
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 10.0
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)
    if moment == "expired":
        clock.advance(100)
    if moment == "cancelled":
        call_data(client, "cancel", token, {"request_id": request_id})

    response = download(client, token, request_id)

    assert response["Content-Type"] == "application/json"
    error = assert_api_error(response, "invalid_params", 400)
    assert error["http_status_code"] == 400
    assert moment in error["message"]


def test_unknown_request_gets_the_documented_failure_body(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    response = download(client, data_tokens["access_token"], 2**60 + 1)

    assert response.status_code == 400
    body = response.json()
    assert body == {
        "data": {},
        "error": {
            "code": "invalid_params",
            "http_status_code": 400,
            "log_id": body["error"]["log_id"],
            "message": DOCUMENTED_FAILURE,
        },
    }


def test_another_persons_request_cannot_be_downloaded(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    theirs = grant_tokens(client, persona=OTHER_PERSONA.open_id)
    request_id = new_request_id(client, theirs["access_token"])

    response = download(client, data_tokens["access_token"], request_id)

    assert assert_api_error(response, "invalid_params", 400)["message"] == DOCUMENTED_FAILURE


def test_download_with_a_bad_token_is_access_token_invalid(client: Client) -> None:
    error = assert_api_error(download(client, "act.nope", 2**60), "access_token_invalid", 401)

    assert error["http_status_code"] == 401

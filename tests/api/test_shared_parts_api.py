"""Reviewed shares offered to a service (exports.services.sharing), as the service sees them
through the task API: `shares/list` names what the token's owner offered to this token, and
each download URL answers the share's zip, for that token only and while it lasts."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exports import services
from exports.datasets import ExportReading, ReviewedShare
from exports.services import sharing
from tests.api.conftest import bearer
from tests.exports.factories import make_ready_export, make_user
from tests.exports.test_reading import json_archive

pytestmark = pytest.mark.django_db

SHARES = "/v2/data_portability/shares/list/"


@pytest.fixture(autouse=True)
def _isolated(archive_dirs, published, settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def person():
    return make_user("lucia")


@pytest.fixture
def read_export(person):
    export = make_ready_export(person, json_archive())
    ExportReading.objects.create(export=export, next_step_at=timezone.now())
    services.read_export(export.pk)
    return export


def listed(token: str) -> list[dict]:
    answer = Client().post(SHARES, "{}", content_type="application/json", headers=bearer(token))
    assert answer.status_code == 200, answer.content
    assert answer.json()["error"]["code"] == "ok"
    return answer.json()["data"]["shares"]


def offered_share(export, token_row) -> ReviewedShare:
    share = sharing.create_share(
        export,
        datasets=["watch_history"],
        since=None,
        until=None,
        file_format="csv",
        time_zone="UTC",
    )
    first_two = sharing.records_of_share(share, "watch_history").values_list("position", flat=True)[
        :2
    ]
    for position in first_two:
        sharing.set_struck(share, position, struck=True)
    sharing.offer(share, token_row)
    return share


def test_a_share_offered_to_a_token_is_listed_for_it_and_downloads_without_the_struck_rows(
    person, read_export
):
    row, token = services.create_api_token(person, "diary app", None)
    share = offered_share(read_export, row)

    (found,) = listed(token)
    assert found["share_id"] == str(share.pk)
    assert found["task_id"] == str(read_export.pk)
    assert found["datasets"] == ["watch_history"]
    assert found["rows_left_out"] == 2
    assert found["format"] == "csv"

    path = found["download_url"].removeprefix("http://testserver")
    answer = Client().get(path)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content))) as opened:
        assert opened.namelist() == ["watch_history.csv"]
        rows = list(csv.DictReader(io.StringIO(opened.read("watch_history.csv").decode())))
    assert len(rows) == 28 - 2  # the archive's 28 videos, two struck


def test_a_share_is_listed_only_for_the_token_it_was_offered_to(person, read_export):
    offered_row, _offered = services.create_api_token(person, "diary app", None)
    _other_row, other = services.create_api_token(person, "backup", None)
    _stranger_row, stranger = services.create_api_token(make_user("amara"), "hers", None)
    offered_share(read_export, offered_row)

    assert listed(other) == []
    assert listed(stranger) == []


def test_a_share_stops_downloading_once_its_token_is_revoked_or_it_is_withdrawn(
    person, read_export
):
    row, token = services.create_api_token(person, "diary app", None)
    share = offered_share(read_export, row)
    path = listed(token)[0]["download_url"].removeprefix("http://testserver")

    sharing.offer(share, None)
    assert listed(token) == []
    withdrawn = Client().get(path)
    assert withdrawn.status_code == 404
    assert withdrawn.json()["error"]["code"] == "download_not_found"

    sharing.offer(share, row)
    services.revoke_api_token(person, row.pk)
    assert Client().get(path).status_code == 404


def test_a_share_goes_with_the_records_of_its_archive(person, read_export):
    row, token = services.create_api_token(person, "diary app", None)
    offered_share(read_export, row)
    path = listed(token)[0]["download_url"].removeprefix("http://testserver")

    services.forget_records(read_export.pk)

    assert not ReviewedShare.objects.exists()
    assert listed(token) == []
    assert Client().get(path).status_code == 404


def test_the_share_list_refuses_a_call_without_a_token_in_the_seeds_shape():
    answer = Client().post(SHARES, "{}", content_type="application/json")
    assert answer.status_code == 401
    assert json.loads(answer.content)["error"]["code"] == "access_token_invalid"
    assert Client().get(SHARES).status_code == 405


def test_the_openapi_document_describes_the_share_list():
    served = b"".join(Client().get(reverse("api_openapi")).streaming_content).decode()
    assert "/v2/data_portability/shares/list/" in served
    assert "listSharedParts" in served

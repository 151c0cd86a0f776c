"""The task API from seed 000 (exports/openapi.yaml), for services the person authorizes with a
personal API token: its answers, its errors in the seed's shape, and who it lets in."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exports import services
from exports.models import ApiToken, ExportRequest, ExportState
from exports.services.api_tokens import digest_of
from tests.api.conftest import bearer
from tests.exports.factories import authorize, make_export, make_ready_export, make_user, make_zip
from tests.support.database import dump_database

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(archive_dirs, published, settings):
    """Storage of this test's own, no task published, links made for a fixed site."""
    settings.SITE_URL = "https://exports.example"


CREATE = "/v2/data_portability/task/create/"
STATUS = "/v2/data_portability/task/status/"


def post(path: str, body: object, token: str | None = None, **headers: str):
    if token is not None:
        headers |= bearer(token)
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return Client().post(path, raw, content_type="application/json", headers=headers)


def error_of(response) -> dict:
    payload = response.json()
    assert set(payload["error"]) >= {"code", "message", "log_id"}
    assert payload["error"]["log_id"]
    return payload["error"]


# Personal API tokens ------------------------------------------------------------------------


def test_a_token_made_on_its_page_is_shown_once_and_kept_only_as_a_digest(owner):
    client = Client()
    client.force_login(owner)

    made = client.post(
        reverse("api_tokens"), {"name": "my backup script", "valid_for": "90"}, follow=True
    )

    # Redirected to a page that shows it: reloading that page makes no second token.
    assert made.redirect_chain == [(reverse("api_tokens"), 302)]
    assert made.headers["Cache-Control"] == "no-store"
    token = made.context["created"]
    assert token.startswith("tte_")
    assert token in made.text
    row = ApiToken.objects.get()
    assert (row.name, row.digest) == ("my backup script", digest_of(token))
    assert row.expires_at == pytest.approx(
        timezone.now() + dt.timedelta(days=90), abs=dt.timedelta(seconds=60)
    )
    assert token not in dump_database()
    listed = client.get(reverse("api_tokens"))
    assert "my backup script" in listed.text
    assert token not in listed.text, "shown once only"
    assert ApiToken.objects.count() == 1
    assert row.prefix in listed.text


def test_a_token_without_a_name_is_refused_with_a_message(owner):
    client = Client()
    client.force_login(owner)

    refused = client.post(reverse("api_tokens"), {"name": " ", "valid_for": "30"})

    assert refused.status_code == 400
    assert "Give the token a name." in refused.text
    assert not ApiToken.objects.exists()


def test_a_revoked_token_opens_nothing_any_more(owner, api_token):
    client = Client()
    client.force_login(owner)
    assert post(STATUS, {"task_id": "x"}, api_token).status_code == 404

    client.post(reverse("revoke_api_token", args=[ApiToken.objects.get().pk]))

    refused = post(STATUS, {"task_id": "x"}, api_token)
    assert refused.status_code == 401
    assert error_of(refused)["code"] == "access_token_invalid"


def test_nobody_else_can_see_or_revoke_a_persons_token(owner, api_token):
    other = Client()
    other.force_login(make_user("bo"))
    token = ApiToken.objects.get()

    assert token.name not in other.get(reverse("api_tokens")).text
    assert other.post(reverse("revoke_api_token", args=[token.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_an_expired_token_is_refused(owner):
    _row, token = services.create_api_token(owner, "short", dt.timedelta(days=30))

    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        refused = post(STATUS, {"task_id": "x"}, token)

    assert refused.status_code == 401


def test_using_a_token_records_when_it_was_last_used(api_token):
    post(STATUS, {"task_id": "x"}, api_token)

    assert ApiToken.objects.get().last_used_at == pytest.approx(
        timezone.now(), abs=dt.timedelta(seconds=60)
    )


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer tte_not-a-real-token", "Bearer x"],
)
def test_without_a_genuine_token_every_call_is_401_in_the_seeds_shape(authorization):
    headers = {"Authorization": authorization} if authorization else {}

    for path in (CREATE, STATUS):
        refused = post(path, {"data_types": ["ACTIVITY"], "task_id": "x"}, **headers)
        assert refused.status_code == 401
        assert error_of(refused)["code"] == "access_token_invalid"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")


# task/create ---------------------------------------------------------------------------------


def test_creating_a_task_starts_an_export_through_the_dashboards_service(owner, api_token):
    created = post(CREATE, {"data_types": ["FAVORITES", "COMMENTS", "ACTIVITY"]}, api_token)

    assert created.status_code == 200
    payload = created.json()
    assert payload["error"]["code"] == "ok"
    export = ExportRequest.objects.get(pk=payload["data"]["task_id"])
    assert export.user == owner
    assert export.categories == ["activity"]
    assert export.scope == "portability.activity.ongoing"
    assert export.state == ExportState.REQUESTED


def test_data_types_become_the_smallest_set_of_tiktok_categories_covering_them(db, published):
    person = make_user("cy")
    authorize(person, ["user.info.basic", "portability.all.ongoing"])
    _row, token = services.create_api_token(person, "all", None)

    created = post(CREATE, {"data_types": ["FOLLOWERS", "COMMENTS", "VIDEOS"]}, token)

    export = ExportRequest.objects.get(pk=created.json()["data"]["task_id"])
    assert export.categories == ["activity", "profile", "video"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"data_types": []},
        {"data_types": "ACTIVITY"},
        {"data_types": ["WATCH_HISTORY"]},
        {"data_types": [1]},
        {"data_types": ["ACTIVITY"], "data_format": "csv"},
        [],
        "null",
        "{not json",
        b"\xff\xfe",
    ],
)
def test_a_malformed_create_is_400_invalid_params_and_makes_no_export(api_token, body):
    refused = post(CREATE, body, api_token)

    assert refused.status_code == 400
    assert error_of(refused)["code"] == "invalid_params"
    assert not ExportRequest.objects.exists()


def test_data_the_person_did_not_allow_is_400_scope_not_authorized(api_token):
    refused = post(CREATE, {"data_types": ["DIRECT_MESSAGES"]}, api_token)

    assert refused.status_code == 400
    assert error_of(refused)["code"] == "scope_not_authorized"
    assert not ExportRequest.objects.exists()


def test_a_second_task_while_one_is_under_way_is_409_naming_the_active_one(api_token):
    first = post(CREATE, {"data_types": ["ACTIVITY"]}, api_token).json()["data"]["task_id"]

    again = post(CREATE, {"data_types": ["COMMENTS"]}, api_token)

    assert again.status_code == 409
    assert error_of(again)["code"] == "task_already_active"
    assert again.json()["data"]["task_id"] == first
    assert ExportRequest.objects.count() == 1


def test_other_methods_are_405_in_json(api_token):
    answer = Client().get(CREATE, headers=bearer(api_token))

    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    assert error_of(answer)["code"] == "method_not_allowed"


def test_starting_tasks_too_often_is_429_with_retry_after(owner, api_token, settings):
    for _ in range(10):
        ExportRequest.objects.all().delete()
        assert post(CREATE, {"data_types": ["ACTIVITY"]}, api_token).status_code == 200

    refused = post(CREATE, {"data_types": ["ACTIVITY"]}, api_token)

    assert refused.status_code == 429
    assert error_of(refused)["code"] == "rate_limit_exceeded"
    assert int(refused.headers["Retry-After"]) > 0


# task/status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (ExportState.REQUESTED, "PROCESSING"),
        (ExportState.PROCESSING, "PROCESSING"),
        (ExportState.FETCHING, "PROCESSING"),
        (ExportState.EXPIRED, "EXPIRED"),
        (ExportState.DELETED, "EXPIRED"),
    ],
)
def test_the_status_of_an_export_under_way_or_gone(owner, api_token, state, status):
    export = make_export(owner, state, scope="portability.activity.ongoing")

    answer = post(STATUS, {"task_id": str(export.pk)}, api_token)

    assert answer.status_code == 200
    data = answer.json()["data"]
    assert (data["task_id"], data["status"]) == (str(export.pk), status)
    assert "download_urls" not in data


def test_a_cancelled_export_is_failed_with_a_code_that_says_so(owner, api_token):
    export = make_export(owner, ExportState.CANCELLED, scope="portability.activity.ongoing")

    data = post(STATUS, {"task_id": str(export.pk)}, api_token).json()["data"]

    assert data["status"] == "FAILED"
    assert data["failure"]["code"] == "task_cancelled"


def test_a_failed_export_says_why(owner, api_token):
    export = make_export(
        owner,
        ExportState.FAILED,
        scope="portability.activity.ongoing",
        failure_code="fetch_attempts",
        failure_reason="fetch_attempts: download_interrupted (for the operator)",
    )

    data = post(STATUS, {"task_id": str(export.pk)}, api_token).json()["data"]

    assert data["status"] == "FAILED"
    assert data["failure"] == {
        "code": "fetch_attempts",
        "message": "The archive could not be copied from TikTok. Please ask again.",
    }


def test_another_persons_task_is_404_like_one_that_does_not_exist(api_token):
    theirs = make_export(make_user("bo"), ExportState.PROCESSING)

    for task_id in (str(theirs.pk), "00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        answer = post(STATUS, {"task_id": task_id}, api_token)
        assert answer.status_code == 404
        assert error_of(answer)["code"] == "task_not_found"


@pytest.mark.parametrize("body", [{}, {"task_id": 5}, {"task_id": None}, [], "{"])
def test_a_malformed_status_call_is_400(api_token, body):
    answer = post(STATUS, body, api_token)

    assert answer.status_code == 400
    assert error_of(answer)["code"] == "invalid_params"


# Downloads ---------------------------------------------------------------------------------


def ready_export_and_urls(owner, api_token) -> tuple[ExportRequest, bytes, list[str]]:
    archive = make_zip(32 * 1024)
    export = make_ready_export(owner, archive, scope="portability.activity.ongoing")
    data = post(STATUS, {"task_id": str(export.pk)}, api_token).json()["data"]
    assert data["status"] == "READY"
    assert data["sha256"] == export.archive_sha256
    return export, archive, data["download_urls"]


def relative(url: str) -> str:
    return url.removeprefix("https://exports.example")


def test_a_ready_task_downloads_through_its_url_without_a_session(owner, api_token):
    _export, archive, urls = ready_export_and_urls(owner, api_token)

    (url,) = urls
    assert url.startswith("https://exports.example/v2/data_portability/download/")
    download = Client().get(relative(url))

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == archive
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_a_download_url_resumes_from_a_byte_offset(owner, api_token):
    _export, archive, (url,) = ready_export_and_urls(owner, api_token)

    part = Client().get(relative(url), headers={"Range": "bytes=1000-"})

    assert part.status_code == 206
    assert b"".join(part.streaming_content) == archive[1000:]


def test_a_download_url_stops_working_after_15_minutes(owner, api_token):
    _export, _archive, (url,) = ready_export_and_urls(owner, api_token)

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        late = Client().get(relative(url))

    assert late.status_code == 410
    assert error_of(late)["code"] == "download_url_expired"


def test_a_download_url_dies_with_its_token(owner, api_token):
    _export, _archive, (url,) = ready_export_and_urls(owner, api_token)

    services.revoke_api_token(owner, ApiToken.objects.get().pk)

    assert Client().get(relative(url)).status_code == 404


def test_an_altered_download_url_is_404(owner, api_token):
    _export, _archive, (url,) = ready_export_and_urls(owner, api_token)
    altered = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]

    answer = Client().get(relative(altered))

    assert answer.status_code == 404
    assert error_of(answer)["code"] == "download_not_found"


def test_a_deleted_archive_cannot_be_downloaded_through_an_old_url(owner, api_token):
    export, _archive, (url,) = ready_export_and_urls(owner, api_token)

    services.delete_export_archive(owner, export.pk)

    assert Client().get(relative(url)).status_code == 404


# The document ------------------------------------------------------------------------------


def test_the_openapi_document_is_served_and_describes_both_seed_operations(client):
    served = client.get(reverse("api_openapi"))

    assert served.status_code == 200
    text = b"".join(served.streaming_content).decode()
    assert "/v2/data_portability/task/create/" in text
    assert "/v2/data_portability/task/status/" in text


# The fine data types' extracts ---------------------------------------------------------------


def test_a_read_archive_gets_a_download_url_per_data_type_it_holds_data_of(owner, api_token):
    from tests.exports.test_reading import json_archive  # noqa: PLC0415

    export = make_ready_export(owner, json_archive(), scope="portability.all.ongoing")
    services.schedule_reading(export.pk)
    before = post(STATUS, {"task_id": str(export.pk)}, api_token).json()["data"]
    services.read_export(export.pk)
    data = post(STATUS, {"task_id": str(export.pk)}, api_token).json()["data"]

    assert before["reading"] == "pending"
    assert [d["data_type"] for d in before["downloads"]] == ["ARCHIVE"]
    assert data["reading"] == "done"
    kinds = [d["data_type"] for d in data["downloads"]]
    # The test archive holds activity, likes, following, the profile and messages; no comments.
    assert kinds == ["ARCHIVE", "ACTIVITY", "PROFILE", "FOLLOWING", "DIRECT_MESSAGES"]
    assert data["download_urls"] == [d["url"] for d in data["downloads"]]
    following = next(d["url"] for d in data["downloads"] if d["data_type"] == "FOLLOWING")
    answer = Client().get(relative(following))
    body = json.loads(b"".join(answer.streaming_content))

    assert answer["Content-Type"] == "application/json"
    assert body == {
        "data_type": "FOLLOWING",
        "datasets": {
            "following": [
                {
                    "occurred_at": "2023-01-01T00:00:00Z",
                    "raw_date": "2023-01-01 00:00:00",
                    "source": "Profile And Settings › Following › Following",
                    "username": "jonas.bakes",
                }
            ]
        },
    }
    activity = next(d["url"] for d in data["downloads"] if d["data_type"] == "ACTIVITY")
    datasets = json.loads(b"".join(Client().get(relative(activity)).streaming_content))
    assert sorted(datasets["datasets"]) == ["likes", "searches", "watch_history"]
    assert len(datasets["datasets"]["watch_history"]) == 28

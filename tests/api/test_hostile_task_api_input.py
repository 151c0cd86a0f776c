"""The task API under hostile or clumsy input: bodies nested deeper than any parser should go
are refused with a 400 in the seed's shape over real HTTP (never a server error), and a script's
malformed calls do not use up the export limit the person shares with their dashboard."""

from __future__ import annotations

import json

import pytest
import requests
from django.test import Client

from exports import ratelimit
from exports.models import ExportRequest, ExportState
from tests.api.conftest import bearer

CREATE = "/v2/data_portability/task/create/"
STATUS = "/v2/data_portability/task/status/"
DEEP = 3000


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_objects(depth: int, key: str = "a") -> str:
    return f'{{"{key}":' * depth + "{}" + "}" * depth


HOSTILE_BODIES = {
    "lists nested 3000 deep": nested_lists(DEEP),
    "objects nested 3000 deep": nested_objects(DEEP),  # 18 KB: also too large
    "objects nested 3000 deep, small enough to be read": nested_objects(DEEP, key=""),
    "lists 3000 deep inside a valid body": (
        f'{{"data_types": ["ACTIVITY"], "task_id": "x", "extra": {nested_lists(DEEP)}}}'
    ),
}


def assert_refused_in_the_seeds_shape(answer: requests.Response) -> None:
    assert answer.status_code == 400, answer.text[:300]
    assert answer.headers["Content-Type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == "invalid_params"
    assert error["message"]
    assert error["log_id"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", [CREATE, STATUS])
@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_body_nested_too_deeply_is_a_400_in_the_seeds_shape_over_http(
    site, api_token, path, body
):
    answer = requests.post(
        site + path,
        data=body.encode(),
        headers={**bearer(api_token), "Content-Type": "application/json"},
        timeout=10,
    )

    assert_refused_in_the_seeds_shape(answer)
    assert not ExportRequest.objects.exists()


@pytest.mark.parametrize("path", [CREATE, STATUS])
def test_no_depth_of_nesting_in_the_data_is_a_server_error(api_token, path):
    """Shallow, around the parser's own limit (about 1,500 levels in CPython 3.12, fewer inside
    a request) and past it: every depth is a 400 in the seed's shape, never a server error."""
    client = Client(raise_request_exception=False)
    answers = {}
    for depth in [*range(1, 50), *range(1000, 1601)]:
        deep = nested_lists(depth)
        body = f'{{"data_types": [{deep}], "task_id": {deep}}}'
        answer = client.post(path, body, content_type="application/json", headers=bearer(api_token))
        answers[depth] = (answer.status_code, answer.json()["error"]["code"])

    assert {depth: a for depth, a in answers.items() if a != (400, "invalid_params")} == {}


@pytest.mark.django_db(transaction=True)
def test_a_body_nested_a_little_is_still_read(site, api_token):
    answer = requests.post(
        site + CREATE,
        json={"data_types": ["ACTIVITY"], "extra": [[[[{"a": [1]}]]]]},
        headers=bearer(api_token),
        timeout=10,
    )

    assert answer.status_code == 200, answer.text
    assert ExportRequest.objects.filter(pk=answer.json()["data"]["task_id"]).exists()


# The export limit ----------------------------------------------------------------------------

MALFORMED_CREATES = [
    {},
    {"data_types": []},
    {"data_types": "ACTIVITY"},
    {"data_types": ["WATCH_HISTORY"]},
    {"data_types": [1]},
    {"data_types": ["ACTIVITY"], "data_format": "csv"},
    {"data_types": ["ACTIVITY"], "data_format": None},
]


def many_malformed_creates(token: str) -> list[tuple[int, str]]:
    """Twice as many malformed task/create calls as the export limit allows; their answers."""
    answers = []
    for n in range(2 * ratelimit.REQUEST_EXPORT.limit):
        body = MALFORMED_CREATES[n % len(MALFORMED_CREATES)]
        answer = Client().post(
            CREATE, json.dumps(body), content_type="application/json", headers=bearer(token)
        )
        answers.append((answer.status_code, answer.json()["error"]["code"]))
    return answers


def test_after_many_malformed_task_calls_the_person_can_still_ask_on_the_dashboard(
    owner, api_token, published
):
    refused = many_malformed_creates(api_token)
    dashboard = Client()
    dashboard.force_login(owner)

    asked = dashboard.post("/exports/", {"kinds": ["activity"], "data_format": "json"})

    assert set(refused) == {(400, "invalid_params")}
    assert asked.status_code == 302
    assert ExportRequest.objects.filter(user=owner, state=ExportState.REQUESTED).count() == 1


def test_after_many_malformed_task_calls_a_well_formed_one_still_starts_an_export(
    owner, api_token, published
):
    refused = many_malformed_creates(api_token)

    created = Client().post(
        CREATE,
        json.dumps({"data_types": ["ACTIVITY"]}),
        content_type="application/json",
        headers=bearer(api_token),
    )

    assert set(refused) == {(400, "invalid_params")}
    assert created.status_code == 200, created.content
    assert ExportRequest.objects.get(pk=created.json()["data"]["task_id"]).user == owner


def test_well_formed_task_calls_still_count_against_the_persons_export_limit(
    owner, api_token, published
):
    for _ in range(ratelimit.REQUEST_EXPORT.limit):
        ExportRequest.objects.update(state=ExportState.CANCELLED)
        started = Client().post(
            CREATE,
            json.dumps({"data_types": ["ACTIVITY"]}),
            content_type="application/json",
            headers=bearer(api_token),
        )
        assert started.status_code == 200
    ExportRequest.objects.update(state=ExportState.CANCELLED)
    dashboard = Client()
    dashboard.force_login(owner)

    refused = dashboard.post("/exports/", {"kinds": ["activity"], "data_format": "json"})

    assert refused.status_code == 429
    assert ExportRequest.objects.count() == ratelimit.REQUEST_EXPORT.limit

"""schemathesis against exports/openapi.yaml, over real HTTP: whatever it sends, valid or not,
the site never answers 5xx, and every answer (status, headers, body) is one the document
describes."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from exports import services
from exports.api import OPENAPI_DOCUMENT
from tests.api.conftest import bearer
from tests.exports.factories import authorize, make_user

schema = schemathesis.openapi.from_path(Path(OPENAPI_DOCUMENT))

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token_for_someone(live_server, settings) -> tuple[str, str]:
    """A signed-up person who allowed everything at TikTok, and an API token; the site's
    address. Everything, because schemathesis counts a 400 to a well-formed request as a
    defect, and a data type the person did not allow is refused with one (that refusal is
    tested in tests/api/test_task_api.py)."""
    settings.SITE_URL = live_server.url
    person = make_user("schema")
    authorize(person, ["user.info.basic", "portability.all.ongoing"])
    _row, token = services.create_api_token(person, "schemathesis", None)
    return live_server.url, token


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_conforms_to_the_document_and_none_is_a_server_error(case, token_for_someone):
    base_url, token = token_for_someone
    case.call_and_validate(base_url=base_url, headers=bearer(token), timeout=10)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_without_a_token_every_answer_still_conforms(case, token_for_someone):
    base_url, _token = token_for_someone
    case.call_and_validate(base_url=base_url, timeout=10)

"""Which portability scope a data request uses, and when a .single scope is used up."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.sandbox.conftest import (
    add_data_request,
    assert_api_error,
    call_data,
    grant_tokens,
    new_request_id,
    refresh,
)
from tiktok_sandbox.models import PortabilityRequest
from tiktok_sandbox.portability import choose_scope, effective_categories


def scope_used(request_id: int) -> str:
    return PortabilityRequest.objects.get(request_id=request_id).scope


@pytest.mark.parametrize(
    ("scope", "categories"),
    [
        ("portability.activity.single", ["activity"]),
        ("portability.postsandprofile.single", ["video"]),
        ("portability.postsandprofile.single", ["profile", "video"]),
        ("portability.directmessages.single", ["direct_message"]),
        ("portability.all.single", ["all_data"]),
        ("portability.all.single", ["activity", "video", "direct_message"]),
        ("portability.all.ongoing", ["profile"]),
    ],
)
def test_a_scope_allows_the_categories_it_covers(
    client: Client, scope: str, categories: list[str]
) -> None:
    tokens = grant_tokens(client, scope=f"user.info.basic,{scope}")

    request_id = new_request_id(client, tokens["access_token"], categories=categories)

    assert scope_used(request_id) == scope


@pytest.mark.parametrize(
    ("scope", "categories"),
    [
        ("portability.activity.single", ["video"]),
        ("portability.activity.ongoing", ["activity", "profile"]),
        ("portability.postsandprofile.single", ["all_data"]),
        ("portability.directmessages.ongoing", ["activity"]),
        ("user.info.profile", ["activity"]),
    ],
)
def test_a_category_no_granted_scope_covers_is_scope_not_authorized(
    client: Client, scope: str, categories: list[str]
) -> None:
    tokens = grant_tokens(client, scope=f"user.info.basic,{scope}")

    error = assert_api_error(
        add_data_request(client, tokens["access_token"], categories), "scope_not_authorized", 401
    )

    assert "did not authorize a scope" in error["message"]
    assert not PortabilityRequest.objects.exists()


def test_all_data_overrides_the_other_categories_and_needs_an_all_scope(client: Client) -> None:
    tokens = grant_tokens(client, scope="user.info.basic,portability.activity.ongoing")

    response = add_data_request(client, tokens["access_token"], ["activity", "all_data"])

    assert "portability.all" in assert_api_error(response, "scope_not_authorized", 401)["message"]


def test_a_single_scope_allows_one_request_only(client: Client) -> None:
    tokens = grant_tokens(client, scope="user.info.basic,portability.activity.single")
    new_request_id(client, tokens["access_token"], categories=["activity"])

    error = assert_api_error(
        add_data_request(client, tokens["access_token"], ["activity"]), "scope_not_authorized", 401
    )

    assert error["message"].startswith("portability.activity.single was already used for a request")
    assert PortabilityRequest.objects.count() == 1


def test_broadest_single_scope_is_used_and_the_narrower_one_stays_usable(client: Client) -> None:
    # tiktok-api.md §2.2: all.single and activity.single granted, ["activity", "video"] asked.
    tokens = grant_tokens(
        client, scope="user.info.basic,portability.all.single,portability.activity.single"
    )

    first = new_request_id(client, tokens["access_token"], categories=["activity", "video"])
    second = new_request_id(client, tokens["access_token"], categories=["activity"])

    assert scope_used(first) == "portability.all.single"
    assert scope_used(second) == "portability.activity.single"
    error = assert_api_error(
        add_data_request(client, tokens["access_token"], ["activity"]), "scope_not_authorized", 401
    )
    assert "portability.all.single and portability.activity.single were" in error["message"]


def test_activity_request_uses_the_broadest_single_scope_first(client: Client) -> None:
    tokens = grant_tokens(
        client, scope="user.info.basic,portability.activity.single,portability.all.single"
    )

    request_id = new_request_id(client, tokens["access_token"], categories=["activity"])

    assert scope_used(request_id) == "portability.all.single"


def test_ongoing_scope_allows_repeated_requests_and_is_preferred_to_a_single_one(
    client: Client,
) -> None:
    tokens = grant_tokens(
        client, scope="user.info.basic,portability.all.single,portability.activity.ongoing"
    )

    ids = [
        new_request_id(client, tokens["access_token"], categories=["activity"]) for _ in range(3)
    ]

    assert {scope_used(request_id) for request_id in ids} == {"portability.activity.ongoing"}
    all_data = new_request_id(client, tokens["access_token"], categories=["all_data"])
    assert scope_used(all_data) == "portability.all.single"


def test_used_single_scope_stays_used_after_a_token_refresh(client: Client) -> None:
    tokens = grant_tokens(client)
    new_request_id(client, tokens["access_token"])

    rotated = refresh(client, tokens["refresh_token"]).json()

    assert_api_error(add_data_request(client, rotated["access_token"]), "scope_not_authorized", 401)


def test_used_single_scope_stays_used_after_the_request_is_cancelled(client: Client) -> None:
    tokens = grant_tokens(client)
    request_id = new_request_id(client, tokens["access_token"])
    cancelled = call_data(client, "cancel", tokens["access_token"], {"request_id": request_id})
    assert cancelled.status_code == 200

    assert_api_error(add_data_request(client, tokens["access_token"]), "scope_not_authorized", 401)


def test_signing_in_again_grants_a_fresh_single_scope(client: Client) -> None:
    first = grant_tokens(client)
    new_request_id(client, first["access_token"])

    second = grant_tokens(client)

    assert add_data_request(client, second["access_token"]).status_code == 200


def test_choose_scope_prefers_ongoing_then_broadest_unused_single() -> None:
    granted = [
        "user.info.basic",
        "portability.activity.single",
        "portability.all.single",
        "portability.directmessages.ongoing",
    ]

    assert choose_scope(granted, effective_categories(["activity"]), set()) == (
        "portability.all.single"
    )
    assert choose_scope(
        granted, effective_categories(["activity"]), {"portability.all.single"}
    ) == ("portability.activity.single")
    assert choose_scope(granted, effective_categories(["direct_message"]), set()) == (
        "portability.directmessages.ongoing"
    )


def test_all_data_in_a_selection_stands_for_every_category() -> None:
    assert effective_categories(["video", "all_data"]) == frozenset({"all_data"})
    assert effective_categories(["video", "profile", "video"]) == frozenset({"video", "profile"})


def test_check_needs_some_portability_scope(client: Client, tokens: dict[str, Any]) -> None:
    response = call_data(
        client, "check", tokens["access_token"], {"request_id": 2**60}, query={"fields": "status"}
    )

    assert_api_error(response, "scope_not_authorized", 401)

"""The consent page: GET /v2/auth/authorize/ and the decision POSTed back to it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from tests.sandbox.conftest import (
    PERSONA,
    REDIRECT_URI,
    STATE,
    authorize_url,
    callback_params,
    decide,
    exchange,
    run_consent,
)
from tiktok_sandbox.personas import PERSONAS


def test_consent_page_lists_every_persona_and_requested_scope(client: Client) -> None:
    response = client.get(authorize_url(scope="user.info.basic,user.info.stats,video.list"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "TikTok sandbox" in page
    for persona in PERSONAS:
        assert f'value="{persona.open_id}"' in page
        assert persona.display_name in page
    for scope in ("user.info.basic", "user.info.stats", "video.list"):
        assert scope in page
    assert "user.info.profile" not in page


def test_consent_page_marks_basic_scope_required_and_others_optional_and_ticked(
    client: Client,
) -> None:
    page = client.get(authorize_url(scope="user.info.basic,video.list")).content.decode()

    basic = re.search(r'<input type="checkbox" id="scope-1"[^>]*>', page)
    assert basic is not None
    assert "checked" in basic.group()
    assert "disabled" in basic.group()
    assert 'name="scopes"' not in basic.group()
    assert "Required" in page
    optional = re.search(r'<input type="checkbox" name="scopes" id="scope-2"[^>]*>', page)
    assert optional is not None
    assert 'value="video.list"' in optional.group()
    assert "checked" in optional.group()
    assert "disabled" not in optional.group()


def test_consent_page_groups_personas_in_a_labelled_fieldset(client: Client) -> None:
    page = client.get(authorize_url()).content.decode()

    assert '<html lang="en">' in page
    assert "<legend>Continue as</legend>" in page
    for number in range(1, len(PERSONAS) + 1):
        assert f'<label for="persona-{number}">' in page


def test_consent_page_has_no_inline_script_or_style_so_the_csp_allows_it(
    client: Client,
) -> None:
    page = client.get(authorize_url()).content.decode()

    assert "<script" not in page
    assert "<style" not in page
    assert " style=" not in page
    assert "tiktok_sandbox/sandbox.css" in page


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"client_key": "someone-else"}, "client_key"),
        ({"client_key": None}, "client_key"),
        ({"redirect_uri": "https://evil.example/callback/"}, "redirect_uri"),
        ({"redirect_uri": REDIRECT_URI + "?next=/"}, "redirect_uri"),
        ({"redirect_uri": None}, "redirect_uri"),
    ],
)
def test_untrusted_client_or_redirect_uri_gets_an_error_page_and_no_redirect(
    client: Client, overrides: dict[str, str | None], problem: str
) -> None:
    response = client.get(authorize_url(**overrides))

    assert response.status_code == 400
    assert "Location" not in response
    assert problem in response.content.decode()


def test_tampered_redirect_uri_in_the_form_is_refused_without_redirect(client: Client) -> None:
    response = decide(client, redirect_uri="https://evil.example/callback/")

    assert response.status_code == 400
    assert "Location" not in response


def test_response_type_other_than_code_is_redirected_as_unsupported(client: Client) -> None:
    params = callback_params(client.get(authorize_url(response_type="token")))

    assert params["error"] == "unsupported_response_type"
    assert params["error_description"]
    assert params["state"] == STATE


def test_missing_state_is_redirected_as_invalid_request(client: Client) -> None:
    params = callback_params(client.get(authorize_url(state=None)))

    assert params["error"] == "invalid_request"
    assert "state" in params["error_description"]


@pytest.mark.parametrize("scope", ["user.info.basic,user.info.everything", "", " , "])
def test_unknown_or_missing_scope_is_redirected_as_invalid_scope(
    client: Client, scope: str
) -> None:
    params = callback_params(client.get(authorize_url(scope=scope)))

    assert params["error"] == "invalid_scope"
    assert params["state"] == STATE


def test_code_challenge_with_a_method_other_than_s256_is_an_invalid_request(
    client: Client,
) -> None:
    query = {"code_challenge": "a" * 43, "code_challenge_method": "plain"}
    params = callback_params(client.get(authorize_url(**query)))

    assert params["error"] == "invalid_request"
    assert params["state"] == STATE


def test_spaces_around_scopes_are_tolerated(client: Client) -> None:
    authorized = run_consent(client, scope=" user.info.basic , user.info.profile ")

    assert authorized.scopes == "user.info.basic,user.info.profile"


def test_authorize_redirects_with_code_granted_scopes_and_state(client: Client) -> None:
    params = callback_params(decide(client))

    assert params["code"]
    assert params["scopes"] == "user.info.basic,user.info.profile,user.info.stats"
    assert params["state"] == STATE


def test_unticked_scope_is_left_out_of_the_callback_and_the_token(client: Client) -> None:
    authorized = run_consent(client, ticked=["user.info.profile"])

    assert authorized.scopes == "user.info.basic,user.info.profile"
    assert exchange(client, authorized).json()["scope"] == "user.info.basic,user.info.profile"


def test_basic_scope_cannot_be_unticked(client: Client) -> None:
    authorized = run_consent(client, ticked=[])

    assert authorized.scopes == "user.info.basic"


def test_cancel_redirects_with_access_denied_description_and_state(client: Client) -> None:
    params = callback_params(decide(client, decision="cancel"))

    assert params == {
        "error": "access_denied",
        "error_description": "user cancelled the authorization",
        "state": STATE,
    }


def test_authorizing_without_a_known_persona_shows_the_form_again(client: Client) -> None:
    response = decide(client, persona="nobody")

    assert response.status_code == 400
    assert "Location" not in response
    assert 'id="persona-errors"' in response.content.decode()


def test_the_code_belongs_to_the_chosen_persona(client: Client) -> None:
    other = PERSONAS[2]
    authorized = run_consent(client, persona=other.open_id)

    assert exchange(client, authorized).json()["open_id"] == other.open_id != PERSONA.open_id


def test_decision_without_csrf_token_is_refused() -> None:
    browser = Client(enforce_csrf_checks=True)

    response = decide(browser)

    assert response.status_code == 403


def test_decision_with_the_pages_csrf_token_is_accepted() -> None:
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(authorize_url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None

    response = decide(browser, csrfmiddlewaretoken=token.group(1))

    assert callback_params(response)["code"]


def test_without_configured_uris_the_sites_own_callback_is_the_registered_one(
    client: Client, settings: Settings
) -> None:
    settings.TIKTOK_SANDBOX_REDIRECT_URIS = []
    own = settings.SITE_URL + reverse("tiktok_callback")

    assert client.get(authorize_url(redirect_uri=own)).status_code == 200
    assert client.get(authorize_url()).status_code == 400

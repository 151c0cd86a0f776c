"""Signing in with TikTok, end to end over real HTTP: the site (live server) and the built-in
sandbox as TikTok, with a browser that submits the pages' own forms."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import get_user_model

from exports.models import TikTokAuthorization
from tests.exports.conftest import CALLBACK_PATH, sign_in, start_sign_in
from tests.support.browser import Browser
from tiktok_sandbox.faults import inject_fault

pytestmark = pytest.mark.django_db(transaction=True)


def assert_nothing_stored() -> None:
    assert get_user_model().objects.count() == 0
    assert SocialAccount.objects.count() == 0
    assert TikTokAuthorization.objects.count() == 0
    assert SocialToken.objects.count() == 0


def test_person_signs_in_through_the_sandbox_and_sees_name_and_granted_scopes(browser, site):
    result = sign_in(browser, site, kinds=["activity", "directmessages"], frequency="ongoing")

    assert result.final.status_code == 200
    assert result.final.url == site + "/dashboard/"
    authorization = TikTokAuthorization.objects.get()
    account = SocialAccount.objects.get(provider="tiktok")
    assert authorization.user == account.user
    assert authorization.open_id == account.uid
    assert account.extra_data["display_name"]
    assert account.extra_data["display_name"] in result.final.text
    assert set(authorization.granted_scopes) == {
        "user.info.basic",
        "portability.activity.ongoing",
        "portability.directmessages.ongoing",
    }
    assert "Activity (ongoing)" in result.final.text
    assert "Direct messages (ongoing)" in result.final.text


def test_stored_tokens_are_the_ones_tiktok_issued_and_work(signed_in, site, browser):
    authorization = TikTokAuthorization.objects.get()
    answer = browser.session.get(
        site + "/tiktok-sandbox/v2/user/info/",
        params={"fields": "open_id,display_name"},
        headers={"Authorization": f"Bearer {authorization.access_token}"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json()["data"]["user"]["open_id"] == authorization.open_id
    assert authorization.refresh_token.startswith("rft.")
    assert authorization.access_token_expires_at < authorization.refresh_token_expires_at


def test_sign_in_sends_fresh_state_pkce_s256_and_the_registered_redirect_uri(site):
    first = sign_in(Browser(), site).authorize_params
    second = sign_in(Browser(), site).authorize_params

    for params in (first, second):
        assert len(params["state"]) >= 43  # at least 256 bits, url-safe base64
        assert params["code_challenge_method"] == "S256"
        assert len(params["code_challenge"]) == 43
        assert params["redirect_uri"] == site + CALLBACK_PATH
        assert params["response_type"] == "code"
        assert set(params["scope"].split(",")) == {"user.info.basic", "portability.activity.single"}
    assert first["state"] != second["state"]
    assert first["code_challenge"] != second["code_challenge"]


def test_choosing_everything_asks_only_for_the_all_scope(browser, site):
    params = sign_in(browser, site, kinds=["activity", "all"], frequency="single").authorize_params

    assert set(params["scope"].split(",")) == {"user.info.basic", "portability.all.single"}


def test_sign_in_form_without_a_choice_explains_what_is_missing(browser, site):
    home = browser.get(site + "/")
    answer = browser.submit(home, "Sign in with TikTok", data={"kinds": [], "frequency": ""})

    assert answer.status_code == 400
    assert "Choose at least one kind of data." in answer.text
    assert "Choose once or ongoing." in answer.text


def test_unknown_data_kind_is_refused_with_a_message(browser, site):
    home = browser.get(site + "/")
    answer = browser.submit(
        home, "Sign in with TikTok", data={"kinds": ["passwords"], "frequency": "single"}
    )

    assert answer.status_code == 400
    assert "passwords is not one of the available choices" in answer.text


@pytest.mark.parametrize("method", ["get", "post"])
def test_allauths_own_login_url_starts_no_sign_in(browser, site, method):
    answer = getattr(browser.session, method)(
        site + "/accounts/tiktok/login/?process=connect&scope=portability.all.ongoing",
        allow_redirects=False,
    )

    assert answer.status_code in {302, 403}
    assert "tiktok-sandbox" not in answer.headers.get("Location", "")


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/signup/",
        "/accounts/password/set/",
        "/accounts/password/reset/",
        "/accounts/3rdparty/",
    ],
)
def test_pages_for_local_passwords_and_more_accounts_do_not_exist(browser, site, path):
    assert browser.session.get(site + path, allow_redirects=False).status_code == 404


def test_signing_in_again_keeps_what_was_allowed_before(site):
    sign_in(Browser(), site, kinds=["all"], frequency="ongoing")
    first = TikTokAuthorization.objects.get()

    returning = Browser()
    home = returning.get(site + "/")
    to_tiktok = returning.submit(home, "Sign in again", follow=False)
    consent = returning.follow(to_tiktok)
    final = returning.submit(consent, "Authorize")

    assert final.url == site + "/dashboard/"
    kept = TikTokAuthorization.objects.get()
    assert kept.granted_scopes == first.granted_scopes
    assert kept.access_token == first.access_token
    assert "Everything (ongoing)" in final.text


def test_callback_without_state_is_refused_and_stores_nothing(browser, site):
    result = sign_in(browser, site)
    callback = urlsplit(result.callback.url)
    params = parse_qs(callback.query)
    browser.session.cookies.clear()
    TikTokAuthorization.objects.all().delete()
    get_user_model().objects.all().delete()

    answer = browser.get(f"{site}{CALLBACK_PATH}?code={params['code'][0]}")

    assert answer.status_code == 400
    assert "no longer valid" in answer.text
    assert_nothing_stored()


def test_callback_with_a_wrong_state_is_refused_and_stores_nothing(browser, site):
    to_tiktok = start_sign_in(browser, site)
    consent = browser.follow(to_tiktok)
    back = browser.submit(consent, "Authorize", follow=False)
    query = parse_qs(urlsplit(back.headers["Location"]).query)

    answer = browser.get(f"{site}{CALLBACK_PATH}?code={query['code'][0]}&state=forged-state-value")

    assert answer.status_code == 400
    assert "no longer valid" in answer.text
    assert_nothing_stored()


def test_replayed_callback_is_refused(signed_in, browser, site):
    answer = browser.get(signed_in.callback.url)

    assert answer.status_code == 400
    assert "no longer valid" in answer.text
    assert get_user_model().objects.count() == 1


def test_replayed_code_with_a_fresh_state_is_refused_and_stores_nothing(browser, site):
    first = sign_in(browser, site)
    used_code = parse_qs(urlsplit(first.callback.url).query)["code"][0]
    browser.session.cookies.clear()
    TikTokAuthorization.objects.all().delete()
    get_user_model().objects.all().delete()
    to_tiktok = start_sign_in(browser, site)
    fresh_state = parse_qs(urlsplit(to_tiktok.headers["Location"]).query)["state"][0]

    answer = browser.get(f"{site}{CALLBACK_PATH}?code={used_code}&state={fresh_state}")

    assert answer.status_code == 400
    assert "TikTok did not accept this sign-in" in answer.text
    assert_nothing_stored()


def test_cancelling_at_tiktok_says_so_and_stores_nothing(browser, site):
    result = sign_in(browser, site, decision="Cancel")

    assert result.final.status_code == 400
    assert "You cancelled the sign-in" in result.final.text
    assert_nothing_stored()


def test_error_from_tiktok_on_the_callback_is_explained_in_the_sites_words_and_stores_nothing(
    browser, site
):
    inject_fault(
        "authorize",
        error="server_error",
        http_status=400,
        description="The sandbox was asked to fail.",
    )
    result = sign_in(browser, site)

    assert result.final.status_code == 400
    assert "TikTok did not sign you in" in result.final.text
    assert "TikTok had a problem and could not sign you in." in result.final.text
    # TikTok's own description is English whatever the page's language: never shown.
    assert "The sandbox was asked to fail." not in result.final.text
    assert_nothing_stored()


def test_unticked_scope_is_recorded_as_not_granted(browser, site):
    result = sign_in(
        browser,
        site,
        kinds=["activity", "directmessages"],
        uncheck={"portability.directmessages.single"},
    )

    authorization = TikTokAuthorization.objects.get()
    assert set(authorization.granted_scopes) == {"user.info.basic", "portability.activity.single"}
    assert authorization.declined_scopes == ["portability.directmessages.single"]
    assert "you did not allow" in result.final.text
    assert "Direct messages (once)" in result.final.text


@pytest.mark.parametrize(
    ("error", "status", "page_status", "message"),
    [
        ("server_error", 500, 502, "TikTok had a problem"),
        ("temporarily_unavailable", 503, 502, "TikTok had a problem"),
        ("invalid_grant", 400, 400, "TikTok did not accept this sign-in"),
        ("invalid_client", 401, 400, "TikTok did not accept this sign-in"),
    ],
)
def test_token_endpoint_error_gets_a_clear_page_and_stores_nothing(  # noqa: PLR0917
    browser, site, error, status, page_status, message
):
    inject_fault("token", error=error, http_status=status, description="asked to fail")

    result = sign_in(browser, site)

    assert result.final.status_code == page_status
    assert message in result.final.text
    assert "Start again" in result.final.text
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("error", "status", "page_status", "message"),
    [
        ("internal_error", 500, 502, "TikTok had a problem"),
        ("rate_limit_exceeded", 429, 502, "TikTok had a problem"),
        ("scope_not_authorized", 401, 502, "We could not read your TikTok profile"),
        ("access_token_invalid", 401, 502, "We could not read your TikTok profile"),
    ],
)
def test_user_info_failure_gets_a_clear_page_and_stores_nothing(  # noqa: PLR0917
    browser, site, error, status, page_status, message
):
    inject_fault("user_info", error=error, http_status=status, description="asked to fail")

    result = sign_in(browser, site)

    assert result.final.status_code == page_status
    assert message in result.final.text
    assert_nothing_stored()


def test_unreachable_tiktok_gets_a_clear_page_and_stores_nothing(browser, site, settings):
    to_tiktok = start_sign_in(browser, site)
    result_consent = browser.follow(to_tiktok)
    # TikTok's API goes away between the consent and the code exchange.
    settings.TIKTOK_API_BASE_URL = "http://127.0.0.1:9"

    final = browser.submit(result_consent, "Authorize")

    assert final.status_code == 502
    assert "TikTok could not be reached" in final.text
    assert_nothing_stored()


def test_returning_person_grants_more_scopes_and_keeps_earlier_ones(browser, site):
    sign_in(browser, site, kinds=["activity"], frequency="single")
    user = get_user_model().objects.get()

    again = sign_in(
        browser,
        site,
        kinds=["directmessages"],
        frequency="ongoing",
        start_from="/dashboard/",
        button="Continue with TikTok",
    )

    assert set(again.authorize_params["scope"].split(",")) == {
        "user.info.basic",
        "portability.activity.single",
        "portability.directmessages.ongoing",
    }
    assert get_user_model().objects.get() == user
    assert set(TikTokAuthorization.objects.get(user=user).granted_scopes) == {
        "user.info.basic",
        "portability.activity.single",
        "portability.directmessages.ongoing",
    }


def test_dashboard_requires_sign_in(browser, site):
    answer = browser.session.get(site + "/dashboard/", allow_redirects=False)

    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/?next=") or "next=" in answer.headers["Location"]


def test_sign_out_ends_the_session(signed_in, browser, site):
    dashboard = browser.get(site + "/dashboard/")
    after = browser.submit(dashboard, "Sign out")

    assert after.url == site + "/"
    assert browser.session.get(site + "/dashboard/", allow_redirects=False).status_code == 302

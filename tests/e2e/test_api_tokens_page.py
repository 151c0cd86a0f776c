"""The API tokens page in Chromium on a phone: making a token, seeing it once, copying it,
revoking it; and the page without JavaScript."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from exports.models import ApiToken
from exports.services.api_tokens import digest_of
from tests.exports.factories import authorize, make_user

pytestmark = pytest.mark.django_db(transaction=True)

COPY_FAILED = "Copying did not work here; the token is selected, so you can copy it yourself."


def signed_in_as(context: BrowserContext, site: str, username: str) -> AbstractBaseUser:
    """A person with a TikTok grant, signed in in the browser context."""
    person = make_user(username)
    authorize(person, ["user.info.basic", "portability.activity.ongoing"])
    signed_in = Client()
    signed_in.force_login(person)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": signed_in.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
    return person


def make_a_token(page: Page, site: str) -> str:
    page.goto(site + "/account/api-tokens/")
    page.get_by_label("What is it for?").fill("my backup script")
    page.get_by_label("30 days").check()
    page.get_by_role("button", name="Make the token").click()
    return page.locator("#new-token-value").inner_text()


def test_a_person_makes_an_api_token_sees_it_once_and_revokes_it_on_a_phone(site, tour):
    visit = tour("tokens-phone", "phone", locale="en-IE", timezone_id="Europe/Dublin")
    person = signed_in_as(visit.context, site, "pia")
    visit.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page = visit.open_page()
    page.goto(site + "/dashboard/")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_text("You have no tokens.")).to_be_visible()
    visit.look(page, "empty")

    page.get_by_label("What is it for?").fill("my backup script")
    page.get_by_label("30 days").check()
    page.get_by_role("button", name="Make the token").click()

    token = page.locator("#new-token-value").inner_text()
    assert ApiToken.objects.get(user=person).digest == digest_of(token)
    visit.look(page, "made")
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token
    visit.look(page, "copied")
    page.reload()  # a GET after a redirect: no second token, and the first is not shown again
    expect(page.locator("#new-token-value")).to_have_count(0)
    expect(page.get_by_role("button", name="Copy", exact=True)).to_have_count(0)
    assert ApiToken.objects.filter(user=person).count() == 1
    expect(page.get_by_text("my backup script", exact=True)).to_be_visible()

    page.get_by_role("button", name="Revoke “my backup script”").click()

    expect(page.get_by_text("The token is revoked: it no longer works.")).to_be_visible()
    assert not ApiToken.objects.filter(user=person).exists()
    visit.look(page, "revoked")
    visit.assert_no_findings()


def test_where_the_clipboard_cannot_be_written_the_copy_button_selects_the_token(site, tour):
    visit = tour("tokens-no-clipboard", "desktop", locale="en-GB", timezone_id="Europe/London")
    signed_in_as(visit.context, site, "pia")
    # As in a browser without the Clipboard API (or a page it refuses it to).
    visit.context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})"
    )
    page = visit.open_page()
    token = make_a_token(page, site)

    page.get_by_role("button", name="Copy", exact=True).click()

    expect(page.get_by_role("status").filter(has_text=COPY_FAILED)).to_be_visible()
    assert page.evaluate("String(window.getSelection())").strip() == token
    visit.look(page, "selected")
    visit.assert_no_findings()


def test_without_javascript_the_token_shows_and_no_copy_button_does(site, chromium):
    context = chromium.browser.new_context(java_script_enabled=False)
    try:
        person = signed_in_as(context, site, "pia")
        page = context.new_page()

        token = make_a_token(page, site)

        assert ApiToken.objects.get(user=person).digest == digest_of(token)
        expect(page.locator("#new-token-value")).to_be_visible()
        expect(page.get_by_role("button", name="Copy", exact=True)).to_be_hidden()
    finally:
        context.close()

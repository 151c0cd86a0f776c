"""The API tokens page in Chromium on a phone: making a token, seeing it once, revoking it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from exports.models import ApiToken
from exports.services.api_tokens import digest_of
from tests.exports.factories import authorize, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_makes_an_api_token_sees_it_once_and_revokes_it_on_a_phone(site, tour):
    person = make_user("pia")
    authorize(person, ["user.info.basic", "portability.activity.ongoing"])
    signed_in = Client()
    signed_in.force_login(person)
    visit = tour("tokens-phone", "phone", locale="en-IE", timezone_id="Europe/Dublin")
    visit.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": signed_in.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
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
    page.reload()  # a GET after a redirect: no second token, and the first is not shown again
    expect(page.locator("#new-token-value")).to_have_count(0)
    assert ApiToken.objects.filter(user=person).count() == 1
    expect(page.get_by_text("my backup script", exact=True)).to_be_visible()

    page.get_by_role("button", name="Revoke “my backup script”").click()

    expect(page.get_by_text("The token is revoked: it no longer works.")).to_be_visible()
    assert not ApiToken.objects.filter(user=person).exists()
    visit.look(page, "revoked")
    visit.assert_no_findings()

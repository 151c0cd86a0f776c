"""An email confirmation link (accounts/confirm-email/<key>/, exports/email_confirmation.py)
changes nothing by being opened: allauth's own page signed out whoever was signed in when the
key was another account's, so anyone could sign a person out by sending them a link with a
key of their own. Only the owner's (or a signed-out visitor's) POST confirms."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.test import Client
from django.urls import reverse

from tests.exports.factories import authorize, make_user

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"


def signed_in_client(username: str) -> tuple[Client, object]:
    user = make_user(username)
    authorize(user)
    client = Client()
    client.force_login(user)
    assert client.get(DASHBOARD).status_code == 200
    return client, user


def unverified_address(user: object, email: str) -> EmailAddress:
    return EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)


def confirmation_url(address: EmailAddress) -> str:
    return reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])


@pytest.fixture
def attackers_address() -> EmailAddress:
    """An address the attacker added to an account of their own: its key is valid."""
    attacker = make_user("mallory")
    authorize(attacker)
    return unverified_address(attacker, "mallory@example.org")


def test_opening_another_accounts_confirmation_link_signs_nobody_out(attackers_address):
    victim, _ = signed_in_client("ana")

    page = victim.get(confirmation_url(attackers_address))

    assert victim.get(DASHBOARD).status_code == 200
    attackers_address.refresh_from_db()
    assert not attackers_address.verified
    assert page.status_code == 200
    assert "This link belongs to another account" in page.content.decode()


def test_posting_another_accounts_key_while_signed_in_confirms_nothing_and_signs_nobody_out(
    attackers_address,
):
    victim, _ = signed_in_client("ana")

    answer = victim.post(confirmation_url(attackers_address))

    assert victim.get(DASHBOARD).status_code == 200
    attackers_address.refresh_from_db()
    assert not attackers_address.verified
    assert answer.status_code == 403
    assert "Nothing was changed" in answer.content.decode()


@pytest.mark.parametrize("confirm_on_get", [False, True])
def test_opening_ones_own_link_shows_a_confirm_button_and_confirms_nothing(
    settings, confirm_on_get
):
    settings.ACCOUNT_CONFIRM_EMAIL_ON_GET = confirm_on_get
    owner, user = signed_in_client("ana")
    address = unverified_address(user, "ana@example.org")

    page = owner.get(confirmation_url(address))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'method="post"' in html
    assert "Confirm" in html
    address.refresh_from_db()
    assert not address.verified


def test_the_owner_posting_their_own_key_confirms_the_address_and_stays_signed_in():
    owner, user = signed_in_client("ana")
    address = unverified_address(user, "ana@example.org")

    answer = owner.post(confirmation_url(address))

    assert answer.status_code in {200, 302}
    address.refresh_from_db()
    assert address.verified
    assert owner.get(DASHBOARD).status_code == 200


def test_a_signed_out_visitor_opening_a_link_sees_the_button_and_the_post_confirms(
    attackers_address,
):
    visitor = Client()
    url = confirmation_url(attackers_address)

    page = visitor.get(url)
    attackers_address.refresh_from_db()
    assert not attackers_address.verified
    assert 'method="post"' in page.content.decode()

    visitor.post(url)
    attackers_address.refresh_from_db()
    assert attackers_address.verified


def test_the_other_account_page_offers_to_sign_out_and_come_back_to_the_link(attackers_address):
    victim, _ = signed_in_client("ana")
    url = confirmation_url(attackers_address)
    page = victim.get(url).content.decode()
    assert f'name="next" value="{url}"' in page
    assert "Sign out and open the link again" in page

    signed_out = victim.post(reverse("account_logout"), {"next": url})

    assert signed_out.status_code == 302
    assert signed_out["Location"] == url
    assert victim.get(DASHBOARD).status_code == 302


def test_an_unknown_key_shows_allauths_invalid_link_page_and_signs_nobody_out():
    victim, _ = signed_in_client("ana")

    page = victim.get(reverse("account_confirm_email", args=["not-a-key"]))

    assert page.status_code == 200
    assert "expired or is invalid" in page.content.decode()
    assert victim.get(DASHBOARD).status_code == 200

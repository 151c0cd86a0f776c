"""The pages, flash messages and emails about a person's email address are the site's own
(templates/account/, the AccountAdapter in exports/adapters.py): they name the site by
SITE_NAME and never by the host a request came in on, say nothing of passwords (the site has
none), lead back to the dashboard, and show one address as one address, with no choice of a
"primary" one. With several addresses the person chooses which one gets the emails. Both of
allauth's email pages are covered: email.html and, under ACCOUNT_CHANGE_EMAIL, email_change.html.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests.exports.factories import authorize, make_user

pytestmark = pytest.mark.django_db

# Not the name base.html has for the site: finding it means it came from settings.
SITE_NAME = "Packrat Exports"
SITE = "https://exports.example"
HOST = "testserver"  # the Host header of Django's test client
EMAIL_PAGE = "/accounts/email/"
DASHBOARD_LINK = 'href="/dashboard/"'
ALLAUTH_WORDING = [
    "Confirmation email sent",
    "You have confirmed",
    "Removed email address",
    "Primary email address set",
    "You cannot remove your primary",
    "Your primary email address must be verified",
]
LINK = re.compile(re.escape(SITE) + r"(/accounts/confirm-email/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_NAME = SITE_NAME
    settings.SITE_URL = SITE


@pytest.fixture(params=[False, True], ids=["adding", "change-email"])
def change_email(request, settings, monkeypatch) -> bool:
    """The page with ACCOUNT_CHANGE_EMAIL off and on: allauth's view picks its template from
    the setting when it is imported, so the test picks it too."""
    settings.ACCOUNT_CHANGE_EMAIL = request.param
    template = "account/email_change.html" if request.param else "account/email.html"
    monkeypatch.setattr(allauth_views.EmailView, "template_name", template)
    return request.param


@pytest.fixture
def person() -> AbstractBaseUser:
    user = make_user("ana")
    authorize(user)
    return user


@pytest.fixture
def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def address(user, email: str, *, verified: bool, primary: bool = False) -> EmailAddress:
    return EmailAddress.objects.create(user=user, email=email, verified=verified, primary=primary)


def main_of(response: HttpResponse) -> str:
    assert response.status_code == 200, response.status_code
    return re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)


def messages_of(response: HttpResponse) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def assert_in_the_sites_voice(page: str) -> None:
    assert "password" not in page.lower()
    assert HOST not in page
    assert DASHBOARD_LINK in page


def assert_no_primary_choice(page: str) -> None:
    assert 'type="radio"' not in page
    assert "action_primary" not in page
    assert "primary" not in page.lower()


# The email page ------------------------------------------------------------------------------


def test_without_an_address_the_page_names_the_site_and_offers_to_add_one(change_email, signed_in):
    page = main_of(signed_in.get(EMAIL_PAGE))

    assert_in_the_sites_voice(page)
    assert SITE_NAME in page
    assert "Add your email address" in page
    assert 'name="email"' in page
    assert '<button type="submit" name="action_add" class="button">Add email</button>' in page
    assert_no_primary_choice(page)


def test_one_unverified_address_is_shown_with_its_state_a_resend_and_a_remove(
    change_email, signed_in, person
):
    address(person, "ana@example.org", verified=False)

    page = main_of(signed_in.get(EMAIL_PAGE))

    assert_in_the_sites_voice(page)
    assert "ana@example.org" in page
    assert "Not verified yet" in page
    assert 'name="action_send"' in page
    assert 'name="action_remove"' in page
    assert "Use a different address" in page
    assert_no_primary_choice(page)


def test_one_verified_address_is_shown_as_the_one_we_email_with_no_choice_to_make(
    change_email, signed_in, person
):
    address(person, "ana@example.org", verified=True, primary=True)

    page = main_of(signed_in.get(EMAIL_PAGE))

    assert_in_the_sites_voice(page)
    assert "Verified" in page
    assert "We email you here when an export is ready." in page
    assert 'name="action_send"' not in page
    assert 'name="action_remove"' in page
    assert_no_primary_choice(page)
    expected_button = "Change address" if change_email else "Add email"
    assert f">{expected_button}</button>" in page


def test_with_two_verified_addresses_the_person_chooses_which_one_gets_the_emails(
    change_email, signed_in, person
):
    address(person, "ana@example.org", verified=True, primary=True)
    address(person, "work@example.org", verified=True)

    page = main_of(signed_in.get(EMAIL_PAGE))

    assert_in_the_sites_voice(page)
    assert "Which address gets our emails" in page
    assert '<input type="radio" name="email" value="ana@example.org" checked>' in page
    assert '<input type="radio" name="email" value="work@example.org">' in page
    assert 'name="action_primary"' in page

    chosen = signed_in.post(
        EMAIL_PAGE, {"email": "work@example.org", "action_primary": ""}, follow=True
    )

    assert EmailAddress.objects.get(email="work@example.org").primary
    assert messages_of(chosen) == ["We now send our emails to the address you chose."]


def test_an_unverified_second_address_is_not_offered_as_the_one_to_get_the_emails(
    settings, monkeypatch, signed_in, person
):
    # Several addresses exist only with ACCOUNT_CHANGE_EMAIL off (a deployment's choice).
    settings.ACCOUNT_CHANGE_EMAIL = False
    monkeypatch.setattr(allauth_views.EmailView, "template_name", "account/email.html")
    address(person, "ana@example.org", verified=True, primary=True)
    address(person, "new@example.org", verified=False)

    page = main_of(signed_in.get(EMAIL_PAGE))

    assert_in_the_sites_voice(page)
    assert "Your email addresses" in page
    assert 'type="radio"' not in page
    assert "An address that is not verified yet gets no emails" in page


def test_under_change_email_a_pending_change_shows_both_addresses_and_no_choice(
    settings, monkeypatch, signed_in, person
):
    settings.ACCOUNT_CHANGE_EMAIL = True
    monkeypatch.setattr(allauth_views.EmailView, "template_name", "account/email_change.html")
    address(person, "ana@example.org", verified=True, primary=True)
    address(person, "new@example.org", verified=False)

    page = main_of(signed_in.get(EMAIL_PAGE))

    assert_in_the_sites_voice(page)
    assert "Changing to a new address" in page
    assert "until then we keep emailing ana@example.org" in page
    assert "Cancel the change" in page
    assert_no_primary_choice(page)


# The other account pages a person of this site can reach ------------------------------------


def confirmation_page(client: Client, user) -> HttpResponse:
    pending = address(user, "ana@example.org", verified=False)
    return client.get(reverse("account_confirm_email", args=[EmailConfirmationHMAC(pending).key]))


def other_accounts_confirmation_page(client: Client, user) -> HttpResponse:
    pending = address(make_user("mallory"), "mallory@example.org", verified=False)
    return client.get(reverse("account_confirm_email", args=[EmailConfirmationHMAC(pending).key]))


def invalid_link_page(client: Client, user) -> HttpResponse:
    return client.get(reverse("account_confirm_email", args=["not-a-key"]))


def verification_sent_page(client: Client, user) -> HttpResponse:
    return client.get(reverse("account_email_verification_sent"))


def sign_out_page(client: Client, user) -> HttpResponse:
    return client.get(reverse("account_logout"))


PAGES: dict[str, Callable[[Client, AbstractBaseUser], HttpResponse]] = {
    "confirm": confirmation_page,
    "confirm-other-account": other_accounts_confirmation_page,
    "confirm-invalid-link": invalid_link_page,
    "verification-sent": verification_sent_page,
    "sign-out": sign_out_page,
}


@pytest.mark.parametrize("name", PAGES)
def test_no_account_page_mentions_passwords_or_the_host_and_each_leads_to_the_dashboard(
    signed_in, person, name
):
    page = main_of(PAGES[name](signed_in, person))

    assert_in_the_sites_voice(page)


def test_the_sign_out_page_names_the_site_and_signing_out_says_so_in_its_words(signed_in):
    page = main_of(signed_in.get(reverse("account_logout")))
    assert f"Sign out of {SITE_NAME}?" in page

    signed_out = signed_in.post(reverse("account_logout"), follow=True)

    assert messages_of(signed_out) == ["You are signed out."]


# The verification email and the flash messages ---------------------------------------------


def readable(message: EmailMessage) -> str:
    return f"{message.subject}\n{message.body}"


def assert_names_the_site_and_never_the_host(message: EmailMessage) -> None:
    assert SITE_NAME in message.subject
    assert SITE_NAME in message.body
    for forbidden in ("example.com", "127.0.0.1", HOST, "password"):
        assert forbidden not in readable(message).lower()


def test_adding_an_address_sends_the_sites_own_verification_email_and_message(
    change_email, signed_in, mailoutbox
):
    added = signed_in.post(EMAIL_PAGE, {"email": "ana@example.org", "action_add": ""}, follow=True)

    assert messages_of(added) == [
        "We sent a link to ana@example.org. Open it to verify the address."
    ]
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["ana@example.org"]
    assert email.subject == f"[{SITE_NAME}] Verify your email address"
    assert_names_the_site_and_never_the_host(email)
    assert "The link works for 3 days." in email.body
    assert len(LINK.findall(email.body)) == 1


def test_the_emailed_link_is_on_the_site_url_and_its_confirm_button_verifies_the_address(
    signed_in, person, mailoutbox
):
    signed_in.post(EMAIL_PAGE, {"email": "ana@example.org", "action_add": ""})
    path = LINK.search(mailoutbox[0].body)[1]

    page = main_of(signed_in.get(path))
    assert ">Confirm</button>" in page
    assert not EmailAddress.objects.get(email="ana@example.org").verified
    confirmed = signed_in.post(path, follow=True)

    assert EmailAddress.objects.get(email="ana@example.org").verified
    assert confirmed.redirect_chain[-1][0] == reverse("dashboard")
    assert messages_of(confirmed) == ["Your address ana@example.org is verified."]


def test_the_signup_variant_of_the_verification_email_is_the_sites_own_too():
    context = {
        "site_name": SITE_NAME,
        "email": "ana@example.org",
        "activate_url": SITE + "/accounts/confirm-email/key/",
        "confirmation_days": 3,
    }

    signup = get_adapter().render_mail(
        "account/email/email_confirmation_signup", "ana@example.org", context
    )
    plain = get_adapter().render_mail(
        "account/email/email_confirmation", "ana@example.org", context
    )

    assert (signup.subject, signup.body) == (plain.subject, plain.body)
    assert_names_the_site_and_never_the_host(signup)


def test_removing_an_address_says_so_in_the_sites_words(signed_in, person):
    address(person, "ana@example.org", verified=True, primary=True)
    address(person, "old@example.org", verified=False)

    removed = signed_in.post(
        EMAIL_PAGE, {"email": "old@example.org", "action_remove": ""}, follow=True
    )

    assert messages_of(removed) == ["We removed old@example.org."]
    assert not EmailAddress.objects.filter(email="old@example.org").exists()


def test_the_address_that_gets_the_emails_cannot_be_removed_while_there_are_others(
    signed_in, person
):
    address(person, "ana@example.org", verified=True, primary=True)
    address(person, "work@example.org", verified=True)

    refused = signed_in.post(
        EMAIL_PAGE, {"email": "ana@example.org", "action_remove": ""}, follow=True
    )

    assert messages_of(refused) == [
        "ana@example.org gets our emails. To remove it, first choose another address to get them."
    ]
    assert EmailAddress.objects.filter(email="ana@example.org").exists()


def test_no_flash_message_about_an_address_is_allauths_own(signed_in, person, mailoutbox):
    address(person, "ana@example.org", verified=True, primary=True)
    seen = []
    for data in (
        {"email": "work@example.org", "action_add": ""},
        {"email": "work@example.org", "action_primary": ""},  # not verified: refused
        {"email": "ana@example.org", "action_remove": ""},  # gets the emails: refused
        {"email": "work@example.org", "action_remove": ""},
    ):
        seen += messages_of(signed_in.post(EMAIL_PAGE, data, follow=True))

    assert len(seen) == 4
    assert not [text for text in seen for wording in ALLAUTH_WORDING if wording in text]


@pytest.mark.parametrize(
    "change",
    [
        ("action_remove", "An email address was removed", "work@example.org was removed"),
        ("action_primary", "Your email address was changed", "We now send our emails to"),
    ],
    ids=["removed", "changed"],
)
def test_with_notifications_on_the_change_emails_are_the_sites_own(
    settings, signed_in, person, mailoutbox, change
):
    action, subject, sentence = change
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    address(person, "ana@example.org", verified=True, primary=True)
    address(person, "work@example.org", verified=True)

    # Where the change came from: the person's address and browser, not the site's.
    signed_in.post(
        EMAIL_PAGE,
        {"email": "work@example.org", action: ""},
        REMOTE_ADDR="198.51.100.7",
        HTTP_USER_AGENT="Firefox/140.0",
    )

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["ana@example.org"]
    assert email.subject == f"[{SITE_NAME}] {subject}"
    assert sentence in email.body
    assert "198.51.100.7" in email.body
    assert "Firefox/140.0" in email.body
    assert_names_the_site_and_never_the_host(email)

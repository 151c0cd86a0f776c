"""The consent page and the sandbox pages a person meets around it: named by the app's registered
name, in the person's language as TikTok's own consent page is, while the answers sent back to
the app stay in TikTok's English."""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real
from pytest_django import Settings

from tests.sandbox.conftest import CLIENT_KEY, authorize_url, callback_params, decide
from tiktok_sandbox.personas import PERSONAS

APP_NAME = "Clip Keeper"
# Around every message that went through gettext, under the pseudo language below.
OPEN, CLOSE = "⟦", "⟧"
PSEUDO_LANGUAGE = "de"
# Words that are no one's to translate: the brand in the top bar.
BRAND = {"TikTok"}
# Elements whose text is technical (client keys, scopes, URIs, API field names), never translated.
TECHNICAL = {"code", "script", "style"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class PseudoTranslation(gettext.NullTranslations):
    """A catalog that "translates" every message by bracketing it, so that a page rendered with
    it shows which of its text went through gettext and which did not."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self._language = language

    def gettext(self, message: str) -> str:
        return f"{OPEN}{message}{CLOSE}"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)

    def language(self) -> str:
        return self._language

    def to_language(self) -> str:
        return self._language


@pytest.fixture
def pseudo_language(client: Client) -> Iterator[str]:
    """The test client's requests ask for PSEUDO_LANGUAGE, which renders with PseudoTranslation;
    returns the language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = PSEUDO_LANGUAGE
    before = trans_real._translations.get(PSEUDO_LANGUAGE)
    trans_real._translations[PSEUDO_LANGUAGE] = PseudoTranslation(PSEUDO_LANGUAGE)
    yield PSEUDO_LANGUAGE
    if before is None:
        trans_real._translations.pop(PSEUDO_LANGUAGE, None)
    else:
        trans_real._translations[PSEUDO_LANGUAGE] = before
    # LocaleMiddleware leaves the request's language active on this thread.
    translation.deactivate()


class _VisibleText(HTMLParser):
    """Text a person reads (and alt, title, aria-label, placeholder), outside TECHNICAL
    elements and elements marked translate="no"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._stack: list[tuple[str, bool]] = []

    def _skipping(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        skip = self._skipping() or tag in TECHNICAL or attributes.get("translate") == "no"
        if not skip:
            for name in ("alt", "title", "aria-label", "placeholder"):
                self.texts.append(attributes.get(name) or "")
        if tag not in VOID:
            self._stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.texts.append(data)


def untranslated_words(page: str, data: set[str] = frozenset()) -> list[str]:
    """The words of ``page`` a person reads that went through no gettext: what is left once the
    bracketed messages, the ``data`` values (names, usernames) and the brand are taken out."""
    parser = _VisibleText()
    parser.feed(page)
    text = " ".join(parser.texts)
    # Innermost first: a message may carry a translated value (a scope description, say).
    while (shorter := re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", text)) != text:
        text = shorter
    for value in sorted(data | BRAND, key=len, reverse=True):
        text = text.replace(value, " ")
    return re.findall(r"[^\W\d_]+", text)


def persona_data() -> set[str]:
    """What the personas say of themselves: shown as TikTok's users wrote it, in any language."""
    values: set[str] = set()
    for persona in PERSONAS:
        values |= {persona.display_name, persona.username, persona.region}
        values.add(persona.bio_description)
    return values


def h1_of(response: HttpResponse) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.DOTALL)
    assert found is not None
    return found.group(1)


def title_of(response: HttpResponse) -> str:
    found = re.search(r"<title>(.*?)</title>", response.content.decode(), re.DOTALL)
    assert found is not None
    return found.group(1)


# The app's name ---------------------------------------------------------------------------------


def test_consent_page_heading_and_title_name_the_configured_app_not_its_client_key(
    client: Client, settings: Settings
) -> None:
    settings.TIKTOK_SANDBOX_APP_NAME = APP_NAME

    response = client.get(authorize_url())

    assert response.status_code == 200
    assert APP_NAME in h1_of(response)
    assert CLIENT_KEY not in h1_of(response)
    assert APP_NAME in title_of(response)
    assert CLIENT_KEY not in title_of(response)
    assert f"<legend>{APP_NAME} would like to:</legend>" in response.content.decode()


def test_consent_page_shows_the_client_key_only_as_a_technical_detail(
    client: Client, settings: Settings
) -> None:
    settings.TIKTOK_SANDBOX_APP_NAME = APP_NAME

    page = client.get(authorize_url()).content.decode()

    assert page.count(CLIENT_KEY) == 2  # the hidden form field and the fine print
    assert f"Client key: <code>{CLIENT_KEY}</code>" in page


def test_consent_page_escapes_the_app_name(client: Client, settings: Settings) -> None:
    settings.TIKTOK_SANDBOX_APP_NAME = "<b>Tom & Jerry</b>"

    page = client.get(authorize_url()).content.decode()

    assert "<b>Tom" not in page
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in page


def test_index_names_the_registered_app(client: Client, settings: Settings) -> None:
    settings.TIKTOK_SANDBOX_APP_NAME = APP_NAME

    page = client.get(reverse("tiktok_sandbox:index")).content.decode()

    assert f"<dd>{APP_NAME}</dd>" in page


def test_english_consent_page_keeps_the_authorize_heading_and_buttons(client: Client) -> None:
    page = client.get(authorize_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert re.search(r"<h1[^>]*>Authorize .* to access your TikTok account</h1>", page)
    assert 'value="authorize" class="button primary">Authorize</button>' in page
    assert 'value="cancel" class="button secondary">Cancel</button>' in page


# The page's language ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "it", "nl", "pl"])
@pytest.mark.parametrize("page", ["consent", "refused request", "index"])
def test_html_lang_follows_the_browsers_language(client: Client, page: str, language: str) -> None:
    url = {
        "consent": authorize_url(),
        "refused request": authorize_url(client_key="someone-else"),
        "index": reverse("tiktok_sandbox:index"),
    }[page]

    response = client.get(url, HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")

    assert f'<html lang="{language}">' in response.content.decode()


def test_html_lang_follows_the_language_chosen_on_the_site(
    client: Client, settings: Settings
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"

    page = client.get(authorize_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert '<html lang="pl">' in page


def test_an_unsupported_language_gets_the_english_page(client: Client) -> None:
    page = client.get(authorize_url(), HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert '<html lang="en">' in page


# Every string through gettext -------------------------------------------------------------------


def test_the_check_finds_a_string_left_out_of_gettext() -> None:
    page = f"<title>{OPEN}About{CLOSE}</title><p>{OPEN}Personas{CLOSE} Left out <code>x</code></p>"

    assert untranslated_words(page) == ["Left", "out"]
    assert untranslated_words('<img alt="A cat" src="c.svg">') == ["A", "cat"]
    assert untranslated_words('<p translate="no">open_id</p><code>user.info.basic</code>') == []


def test_every_string_of_the_consent_page_goes_through_gettext(
    client: Client, pseudo_language: str
) -> None:
    scope = "user.info.basic,user.info.profile,portability.all.single"

    response = client.get(authorize_url(scope=scope))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{pseudo_language}">' in page
    assert f"{OPEN}Get a one-time copy of all your TikTok data{CLOSE}" in page
    assert untranslated_words(page, persona_data()) == []


def test_every_string_of_the_consent_page_with_a_form_error_goes_through_gettext(
    client: Client, pseudo_language: str
) -> None:
    response = decide(client, persona="")

    assert response.status_code == 400
    page = response.content.decode()
    assert f"{OPEN}Choose the account to continue as.{CLOSE}" in page
    assert untranslated_words(page, persona_data()) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_key": "someone-else"},
        {"client_key": None},
        {"redirect_uri": "https://evil.example/callback/"},
        {"redirect_uri": None},
    ],
)
def test_every_string_of_the_refused_request_page_goes_through_gettext(
    client: Client, pseudo_language: str, overrides: dict[str, str | None]
) -> None:
    response = client.get(authorize_url(**overrides))

    assert response.status_code == 400
    page = response.content.decode()
    problem = re.search(r'<p class="error-message" role="alert">(.*?)</p>', page, re.DOTALL)
    assert problem is not None
    assert problem.group(1).startswith(OPEN)
    # The refused redirect_uri is quoted into the problem: data, like the personas.
    assert untranslated_words(page, {"https://evil.example/callback/"}) == []


def test_every_string_of_the_index_goes_through_gettext(
    client: Client, pseudo_language: str, settings: Settings
) -> None:
    settings.TIKTOK_SANDBOX_APP_NAME = APP_NAME
    settings.TIKTOK_SANDBOX_ARCHIVE_SIZE = 2048

    response = client.get(reverse("tiktok_sandbox:index"))

    page = response.content.decode()
    assert f"{OPEN}about 2048 bytes{CLOSE}" in page
    assert f"{OPEN}Refresh token{CLOSE}" in page
    assert untranslated_words(page, persona_data() | {APP_NAME}) == []


# What goes back to the app stays in TikTok's English ---------------------------------------------


def test_a_cancelled_consent_is_described_to_the_app_in_english(
    client: Client, pseudo_language: str
) -> None:
    params = callback_params(decide(client, decision="cancel"))

    assert params["error"] == "access_denied"
    assert params["error_description"] == "user cancelled the authorization"


def test_a_refused_request_is_described_to_the_app_in_english(
    client: Client, pseudo_language: str
) -> None:
    response = client.get(authorize_url(state=None))

    assert callback_params(response)["error_description"] == "state is missed in request."

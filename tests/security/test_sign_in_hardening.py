"""Sign-in hardening beyond the flow itself (checklist T8): the state is unguessable and new
every time, the scope is exactly what the person chose, and PKCE stops a code that was issued
for another authorization request, over real HTTP against the sandbox."""

from __future__ import annotations

import base64
import binascii
import itertools
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import get_user_model
from django.test import Client

from exports.models import TikTokAuthorization
from tests.exports.conftest import CALLBACK_PATH, start_sign_in
from tests.support.browser import Browser
from tiktok_sandbox import pkce
from tiktok_sandbox.models import AuthorizationCode

KINDS = ("activity", "postsandprofile", "directmessages", "all")
FREQUENCIES = ("single", "ongoing")
# Sign-ins started to sample the state: under the sign-in rate limit (20 per address).
SAMPLES = 16


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def start_in_process(client: Client, data: dict[str, object]) -> dict[str, list[str]]:
    """Submits the choice of data: the parameters of the site's redirect to TikTok."""
    answer = client.post("/sign-in/tiktok/", data)
    assert answer.status_code == 302, answer.content
    return query_of(answer["Location"])


def decoded_state(state: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(state + "=" * (-len(state) % 4))
    except (binascii.Error, ValueError):
        pytest.fail(f"the state {state!r} is not url-safe base64")


def varying_bits(samples: list[bytes]) -> int:
    """How many bit positions differ between at least two of the samples: a lower bound on
    the randomness they carry (a constant prefix, a counter or a clock varies in few)."""
    width = min(len(sample) for sample in samples) * 8
    numbers = [int.from_bytes(sample, "big") >> (len(sample) * 8 - width) for sample in samples]
    differing = 0
    for other in numbers[1:]:
        differing |= other ^ numbers[0]
    return differing.bit_count()


def assert_nothing_stored() -> None:
    assert get_user_model().objects.count() == 0
    assert SocialAccount.objects.count() == 0
    assert TikTokAuthorization.objects.count() == 0
    assert SocialToken.objects.count() == 0


# State --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_sign_in_gets_a_new_state_carrying_at_least_128_random_bits():
    states = [
        start_in_process(Client(), {"kinds": ["activity"], "frequency": "single"})["state"]
        for _ in range(SAMPLES)
    ]

    assert all(len(values) == 1 for values in states)
    samples = [decoded_state(values[0]) for values in states]
    assert len({values[0] for values in states}) == SAMPLES
    assert min(len(sample) for sample in samples) >= 16
    # 16 random samples leave a given bit constant with probability 2**-15: a state of n
    # random bits shows close to n varying positions, one of fewer than 128 cannot show 128.
    assert varying_bits(samples) >= 128


@pytest.mark.django_db
def test_two_sign_ins_started_in_one_browser_get_different_states_and_challenges():
    client = Client()

    first = start_in_process(client, {"kinds": ["activity"], "frequency": "single"})
    second = start_in_process(client, {"kinds": ["activity"], "frequency": "single"})

    assert first["state"] != second["state"]
    assert first["code_challenge"] != second["code_challenge"]


# Scope --------------------------------------------------------------------------------------


def _choices() -> list[tuple[tuple[str, ...], str]]:
    subsets = [
        combination
        for size in range(1, len(KINDS) + 1)
        for combination in itertools.combinations(KINDS, size)
    ]
    return [(kinds, frequency) for kinds in subsets for frequency in FREQUENCIES]


def _choice_id(value: object) -> str:
    return "+".join(value) if isinstance(value, tuple) else str(value)


@pytest.mark.django_db
@pytest.mark.parametrize(("kinds", "frequency"), _choices(), ids=_choice_id)
def test_the_scope_is_exactly_basic_info_and_the_chosen_portability_scopes(kinds, frequency):
    params = start_in_process(Client(), {"kinds": list(kinds), "frequency": frequency})

    assert len(params["scope"]) == 1
    asked = params["scope"][0].split(",")
    chosen = {"all"} if "all" in kinds else set(kinds)
    assert len(asked) == len(set(asked))
    assert set(asked) == {"user.info.basic"} | {f"portability.{k}.{frequency}" for k in chosen}


@pytest.mark.django_db
def test_scope_fields_slipped_into_the_form_do_not_widen_what_is_asked():
    params = start_in_process(
        Client(),
        {
            "kinds": ["activity"],
            "frequency": "single",
            "scope": "portability.all.ongoing",
            "scopes": "portability.directmessages.ongoing",
            "process": "connect",
        },
    )

    assert len(params["scope"]) == 1
    assert set(params["scope"][0].split(",")) == {"user.info.basic", "portability.activity.single"}


# PKCE ---------------------------------------------------------------------------------------

pkce_over_http = pytest.mark.django_db(transaction=True)


def code_from(redirect) -> str:
    """The authorization code in the sandbox's redirect back to the site."""
    return query_of(redirect.headers["Location"])["code"][0]


def callback_url(site: str, code: str, state: str) -> str:
    return f"{site}{CALLBACK_PATH}?{urlencode({'code': code, 'state': state})}"


@pkce_over_http
def test_a_code_issued_to_someone_else_is_refused_by_pkce_and_stores_nothing(site):
    """Code injection (RFC 9700 §4.5): an attacker's own authorization code, pasted into the
    victim's callback with the victim's valid state, fails at TikTok because the victim's
    verifier does not match the attacker's challenge."""
    attacker = Browser()
    consent = attacker.follow(start_sign_in(attacker, site))
    attackers_redirect = attacker.submit(consent, "Authorize", follow=False)
    victim = Browser()
    victims_state = query_of(start_sign_in(victim, site).headers["Location"])["state"][0]

    answer = victim.get(callback_url(site, code_from(attackers_redirect), victims_state))

    assert answer.status_code == 400
    assert "TikTok did not accept this sign-in" in answer.text
    assert "Nothing was stored" in answer.text
    assert_nothing_stored()
    # The code itself was good: unused at TikTok, and its rightful browser can still use it.
    assert AuthorizationCode.objects.get().used_at is None
    finished = attacker.follow(attackers_redirect)
    assert finished.url == site + "/dashboard/"
    assert get_user_model().objects.count() == 1


@pkce_over_http
def test_a_challenge_altered_on_the_way_to_tiktok_fails_the_code_exchange_and_stores_nothing(site):
    browser = Browser()
    to_tiktok = start_sign_in(browser, site)
    location = urlsplit(to_tiktok.headers["Location"])
    params = {name: values[0] for name, values in parse_qs(location.query).items()}
    other_challenge, _ = pkce.challenges_for("a-different-verifier-" + "x" * 40)
    assert other_challenge != params["code_challenge"]
    params["code_challenge"] = other_challenge
    consent = browser.get(location._replace(query=urlencode(params)).geturl())
    assert consent.status_code == 200

    final = browser.submit(consent, "Authorize")

    assert final.status_code == 400
    assert "TikTok did not accept this sign-in" in final.text
    assert_nothing_stored()

"""What a person chooses before TikTok's consent page is what they get: the exports of it start
when TikTok sends them back, with no second form. Over real HTTP: the site (live server) and the
built-in sandbox as TikTok, with a browser that submits the pages' own forms."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from exports import services
from exports.models import ExportRequest, ExportState, TikTokAuthorization
from exports.tiktok import NotEligibleError, PermanentTikTokError
from exports.tiktok.errors import eligibility_refusal
from tests.exports.conftest import sign_in
from tests.exports.factories import authorize, make_export, make_user
from tests.support.browser import Browser
from tiktok_sandbox.personas import PERSONAS

pytestmark = pytest.mark.django_db(transaction=True)

OUTSIDE_THE_EEA_AND_UK = next(p for p in PERSONAS if not p.in_eea_or_uk)


def exports_by_scope() -> dict[str, list[str]]:
    return {export.scope: export.categories for export in ExportRequest.objects.all()}


def test_the_kind_chosen_on_the_landing_page_starts_its_export_when_tiktok_sends_the_person_back(
    browser, site
):
    result = sign_in(browser, site, kinds=["activity"], frequency="single", export_now=True)

    export = ExportRequest.objects.get()
    assert result.final.url == site + "/dashboard/"
    assert (export.state, export.scope, export.categories, export.origin) == (
        ExportState.REQUESTED,
        "portability.activity.single",
        ["activity"],
        "site",
    )
    assert "We asked TikTok for your data: Activity." in result.final.text
    assert 'name="kinds"' not in result.final.text.split('id="permissions"')[0]


def test_kinds_needing_separate_once_only_permissions_start_as_exports_together(browser, site):
    sign_in(browser, site, kinds=["activity", "directmessages"], export_now=True)

    assert exports_by_scope() == {
        "portability.activity.single": ["activity"],
        "portability.directmessages.single": ["direct_message"],
    }


def test_posts_and_profile_on_the_landing_page_is_the_export_of_posts_and_profile(browser, site):
    result = sign_in(browser, site, kinds=["postsandprofile"], frequency="ongoing", export_now=True)

    assert exports_by_scope() == {"portability.postsandprofile.ongoing": ["profile", "video"]}
    assert "We asked TikTok for your data: Posts &amp; profile." in result.final.text


def test_what_tiktok_did_not_grant_is_named_and_the_rest_starts(browser, site):
    result = sign_in(
        browser,
        site,
        kinds=["activity", "directmessages"],
        uncheck={"portability.directmessages.single"},
        export_now=True,
    )

    assert exports_by_scope() == {"portability.activity.single": ["activity"]}
    assert "TikTok did not give this site permission to export Direct messages" in result.final.text


def test_signing_in_again_starts_no_export(browser, site):
    sign_in(browser, site, kinds=["activity"], export_now=True)
    ExportRequest.objects.all().delete()

    again = sign_in(Browser(), site, button="Sign in again")

    assert again.final.url == site + "/dashboard/"
    assert not ExportRequest.objects.exists()


def test_the_allow_more_form_on_the_dashboard_only_allows(browser, site):
    sign_in(browser, site, kinds=["activity"], frequency="ongoing", export_now=True)
    ExportRequest.objects.all().delete()

    sign_in(
        browser,
        site,
        kinds=["directmessages"],
        frequency="ongoing",
        start_from="/dashboard/",
        button="Continue with TikTok",
    )

    assert list(ExportRequest.objects.values_list("categories", "scope")) == []
    assert set(TikTokAuthorization.objects.get().granted_portability_scopes) == {
        "portability.activity.ongoing",
        "portability.directmessages.ongoing",
    }


def test_a_person_outside_the_eea_and_uk_is_told_so_and_offered_no_retry(browser, site):
    sign_in(browser, site, kinds=["all"], persona=OUTSIDE_THE_EEA_AND_UK.open_id, export_now=True)
    export = ExportRequest.objects.get()

    services.submit_export(export.pk)  # what the worker does next, against the sandbox

    export.refresh_from_db()
    authorization = TikTokAuthorization.objects.get()
    assert (export.state, export.failure_code) == (ExportState.FAILED, "not_eligible")
    assert authorization.is_not_eligible
    client = Client(headers={"Host": "localhost"})
    client.force_login(authorization.user)
    assert client.get(reverse("dashboard"))["Location"] == reverse("not_eligible")
    assert client.get(reverse("new_export"))["Location"] == reverse("not_eligible")
    poll = client.get(reverse("dashboard_exports"), headers={"HX-Request": "true"})
    assert poll.headers["HX-Redirect"] == reverse("not_eligible")
    refused = client.post(reverse("request_export"), {"kinds": ["all"], "data_format": "json"})
    assert refused["Location"] == reverse("not_eligible")
    assert ExportRequest.objects.count() == 1
    page = client.get(reverse("not_eligible"))
    assert "Download your data" in page.text
    assert reverse("new_export") not in page.text
    assert "/sign-in/tiktok/" not in page.text


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "it", "nl", "pl"])
def test_the_eligibility_page_is_in_every_language_of_the_site(language, site):
    person = make_user("tyler")
    authorization = authorize(person, ["user.info.basic", "portability.all.single"])
    TikTokAuthorization.objects.filter(pk=authorization.pk).update(not_eligible_at=timezone.now())
    make_export(person, ExportState.FAILED, next_step_at=None, failure_code="not_eligible")
    client = Client(headers={"Accept-Language": language, "Host": "localhost"})
    client.force_login(person)

    page = client.get(reverse("not_eligible"))

    english = [
        "TikTok does not offer this to your account",
        "What you can do instead",
        "Open Settings and privacy, then Account, then Download your data.",
        "TikTok refused to prepare an export for this site, because your account is outside "
        "the EEA and the UK.",
    ]
    with translation.override(language):
        expected = [translation.gettext(text) for text in english]
    assert f'<html lang="{language}">' in page.text
    for text in expected:
        assert text in page.text
    if language != "en":
        assert not set(english) & set(expected), f"untranslated into {language}"


@pytest.mark.parametrize(
    "message",
    [
        "Data portability is only available to users in the EEA and the UK.",
        "This feature is not supported in your region.",
        "The user's country is not eligible.",
    ],
)
def test_a_refusal_that_speaks_of_where_the_person_lives_is_told_apart(message):
    refusal = eligibility_refusal(PermanentTikTokError("invalid_params", message))

    assert isinstance(refusal, NotEligibleError)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("invalid_params", "Incorrect `request_id`. Please validate the request."),
        ("scope_not_authorized", "The user did not authorize the scope required."),
        ("invalid_params", "data_format must be json or text"),
    ],
)
def test_other_refusals_stay_what_they_are(code, message):
    error = PermanentTikTokError(code, message)

    assert eligibility_refusal(error) is error

"""What people see: pages that follow an export by themselves (htmx polling a fragment), in the
person's language and time zone, and emails the worker writes in the ones they asked in."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from exports import services
from exports.middleware import TIME_ZONE_COOKIE
from exports.models import ExportState
from tests.exports import factories
from tests.exports.factories import (
    authorize,
    make_export,
    make_owner_with_verified_email,
    make_ready_export,
    make_user,
    make_zip,
)

archive_dirs = factories.archive_dirs
published = factories.published

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(archive_dirs, published, settings):
    settings.SITE_URL = "https://exports.example"


@pytest.fixture
def owner():
    return make_owner_with_verified_email()


@pytest.fixture
def client_of(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def polls(html: str, url: str) -> bool:
    """Whether the page asks htmx to fetch `url` again and again."""
    return re.search(rf'hx-get="{re.escape(url)}"\s+hx-trigger="every \d+s"', html) is not None


# Following an export live -----------------------------------------------------------------


@pytest.mark.parametrize("state", [ExportState.REQUESTED, ExportState.PROCESSING])
def test_the_export_page_polls_its_status_while_the_export_is_under_way(owner, client_of, state):
    export = make_export(owner, state)

    page = client_of.get(reverse("export_detail", args=[export.pk]))

    assert polls(page.text, reverse("export_status", args=[export.pk]))
    assert 'http-equiv="refresh"' not in page.text


def test_the_status_fragment_of_a_copy_shows_its_progress_and_the_time_left(owner, client_of):
    started = timezone.now() - dt.timedelta(seconds=10)
    export = make_export(
        owner,
        ExportState.FETCHING,
        bytes_received=25 * 2**20,
        bytes_total=100 * 2**20,
        fetch_started_at=started,
    )

    fragment = client_of.get(reverse("export_status", args=[export.pk]))

    assert fragment.status_code == 200
    assert "<html" not in fragment.text, "a fragment, not a whole page"
    assert f'max="{100 * 2**20}" value="{25 * 2**20}"' in fragment.text
    # 25 MiB in 10 s leaves 75 MiB, about 30 s: under a minute.
    assert "Less than a minute left." in fragment.text
    assert polls(fragment.text, reverse("export_status", args=[export.pk]))


def test_a_slow_copy_estimates_minutes_from_its_speed_so_far(owner):
    export = make_export(
        owner,
        ExportState.FETCHING,
        bytes_received=10 * 2**20,
        bytes_total=110 * 2**20,
        fetch_started_at=timezone.now() - dt.timedelta(seconds=60),
    )

    left = export.copy_seconds_left()

    assert left is not None
    assert 590 <= left <= 610  # 100 MiB more at 10 MiB a minute


def test_a_copy_that_has_only_just_started_gives_no_estimate_rather_than_a_wild_one(owner):
    export = make_export(
        owner,
        ExportState.FETCHING,
        bytes_received=2**20,
        bytes_total=2**30,
        fetch_started_at=timezone.now(),
    )

    assert export.copy_seconds_left() is None


def test_the_fragment_of_an_export_that_ended_stops_the_polling(owner, client_of):
    export = make_ready_export(owner, make_zip())

    fragment = client_of.get(reverse("export_status", args=[export.pk]))

    assert "hx-trigger" not in fragment.text
    assert reverse("download_export", args=[export.pk]) in fragment.text


def test_the_dashboard_list_polls_only_while_an_export_is_under_way(owner, client_of):
    list_url = reverse("dashboard_exports")
    make_ready_export(owner, make_zip())
    assert not polls(client_of.get(reverse("dashboard")).text, list_url)

    make_export(
        owner,
        ExportState.PROCESSING,
        scope="portability.activity.ongoing",
        tiktok_request_id=factories.BIG_REQUEST_ID + 1,
    )
    dashboard = client_of.get(reverse("dashboard")).text
    assert polls(dashboard, list_url)
    assert polls(client_of.get(list_url).text, list_url)
    # The fragment updates; the page itself never reloads (WCAG 2.2.1 forbids timed refreshes).
    assert 'http-equiv="refresh"' not in dashboard


def test_htmx_comes_from_the_site_itself_and_no_page_loads_anything_from_elsewhere(client_of):
    page = client_of.get(reverse("dashboard")).text

    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert any("htmx" in source for source in sources)
    assert all(source.startswith("/") for source in sources), sources


# Languages ---------------------------------------------------------------------------------


def test_choosing_a_language_in_the_footer_serves_the_site_in_it(client_of):
    dashboard = client_of.get(reverse("dashboard"))
    assert 'id="language-picker"' in dashboard.text

    chosen = client_of.post(
        reverse("set_language"), {"language": "de", "next": reverse("dashboard")}, follow=True
    )

    assert chosen.redirect_chain[-1][0] == reverse("dashboard")
    assert '<html lang="de">' in chosen.text
    assert "Deine Exporte" in chosen.text or "Ihre Exporte" in chosen.text


@pytest.mark.parametrize("language", ["de", "fr", "es", "it", "nl", "pl"])
def test_every_offered_language_translates_the_home_page(language):
    page = Client(headers={"accept-language": language}).get(reverse("home"))

    assert f'<html lang="{language}">' in page.text
    with translation.override(language):
        heading = translation.gettext("What may this site export?")
    assert heading != "What may this site export?", f"no {language} translation"
    assert heading in page.text


def test_a_browser_asking_for_an_unoffered_language_gets_english():
    page = Client(headers={"accept-language": "ja"}).get(reverse("home"))

    assert '<html lang="en">' in page.text


# Time zones ---------------------------------------------------------------------------------


def test_dates_are_shown_in_the_time_zone_the_browser_reported(owner, client_of):
    asked = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    export = make_ready_export(owner, make_zip(), created_at=asked)

    # As static/js/site.js writes it: percent-encoded.
    client_of.cookies[TIME_ZONE_COOKIE] = "Europe%2FWarsaw"
    in_warsaw = client_of.get(reverse("export_detail", args=[export.pk])).text
    client_of.cookies[TIME_ZONE_COOKIE] = "Europe/Lisbon"
    in_lisbon = client_of.get(reverse("export_detail", args=[export.pk])).text

    assert "1 July 2026, 14:00" in in_warsaw  # CEST, UTC+2
    assert "1 July 2026, 13:00" in in_lisbon  # WEST, UTC+1


def test_a_time_zone_cookie_that_names_no_zone_is_ignored(owner, client_of):
    export = make_ready_export(
        owner, make_zip(), created_at=dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    )
    client_of.cookies[TIME_ZONE_COOKIE] = "../../etc/passwd"

    page = client_of.get(reverse("export_detail", args=[export.pk]))

    assert page.status_code == 200
    assert "1 July 2026, 12:00" in page.text  # the site's default, UTC


# The worker writes in the person's language ----------------------------------------------


def test_an_export_keeps_the_language_and_time_zone_it_was_asked_in(owner):
    with translation.override("fr"), timezone.override("Europe/Paris"):
        export = services.request_export(owner, ["activity"], "json")

    assert (export.language, export.time_zone) == ("fr", "Europe/Paris")


def test_the_ready_email_is_written_in_the_language_and_time_zone_the_export_was_asked_in(
    owner, mailoutbox
):
    export = make_ready_export(owner, make_zip(), language="de", time_zone="Europe/Berlin")

    services.notify_export_outcome(export.pk)

    (email,) = mailoutbox
    with translation.override("de"):
        subject = translation.gettext("Your TikTok export is ready")
    assert subject != "Your TikTok export is ready"
    assert email.subject == subject
    assert "(Europe/Berlin)" in email.body


def test_an_email_about_an_export_without_a_language_is_in_english_and_utc(owner, mailoutbox):
    export = make_ready_export(owner, make_zip())

    services.notify_export_outcome(export.pk)

    (email,) = mailoutbox
    assert email.subject == "Your TikTok export is ready"
    assert "(UTC)" in email.body


def test_a_failure_the_worker_records_is_shown_in_the_readers_language(owner, settings):
    person = make_user("ola")
    authorize(person, ["user.info.basic", "portability.activity.ongoing"])
    export = make_export(
        person,
        ExportState.PROCESSING,
        scope="portability.activity.ongoing",
        language="pl",
        created_at=timezone.now() - dt.timedelta(days=8),
    )

    services.check_export(export.pk)

    export.refresh_from_db()
    english = "TikTok did not prepare the export within a week. Please ask again."
    with translation.override("pl"):
        polish = translation.gettext(english)
        shown = export.failure_message
    assert export.state == ExportState.FAILED
    assert export.failure_code == "not_prepared"
    assert shown == polish != english


def test_a_poll_after_the_session_ended_sends_the_whole_page_to_sign_in(owner):
    export = make_export(owner, ExportState.PROCESSING)
    page_url = reverse("export_detail", args=[export.pk])

    poll = Client().get(
        reverse("export_status", args=[export.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page_url}"},
    )

    assert poll.status_code == 200
    assert poll.headers["HX-Redirect"] == f"{reverse('home')}?next={page_url}"
    assert "<section" not in poll.text


# Pages for what went wrong ------------------------------------------------------------------


def test_an_unknown_address_gets_a_page_that_says_where_to_go(client_of):
    page = client_of.get("/no-such-page/")

    assert page.status_code == 404
    assert "There is nothing here" in page.text
    assert reverse("dashboard") in page.text


def test_a_form_sent_without_its_csrf_token_gets_a_page_that_says_to_reload(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    refused = client.post(reverse("request_export"), {"categories": ["activity"]})

    assert refused.status_code == 403
    assert "That form had expired" in refused.text
    assert "Nothing was changed." in refused.text


def test_english_dates_are_written_day_first_as_in_the_uk_and_ireland(owner, client_of):
    export = make_ready_export(
        owner, make_zip(), created_at=dt.datetime(2026, 3, 4, 17, 5, tzinfo=dt.UTC)
    )

    page = client_of.get(reverse("export_detail", args=[export.pk]))
    dashboard = client_of.get(reverse("dashboard"))

    assert "4 March 2026, 17:05" in page.text
    assert "4 March 2026, 17:05 · Asked on this site" in dashboard.text

"""Asking for exports and cancelling one: what a person may ask for, once at a time, and
how a choice that needs several TikTok permissions becomes several exports."""

from __future__ import annotations

import re
import threading
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.urls import reverse

from exports import services, taskqueue
from exports.models import ExportRequest, ExportState
from tests.exports import factories
from tests.exports.factories import authorize, make_export, make_user

published = factories.published

ACTIVITY_ONCE = ["user.info.basic", "portability.activity.single"]


@pytest.fixture(autouse=True)
def _no_broker(published):
    """Nothing published here reaches a broker."""


def offered(page_text: str) -> dict[str, bool]:
    """The kinds the new-export form offers, each with whether it is allowed already (else the
    form says TikTok will ask first)."""
    boxes = re.findall(
        r'<input type="checkbox" name="kinds" value="([^"]+)"[^>]*>(.*?)</label>', page_text, re.S
    )
    return {kind: "choice-note" not in rest for kind, rest in boxes}


def signed_in(client, scopes: list[str], username: str = "ana"):
    person = make_user(username)
    authorize(person, scopes)
    client.force_login(person)
    return person


def ask(client, kinds: list[str], data_format: str = "json", **more: str):
    return client.post(
        reverse("request_export"), {"kinds": kinds, "data_format": data_format, **more}
    )


# What the form offers ------------------------------------------------------------------------


def test_the_new_export_form_marks_the_kinds_the_grant_allows_and_offers_the_rest_through_tiktok(
    client, db
):
    signed_in(
        client,
        ["user.info.basic", "portability.activity.single", "portability.postsandprofile.ongoing"],
    )

    page = client.get(reverse("new_export"))

    assert page.status_code == 200
    assert offered(page.text) == {
        "activity": True,
        "postsandprofile": True,
        "directmessages": False,
        "all": False,
    }
    assert "TikTok will ask you to allow it first." in page.text


def test_everything_granted_allows_every_kind(client, db):
    signed_in(client, ["user.info.basic", "portability.all.single"])

    page = client.get(reverse("new_export"))

    assert set(offered(page.text).values()) == {True}


def test_a_used_up_once_only_scope_is_offered_again_through_tiktok(client, db):
    person = signed_in(client, ACTIVITY_ONCE)
    make_export(
        person,
        ExportState.READY,
        categories=["activity"],
        scope="portability.activity.single",
        next_step_at=None,
    )

    page = client.get(reverse("new_export"))

    assert offered(page.text)["activity"] is False
    assert services.requestable_kinds(person) == []


def test_the_dashboard_marks_a_used_once_only_permission_as_used(client, db):
    person = signed_in(
        client, ["user.info.basic", "portability.activity.single", "portability.all.ongoing"]
    )
    make_export(
        person,
        ExportState.READY,
        categories=["activity"],
        scope="portability.activity.single",
        next_step_at=None,
    )

    page = client.get(reverse("dashboard"))

    permissions = page.text[page.text.index('id="permissions"') :]
    assert re.search(
        r"Activity \(once\)\s*<span class=\"state state-used\">used</span>", permissions
    )
    assert re.search(r"Everything \(ongoing\)</li>", permissions)


# Asking --------------------------------------------------------------------------------------


def test_asking_for_a_granted_kind_creates_the_export_and_publishes_its_submit(
    client, db, published, django_capture_on_commit_callbacks
):
    person = signed_in(client, ACTIVITY_ONCE)

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, ["activity"])

    export = ExportRequest.objects.get(user=person)
    assert response.status_code == 302
    assert response["Location"] == reverse("export_detail", args=[export.pk])
    assert (export.state, export.scope, export.categories, export.origin) == (
        ExportState.REQUESTED,
        "portability.activity.single",
        ["activity"],
        "site",
    )
    assert [p.task for p in published.of(export.pk)] == [taskqueue.SUBMIT]


def test_posts_and_profile_asks_tiktok_for_both_of_its_categories(client, db):
    person = signed_in(client, ["user.info.basic", "portability.postsandprofile.single"])

    ask(client, ["postsandprofile"])

    export = ExportRequest.objects.get(user=person)
    assert export.categories == ["profile", "video"]
    assert export.describe_categories() == "Posts & profile"


def test_an_unknown_kind_is_refused_with_400_and_a_message(client, db):
    signed_in(client, ACTIVITY_ONCE)

    response = ask(client, ["watch_history"])

    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not ExportRequest.objects.exists()


def test_a_kind_beyond_the_grant_sends_the_person_to_tiktok_carrying_the_whole_choice(client, db):
    signed_in(client, ACTIVITY_ONCE)

    response = ask(client, ["activity", "directmessages"], frequency="ongoing")

    assert response.status_code == 302
    assert "/tiktok-sandbox/" in response["Location"] or "authorize" in response["Location"]
    scope = parse_qs(urlsplit(response["Location"]).query)["scope"][0].split(",")
    assert "portability.directmessages.ongoing" in scope
    assert "portability.activity.single" in scope  # what was allowed stays allowed
    assert not ExportRequest.objects.exists()  # it starts when TikTok sends the person back


def test_kinds_allowed_by_two_separate_permissions_start_two_exports_together(
    client, db, published, django_capture_on_commit_callbacks
):
    person = signed_in(
        client,
        ["user.info.basic", "portability.activity.ongoing", "portability.postsandprofile.ongoing"],
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, ["activity", "postsandprofile"])
    page = client.get(response["Location"])

    exports = {e.scope: e.categories for e in ExportRequest.objects.filter(user=person)}
    assert response["Location"] == reverse("dashboard")
    assert exports == {
        "portability.activity.ongoing": ["activity"],
        "portability.postsandprofile.ongoing": ["profile", "video"],
    }
    assert page.text.count("We asked TikTok for your data") == 2
    assert len(published) == 2


def test_one_permission_covering_every_chosen_kind_makes_one_export(client, db):
    person = signed_in(client, ["user.info.basic", "portability.all.single"])

    ask(client, ["activity", "directmessages"])

    export = ExportRequest.objects.get(user=person)
    assert (export.scope, export.categories) == (
        "portability.all.single",
        ["activity", "direct_message"],
    )


def test_an_unknown_format_is_refused_with_400(client, db):
    signed_in(client, ACTIVITY_ONCE)

    response = ask(client, ["activity"], data_format="csv")

    assert response.status_code == 400
    assert not ExportRequest.objects.exists()


def test_a_used_up_once_only_scope_is_asked_for_again_at_tiktok(client, db):
    person = signed_in(client, ACTIVITY_ONCE)
    make_export(
        person,
        ExportState.EXPIRED,
        categories=["activity"],
        scope="portability.activity.single",
        next_step_at=None,
    )

    response = ask(client, ["activity"])

    assert response.status_code == 302
    assert (
        "portability.activity.single" in parse_qs(urlsplit(response["Location"]).query)["scope"][0]
    )
    assert ExportRequest.objects.filter(user=person).count() == 1


def test_a_second_request_while_one_is_active_leads_to_the_active_export(client, db):
    person = signed_in(client, ["user.info.basic", "portability.all.ongoing"])
    first = ask(client, ["all"])
    active = ExportRequest.objects.get(user=person)

    second = ask(client, ["activity"])  # the same permission (all.ongoing) covers it
    page = client.get(second["Location"])

    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("export_detail", args=[active.pk])
    assert ExportRequest.objects.filter(user=person).count() == 1
    assert "already under way" in page.text


def test_the_service_refuses_categories_it_does_not_know(db):
    person = make_user()
    authorize(person)

    with pytest.raises(services.ExportNotAllowedError):
        services.request_export(person, ["watch_history"], "json")
    with pytest.raises(services.ExportNotAllowedError):
        services.request_export(person, [], "json")

    assert not ExportRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_create_exactly_one_export(published):
    person = make_user()
    authorize(person, ACTIVITY_ONCE)
    start = threading.Barrier(2)
    outcomes: list[object] = []
    lock = threading.Lock()

    def request() -> None:
        try:
            start.wait()
            result: object = services.request_export(person, ["activity"], "json")
        except Exception as error:  # recorded: the test asserts which ones were raised
            result = error
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    created = [o for o in outcomes if isinstance(o, ExportRequest)]
    refused = [o for o in outcomes if isinstance(o, services.ExportAlreadyActiveError)]
    assert (len(created), len(refused)) == (1, 1), outcomes
    assert ExportRequest.objects.count() == 1
    assert refused[0].active is not None
    assert refused[0].active.pk == created[0].pk
    assert [p.task for p in published] == [taskqueue.SUBMIT]


# Cancelling --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state", [ExportState.READY, ExportState.FAILED, ExportState.EXPIRED, ExportState.CANCELLED]
)
def test_a_finished_export_cannot_be_cancelled(db, published, state):
    person = make_user()
    export = make_export(person, state, next_step_at=None)

    with pytest.raises(services.ExportNotCancellableError):
        services.cancel_export(person, export.pk)

    export.refresh_from_db()
    assert export.state == state
    assert published == []


def test_cancelling_an_export_tiktok_is_preparing_cancels_it_there_too(
    db, published, django_capture_on_commit_callbacks
):
    person = make_user()
    export = make_export(person, ExportState.PROCESSING)

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_export(person, export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.CANCELLED
    assert export.next_step_at is None
    assert [p.task for p in published.of(export.pk)] == [taskqueue.CANCEL_AT_TIKTOK]


def test_cancelling_an_export_tiktok_never_accepted_tells_tiktok_nothing(
    db, published, django_capture_on_commit_callbacks
):
    person = make_user()
    export = make_export(person, ExportState.REQUESTED)

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_export(person, export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.CANCELLED
    assert published == []


def test_a_cancelled_export_frees_its_permission_for_a_new_request(db):
    person = make_user()
    authorize(person, ["user.info.basic", "portability.all.ongoing"])
    first = services.request_export(person, ["all_data"], "json")

    services.cancel_export(person, first.pk)
    second = services.request_export(person, ["all_data"], "json")

    assert second.pk != first.pk
    assert second.state == ExportState.REQUESTED


def test_someone_elses_export_cannot_be_cancelled(db):
    owner, other = make_user("owner"), make_user("other")
    export = make_export(owner, ExportState.PROCESSING)

    with pytest.raises(ExportRequest.DoesNotExist):
        services.cancel_export(other, export.pk)
    with pytest.raises(ExportRequest.DoesNotExist):
        services.cancel_export(owner, uuid.uuid4())

    export.refresh_from_db()
    assert export.state == ExportState.PROCESSING


def test_the_cancel_link_asks_first_and_changes_nothing(client, db):
    person = signed_in(client, ACTIVITY_ONCE)
    export = make_export(person, ExportState.PROCESSING)

    page = client.get(reverse("cancel_export", args=[export.pk]))

    export.refresh_from_db()
    assert page.status_code == 200
    assert "Cancel this export?" in page.text
    assert 'class="button button-danger"' in page.text
    assert export.state == ExportState.PROCESSING


def test_deleting_an_archive_asks_first_and_changes_nothing(client, db):
    person = signed_in(client, ACTIVITY_ONCE)
    export = make_export(person, ExportState.READY, next_step_at=None)

    page = client.get(reverse("delete_export", args=[export.pk]))

    export.refresh_from_db()
    assert page.status_code == 200
    assert "Delete the stored archive?" in page.text
    assert export.state == ExportState.READY


def test_the_cancel_button_cancels_and_says_so(client, db):
    person = signed_in(client, ACTIVITY_ONCE)
    export = make_export(person, ExportState.PROCESSING)

    response = client.post(reverse("cancel_export", args=[export.pk]), follow=True)

    export.refresh_from_db()
    assert export.state == ExportState.CANCELLED
    assert response.redirect_chain == [(reverse("export_detail", args=[export.pk]), 302)]
    assert "The export was cancelled." in response.text


def test_the_cancel_button_on_a_finished_export_says_it_has_finished(client, db):
    person = signed_in(client, ACTIVITY_ONCE)
    export = make_export(person, ExportState.FAILED, next_step_at=None)

    response = client.post(reverse("cancel_export", args=[export.pk]), follow=True)

    export.refresh_from_db()
    assert export.state == ExportState.FAILED
    assert "already finished" in response.text

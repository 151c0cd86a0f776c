"""Asking for an export and cancelling one: what a person may ask for, once at a time."""

from __future__ import annotations

import re
import threading
import uuid

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


def offered(page_text: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="categories" value="([^"]+)"', page_text)


def signed_in(client, scopes: list[str], username: str = "ana"):
    person = make_user(username)
    authorize(person, scopes)
    client.force_login(person)
    return person


def ask(client, categories: list[str], data_format: str = "json"):
    return client.post(
        reverse("request_export"), {"categories": categories, "data_format": data_format}
    )


# What the dashboard offers -----------------------------------------------------------------


def test_the_dashboard_offers_only_the_categories_the_grant_allows(client, db):
    signed_in(
        client,
        ["user.info.basic", "portability.activity.single", "portability.postsandprofile.ongoing"],
    )

    page = client.get(reverse("dashboard"))

    assert page.status_code == 200
    assert offered(page.text) == ["activity", "video", "profile"]


def test_everything_granted_offers_every_category(client, db):
    signed_in(client, ["user.info.basic", "portability.all.single"])

    page = client.get(reverse("dashboard"))

    assert offered(page.text) == ["activity", "video", "profile", "direct_message", "all_data"]


def test_a_used_up_once_only_scope_is_no_longer_offered(client, db):
    person = signed_in(client, ACTIVITY_ONCE)
    make_export(
        person,
        ExportState.READY,
        categories=["activity"],
        scope="portability.activity.single",
        next_step_at=None,
    )

    page = client.get(reverse("dashboard"))

    assert offered(page.text) == []
    assert "one-time permissions are used up" in page.text
    assert services.requestable_categories(person) == []


# Asking ------------------------------------------------------------------------------------


def test_asking_for_a_granted_category_creates_the_export_and_publishes_its_submit(
    client, db, published, django_capture_on_commit_callbacks
):
    person = signed_in(client, ACTIVITY_ONCE)

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, ["activity"])

    export = ExportRequest.objects.get(user=person)
    assert response.status_code == 302
    assert response["Location"] == reverse("export_detail", args=[export.pk])
    assert (export.state, export.scope, export.categories) == (
        ExportState.REQUESTED,
        "portability.activity.single",
        ["activity"],
    )
    assert [p.task for p in published.of(export.pk)] == [taskqueue.SUBMIT]


def test_an_unknown_category_is_refused_with_400_and_a_message(client, db):
    signed_in(client, ACTIVITY_ONCE)

    response = ask(client, ["watch_history"])

    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not ExportRequest.objects.exists()


def test_a_category_beyond_the_grant_is_refused_with_400_saying_it_is_not_allowed(client, db):
    signed_in(client, ACTIVITY_ONCE)

    response = ask(client, ["activity", "video"])

    assert response.status_code == 400
    assert "You have not allowed this site to export: Videos" in response.text
    assert not ExportRequest.objects.exists()


def test_kinds_allowed_by_two_separate_permissions_are_refused_saying_to_ask_separately(client, db):
    signed_in(
        client,
        ["user.info.basic", "portability.activity.ongoing", "portability.postsandprofile.ongoing"],
    )

    response = ask(client, ["activity", "video"])

    assert response.status_code == 400
    assert "one export can use only one" in response.text
    assert not ExportRequest.objects.exists()


def test_an_unknown_format_is_refused_with_400(client, db):
    signed_in(client, ACTIVITY_ONCE)

    response = ask(client, ["activity"], data_format="csv")

    assert response.status_code == 400
    assert not ExportRequest.objects.exists()


def test_a_used_up_once_only_scope_cannot_be_asked_for_again(client, db):
    person = signed_in(client, ACTIVITY_ONCE)
    make_export(
        person,
        ExportState.EXPIRED,
        categories=["activity"],
        scope="portability.activity.single",
        next_step_at=None,
    )

    response = ask(client, ["activity"])

    assert response.status_code == 400
    assert ExportRequest.objects.filter(user=person).count() == 1


def test_a_second_request_while_one_is_active_leads_to_the_active_export(client, db):
    person = signed_in(client, ["user.info.basic", "portability.all.ongoing"])
    first = ask(client, ["all_data"])
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

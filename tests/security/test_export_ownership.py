"""Every URL that names an export answers only its owner (checklist T10): another signed-in
person gets 404, never 403, whatever the method, and changes nothing; a signed-out visitor is
sent to sign in. The URLs are read from the URLconf, so one added later is covered too."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from exports import services
from exports.datasets import ExportReading, ReviewedShare
from exports.models import ExportEvent, ExportRequest, ExportState, TikTokAuthorization
from tests.exports import factories
from tests.exports.factories import (
    authorize,
    make_export,
    make_ready_export,
    make_user,
    stored_files,
)
from tests.exports.test_reading import json_archive

archive_dirs = factories.archive_dirs
published = factories.published

METHODS = ("get", "head", "post", "put", "patch", "delete")
# The routes every export has had from the start: the enumeration must find at least these.
KNOWN_ROUTES = {"export_detail", "download_export", "cancel_export", "delete_export"}


def export_routes() -> list[str]:
    """The names of every URL pattern that takes an export_id."""

    def walk(patterns: list) -> list[URLPattern]:
        found = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns)
            else:
                found.append(pattern)
        return found

    routes = [
        pattern.name
        for pattern in walk(get_resolver().url_patterns)
        if "export_id" in getattr(pattern.pattern, "converters", {})
    ]
    assert set(routes) >= KNOWN_ROUTES, routes
    return sorted(routes)


ROUTES = export_routes()
# Routes that name more than the export: what they are asked for here.
# A share of the ready export, and another one for the route that deletes a share (so the
# routes after it still have one to answer about).
SHARE_ID = uuid.UUID("5a4e0000-0000-4000-8000-000000000001")
SHARE_TO_DELETE = uuid.UUID("5a4e0000-0000-4000-8000-000000000002")
MORE_ARGS = {
    "export_extract": ["watch_history", "csv"],
    "explore_dataset": ["watch_history"],
    "explore_share": [SHARE_ID],
    "explore_share_strike": [SHARE_ID],
    "explore_share_offer": [SHARE_ID],
    "explore_share_download": [SHARE_ID],
    "explore_share_delete": [SHARE_TO_DELETE],
}


def path_of(route: str, export_id: object) -> str:
    return reverse(route, args=[export_id, *MORE_ARGS.get(route, [])])


@pytest.fixture(autouse=True)
def _isolated(archive_dirs, published):
    """Archives under this test's directory; nothing reaches a broker."""


@pytest.fixture
def owner(db):
    person = make_user("owner")
    authorize(person)
    EmailAddress.objects.create(user=person, email="owner@example.com", verified=True, primary=True)
    return person


@pytest.fixture
def exports(owner) -> list[ExportRequest]:
    """One export in each kind of state an action applies to: under way (cancel), ready with
    its archive (download, delete), and failed after its email (send it again)."""
    return [
        make_export(
            owner,
            ExportState.PROCESSING,
            scope="portability.activity.ongoing",
            tiktok_request_id=7234567890123456001,
        ),
        read_ready_export(owner),
        make_export(
            owner,
            ExportState.FAILED,
            scope="portability.directmessages.ongoing",
            tiktok_request_id=7234567890123456003,
            next_step_at=None,
            failure_code="invalid_params",
            notified_at=timezone.now(),
        ),
    ]


def read_ready_export(owner) -> ExportRequest:
    """Ready, with its archive read into records: its summary and extracts exist."""
    export = make_ready_export(
        owner, json_archive(), tiktok_request_id=7234567890123456002, notified_at=timezone.now()
    )
    ExportReading.objects.create(export=export, next_step_at=timezone.now())
    services.read_export(export.pk)
    for share_id in (SHARE_ID, SHARE_TO_DELETE):
        ReviewedShare.objects.create(id=share_id, export=export, datasets=["watch_history"])
    return export


@pytest.fixture
def intruder(db):
    person = make_user("mallory")
    authorize(person, open_id="open-mallory")
    EmailAddress.objects.create(user=person, email="m@example.com", verified=True, primary=True)
    make_export(person)  # someone with exports of their own
    return person


@pytest.fixture
def observed(archive_dirs, published, mailoutbox):
    """Everything a request could change: the rows, their history, the stored files, the
    emails sent and the tasks published. Call it for a snapshot."""
    media, _ = archive_dirs

    def snapshot() -> tuple:
        return (
            list(ExportRequest.objects.order_by("pk").values()),
            list(ExportEvent.objects.order_by("pk").values_list("export_id", "kind", "detail")),
            list(TikTokAuthorization.objects.order_by("pk").values()),
            [(str(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in stored_files(media)],
            [(message.subject, message.to) for message in mailoutbox],
            list(published),
        )

    return snapshot


def ask(client, method: str, path: str):
    # Rate limits count every attempt, whoever's export it names; this is about ownership.
    cache.clear()
    return getattr(client, method)(path)


def test_another_signed_in_person_gets_404_for_every_export_url_and_changes_nothing(
    client, exports, intruder, observed
):
    before = observed()
    client.force_login(intruder)

    answers = {
        (route, method, export.state): ask(client, method, path_of(route, export.pk))
        for route in ROUTES
        for method in METHODS
        for export in exports
    }
    unknown = {
        (route, method): ask(client, method, path_of(route, uuid.uuid4())).status_code
        for route in ROUTES
        for method in METHODS
    }

    for (route, method, state), answer in answers.items():
        # 405 for a method the URL never takes, whoever asks; otherwise 404, as for an export
        # that does not exist: the answer says nothing about what exists.
        assert answer.status_code in {404, 405}, (route, method, state, answer.status_code)
        assert answer.status_code == unknown[route, method], (route, method, state)
    for route in ROUTES:
        assert any(answers[route, m, e.state].status_code == 404 for m in METHODS for e in exports)
    assert observed() == before


def test_the_owner_reaches_every_export_url_that_refuses_others(client, owner, exports):
    """The other side of the test above: the same URLs with the same exports do answer their
    owner, so the 404s come from ownership and not from exports nobody could reach."""
    client.force_login(owner)

    statuses: dict[str, set[int]] = {route: set() for route in ROUTES}
    # Every look before any change, and the archive's deletion last of all (its records, and
    # the shares made of them, go with it).
    for method in ("get", "post"):
        for route in sorted(ROUTES, key=lambda name: name == "delete_export"):
            for export in exports:
                answer = ask(client, method, path_of(route, export.pk))
                statuses[route].add(answer.status_code)

    for route, seen in statuses.items():
        assert seen - {404, 405}, (route, seen)


@pytest.mark.parametrize("method", METHODS)
def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_export_url_and_changes_nothing(
    client, exports, observed, method
):
    before = observed()

    for route in ROUTES:
        for export in exports:
            path = path_of(route, export.pk)
            answer = ask(client, method, path)
            assert answer.status_code == 302, (route, export.state, answer.status_code)
            assert answer["Location"] == f"{reverse('home')}?next={path}"

    assert observed() == before

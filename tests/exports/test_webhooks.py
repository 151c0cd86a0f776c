"""TikTok's webhooks at /webhooks/tiktok/: signed as tiktok-api.md §2.11 says, acted on once."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from exports import taskqueue
from exports.models import ExportRequest, ExportState, WebhookReceipt
from exports.tiktok import InvalidSignatureError, verify_webhook_signature
from tests.exports import factories
from tests.exports.factories import BIG_REQUEST_ID, make_export, make_user, sign_webhook

tiktok_at_real_urls = factories.tiktok_at_real_urls
published = factories.published

URL = "/webhooks/tiktok/"


@pytest.fixture(autouse=True)
def _webhook_settings(tiktok_at_real_urls, published, settings):
    settings.TIKTOK_WEBHOOK_TOLERANCE = 300


@pytest.fixture
def export(db):
    return make_export(
        make_user(),
        ExportState.PROCESSING,
        next_step_at=timezone.now() + dt.timedelta(minutes=10),
    )


def ready_event(request_id: int = BIG_REQUEST_ID, **extra: object) -> bytes:
    """TikTok's documented example, `content` a JSON string (parse it twice)."""
    event = {
        "client_key": factories.CLIENT_KEY,
        "event": "portability.download.ready",
        "create_time": int(time.time()),
        "content": json.dumps({"request_id": request_id}),
        **extra,
    }
    return json.dumps(event).encode()


def deliver(client, body: bytes, signature: str | None, header: str = "TikTok-Signature"):
    headers = {header: signature} if signature is not None else {}
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def unchanged(export: ExportRequest) -> bool:
    row = ExportRequest.objects.get(pk=export.pk)
    return (row.state, row.next_step_at) == (export.state, export.next_step_at)


def test_a_signed_download_ready_makes_the_check_happen_now(
    client, export, published, django_capture_on_commit_callbacks
):
    body = ready_event()

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, sign_webhook(body, int(time.time())))

    assert response.status_code == 200
    export.refresh_from_db()
    assert export.state == ExportState.PROCESSING
    assert export.next_step_at <= timezone.now()
    assert [p.task for p in published.of(export.pk)] == [taskqueue.CHECK]


def test_the_header_name_is_read_case_insensitively(
    client, export, published, django_capture_on_commit_callbacks
):
    body = ready_event()

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, sign_webhook(body, int(time.time())), "Tiktok-Signature")

    assert response.status_code == 200
    assert [p.task for p in published.of(export.pk)] == [taskqueue.CHECK]


def bad_signatures(body: bytes) -> dict[str, tuple[bytes, str | None]]:
    now = int(time.time())
    good = sign_webhook(body, now)
    return {
        "missing": (body, None),
        "empty": (body, ""),
        "malformed": (body, "garbage"),
        "wrong_secret": (body, sign_webhook(body, now, secret="someone-elses-secret")),
        "altered_body": (body.replace(b"7234567890123456789", b"7234567890123456780"), good),
        "other_timestamp": (body, good.replace(f"t={now}", f"t={now - 1}")),
        # A minute past the window either way: the view reads the clock later than this
        # function does, so a timestamp one second past it could fall back inside by then.
        # The exact edges are tested on the verifier with a fixed clock below.
        "too_old": (body, sign_webhook(body, now - 360)),
        "from_the_future": (body, sign_webhook(body, now + 360)),
    }


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-301, False), (-300, True), (0, True), (300, True), (301, False)],
)
def test_a_signature_is_accepted_only_within_the_tolerance_either_side_of_now(
    settings, offset, accepted
):
    settings.TIKTOK_WEBHOOK_TOLERANCE = 300
    now = 1_800_000_000
    body = ready_event()
    header = sign_webhook(body, now + offset)

    if accepted:
        verify_webhook_signature(body, header, now=now)
    else:
        with pytest.raises(InvalidSignatureError):
            verify_webhook_signature(body, header, now=now)


@pytest.mark.parametrize("case", list(bad_signatures(b"{}")))
def test_a_webhook_that_is_not_genuine_is_refused_with_401_and_changes_nothing(
    client, export, published, django_capture_on_commit_callbacks, case
):
    body, signature = bad_signatures(ready_event())[case]

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, signature)

    assert response.status_code == 401
    assert unchanged(export)
    assert published == []
    assert not WebhookReceipt.objects.exists()


def test_the_same_delivery_twice_is_acted_on_once(
    client, export, published, django_capture_on_commit_callbacks
):
    body = ready_event()
    signature = sign_webhook(body, int(time.time()))

    with django_capture_on_commit_callbacks(execute=True):
        first = deliver(client, body, signature)
    ExportRequest.objects.filter(pk=export.pk).update(next_step_at=export.next_step_at)
    with django_capture_on_commit_callbacks(execute=True):
        second = deliver(client, body, signature)

    assert (first.status_code, second.status_code) == (200, 200)
    assert [p.task for p in published] == [taskqueue.CHECK]
    assert unchanged(export)  # the redelivery did not pull the check forward again


def test_an_unknown_request_id_is_answered_200_and_changes_nothing(
    client, export, published, django_capture_on_commit_callbacks
):
    body = ready_event(request_id=123451234512345)

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, sign_webhook(body, int(time.time())))

    assert response.status_code == 200
    assert unchanged(export)
    assert published == []


def test_a_ready_event_for_an_export_no_longer_processing_changes_nothing(
    client, db, published, django_capture_on_commit_callbacks
):
    cancelled = make_export(make_user(), ExportState.CANCELLED, next_step_at=None)
    body = ready_event()

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, sign_webhook(body, int(time.time())))

    assert response.status_code == 200
    assert unchanged(cancelled)
    assert published == []


def test_an_unrelated_event_is_answered_200_and_changes_nothing(
    client, export, published, django_capture_on_commit_callbacks
):
    event = {
        "client_key": factories.CLIENT_KEY,
        "event": "video.publish.completed",
        "create_time": int(time.time()),
        "user_openid": "open-ana",
        "content": json.dumps({"share_id": "video.6974245311675353080.VDCxrcMJ"}),
    }
    body = json.dumps(event).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, sign_webhook(body, int(time.time())))

    assert response.status_code == 200
    assert unchanged(export)
    assert published == []


def signed(body: bytes) -> str:
    return sign_webhook(body, int(time.time()))


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 3000 + b"]" * 3000,
        b'{"event": ' + b'{"a": ' * 3000 + b"1" + b"}" * 3001,
        b"not json",
        b'["portability.download.ready"]',
        b'{"event": 7}',
    ],
    ids=["nested-3000", "nested-object", "not-json", "a-list", "no-event-name"],
)
def test_a_genuinely_signed_body_that_is_no_webhook_gets_400_and_changes_nothing(
    client, export, published, django_capture_on_commit_callbacks, body
):
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, signed(body))

    assert response.status_code == 400
    assert unchanged(export)
    assert published == []
    assert not WebhookReceipt.objects.exists()


def test_a_signed_event_whose_content_nests_3000_levels_is_answered_200_and_ignored(
    client, export, published, django_capture_on_commit_callbacks
):
    content = "[" * 3000 + "]" * 3000
    body = json.dumps(
        {
            "client_key": factories.CLIENT_KEY,
            "event": "portability.download.ready",
            "create_time": int(time.time()),
            "content": content,
        }
    ).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, signed(body))

    assert response.status_code == 200
    assert unchanged(export)
    assert published == []

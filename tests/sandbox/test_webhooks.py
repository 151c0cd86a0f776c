"""Webhooks: portability.download.ready and authorization.removed, signed and retried."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from django.test import Client

from tests.sandbox.conftest import (
    CLIENT_KEY,
    PERSONA,
    WebhookReceiver,
    call_data,
    grant_tokens,
    new_request_id,
    revoke,
    user_info,
    verify_signature,
)
from tiktok_sandbox import webhooks
from tiktok_sandbox.models import Grant, WebhookDelivery


def ready_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.get(event="portability.download.ready")


@pytest.mark.usefixtures("ready_at_once")
def test_ready_webhook_has_tiktoks_body_and_a_valid_signature(
    client: Client, data_tokens: dict[str, Any], webhook_receiver: WebhookReceiver
) -> None:
    request_id = new_request_id(client, data_tokens["access_token"])

    delivery = webhooks.deliver(ready_delivery().pk)

    assert delivery is not None
    assert delivery.state == "delivered"
    (received,) = webhook_receiver.received
    assert received.headers["Content-Type"] == "application/json"
    assert abs(verify_signature(received) - time.time()) < 60
    body = json.loads(received.body)
    assert body == {
        "client_key": CLIENT_KEY,
        "event": "portability.download.ready",
        "create_time": body["create_time"],
        "user_openid": PERSONA.open_id,
        "content": json.dumps({"request_id": request_id}, separators=(",", ":")),
    }
    assert isinstance(body["create_time"], int)
    assert json.loads(body["content"]) == {"request_id": request_id}


def test_signature_is_hmac_sha256_of_timestamp_dot_body_keyed_with_the_client_secret() -> None:
    header = webhooks.signature(b'{"a":1}', 1633174587, "secret")

    # Computed independently: printf '1633174587.{"a":1}' | openssl dgst -sha256 -hmac secret
    assert header == (
        "t=1633174587,s=7151550f9bebe052d14d518d957d02727224ec1912baffb80d34739a3b149820"
    )


@pytest.mark.usefixtures("ready_at_once")
def test_delivery_retries_with_exponential_backoff_until_a_2xx(
    client: Client, data_tokens: dict[str, Any], webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.statuses = [500, 503, 404]
    new_request_id(client, data_tokens["access_token"])
    waits: list[float] = []

    delivery = webhooks.deliver(ready_delivery().pk, sleep=waits.append)

    assert delivery is not None
    assert delivery.state == "delivered"
    assert delivery.attempts == 4
    assert delivery.last_status_code == 200
    assert waits == [1.0, 2.0, 4.0]
    assert len(webhook_receiver.received) == 4
    assert len({received.body for received in webhook_receiver.received}) == 1


@pytest.mark.usefixtures("ready_at_once")
def test_delivery_gives_up_after_the_last_attempt_and_records_why(
    client: Client, data_tokens: dict[str, Any], webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.statuses = [500] * webhooks.MAX_ATTEMPTS
    new_request_id(client, data_tokens["access_token"])

    delivery = webhooks.deliver(ready_delivery().pk, sleep=lambda _: None)

    assert delivery is not None
    assert delivery.state == "failed"
    assert delivery.attempts == webhooks.MAX_ATTEMPTS
    assert delivery.last_error == "HTTP 500"


@pytest.mark.usefixtures("ready_at_once")
def test_unreachable_endpoint_is_recorded_and_retried(
    client: Client, data_tokens: dict[str, Any], settings: Any
) -> None:
    settings.TIKTOK_SANDBOX_WEBHOOK_URL = "http://127.0.0.1:9/webhooks/tiktok/"
    new_request_id(client, data_tokens["access_token"])

    delivery = webhooks.deliver(ready_delivery().pk, sleep=lambda _: None)

    assert delivery is not None
    assert delivery.state == "failed"
    assert "ConnectionError" in delivery.last_error


def test_delivery_waits_until_the_request_is_ready(
    client: Client, data_tokens: dict[str, Any], settings: Any, webhook_receiver: WebhookReceiver
) -> None:
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 30.0
    new_request_id(client, data_tokens["access_token"])
    waits: list[float] = []

    webhooks.deliver(ready_delivery().pk, sleep=waits.append)

    assert len(waits) == 1
    assert 29 < waits[0] <= 30


def test_no_ready_webhook_after_a_cancel(
    client: Client, data_tokens: dict[str, Any], settings: Any, webhook_receiver: WebhookReceiver
) -> None:
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 5.0
    request_id = new_request_id(client, data_tokens["access_token"])
    call_data(client, "cancel", data_tokens["access_token"], {"request_id": request_id})

    delivery = webhooks.deliver(ready_delivery().pk, sleep=lambda _: None)

    assert delivery is not None
    assert delivery.state == "skipped"
    assert webhook_receiver.received == []


@pytest.mark.usefixtures("ready_at_once")
def test_a_delivery_is_sent_once_however_often_deliver_runs(
    client: Client, data_tokens: dict[str, Any], webhook_receiver: WebhookReceiver
) -> None:
    new_request_id(client, data_tokens["access_token"])

    webhooks.deliver(ready_delivery().pk)
    webhooks.deliver(ready_delivery().pk)

    assert len(webhook_receiver.received) == 1


def test_revoke_sends_authorization_removed_with_reason_5(
    client: Client, data_tokens: dict[str, Any], webhook_receiver: WebhookReceiver
) -> None:
    revoke(client, data_tokens["access_token"])
    revoke(client, data_tokens["access_token"])  # already revoked: no second event

    (delivery,) = WebhookDelivery.objects.filter(event="authorization.removed")
    webhooks.deliver(delivery.pk)
    (received,) = webhook_receiver.received
    verify_signature(received)
    body = json.loads(received.body)
    assert body["event"] == "authorization.removed"
    assert body["user_openid"] == PERSONA.open_id
    assert body["client_key"] == CLIENT_KEY
    assert json.loads(body["content"]) == {"reason": 5}


def test_remove_authorization_revokes_the_persons_grants_and_tells_the_app(
    client: Client, webhook_receiver: WebhookReceiver
) -> None:
    first = grant_tokens(client)
    second = grant_tokens(client)

    revoked = webhooks.remove_authorization(PERSONA.open_id, webhooks.REASON_USER_DISCONNECTED)

    assert revoked == 2
    assert not Grant.objects.filter(open_id=PERSONA.open_id, revoked_at=None).exists()
    for tokens in (first, second):
        assert user_info(client, tokens["access_token"], "open_id").status_code == 401
    for delivery in WebhookDelivery.objects.filter(event="authorization.removed"):
        webhooks.deliver(delivery.pk)
    assert [json.loads(b["content"]) for b in webhook_receiver.bodies()] == [{"reason": 1}] * 2


def test_webhook_url_defaults_to_the_sites_own_endpoint(settings: Any) -> None:
    settings.TIKTOK_SANDBOX_WEBHOOK_URL = ""
    settings.SITE_URL = "https://portability.example"

    assert webhooks.webhook_url() == "https://portability.example/webhooks/tiktok/"


@pytest.mark.django_db(transaction=True)
def test_ready_webhook_arrives_by_itself_once_the_request_is_ready(
    client: Client, settings: Any, webhook_receiver: WebhookReceiver
) -> None:
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 0.3
    tokens = grant_tokens(client)

    started = time.monotonic()
    request_id = new_request_id(client, tokens["access_token"])
    added = time.monotonic() - started

    assert added < 0.3  # the request did not wait for the webhook
    assert webhook_receiver.arrived.wait(timeout=10)
    assert json.loads(webhook_receiver.bodies()[0]["content"]) == {"request_id": request_id}
    for thread in threading.enumerate():
        if thread.name.startswith("webhook-"):
            thread.join(timeout=10)
    assert ready_delivery().state == "delivered"

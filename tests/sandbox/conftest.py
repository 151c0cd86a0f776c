"""Shared helpers for the sandbox tests: a registered app, the consent flow, form posts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from tiktok_sandbox import portability
from tiktok_sandbox.personas import PERSONAS

CLIENT_KEY = "test-client-key"
CLIENT_SECRET = "test-client-secret-do-not-print"
REDIRECT_URI = "https://app.example/accounts/tiktok/login/callback/"
STATE = "state-1234"
PERSONA = PERSONAS[1]
SCOPES = "user.info.basic,user.info.profile,user.info.stats"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def registered_app(settings: Settings, db: None) -> None:
    """Register a known app with the sandbox."""
    settings.TIKTOK_SANDBOX_CLIENT_KEY = CLIENT_KEY
    settings.TIKTOK_SANDBOX_CLIENT_SECRET = CLIENT_SECRET
    settings.TIKTOK_SANDBOX_REDIRECT_URIS = [REDIRECT_URI]


@dataclass(frozen=True)
class Authorized:
    """The outcome of a completed consent: what the client now holds."""

    code: str
    scopes: str
    state: str
    verifier: str


def authorize_query(**overrides: str | None) -> dict[str, str]:
    """The authorize query an app sends; an override of None leaves the parameter out."""
    query: dict[str, str | None] = {
        "client_key": CLIENT_KEY,
        "response_type": "code",
        "scope": SCOPES,
        "redirect_uri": REDIRECT_URI,
        "state": STATE,
    }
    query.update(overrides)
    return {name: value for name, value in query.items() if value is not None}


def authorize_url(**overrides: str | None) -> str:
    return f"{reverse('tiktok_sandbox:authorize')}?{urlencode(authorize_query(**overrides))}"


def decide(
    client: Client,
    *,
    decision: str = "authorize",
    persona: str = PERSONA.open_id,
    ticked: list[str] | None = None,
    **query: str | None,
) -> HttpResponse:
    """POST the consent form as a browser would; ``ticked`` None ticks every optional scope."""
    fields = authorize_query(**query)
    if ticked is None:
        ticked = [s.strip() for s in fields["scope"].split(",") if s.strip() != "user.info.basic"]
    data = {**fields, "persona": persona, "scopes": ticked, "decision": decision}
    return client.post(reverse("tiktok_sandbox:authorize"), data)


def callback_params(response: HttpResponse) -> dict[str, str]:
    """The query of a redirect to the app's redirect_uri, URL-decoded."""
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def challenge(verifier: str, encoding: str = "base64url") -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    if encoding == "hex":
        return digest.hex()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def run_consent(client: Client, *, encoding: str | None = "base64url", **kwargs: Any) -> Authorized:
    """Authorize through the consent form, with PKCE in ``encoding`` (None: no PKCE)."""
    verifier = secrets.token_urlsafe(48) if encoding else ""
    if encoding:
        kwargs |= {"code_challenge": challenge(verifier, encoding), "code_challenge_method": "S256"}
    params = callback_params(decide(client, **kwargs))
    return Authorized(params["code"], params["scopes"], params["state"], verifier)


def post_form(client: Client, name: str, data: dict[str, str]) -> HttpResponse:
    """POST ``data`` form-encoded to the sandbox endpoint ``name``, as an HTTP library would."""
    return client.post(reverse(f"tiktok_sandbox:{name}"), urlencode(data), content_type=FORM)


def exchange(client: Client, authorized: Authorized, **overrides: str | None) -> HttpResponse:
    """Exchange the code for tokens; an override of None leaves the field out."""
    data: dict[str, str | None] = {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "grant_type": "authorization_code",
        "code": authorized.code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": authorized.verifier or None,
    }
    data.update(overrides)
    return post_form(client, "token", {k: v for k, v in data.items() if v is not None})


def refresh(client: Client, refresh_token: str, **overrides: str) -> HttpResponse:
    data = {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        **overrides,
    }
    return post_form(client, "token", data)


def revoke(client: Client, token: str, **overrides: str) -> HttpResponse:
    data = {"client_key": CLIENT_KEY, "client_secret": CLIENT_SECRET, "token": token, **overrides}
    return post_form(client, "revoke", data)


def user_info(client: Client, access_token: str, fields: str | None) -> HttpResponse:
    query = f"?{urlencode({'fields': fields})}" if fields is not None else ""
    return client.get(
        reverse("tiktok_sandbox:user_info") + query, HTTP_AUTHORIZATION=f"Bearer {access_token}"
    )


def assert_oauth_error(response: HttpResponse, error: str, status: int = 400) -> dict[str, str]:
    """Assert a flat OAuth error with a TikTok-like log id; return the body."""
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "error_description", "log_id"}
    assert body["error"] == error
    assert len(body["log_id"]) == 34
    return body


def assert_api_error(response: HttpResponse, code: str, status: int) -> dict[str, str]:
    """Assert a v2 envelope error; return its ``error`` object."""
    assert response.status_code == status
    body = response.json()
    assert body["data"] == {}
    assert body["error"]["code"] == code
    assert body["error"]["log_id"]
    return body["error"]


@pytest.fixture
def authorized(client: Client) -> Authorized:
    """A fresh code for PERSONA with basic, profile and stats granted, obtained with PKCE."""
    return run_consent(client)


@pytest.fixture
def tokens(client: Client, authorized: Authorized) -> dict[str, Any]:
    """The token response of exchanging a fresh code."""
    response = exchange(client, authorized)
    assert response.status_code == 200
    return response.json()


# Data Portability -------------------------------------------------------------------------------

PORTABILITY_SCOPES = "user.info.basic,portability.all.single"
ABROAD = PERSONAS[3]  # lives outside the EEA and the UK
OTHER_PERSONA = PERSONAS[2]  # in the UK, like PERSONA (in Germany) may ask for their data


def grant_tokens(
    client: Client, scope: str = PORTABILITY_SCOPES, persona: str = PERSONA.open_id
) -> dict[str, Any]:
    """Consent to ``scope`` as ``persona`` and exchange the code: the token response."""
    response = exchange(client, run_consent(client, scope=scope, persona=persona))
    assert response.status_code == 200
    return response.json()


def call_data(
    client: Client,
    name: str,
    access_token: str,
    body: Any = None,
    *,
    query: dict[str, str] | None = None,
    raw: str | None = None,
) -> HttpResponse:
    """POST ``body`` as JSON (or ``raw`` as is) to the Data Portability endpoint ``name``."""
    url = reverse(f"tiktok_sandbox:data_{name}")
    if query:
        url += f"?{urlencode(query)}"
    data = raw if raw is not None else ("" if body is None else json.dumps(body))
    return client.post(
        url, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {access_token}"
    )


def add_data_request(
    client: Client,
    access_token: str,
    categories: list[str] | None = None,
    data_format: str = "json",
) -> HttpResponse:
    body = {"data_format": data_format, "category_selection_list": categories or ["all_data"]}
    return call_data(client, "add", access_token, body, query={"fields": "request_id"})


def new_request_id(client: Client, access_token: str, **kwargs: Any) -> int:
    """Add a data request that must succeed; return its request_id."""
    response = add_data_request(client, access_token, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()["data"]["request_id"]


def check(client: Client, access_token: str, request_id: Any, fields: str) -> HttpResponse:
    return call_data(
        client, "check", access_token, {"request_id": request_id}, query={"fields": fields}
    )


def status_of(client: Client, access_token: str, request_id: int) -> str:
    response = check(client, access_token, request_id, "status")
    assert response.status_code == 200, response.content
    return response.json()["data"]["status"]


def download(client: Client, access_token: str, request_id: Any) -> HttpResponse:
    return call_data(client, "download", access_token, {"request_id": request_id})


def content_of(response: HttpResponse) -> bytes:
    """The whole body of a streamed response."""
    return b"".join(response.streaming_content)


@pytest.fixture
def ready_at_once(settings: Settings) -> None:
    """New data requests are ready at once and stay ready for a minute."""
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 0.0
    settings.TIKTOK_SANDBOX_EXPORT_EXPIRES_AFTER = 60.0


class Clock:
    """The time the Data Portability state machine sees; starts now, moves when told."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr(portability, "clock", lambda: moving.now)
    return moving


@pytest.fixture
def data_tokens(client: Client) -> dict[str, Any]:
    """Tokens of PERSONA (in the EEA) with user.info.basic and portability.all.single."""
    return grant_tokens(client)


# Webhooks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A real HTTP server on loopback standing in for the app's webhook endpoint.

    Answers each POST with the next of ``statuses`` (200 once they run out) and records it.
    """

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append(Received(dict(self.headers.items()), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.arrived.set()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/tiktok/"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(received.body) for received in self.received]


@pytest.fixture
def webhook_receiver(settings: Settings) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    thread = threading.Thread(
        target=receiver.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    settings.TIKTOK_SANDBOX_WEBHOOK_URL = receiver.url
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join()


def verify_signature(received: Received, secret: str = CLIENT_SECRET) -> int:
    """Check ``TikTok-Signature`` as tiktok-api.md §2.11 says a receiver must; return ``t``."""
    header = {k.lower(): v for k, v in received.headers.items()}["tiktok-signature"]
    parts = dict(part.split("=", 1) for part in header.split(","))
    signed = f"{parts['t']}.".encode() + received.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["s"], expected)
    return int(parts["t"])

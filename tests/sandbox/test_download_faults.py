"""The faults that break an answer on the wire (tiktok_sandbox.wire), seen by a raw socket client
under each server the sandbox runs in: the test live server, runserver and gunicorn (its
threaded workers, as in the container image, and its sync workers)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from tests.sandbox.conftest import (
    CLIENT_KEY,
    CLIENT_SECRET,
    PERSONA,
    REDIRECT_URI,
    assert_api_error,
    download,
)
from tests.support.processes import (
    database_url_of_tests,
    django_server,
    free_port,
    gunicorn_server,
)
from tiktok_sandbox import grants, portability
from tiktok_sandbox.admin import SandboxFaultForm
from tiktok_sandbox.archives import ArchiveSpec, iter_archive
from tiktok_sandbox.faults import inject_fault
from tiktok_sandbox.models import PortabilityRequest, SandboxFault, TokenPair

pytestmark = pytest.mark.django_db(transaction=True)

SCOPES = ["user.info.basic", "portability.all.ongoing"]
# Several of the archive's ~512 KiB chunks, so a fault strikes inside the stream, not at its end.
ARCHIVE_SIZE = 2 * 1024 * 1024
DOWNLOAD_PATH = "/tiktok-sandbox/v2/user/data/download/"
ADD_PATH = "/tiktok-sandbox/v2/user/data/add/?fields=request_id"
TOKEN_PATH = "/tiktok-sandbox/v2/oauth/token/"
SERVERS = ["live_server", "runserver", "gunicorn_threads", "gunicorn_sync"]


# Servers ----------------------------------------------------------------------------------------


def _server_env(port: int) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url_of_tests(),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "TIKTOK_SANDBOX": "1",
        "TIKTOK_SANDBOX_CLIENT_KEY": CLIENT_KEY,
        "TIKTOK_SANDBOX_CLIENT_SECRET": CLIENT_SECRET,
        "TIKTOK_SANDBOX_REDIRECT_URIS": REDIRECT_URI,
        "CONN_MAX_AGE": "0",
    }


@pytest.fixture(scope="module")
def runserver_url(django_db_setup, tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("runserver") / "server.log"
    with django_server(port, _server_env(port), log) as url:
        yield url


@pytest.fixture(scope="module")
def gunicorn_threads_url(django_db_setup, tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "server.log"
    with gunicorn_server(port, _server_env(port), log, threads=4) as url:
        yield url


@pytest.fixture(scope="module")
def gunicorn_sync_url(django_db_setup, tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn-sync") / "server.log"
    with gunicorn_server(port, _server_env(port), log, threads=1) as url:
        yield url


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> str:
    """The base URL of a server running the sandbox, one of SERVERS."""
    if request.param == "live_server":
        return request.getfixturevalue("site")
    return request.getfixturevalue(f"{request.param}_url")


# A raw HTTP client: it reports exactly what came over the wire and how the connection ended ----


@dataclass
class Received:
    status: int | None
    headers: dict[str, str]  # names lower-cased
    body: bytes  # chunked framing removed
    ending: str  # "whole", "eof" (closed before the body ended), "reset" or "timeout"
    terminated: bool = False  # a chunked body's zero-length last chunk arrived


def _parse(raw: bytes) -> Received | None:
    """What ``raw`` holds so far; None until the head is complete. ``ending`` is "whole" if
    the body is complete, else empty."""
    head_end = raw.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    status_line, *lines = raw[:head_end].decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    rest = raw[head_end + 4 :]
    received = Received(int(status_line.split()[1]), headers, b"", "")
    if headers.get("transfer-encoding") == "chunked":
        received.body, received.terminated = _dechunk(rest)
        received.ending = "whole" if received.terminated else ""
    else:
        length = int(headers.get("content-length", "0"))
        received.body = rest[:length]
        received.ending = "whole" if len(rest) >= length else ""
    return received


def _dechunk(data: bytes) -> tuple[bytes, bool]:
    """The complete chunks at the start of ``data``, and whether the last chunk came."""
    body, position = bytearray(), 0
    while (line_end := data.find(b"\r\n", position)) >= 0:
        size = int(data[position:line_end], 16)
        if size == 0:
            return bytes(body), True
        start = line_end + 2
        if len(data) < start + size + 2:
            break
        body += data[start : start + size]
        position = start + size + 2
    return bytes(body), False


def exchange(
    base_url: str, path: str, body: bytes, headers: dict[str, str], *, timeout: float = 10.0
) -> Received:
    """POST ``body`` to ``path`` over a fresh keep-alive connection, as an HTTP library would,
    and read until the answer is complete or the connection ends."""
    parts = urlsplit(base_url)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    raw, ending = bytearray(), ""
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        while True:
            parsed = _parse(bytes(raw))
            if parsed is not None and parsed.ending == "whole":
                return parsed
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                ending = "reset"
                break
            except TimeoutError:
                ending = "timeout"
                break
            if not data:
                ending = "eof"
                break
            raw += data
    parsed = _parse(bytes(raw)) or Received(None, {}, b"", "")
    parsed.ending = ending
    return parsed


def download_raw(base_url: str, token: str, request_id: int, **kwargs: Any) -> Received:
    body = json.dumps({"request_id": request_id}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return exchange(base_url, DOWNLOAD_PATH, body, headers, **kwargs)


# The world: a person whose archive is ready ------------------------------------------------------


@dataclass
class Ready:
    token: str
    refresh_token: str
    request_id: int
    archive: bytes

    def at(self, fraction: float) -> int:
        """The offset a fault at ``fraction`` strikes at."""
        return int(fraction * len(self.archive))


@pytest.fixture
def ready() -> Ready:
    """A grant of PERSONA with a ready, 2 MiB request, made directly in the shared database."""
    code = grants.issue_code(
        open_id=PERSONA.open_id, granted_scopes=SCOPES, redirect_uri=REDIRECT_URI
    )
    issued = grants.exchange_code(
        client_key=CLIENT_KEY, code=code, redirect_uri=REDIRECT_URI, code_verifier=""
    )
    data_request = _ready_request(issued.pair.grant)
    archive = b"".join(iter_archive(ArchiveSpec.for_request(data_request)))
    return Ready(issued.access_token, issued.refresh_token, data_request.request_id, archive)


def _ready_request(grant: Any, *, ready: bool = True) -> PortabilityRequest:
    now = timezone.now()
    ready_at = now - timedelta(minutes=1) if ready else now + timedelta(hours=1)
    return PortabilityRequest.objects.create(
        request_id=portability.new_request_id(),
        grant=grant,
        client_key=CLIENT_KEY,
        open_id=PERSONA.open_id,
        scope="portability.all.ongoing",
        data_format="json",
        category_selection_list=["all_data"],
        applied_at=now - timedelta(minutes=2),
        ready_at=ready_at,
        expires_at=ready_at + timedelta(hours=2),
        archive_size=ARCHIVE_SIZE,
    )


def assert_served_whole(server: str, ready: Ready) -> None:
    """The next download is the whole archive: the fault is spent and the server unharmed."""
    received = download_raw(server, ready.token, ready.request_id)
    assert received.ending == "whole"
    assert received.body == ready.archive


# The faults under every server ------------------------------------------------------------------


def test_a_cut_download_promises_the_whole_archive_and_closes_short(server, ready):
    inject_fault("download", kind="cut", at=0.3)

    received = download_raw(server, ready.token, ready.request_id)

    assert received.status == 200
    assert received.headers["content-length"] == str(len(ready.archive))
    assert received.headers["content-type"] == "application/zip"
    assert received.ending == "eof"
    assert received.body == ready.archive[: ready.at(0.3)]
    assert_served_whole(server, ready)


def test_an_unterminated_download_is_chunked_and_closes_before_its_last_chunk(server, ready):
    inject_fault("download", kind="unterminated", at=0.5)

    received = download_raw(server, ready.token, ready.request_id)

    assert received.status == 200
    assert received.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in received.headers
    assert received.ending == "eof"
    assert not received.terminated
    assert received.body == ready.archive[: ready.at(0.5)]
    assert_served_whole(server, ready)


def test_an_unterminated_download_at_one_sends_every_byte_but_not_the_terminator(server, ready):
    inject_fault("download", kind="unterminated", at=1.0)

    received = download_raw(server, ready.token, ready.request_id)

    assert received.body == ready.archive
    assert received.ending == "eof"
    assert not received.terminated


def test_a_reset_download_ends_in_a_connection_reset_after_what_was_sent(server, ready):
    inject_fault("download", kind="reset", at=0.3)

    received = download_raw(server, ready.token, ready.request_id)

    assert received.ending == "reset"
    assert received.status == 200
    assert received.headers["content-length"] == str(len(ready.archive))
    # What arrived before the reset is the start of the archive, never more than 30 % of it.
    assert 0 < len(received.body) <= ready.at(0.3)
    assert received.body == ready.archive[: len(received.body)]
    assert_served_whole(server, ready)


def test_a_lost_answer_to_add_makes_the_request_and_resets_before_a_byte(server, ready):
    inject_fault("add", kind="lost_answer")
    before = PortabilityRequest.objects.count()
    body = json.dumps({"data_format": "json", "category_selection_list": ["activity"]}).encode()
    headers = {"Authorization": f"Bearer {ready.token}", "Content-Type": "application/json"}

    received = exchange(server, ADD_PATH, body, headers)

    assert received.ending == "reset"
    assert received.status is None
    assert PortabilityRequest.objects.count() == before + 1
    answered = exchange(server, ADD_PATH, body, headers)
    assert answered.status == 200
    assert PortabilityRequest.objects.count() == before + 2


# The faults that only change bytes or timing: plain WSGI, the same under every server ----------


def test_a_flipped_download_differs_from_the_archive_in_exactly_one_inverted_byte(site, ready):
    inject_fault("download", kind="flip", at=0.6)

    received = download_raw(site, ready.token, ready.request_id)

    assert received.ending == "whole"
    assert len(received.body) == len(ready.archive)
    differ = [
        i for i, (a, b) in enumerate(zip(received.body, ready.archive, strict=True)) if a != b
    ]
    assert differ == [ready.at(0.6)]
    assert received.body[differ[0]] == ready.archive[differ[0]] ^ 0xFF
    assert_served_whole(site, ready)


def test_a_stall_starves_an_impatient_client_and_only_delays_a_patient_one(site, ready):
    inject_fault("download", kind="stall", at=0.5, seconds=1.5, times=2)

    impatient = download_raw(site, ready.token, ready.request_id, timeout=0.5)
    started = time.monotonic()
    patient = download_raw(site, ready.token, ready.request_id, timeout=10)
    waited = time.monotonic() - started

    assert impatient.ending == "timeout"
    assert impatient.body == ready.archive[: ready.at(0.5)]
    assert patient.ending == "whole"
    assert patient.body == ready.archive
    assert waited >= 1.5


def test_times_breaks_that_many_downloads_then_serves_them_whole(site, ready):
    inject_fault("download", kind="cut", at=0.1, times=2)

    endings = [download_raw(site, ready.token, ready.request_id).ending for _ in "abc"]

    assert endings == ["eof", "eof", "whole"]
    assert SandboxFault.objects.get().remaining == 0


def test_a_stream_fault_waits_for_a_download_that_sends_an_archive(site, ready):
    inject_fault("download", kind="reset", at=0.2)
    pending = _ready_request(
        PortabilityRequest.objects.get(request_id=ready.request_id).grant, ready=False
    )

    refused = download_raw(site, ready.token, pending.request_id)
    broken = download_raw(site, ready.token, ready.request_id)

    assert refused.status == 400
    assert json.loads(refused.body)["error"]["code"] == "invalid_params"
    assert broken.ending == "reset"
    assert SandboxFault.objects.get().remaining == 0


def test_an_error_fault_on_download_still_answers_at_once(site, ready):
    inject_fault("download", error="internal_error", http_status=503, retry_after=3)

    received = download_raw(site, ready.token, ready.request_id)

    assert received.status == 503
    assert received.headers["retry-after"] == "3"
    assert json.loads(received.body)["error"]["http_status_code"] == 503
    assert_served_whole(site, ready)


def test_a_lost_answer_to_a_refresh_rotates_the_token_the_client_never_got(site, ready):
    inject_fault("token", kind="lost_answer")
    form = (
        f"client_key={CLIENT_KEY}&client_secret={CLIENT_SECRET}"
        f"&grant_type=refresh_token&refresh_token={ready.refresh_token}"
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    lost = exchange(site, TOKEN_PATH, form, headers)
    again = exchange(site, TOKEN_PATH, form, headers)

    assert lost.ending == "reset"
    assert TokenPair.objects.count() == 2
    assert again.status == 400
    assert json.loads(again.body)["error"] == "invalid_grant"


def test_a_server_that_hides_its_connections_answers_a_500_that_says_so(client: Client, ready):
    # Django's test client calls the application directly: there is no connection to break.
    inject_fault("download", kind="reset", at=0.5)

    response = download(client, ready.token, ready.request_id)

    error = assert_api_error(response, "internal_error", 500)
    assert "runserver or gunicorn" in error["message"]


# What inject_fault (and the admin) accept ------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "arguments", "complaint"),
    [
        ("download", {"kind": "melt"}, "Unknown fault kind"),
        ("check", {"kind": "reset"}, "only 'download'"),
        ("download", {"kind": "cut", "at": 1.0}, "below 1"),
        ("download", {"kind": "flip", "at": -0.1}, "from 0"),
        ("download", {"kind": "unterminated", "at": 1.5}, "from 0 to 1"),
        ("download", {"kind": "stall"}, "seconds above 0"),
        ("download", {"kind": "stall", "seconds": 0}, "seconds above 0"),
        ("download", {"kind": "reset", "seconds": 2}, "for stall faults"),
        ("download", {"kind": "reset", "error": "x", "http_status": 500}, "sends no error"),
        ("add", {"kind": "lost_answer", "retry_after": 3}, "sends no error"),
        ("add", {"kind": "lost_answer", "at": 0.5}, "no body"),
        ("authorize", {"kind": "lost_answer"}, "error faults"),
        ("download", {"error": "server_error", "http_status": 503, "at": 0.5}, "at once"),
        ("download", {"kind": "cut", "times": 0}, "at least once"),
    ],
)
def test_inject_fault_refuses_a_fault_that_cannot_be_served(endpoint, arguments, complaint):
    with pytest.raises(ValueError, match=complaint):
        inject_fault(endpoint, **arguments)

    assert not SandboxFault.objects.exists()


def test_the_admin_form_refuses_what_inject_fault_refuses():
    form = SandboxFaultForm(data={"endpoint": "check", "kind": "reset", "remaining": 1})

    assert not form.is_valid()
    assert "only 'download'" in form.non_field_errors()[0]
    assert SandboxFaultForm(
        data={"endpoint": "download", "kind": "reset", "at_fraction": 0.3, "remaining": 1}
    ).is_valid()

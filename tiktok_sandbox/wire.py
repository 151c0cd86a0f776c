"""Faults that break an answer on its way back, below HTTP (the kinds other than "error" in
``tiktok_sandbox.faults``).

Two ways, depending on what the fault needs:

- ``flip`` and ``stall`` change only the body's bytes or their timing: the archive's streaming
  response is wrapped, and whatever WSGI server runs the sandbox sends it as usual (a stall is
  a body iterator that sleeps; the server has flushed every chunk before it).
- ``lost_answer``, ``cut``, ``unterminated`` and ``reset`` end the connection in ways WSGI has
  no words for, and ``unterminated`` frames the body itself (WSGI servers refuse a
  Transfer-Encoding header from the application). They take the connection over: after the
  view has run, its response is written by hand on the client's socket (status line, headers,
  as much body as the fault lets through) and the connection is ended, cleanly (``shutdown``,
  FIN) or by a reset (SO_LINGER 0, then the descriptor closed: RST). The server is left with
  a connection that reads end-of-file and refuses writes: it sees a client that went away,
  which every WSGI server expects and handles quietly, and closes it.

Finding the socket. gunicorn hands it to the application (``environ["gunicorn.socket"]``).
Servers built on the standard library's socketserver (Django's runserver, the test live server,
wsgiref) do not, but they call the application from the request handler that owns the
connection (``socketserver.BaseRequestHandler.request``), which is on the calling stack. Other
servers (uWSGI, an ASGI server) raise ConnectionUnavailableError; the endpoint answers a 500
that says so.

A reset needs the connection's last descriptor closed while SO_LINGER is 0, yet the server
still holds that descriptor number and will use, then close, it. ``os.dup2`` puts a dead
socket (one end of a pair whose other end is closed) on the same number in one step: the
connection closes at once, with its RST, and the number never dangles nor is reused by another
thread in between; the server's later reads find end-of-file and its writes a broken pipe.
"""

from __future__ import annotations

import contextlib
import fcntl
import inspect
import logging
import os
import socket
import socketserver
import struct
import termios
import time
from collections.abc import Callable, Iterable, Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import http_date

from tiktok_sandbox.faults import give_back
from tiktok_sandbox.models import FaultKind, SandboxFault

logger = logging.getLogger(__name__)

# How long a reset waits for the body sent so far to reach the client before it strikes, so
# that "reset at 30 %" means the client got 30 %; a client that stopped reading does not
# hold it up longer.
DELIVERY_WAIT = 5.0


class ConnectionUnavailableError(Exception):
    """The server running the sandbox does not let it reach the client's connection."""


def apply_fault(fault: SandboxFault, request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Break ``response`` (the view's answer to ``request``) as ``fault`` says; return what the
    server should send, which after a take-over it can no longer deliver.

    A stream fault meeting anything but an archive (an error answer) is given back for the
    next request and ``response`` goes out untouched. Raises ConnectionUnavailableError if the
    fault needs the connection and the server does not expose it (before anything was sent).
    """
    if fault.kind == FaultKind.LOST_ANSWER:
        _reset(client_socket(request), wait=False)
        return response
    if not _is_archive(response):
        give_back(fault)
        return response
    assert isinstance(response, StreamingHttpResponse)  # noqa: S101 - checked by _is_archive
    offset = int((fault.at_fraction or 0.0) * int(response["Content-Length"]))
    if fault.kind == FaultKind.FLIP:
        response.streaming_content = _flipped(response.streaming_content, offset)
    elif fault.kind == FaultKind.STALL:
        seconds = fault.stall_seconds or 0.0
        response.streaming_content = _stalled(response.streaming_content, offset, seconds)
    else:
        _take_over(fault.kind, client_socket(request), response, offset)
    return response


def client_socket(request: HttpRequest) -> socket.socket:
    """The socket of the connection ``request`` came on. Raises ConnectionUnavailableError
    when the server keeps it to itself."""
    given = request.META.get("gunicorn.socket")
    if isinstance(given, socket.socket):
        return given
    frame = inspect.currentframe()
    while frame is not None:
        handler = frame.f_locals.get("self")
        if isinstance(handler, socketserver.BaseRequestHandler) and isinstance(
            handler.request, socket.socket
        ):
            return handler.request
        frame = frame.f_back
    raise ConnectionUnavailableError(
        "This server does not expose client connections, which this fault needs: run the "
        "sandbox under Django's runserver or gunicorn."
    )


def _is_archive(response: HttpResponse) -> bool:
    return (
        isinstance(response, StreamingHttpResponse)
        and response.status_code == 200
        and response.get("Content-Length", "").isdigit()
    )


def _take_over(
    kind: str, sock: socket.socket, response: StreamingHttpResponse, offset: int
) -> None:
    """Write ``response`` on ``sock`` by hand up to byte ``offset`` and end the connection as
    ``kind`` says; leave ``response`` with an empty body for the server to fail to send."""
    chunked = kind == FaultKind.UNTERMINATED
    frame: Callable[[bytes], bytes] = _chunk if chunked else bytes
    try:
        sock.sendall(_head(response, chunked=chunked))
        for piece in _before(response.streaming_content, offset):
            sock.sendall(frame(piece))
    except OSError:
        logger.info("The client left before the %s fault struck", kind)
    if kind == FaultKind.RESET:
        _reset(sock, wait=True)
    else:
        _hang_up(sock)
    response.streaming_content = iter(())


def _head(response: HttpResponse, *, chunked: bool) -> bytes:
    """The status line and headers of ``response``, chunked instead of sized if asked."""
    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
    for name, value in response.items():
        if not (chunked and name.lower() == "content-length"):
            lines.append(f"{name}: {value}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    lines.append(f"Date: {http_date()}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(piece: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(piece), piece)


def _hang_up(sock: socket.socket) -> None:
    """Close the connection cleanly: the client reads what was sent, then end-of-file."""
    with contextlib.suppress(OSError):  # the client already left: nothing to close
        sock.shutdown(socket.SHUT_RDWR)


def _reset(sock: socket.socket, *, wait: bool) -> None:
    """Reset the connection (RST), after the bytes sent so far arrived if ``wait``."""
    if wait:
        _wait_until_delivered(sock)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        return  # the client already left: nothing to reset
    dead, peer = socket.socketpair()
    peer.close()
    try:
        os.dup2(dead.fileno(), sock.fileno())
    finally:
        dead.close()


def _wait_until_delivered(sock: socket.socket) -> None:
    """Wait (up to DELIVERY_WAIT) until the client's TCP acknowledged every byte sent. Linux
    tells through SIOCOUTQ (TIOCOUTQ); elsewhere this does not wait."""
    deadline = time.monotonic() + DELIVERY_WAIT
    while time.monotonic() < deadline:
        try:
            raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
        except OSError:
            return
        if struct.unpack("i", raw)[0] == 0:
            return
        time.sleep(0.01)


def _pieces(chunks: Iterable[bytes], offset: int) -> Iterator[tuple[bytes, bool]]:
    """The chunks, the one holding byte ``offset`` split there: ``(piece, starts_at_offset)``.
    No piece is flagged when ``offset`` is the body's length."""
    position = 0
    for chunk in chunks:
        if not chunk:
            continue
        end = position + len(chunk)
        if position < offset < end:
            yield chunk[: offset - position], False
            yield chunk[offset - position :], True
        else:
            yield chunk, position == offset
        position = end


def _before(chunks: Iterable[bytes], offset: int) -> Iterator[bytes]:
    for piece, here in _pieces(chunks, offset):
        if here:
            return
        yield piece


def _flipped(chunks: Iterable[bytes], offset: int) -> Iterator[bytes]:
    for piece, here in _pieces(chunks, offset):
        yield bytes([piece[0] ^ 0xFF]) + piece[1:] if here else piece


def _stalled(chunks: Iterable[bytes], offset: int, seconds: float) -> Iterator[bytes]:
    for piece, here in _pieces(chunks, offset):
        if here:
            time.sleep(seconds)
        yield piece

from __future__ import annotations

import socket

import pytest


def test_connections_beyond_loopback_fail_the_test_at_once():
    with socket.socket() as sock, pytest.raises(OSError, match="only connect to loopback"):
        sock.connect(("93.184.216.34", 443))


def test_loopback_connections_are_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.socket() as client:
            client.connect(server.getsockname())

"""Environment for the test run, loaded as a pytest plugin (-p) before Django reads its settings.

The suite runs against the real PostgreSQL and Redis of this machine; an explicit environment
variable (for example a CI's DATABASE_URL) wins over these defaults.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_DEFAULTS = {
    "DJANGO_SETTINGS_MODULE": "portability_site.settings",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portability",
    "CACHE_URL": "rediscache://127.0.0.1:6379/14",
    # The worker processes the tests start share this broker with the test process.
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
    "MEDIA_ROOT": str(_ROOT / "var" / "test" / "media"),
    "SECRET_KEY": "test-secret-key-not-for-production",
    # A fixed Fernet key: the tests decrypt what they stored. Never used outside the tests.
    "TOKEN_ENCRYPTION_KEYS": "dGVzdHMtb25seS10b2tlbi1rZXktMzItYnl0ZXMteHg=",
    "VAR_DIR": str(_ROOT / "var" / "test"),
    "TIKTOK_SANDBOX": "1",
    "DEBUG": "0",
    # The live server's request threads would otherwise keep connections open past the test.
    "CONN_MAX_AGE": "0",
    "STATIC_FROM_SOURCE": "1",
}
for _name, _value in _DEFAULTS.items():
    os.environ.setdefault(_name, _value)
# The developer's own .env must not leak into the tests.
os.environ.setdefault("DJANGO_READ_DOT_ENV", "0")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: only localhost is known to stay on this machine
        return host == "localhost"


def _refuse_non_loopback(connect):  # type: ignore[no-untyped-def]
    """Wraps socket.connect so that any connection beyond this machine fails the test at once:
    the suite must never reach TikTok or anything else on the internet."""

    def guarded(sock: socket.socket, address, *args, **kwargs):  # type: ignore[no-untyped-def]
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if not _is_loopback(host):
                raise OSError(f"Tests may only connect to loopback addresses, not {host}")
        return connect(sock, address, *args, **kwargs)

    return guarded


socket.socket.connect = _refuse_non_loopback(socket.socket.connect)  # type: ignore[method-assign]
socket.socket.connect_ex = _refuse_non_loopback(socket.socket.connect_ex)  # type: ignore[method-assign]

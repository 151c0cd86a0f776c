"""A crawl of every URL pattern of the site: one GET per pattern for each kind of visitor, with
what the answers said in their headers and cookies and, for HTML, their bodies.

Used in the test process (with the tests' settings) and, as `python -m tests.security.crawl`,
in a process of its own started with production settings from the environment, where it works
inside one database transaction that it rolls back, and prints its visits as JSON.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

# The parts of a URL pattern that a sample path fills in: route parameters, regex groups.
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>((?:[^()\\]|\\.)*)\)")
_PLAIN_GROUP = re.compile(r"\(([^()?]*)\)")
_WORD_CHOICES = re.compile(r"^\w+(\|\w+)*$")
COOKIE_FLAGS = ("secure", "httponly", "samesite", "max-age")
SIGN_IN_CHOICE = {"kinds": ["activity"], "frequency": "single"}


@dataclass
class Visit:
    method: str
    path: str
    visitor: str
    status: int
    headers: dict[str, str]
    cookies: dict[str, dict[str, Any]] = field(default_factory=dict)
    html: str = ""

    @property
    def is_html(self) -> bool:
        return self.headers.get("Content-Type", "").startswith("text/html")


def url_patterns() -> list[tuple[tuple[Any, ...], Any]]:
    """Every URLPattern of the URLconf, with the patterns of the includes that lead to it."""
    from django.urls import URLResolver, get_resolver  # noqa: PLC0415 (after django.setup)

    def walk(patterns: list, prefix: tuple) -> list:
        found = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, (*prefix, pattern.pattern))
            else:
                found.append(((*prefix, pattern.pattern), pattern))
        return found

    return walk(get_resolver().url_patterns, ())


def sample_path(pieces: tuple[Any, ...], values: dict[str, str]) -> str:
    """A path matching the pattern made of `pieces`: parameters from `values` by name ("1" for
    others), the first of a set of alternatives, "x" for anything else a regex leaves open."""
    path = ""
    for piece in pieces:
        if hasattr(piece, "_route"):
            path += _CONVERTER.sub(lambda m: values.get(m.group(1), "1"), piece._route)
            continue

        def named(match: re.Match[str]) -> str:
            name, body = match.groups()
            if name in values:
                return values[name]
            return body.split("|")[0] if _WORD_CHOICES.match(body) else "x"

        regex = piece._regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
        regex = _NAMED_GROUP.sub(named, regex)
        regex = _PLAIN_GROUP.sub(lambda m: m.group(1).split("|")[0], regex)
        path += re.sub(r"\\(.)", r"\1", regex)
    return "/" + path


def sample_paths(values: dict[str, str]) -> list[str]:
    """One path per URL pattern. Each must resolve: to its own view, or to the earlier pattern
    that deliberately hides it (allauth's local-password pages)."""
    from django.urls import resolve  # noqa: PLC0415

    paths = {sample_path(pieces, values) for pieces, _pattern in url_patterns()}
    for path in paths:
        resolve(path)  # Resolver404 here means the sample is wrong, not the site
    return sorted(paths)


def record(method: str, path: str, visitor: str, response: Any) -> Visit:
    cookies = {
        name: {flag: morsel[flag] for flag in COOKIE_FLAGS}
        for name, morsel in response.cookies.items()
    }
    answer = Visit(method, path, visitor, response.status_code, dict(response.items()), cookies)
    if answer.is_html and not getattr(response, "streaming", False):
        answer.html = response.content.decode("utf-8", "replace")
    return answer


def crawl(visitors: dict[str, Any], values: dict[str, str], **extra: Any) -> list[Visit]:
    """GETs every sample path as each visitor (test Clients, signed in or not); then starts a
    sign-in as a new visitor, the answer that first sets a session cookie."""
    visits = [
        record("GET", path, name, client.get(path, **extra))
        for path in sample_paths(values)
        for name, client in visitors.items()
    ]
    newcomer = new_client(visitors["signed_out"])
    visits.append(record("GET", "/", "newcomer", newcomer.get("/", **extra)))
    sign_in = newcomer.post("/sign-in/tiktok/", SIGN_IN_CHOICE, **extra)
    visits.append(record("POST", "/sign-in/tiktok/", "newcomer", sign_in))
    return visits


def new_client(like: Any) -> Any:
    from django.test import Client  # noqa: PLC0415

    return Client(raise_request_exception=like.raise_request_exception, **like.defaults)


def set_up_visitors(host: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A signed-out visitor, a person with exports in several states and a verified address,
    and a site operator (superuser); and the values for the URL patterns' parameters."""
    from allauth.account.models import EmailAddress  # noqa: PLC0415
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from exports.models import ExportState  # noqa: PLC0415
    from exports.services.notifications import export_link  # noqa: PLC0415
    from tests.exports.factories import (  # noqa: PLC0415
        authorize,
        make_export,
        make_ready_export,
        make_user,
        make_zip,
    )
    from tiktok_sandbox.personas import PERSONAS  # noqa: PLC0415

    person = make_user("crawler")
    authorization = authorize(person, open_id="open-crawler")
    EmailAddress.objects.create(user=person, email="crawler@example.com", verified=True)
    ready = make_ready_export(person, make_zip(), tiktok_request_id=7234567890123450001)
    make_export(person, ExportState.PROCESSING, tiktok_request_id=7234567890123450002)
    make_export(
        person,
        ExportState.FAILED,
        tiktok_request_id=7234567890123450003,
        next_step_at=None,
        failure_code="invalid_params",
        notified_at=timezone.now(),
    )
    operator = get_user_model().objects.create_superuser("operator", "op@example.com", None)
    visitors = {
        name: Client(HTTP_HOST=host, raise_request_exception=False)
        for name in ("signed_out", "person", "operator")
    }
    visitors["person"].force_login(person)
    visitors["operator"].force_login(operator)
    values = {
        "export_id": str(ready.pk),
        "token": export_link(ready).rstrip("/").rsplit("/", 1)[1],
        "open_id": PERSONAS[0].open_id,
        "object_id": str(authorization.pk),
        "id": str(person.pk),
        # No such share: its pages answer 404, with the headers every answer carries.
        "share_id": "00000000-0000-4000-8000-000000000000",
        "dataset": "watch_history",
    }
    return visitors, values


def main() -> None:
    """Crawls over https with the settings of this process's environment and prints the
    visits as JSON, with one visit over plain http apart. The database must be migrated;
    nothing is left in it."""
    import django  # noqa: PLC0415

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portability_site.settings")
    django.setup()
    from django.conf import settings  # noqa: PLC0415
    from django.db import transaction  # noqa: PLC0415

    with transaction.atomic():
        visitors, values = set_up_visitors(settings.ALLOWED_HOSTS[0])
        visits = crawl(visitors, values, secure=True)
        plain = record("GET", "/dashboard/", "person", visitors["person"].get("/dashboard/"))
        transaction.set_rollback(True)
    json.dump({"https": [asdict(v) for v in visits], "http": asdict(plain)}, sys.stdout)


if __name__ == "__main__":
    main()

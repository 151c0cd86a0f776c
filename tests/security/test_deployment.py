"""Deployment hardening (checklist T13): with production settings from the environment, as a
deployment sets them, `manage.py check --deploy` finds nothing, and every page of the site, for
every kind of visitor, carries the security headers and secure cookies; with the tests' own
settings (plain http, the sandbox mounted) every page still carries all but HSTS."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.exports import factories
from tests.security.crawl import Visit, crawl, set_up_visitors, url_patterns
from tests.support.processes import ROOT, database_url_of_tests

archive_dirs = factories.archive_dirs
published = factories.published

# The production crawl's process needs the test database set up, as every test here does.
pytestmark = pytest.mark.django_db

PRODUCTION_HOST = "exports.example.org"
ONE_YEAR = 31536000
SAFE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin"}
SAFE_REFERRER_POLICIES |= {"strict-origin-when-cross-origin"}
# What the tests' environment says that a production deployment says differently.
NOT_INHERITED = ("TIKTOK_", "TOKEN_", "SECRET_KEY", "DEBUG", "SITE_URL", "ALLOWED_HOSTS", "AWS_")
NOT_INHERITED += ("STATIC_FROM_SOURCE", "EMAIL_URL", "SECURE_", "BEHIND_HTTPS_PROXY", "VAR_DIR")
NOT_INHERITED += ("MEDIA_ROOT", "CSRF_TRUSTED_ORIGINS")


def production_environment(var_dir: Path, **overrides: str) -> dict[str, str]:
    """A production configuration as README.md lists it: DEBUG off, an https SITE_URL, fresh
    secrets, real TikTok credentials (so no sandbox), PostgreSQL, Redis, SMTP; the stores are
    the tests' own."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(NOT_INHERITED)}
    env.update(
        {
            "DJANGO_READ_DOT_ENV": "0",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SITE_URL": f"https://{PRODUCTION_HOST}",
            "TIKTOK_CLIENT_KEY": "aw" + secrets.token_hex(8),
            "TIKTOK_CLIENT_SECRET": secrets.token_hex(16),
            "DATABASE_URL": database_url_of_tests(),
            "EMAIL_URL": "smtp://mailer:mail-password@smtp.example.org:587?tls=True",
            "VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            **overrides,
        }
    )
    return env


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


S3 = {
    "AWS_STORAGE_BUCKET_NAME": "exports-archives",
    "AWS_S3_REGION_NAME": "eu-central-1",
    "AWS_ACCESS_KEY_ID": "AKIA" + "X" * 16,
    "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
}


# manage.py check --deploy --------------------------------------------------------------------


def test_check_deploy_finds_nothing_with_production_settings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_environment(tmp_path, **S3),
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("weakened", "check_id"),
    [
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"DEBUG": "1"}, "security.W018"),
    ],
)
def test_check_deploy_fails_when_production_settings_are_weakened(tmp_path, weakened, check_id):
    """The run above is a real deployment check: weakening one setting makes it fail."""
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_environment(tmp_path, **S3, **weakened),
    )

    assert result.returncode != 0
    assert check_id in result.stderr


# Headers and cookies -------------------------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        if words := part.split():
            directives[words[0].lower()] = words[1:]
    return directives


_SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
_DATA_TYPE = re.compile(r"""\btype\s*=\s*["']?application/(ld\+)?json""", re.IGNORECASE)


def markup_problems(html: str, directives: dict[str, list[str]]) -> list[str]:
    """What in the page the policy would block, so that it would not work as written: inline
    scripts without the response's nonce, event handler attributes, javascript: URLs, and
    inline styles (style-src has no 'unsafe-inline')."""
    nonces = {word[7:-1] for word in directives.get("script-src", []) if word.startswith("'nonce-")}
    problems = []
    for match in _SCRIPT.finditer(html):
        attributes = match.group(1)
        if "src=" in attributes or _DATA_TYPE.search(attributes):
            continue  # from a file of this site, or data that is never run
        if not any(f'nonce="{nonce}"' in attributes for nonce in nonces):
            problems.append(f"inline script without the nonce: {match.group(0)[:80]}")
    if _EVENT_HANDLER.search(html):
        problems.append("an event handler attribute")
    if "javascript:" in html.lower():
        problems.append("a javascript: URL")
    inline_styles = _STYLE_ATTRIBUTE.search(html) or re.search(r"<style\b", html, re.IGNORECASE)
    if inline_styles and "'unsafe-inline'" not in directives.get("style-src", ["'unsafe-inline'"]):
        problems.append("an inline style")
    return problems


def header_problems(visit: Visit, *, https: bool) -> list[str]:
    """Which of the checklist's headers an answer lacks or gets wrong."""
    headers = visit.headers
    problems = []
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not visit.is_html:
        return problems
    directives = csp_directives(headers.get("Content-Security-Policy", ""))
    scripts = directives.get("script-src", directives.get("default-src"))
    if not scripts:
        problems.append("no CSP script-src")
    elif {"'unsafe-inline'", "'unsafe-eval'"} & set(scripts):
        problems.append(f"CSP script-src allows {scripts}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"CSP frame-ancestors is {directives.get('frame-ancestors')}")
    if headers.get("Referrer-Policy") not in SAFE_REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {headers.get('Referrer-Policy')}")
    if headers.get("Cross-Origin-Opener-Policy") != "same-origin":
        problems.append(f"COOP is {headers.get('Cross-Origin-Opener-Policy')}")
    if https:
        max_age = re.search(r"max-age=(\d+)", headers.get("Strict-Transport-Security", ""))
        if not max_age or int(max_age.group(1)) < ONE_YEAR:
            problems.append(f"HSTS is {headers.get('Strict-Transport-Security')}")
    return problems + markup_problems(visit.html, directives)


def all_problems(visits: list[Visit], *, https: bool) -> dict[str, list[str]]:
    problems = {}
    for visit in visits:
        if visit.status >= 500:
            problems[f"{visit.method} {visit.path} as {visit.visitor}"] = [f"{visit.status}"]
        elif found := header_problems(visit, https=https):
            problems[f"{visit.method} {visit.path} as {visit.visitor}"] = found
    return problems


def assert_every_pattern_visited(visits: list[Visit], patterns: int) -> None:
    paths = {visit.path for visit in visits if visit.visitor == "operator"}
    # Patterns of one view differing only in their parameter names share a sample path.
    assert len(paths) >= patterns * 0.9, (len(paths), patterns)
    assert {"/", "/dashboard/", "/admin/"} <= paths
    assert {visit.visitor for visit in visits} >= {"signed_out", "person", "operator"}


@pytest.fixture(scope="module")
def production_crawl(tmp_path_factory, django_db_setup, django_db_blocker) -> dict:
    """The crawl in a process of its own with production settings, after collectstatic as a
    deployment runs it (the manifest storage needs it): its visits over https, and one visit
    over plain http."""
    var_dir = tmp_path_factory.mktemp("production")
    env = production_environment(var_dir)
    collected = run(["manage.py", "collectstatic", "--noinput"], env)
    assert collected.returncode == 0, collected.stderr
    with django_db_blocker.unblock():
        result = run(["-m", "tests.security.crawl"], env)
    assert result.returncode == 0, result.stderr[-5000:]
    output = json.loads(result.stdout)
    return {"https": [Visit(**v) for v in output["https"]], "http": Visit(**output["http"])}


def test_in_production_every_page_has_csp_hsts_nosniff_referrer_policy_and_coop(
    production_crawl,
):
    visits = production_crawl["https"]

    assert all_problems(visits, https=True) == {}
    # Real credentials turn the sandbox off: its pages do not exist.
    assert not any(visit.path.startswith("/tiktok-sandbox/") for visit in visits)
    sandbox_off = [entry for entry in url_patterns() if "tiktok-sandbox" not in str(entry[0][0])]
    assert_every_pattern_visited(visits, len(sandbox_off))


def test_in_production_plain_http_is_redirected_to_https(production_crawl):
    plain = production_crawl["http"]

    assert plain.status == 301
    assert plain.headers["Location"] == f"https://{PRODUCTION_HOST}/dashboard/"


def test_in_production_every_cookie_set_is_secure_and_same_site_and_the_session_http_only(
    production_crawl,
):
    cookies: dict[str, list[dict]] = {}
    for visit in production_crawl["https"]:
        for name, flags in visit.cookies.items():
            if flags["max-age"] != 0:  # a deletion carries nothing to protect
                cookies.setdefault(name, []).append(flags)

    assert {"sessionid", "csrftoken"} <= set(cookies), set(cookies)
    for name, settings in cookies.items():
        for flags in settings:
            assert flags["secure"] is True, (name, flags)
            assert flags["samesite"] in {"Lax", "Strict"}, (name, flags)
    assert all(flags["httponly"] is True for flags in cookies["sessionid"])


def test_with_the_sandbox_on_every_page_has_csp_nosniff_referrer_policy_and_coop(
    archive_dirs, published
):
    visitors, values = set_up_visitors("testserver")

    visits = crawl(visitors, values)

    assert all_problems(visits, https=False) == {}
    assert any(visit.path.startswith("/tiktok-sandbox/") for visit in visits)
    assert_every_pattern_visited(visits, len(url_patterns()))

"""The rate limits hold when requests come all at once, in the embedded setup (`make run`:
SQLite, the file cache, runserver's threads) as in production (PostgreSQL, Redis, gunicorn's
processes and threads): each window's count goes up by exactly one per request, lasts the whole
window and no longer, and an unreachable store lets requests through."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import psycopg
import pytest
import requests
import time_machine
from django.core.cache import cache
from django.db import connection

from exports import ratelimit
from exports.models import RateLimitCounter
from tests.support.processes import (
    ROOT,
    database_url_of_tests,
    django_server,
    free_port,
    gunicorn_server,
)
from tests.test_embedded_run import SERVER_SETTINGS

SIGN_IN_FORM = {"kinds": ["activity"], "frequency": "single"}
BURST = 60
AUTHORIZE_PATH = "/tiktok-sandbox/v2/auth/authorize/"


def not_near_the_end_of_a_window(limit: ratelimit.RateLimit, margin: float) -> None:
    """Waits for the next window if this one ends within `margin` seconds, so that what a test
    counts falls into one window."""
    left = limit.window_seconds - time.time() % limit.window_seconds
    if left < margin:
        time.sleep(left)


def burst_of_sign_ins(site: str, count: int = BURST) -> list[requests.Response]:
    """`count` browsers at one address, each with its own CSRF cookie, press "Sign in with
    TikTok" at the same moment."""
    not_near_the_end_of_a_window(ratelimit.SIGN_IN, margin=30)
    start_together = threading.Barrier(count)

    def press(_: int) -> requests.Response:
        with requests.Session() as browser:
            browser.get(site + "/", timeout=30).raise_for_status()
            form = {**SIGN_IN_FORM, "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
            start_together.wait(timeout=30)
            return browser.post(
                site + "/sign-in/tiktok/", data=form, allow_redirects=False, timeout=45
            )

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(press, range(count)))


def assert_exactly_the_limit_went_through(site: str, answers: list[requests.Response]) -> None:
    limit = ratelimit.SIGN_IN.limit
    assert Counter(a.status_code for a in answers) == {302: limit, 429: BURST - limit}, [
        (a.status_code, a.text[:200]) for a in answers if a.status_code not in (302, 429)
    ]
    for answer in answers:
        if answer.status_code == 302:
            assert answer.headers["Location"].startswith(site + AUTHORIZE_PATH)
        else:
            assert 0 < int(answer.headers["Retry-After"]) <= ratelimit.SIGN_IN.window_seconds
            assert "Too many tries" in answer.text


# Over real HTTP, all at once ----------------------------------------------------------------


def test_a_burst_of_sign_ins_in_the_embedded_setup_lets_exactly_the_limit_through(tmp_path):
    port = free_port()
    env = {"DEBUG": "1", "VAR_DIR": str(tmp_path / "var"), "SITE_URL": f"http://127.0.0.1:{port}"}
    migrate_env = {**os.environ, "DJANGO_READ_DOT_ENV": "0", **env}
    for name in SERVER_SETTINGS:
        migrate_env.pop(name, None)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT, env=migrate_env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert migrate.returncode == 0, f"migrate failed:\n{migrate.stdout}\n{migrate.stderr}"

    with django_server(port, env, tmp_path / "server.log", unset=SERVER_SETTINGS) as site:
        answers = burst_of_sign_ins(site)

    assert_exactly_the_limit_went_through(site, answers)
    with closing(sqlite3.connect(tmp_path / "var" / "db.sqlite3")) as database:
        counted = database.execute("SELECT key, count FROM exports_ratelimitcounter").fetchall()
    assert counted == [("ratelimit:sign-in:address:127.0.0.1", BURST)]


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_sign_ins_on_postgresql_and_redis_lets_exactly_the_limit_through(tmp_path):
    port = free_port()
    env = {"DATABASE_URL": database_url_of_tests(), "SITE_URL": f"http://127.0.0.1:{port}"}

    with gunicorn_server(port, env, tmp_path / "server.log", workers=3, threads=4) as site:
        answers = burst_of_sign_ins(site)

    assert_exactly_the_limit_went_through(site, answers)
    assert not RateLimitCounter.objects.exists(), "counted in Redis, not the database"


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_sign_ins_counted_in_postgresql_lets_exactly_the_limit_through(tmp_path):
    port = free_port()
    env = {
        "DATABASE_URL": database_url_of_tests(),
        "CACHE_URL": f"filecache://{tmp_path / 'cache'}",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }

    with gunicorn_server(port, env, tmp_path / "server.log", workers=3, threads=4) as site:
        answers = burst_of_sign_ins(site)

    assert_exactly_the_limit_went_through(site, answers)
    assert RateLimitCounter.objects.get().count == BURST


# Windows -------------------------------------------------------------------------------------


@pytest.fixture
def counted_in_the_database(settings, tmp_path, db) -> None:
    """The embedded setup's file cache: the counts go to the database."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }


def start_of_a_window(limit: ratelimit.RateLimit) -> dt.datetime:
    window = int(time.time()) // limit.window_seconds + 1
    return dt.datetime.fromtimestamp(window * limit.window_seconds, tz=dt.UTC)


def test_a_count_in_the_database_lasts_its_whole_window_however_the_hits_are_spaced(
    counted_in_the_database,
):
    limit = ratelimit.RESEND_EMAIL  # 3 an hour
    start = start_of_a_window(limit)
    waits = []
    for minutes in (0, 20, 40, 59):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            waits.append(ratelimit.seconds_to_wait(limit, "user:1"))

    assert waits == [None, None, None, 60]


def test_a_count_in_the_database_starts_again_in_the_next_window(counted_in_the_database):
    limit = ratelimit.RESEND_EMAIL
    start = start_of_a_window(limit)
    with time_machine.travel(start, tick=False):
        for _ in range(limit.limit + 1):
            ratelimit.seconds_to_wait(limit, "user:1")

    with time_machine.travel(start + dt.timedelta(minutes=60), tick=False):
        next_window = [ratelimit.seconds_to_wait(limit, "user:1") for _ in range(limit.limit)]

    assert next_window == [None] * limit.limit
    assert RateLimitCounter.objects.get().count == limit.limit


def test_counts_are_kept_apart_per_limit_and_per_caller(counted_in_the_database):
    for _ in range(ratelimit.RESEND_EMAIL.limit):
        ratelimit.seconds_to_wait(ratelimit.RESEND_EMAIL, "user:1")

    assert ratelimit.seconds_to_wait(ratelimit.RESEND_EMAIL, "user:1") is not None
    assert ratelimit.seconds_to_wait(ratelimit.RESEND_EMAIL, "user:2") is None
    assert ratelimit.seconds_to_wait(ratelimit.REQUEST_EXPORT, "user:1") is None


def test_a_caller_with_a_very_long_address_is_counted_too(counted_in_the_database):
    who = "address:" + "x" * 400  # an odd X-Forwarded-For entry behind a proxy

    waits = [ratelimit.seconds_to_wait(ratelimit.RESEND_EMAIL, who) for _ in range(4)]

    assert waits[:3] == [None] * 3
    assert waits[3] is not None


def test_expired_counts_are_deleted_and_those_of_open_windows_kept(counted_in_the_database):
    hour = start_of_a_window(ratelimit.REQUEST_EXPORT)
    with time_machine.travel(hour, tick=False):
        ratelimit.seconds_to_wait(ratelimit.SIGN_IN, "address:192.0.2.1")  # ends at 00:15
        ratelimit.seconds_to_wait(ratelimit.REQUEST_EXPORT, "user:1")  # ends at 01:00

    deleted = ratelimit.delete_expired_rate_limit_counters(hour + dt.timedelta(minutes=20))

    assert deleted == 1
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == [
        "ratelimit:request-export:user:1"
    ]


def test_a_count_in_redis_expires_when_its_window_ends_and_later_hits_do_not_extend_it(db):
    limit = ratelimit.SIGN_IN
    not_near_the_end_of_a_window(limit, margin=5)
    ratelimit.seconds_to_wait(limit, "address:192.0.2.1")
    window = int(time.time()) // limit.window_seconds
    key = cache.make_key(f"ratelimit:{limit.name}:address:192.0.2.1:{window}")
    redis = cache._cache.get_client(key)
    first = redis.pttl(key)

    time.sleep(1.1)
    ratelimit.seconds_to_wait(limit, "address:192.0.2.1")

    left = (window + 1) * limit.window_seconds - time.time()
    assert 0 < first <= limit.window_seconds * 1000
    assert redis.pttl(key) == pytest.approx(left * 1000, abs=1100)
    assert redis.pttl(key) <= first - 1000
    assert int(redis.get(key)) == 2


# Outages -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_the_database_connection_lost_requests_go_through_rather_than_fail(
    settings, tmp_path, caplog
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    connection.ensure_connection()
    with psycopg.connect(database_url_of_tests(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])

    try:
        waits = [
            ratelimit.seconds_to_wait(ratelimit.RESEND_EMAIL, "user:1")
            for _ in range(ratelimit.RESEND_EMAIL.limit + 2)
        ]
    finally:
        connection.close()

    assert waits == [None] * (ratelimit.RESEND_EMAIL.limit + 2)
    assert "Rate limit resend-email not checked" in caplog.text

"""Exports carry on when Redis or PostgreSQL restarts under them, idle or in the middle of a copy
or of TikTok's preparation, and the site keeps answering (issue #5; checklist T3, T4).

Each server here is a private one started for these tests (tests/support/private_services.py):
the machine's own are shared. Everything else runs as in production, as separate processes:
gunicorn serving the site and the sandbox as TikTok, a Celery worker and beat. The database row
is the source of truth, so what a restart loses (messages, a copy cut short) the sweep sends
again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from exports import taskqueue
from tests.support.browser import Browser
from tests.support.private_services import (
    Deployment,
    PrivatePostgres,
    PrivateRedis,
    ask_for_export,
    assert_exported_once,
    deployment,
    migrate,
    private_postgres,
    private_redis,
    sign_in_as,
    start_export,
)
from tests.support.processes import database_url_of_tests
from tiktok_sandbox.personas import PERSONAS

ARCHIVE_SIZE = 12 * 1024 * 1024
# About six seconds a copy: a restart can fall in the middle of it.
SLOW_COPY = 2 * 1024 * 1024
FAST_COPY = 200 * 1024 * 1024
PIPELINE = {
    "EXPORT_FETCH_LEASE": "8",
    "EXPORT_SWEEP_INTERVAL": "2",
    "EXPORT_POLL_INITIAL": "2",
    "EXPORT_POLL_MAX": "4",
    "TIKTOK_CONNECT_TIMEOUT": "2",
    "TIKTOK_READ_TIMEOUT": "10",
    "TIKTOK_SANDBOX_ARCHIVE_SIZE": str(ARCHIVE_SIZE),
}
# How long a server stays down: every process notices, and their retries back off meanwhile.
OUTAGE_SECONDS = 6.0
# Generous: after the restart, a lapsed lease, a few sweeps and a whole copy.
RECOVERY_SECONDS = 150.0


def finished(site: Deployment, export_id: str) -> dict[str, Any]:
    return site.wait_for_export(
        export_id,
        lambda e: e["state"] not in ("requested", "processing", "fetching"),
        seconds=RECOVERY_SECONDS,
    )


def dashboard_status(browser: Browser, site: Deployment) -> int:
    try:
        return browser.session.get(site.url + "/dashboard/", timeout=30).status_code
    except requests.RequestException:
        return 0


# Redis -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[PrivateRedis]:
    with private_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def site_on_redis(django_db_setup, redis_server, tmp_path_factory) -> Iterator[Deployment]:
    """The site, beat and one worker for the Redis tests, on the tests' database."""
    with (
        deployment(
            tmp_path_factory.mktemp("site-on-redis"),
            database_url=database_url_of_tests(),
            redis_server=redis_server,
            env={**PIPELINE, "TIKTOK_SANDBOX_EXPORT_READY_AFTER": "1"},
            bytes_per_second=FAST_COPY,
        ) as site,
        site.worker(),
    ):
        yield site


@pytest.fixture
def redis_site(site_on_redis) -> Iterator[Deployment]:
    site_on_redis.proxy.bytes_per_second = FAST_COPY
    yield site_on_redis
    if site_on_redis.redis.process.poll() is not None:  # a failed test left it down
        site_on_redis.redis.start()


def restart_redis(redis_server: PrivateRedis, *, save: bool) -> None:
    redis_server.stop(save=save)
    time.sleep(OUTAGE_SECONDS)
    redis_server.start()


def consumed(site: Deployment, task_id: str) -> bool:
    return any("succeeded" in line for line in site.task_outcomes(task_id))


@pytest.mark.django_db(transaction=True)
def test_after_redis_restarts_while_idle_the_worker_consumes_again_and_exports_go_through(
    redis_site,
):
    restart_redis(redis_site.redis, save=True)

    # Canaries on both queues: steps of exports that do not exist, which run and do nothing.
    canaries = [
        redis_site.publish(taskqueue.CHECK, str(uuid.uuid4())),
        redis_site.publish(taskqueue.FETCH, str(uuid.uuid4())),
    ]
    deadline = time.monotonic() + 60
    while not all(consumed(redis_site, canary) for canary in canaries):
        assert time.monotonic() < deadline, redis_site.logs()
        time.sleep(0.1)
    started = time.monotonic()
    export_id = start_export(redis_site, 0, "lucia@example.org")
    export = finished(redis_site, export_id)
    downloads = redis_site.proxy.downloads_of_the_test(started)
    assert_exported_once(redis_site, export, "lucia@example.org", downloads)


@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_mid_copy_that_loses_every_message_still_ends_in_one_archive(
    redis_site,
):
    redis_site.proxy.bytes_per_second = SLOW_COPY
    started = time.monotonic()
    export_id = start_export(redis_site, 1, "jonas@example.org")
    redis_site.wait_for_copy(export_id, 0.3)

    restart_redis(redis_site.redis, save=False)

    export = finished(redis_site, export_id)
    downloads = redis_site.proxy.downloads_of_the_test(started)
    assert_exported_once(redis_site, export, "jonas@example.org", downloads)


@pytest.mark.django_db(transaction=True)
def test_while_redis_is_down_the_site_serves_and_takes_requests_that_the_sweep_sends_later(
    redis_site,
):
    browser = Browser()
    sign_in_as(browser, redis_site.url, PERSONAS[2].open_id, kinds=["activity"])
    started = time.monotonic()
    redis_site.redis.stop(save=False)
    try:
        assert dashboard_status(browser, redis_site) == 200
        export_id = ask_for_export(browser, redis_site.url, ["activity"])
        redis_site.add_verified_email(export_id, "amara@example.org")
        readiness = browser.session.get(redis_site.url + "/readyz", timeout=30)
        assert readiness.status_code == 503
        assert readiness.json()["checks"]["broker"] != "ok"
        assert redis_site.export(export_id)["state"] == "requested"
    finally:
        redis_site.redis.start()

    export = finished(redis_site, export_id)
    downloads = redis_site.proxy.downloads_of_the_test(started)
    assert_exported_once(redis_site, export, "amara@example.org", downloads)


@pytest.mark.django_db(transaction=True)
def test_disconnecting_while_redis_is_down_is_finished_at_tiktok_by_the_sweep_later(redis_site):
    browser = Browser()
    sign_in_as(browser, redis_site.url, PERSONAS[0].open_id, kinds=["activity"])
    redis_site.redis.stop(save=False)
    try:
        confirm = browser.get(redis_site.url + "/account/disconnect-tiktok/")
        after = browser.submit(confirm, "Disconnect TikTok")
        assert after.url == redis_site.url + "/dashboard/"
        (grant,) = redis_site.query("SELECT withdrawn_at FROM exports_tiktokauthorization")
        assert grant["withdrawn_at"] is not None
    finally:
        redis_site.redis.start()

    deadline = time.monotonic() + 60
    while redis_site.query("SELECT id FROM exports_tiktokauthorization"):
        assert time.monotonic() < deadline, redis_site.logs()
        time.sleep(0.1)
    (revoked,) = redis_site.query("SELECT revoked_at FROM tiktok_sandbox_grant")
    assert revoked["revoked_at"] is not None


# PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def site_on_postgres(postgres_server, tmp_path_factory) -> Iterator[Deployment]:
    """The site, beat and one worker for the PostgreSQL tests, with a database and a Redis of
    their own. TikTok takes a few seconds to prepare an export, so that a restart can fall
    while the worker is still asking it, and a copy outlasts the outage."""
    database_url = postgres_server.create_database("portability")
    migrate(database_url)
    env = {**PIPELINE, "TIKTOK_SANDBOX_EXPORT_READY_AFTER": "6", "EXPORT_FETCH_LEASE": "12"}
    with (
        private_redis(tmp_path_factory.mktemp("redis-for-postgres")) as redis_server,
        deployment(
            tmp_path_factory.mktemp("site-on-postgres"),
            database_url=database_url,
            redis_server=redis_server,
            env=env,
            bytes_per_second=SLOW_COPY // 2,
        ) as site,
        site.worker(),
    ):
        yield site


@pytest.fixture
def postgres_site(site_on_postgres, postgres_server) -> Iterator[Deployment]:
    yield site_on_postgres
    if not postgres_server.running:  # a failed test left it down
        postgres_server.start()


def restart_postgres(postgres_server: PrivatePostgres, browser: Browser, site: Deployment) -> None:
    """Stops PostgreSQL as a crash would and starts it again; the site, with the processes it
    had, answers at once (each of its threads finds its connection dead and opens another)."""
    postgres_server.stop("immediate")
    assert dashboard_status(browser, site) == 500
    time.sleep(OUTAGE_SECONDS)
    postgres_server.start()
    # More requests than gunicorn has threads: each thread meets its dead connection once.
    assert [dashboard_status(browser, site) for _ in range(8)] == [200] * 8


def test_a_postgres_restart_mid_copy_ends_in_one_archive_and_the_site_answers_at_once(
    postgres_site, postgres_server
):
    browser = Browser()
    started = time.monotonic()
    export_id = start_export(postgres_site, 0, "lucia@example.org", browser)
    postgres_site.wait_for_copy(export_id, 0.3)

    restart_postgres(postgres_server, browser, postgres_site)

    export = finished(postgres_site, export_id)
    downloads = postgres_site.proxy.downloads_of_the_test(started)
    assert_exported_once(postgres_site, export, "lucia@example.org", downloads)


def test_a_postgres_restart_while_tiktok_prepares_the_export_only_delays_it(
    postgres_site, postgres_server
):
    browser = Browser()
    started = time.monotonic()
    export_id = start_export(postgres_site, 1, "jonas@example.org", browser)
    postgres_site.wait_for_export(
        export_id, lambda e: e["state"] == "processing" and e["check_count"] >= 1, seconds=60
    )

    restart_postgres(postgres_server, browser, postgres_site)

    export = finished(postgres_site, export_id)
    downloads = postgres_site.proxy.downloads_of_the_test(started)
    assert_exported_once(postgres_site, export, "jonas@example.org", downloads)

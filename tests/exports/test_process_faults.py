"""The copy of an archive survives the worker dying under it and the same task arriving more
than once (issue #5; checklist T1, T2).

Everything runs as in production, as separate processes: gunicorn serving the site and the
sandbox as TikTok, Celery workers (prefork) and beat, on a Redis of their own and PostgreSQL. A
proxy between the site and TikTok slows the Download answer, so that a copy can be interrupted
half-way, and records every Download call. Recovery comes from the product alone: the lease on
the copy lapses, and the sweep that beat publishes every EXPORT_SWEEP_INTERVAL sends it again.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator

import pytest

from exports import taskqueue
from tests.support.private_services import (
    Deployment,
    PrivateRedis,
    assert_exported_once,
    deployment,
    private_redis,
    process_with_connection_from,
    redeliver,
    start_export,
)
from tests.support.processes import database_url_of_tests

pytestmark = pytest.mark.django_db(transaction=True)

ARCHIVE_SIZE = 12 * 1024 * 1024
# About six seconds a copy: long enough to kill a worker in the middle of it.
COPY_RATE = 2 * 1024 * 1024
PIPELINE = {
    "EXPORT_FETCH_LEASE": "8",
    "EXPORT_SWEEP_INTERVAL": "2",
    "EXPORT_POLL_INITIAL": "1",
    "EXPORT_POLL_MAX": "2",
    "TIKTOK_CONNECT_TIMEOUT": "2",
    "TIKTOK_READ_TIMEOUT": "10",
    "TIKTOK_SANDBOX_EXPORT_READY_AFTER": "1",
    "TIKTOK_SANDBOX_ARCHIVE_SIZE": str(ARCHIVE_SIZE),
}
# Generous: a lapsed lease, a few sweeps and a whole copy take about twenty seconds.
RECOVERY_SECONDS = 120.0


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[PrivateRedis]:
    with private_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def site(django_db_setup, redis_server, tmp_path_factory) -> Iterator[Deployment]:
    """The site and beat for the module, on the tests' database; each test starts its workers."""
    with deployment(
        tmp_path_factory.mktemp("site"),
        database_url=database_url_of_tests(),
        redis_server=redis_server,
        env=PIPELINE,
        bytes_per_second=COPY_RATE,
    ) as running:
        yield running


@pytest.fixture
def test_started(site) -> Iterator[float]:
    """When the test started, to tell its downloads from earlier ones."""
    site.proxy.bytes_per_second = COPY_RATE
    yield time.monotonic()
    site.worker_logs.clear()


def copied_again(site: Deployment, export_id: str) -> dict:
    return site.wait_for_export(
        export_id, lambda e: e["state"] != "fetching", seconds=RECOVERY_SECONDS
    )


def test_a_pool_child_killed_mid_copy_is_replaced_and_the_export_still_finishes(site, test_started):
    with site.worker() as worker:
        export_id = start_export(site, 0, "lucia@example.org")
        download = site.wait_for_copy(export_id, 0.4)
        child = process_with_connection_from(download.client_port, worker.pid)
        assert child.pid != worker.pid

        child.send_signal(signal.SIGKILL)

        export = copied_again(site, export_id)
        assert worker.poll() is None  # the worker replaced its child and carried on
        downloads = site.proxy.downloads_of_the_test(test_started)
        assert_exported_once(site, export, "lucia@example.org", downloads)
    assert export["fetch_attempts"] == 2
    assert [d.complete for d in downloads] == [False, True]
    assert downloads[0].sent < ARCHIVE_SIZE


def test_a_whole_worker_killed_mid_copy_leaves_the_copy_to_the_next_worker(site, test_started):
    with site.worker("doomed") as worker:
        export_id = start_export(site, 1, "jonas@example.org")
        site.wait_for_copy(export_id, 0.4)

        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)

    # Nothing runs the copy now: the export waits, its lease held by a dead worker.
    assert site.export(export_id)["state"] == "fetching"
    with site.worker("replacement"):
        export = copied_again(site, export_id)
        downloads = site.proxy.downloads_of_the_test(test_started)
        assert_exported_once(site, export, "jonas@example.org", downloads)
    assert export["fetch_attempts"] == 2
    assert [d.complete for d in downloads] == [False, True]


def test_the_copy_delivered_again_and_again_downloads_once_and_the_duplicates_leave_at_once(
    site, test_started
):
    # Slower, so that every duplicate meets the copy still under way.
    site.proxy.bytes_per_second = COPY_RATE // 2
    with site.worker("first"), site.worker("second"):
        export_id = start_export(site, 2, "amara@example.org")
        site.wait_for_copy(export_id, 0.1)
        (running,) = site.unacknowledged(taskqueue.FETCH, export_id)

        duplicates = [site.publish(taskqueue.FETCH, export_id, task_id=str(uuid.uuid4()))]
        duplicates += [site.publish(taskqueue.FETCH, export_id) for _ in range(2)]
        # What Redis does when the visibility timeout passes while the task still runs.
        redeliver(site.redis.url(0), running)

        deadline = time.monotonic() + 60
        while not all(site.task_outcomes(task_id) for task_id in [*duplicates, running]):
            assert time.monotonic() < deadline, site.logs()
            time.sleep(0.1)
        # All four ended, and well, while the first copy was still going: none of them waited
        # for it or started a copy of its own.
        assert site.export(export_id)["state"] == "fetching"
        assert site.proxy.download_in_progress() is not None
        for task_id in [*duplicates, running]:
            assert all("succeeded" in line for line in site.task_outcomes(task_id))

        export = copied_again(site, export_id)
        downloads = site.proxy.downloads_of_the_test(test_started)
        assert_exported_once(site, export, "amara@example.org", downloads)
    assert export["fetch_attempts"] == 1
    assert len(downloads) == 1

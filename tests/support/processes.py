"""Starting and stopping real server processes for tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# The Celery workers running now, started by celery_worker.
LIVE_WORKERS: set[int] = set()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_of_tests() -> str:
    """The URL of the database the tests run against, for processes started by a test."""
    params = connection.settings_dict
    host = params["HOST"] or "127.0.0.1"
    port = params["PORT"] or 5432
    user = params["USER"] or "postgres"
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


def wait_for_http(url: str, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
        except (requests.ConnectionError, requests.Timeout):
            # Not listening yet, or listening while its workers still import the site: the
            # first answer of a server booting three workers on a busy machine can take longer.
            time.sleep(0.2)
        else:
            return
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def served(
    arguments: list[str],
    port: int,
    env: dict[str, str],
    log_path: Path,
    *,
    unset: tuple[str, ...] = (),
    stop_seconds: float = 20,
) -> Iterator[str]:
    """A server of this project (`arguments` after the Python interpreter) in its own process,
    with `env` on top of the test environment less the variables in `unset`. Yields its base
    URL once it answers; its log is written to `log_path`; stopped when the block ends."""
    full_env = {**os.environ, "DJANGO_READ_DOT_ENV": "0", **env}
    for name in unset:
        full_env.pop(name, None)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, *arguments],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_for_http(base_url + "/")
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=stop_seconds)


@contextmanager
def django_server(
    port: int, env: dict[str, str], log_path: Path, *, unset: tuple[str, ...] = ()
) -> Iterator[str]:
    """This project served by `manage.py runserver` in its own process (see `served`)."""
    arguments = ["manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    with served(arguments, port, env, log_path, unset=unset, stop_seconds=10) as base_url:
        yield base_url


@contextmanager
def gunicorn_server(
    port: int, env: dict[str, str], log_path: Path, *, workers: int = 1, threads: int = 1
) -> Iterator[str]:
    """This project under gunicorn in its own process (see `served`): gthread workers when
    `threads` > 1, as the Dockerfile runs it, else the sync worker."""
    arguments = [
        "-m", "gunicorn", "portability_site.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", str(threads),
        # Its control socket has one path per user: two servers (or test runs) would share it.
        "--no-control-socket",
    ]  # fmt: skip
    with served(arguments, port, env, log_path) as base_url:
        yield base_url


@contextmanager
def celery_worker(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process of this project (prefork pool, 2 children) consuming the
    test broker, with `env` on top of the test environment. Stopped (and its children with it)
    when the block ends."""
    full_env = {**os.environ, "DJANGO_READ_DOT_ENV": "0", **env}
    command = [
        sys.executable, "-m", "celery", "-A", "portability_site", "worker",
        "--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO",
        "--queues", "celery,downloads",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            _wait_for_log(log_path, "ready.", process)
            LIVE_WORKERS.add(process.pid)
            yield process
        finally:
            LIVE_WORKERS.discard(process.pid)
            stop_process_group(process)


def settle_readings(seconds: float = 20) -> None:
    """Waits (at most `seconds`) until no archive is being read or waits to be: a worker still
    writing records when a test empties the database would deadlock with the emptying."""
    from exports.datasets import ExportReading, ReadingState  # noqa: PLC0415 - Django is set up

    deadline = time.monotonic() + seconds
    under_way = (ReadingState.PENDING, ReadingState.READING)
    while ExportReading.objects.filter(state__in=under_way).exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)


def _wait_for_log(log_path: Path, marker: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if marker in log_path.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise RuntimeError(f"worker exited:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.2)
    raise TimeoutError(f"worker not ready:\n{log_path.read_text(errors='replace')}")


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """Stops a process started in a session of its own, with everything it started: SIGTERM,
    `grace` seconds to finish, then SIGKILL. Reaps it either way."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        process.wait(timeout=10)

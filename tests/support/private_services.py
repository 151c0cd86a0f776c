"""Private PostgreSQL and Redis servers, and the site deployed on them, for the tests that stop
servers and kill processes.

The machine's PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) are shared by everyone
testing on it, so a test that restarts a server restarts one started for it alone. `deployment`
starts what production runs (gunicorn, a Celery beat, Celery workers on demand) against them,
with a throttling proxy between the site and TikTok (the sandbox, served by the same site): a
copy then lasts long enough to be interrupted, and every call to TikTok's Download endpoint is
counted, timed and hashed, which the sandbox itself does not record.
"""

from __future__ import annotations

import email
import hashlib
import http.client
import itertools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import psycopg
import redis
from kombu import Connection
from kombu.utils.json import loads
from psycopg.rows import dict_row

from exports.archive_store import archive_key
from portability_site.celery import app as celery_app
from tests.exports.conftest import start_sign_in
from tests.support.browser import Browser
from tests.support.processes import (
    ROOT,
    celery_worker,
    free_port,
    stop_process_group,
    wait_for_http,
)
from tiktok_sandbox.archives import ArchiveSpec, archive_sha256_and_size
from tiktok_sandbox.models import PortabilityRequest
from tiktok_sandbox.personas import PERSONAS

DOWNLOAD_PATH = "/v2/user/data/download/"
# Headers that describe one hop of a connection, not the message (RFC 9110 §7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}
PIECE = 64 * 1024


# PostgreSQL ------------------------------------------------------------------------------------


def postgres_programs() -> Path:
    """The folder of the newest installed PostgreSQL's programs (Debian keeps one per major
    version under /usr/lib/postgresql), or the one `initdb` on the PATH belongs to."""
    versions = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if path.parent.parent.name.isdigit()
    ]
    if versions:
        return max(versions, key=lambda folder: int(folder.parent.name))
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's initdb was not found")
    return Path(initdb).resolve().parent


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, its programs run as the postgres account."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PrivatePostgres:
    """A PostgreSQL cluster of its own, in a temporary folder and on a free port."""

    def __init__(self) -> None:
        self.programs = postgres_programs()
        # Not under pytest's temporary folder: the postgres account cannot enter root's.
        self.root = Path(tempfile.mkdtemp(prefix="private-postgres-"))
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.running = False
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "60", "start")  # fmt: skip
        self.running = True

    def stop(self, mode: str = "immediate") -> None:
        """Stops the server; "immediate" is a crash as far as clients and recovery can tell."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self.running = False

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        if self.running:
            self.stop("fast")
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = _as_postgres([str(self.programs / program), *args])
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed:\n{done.stdout}\n{done.stderr}\n{log}")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


def migrate(database_url: str) -> None:
    """Creates this project's tables in the database at `database_url`."""
    env = {**os.environ, "DJANGO_READ_DOT_ENV": "0", "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{done.stdout}\n{done.stderr}")


# Redis -----------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of its own on a free port, keeping its snapshot in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.folder), "--dbfilename", "dump.rdb",
            # Snapshots only when a test shuts down with SAVE, as an operator would.
            "--save", "", "--appendonly", "no",
            "--logfile", str(self.folder / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.client().ping()
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)
            else:
                return

    def stop(self, *, save: bool) -> None:
        """`redis-cli shutdown save|nosave`: with nosave everything in it is lost, as after a
        crash of a Redis without persistence."""
        self.client().shutdown(save=save, nosave=not save)
        if self.process is not None:
            self.process.wait(timeout=30)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=5)


@contextmanager
def private_redis(folder: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(folder)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.process.terminate()
            server.process.wait(timeout=30)


# The proxy between the site and TikTok ---------------------------------------------------------


@dataclass
class Download:
    """One call to TikTok's Download endpoint, as the proxy passed it on."""

    client_port: int
    status: int
    started: float  # time.monotonic()
    ended: float | None = None
    length: int | None = None  # Content-Length announced
    sent: int = 0
    sha256: str = ""

    @property
    def complete(self) -> bool:
        return self.ended is not None and self.status == 200 and self.sent == self.length


class ThrottlingProxy:
    """An HTTP proxy to `upstream` in a thread of the test process. Answers to Download calls
    are passed on at `bytes_per_second` and recorded in `downloads`; everything else passes
    at full speed."""

    def __init__(self, upstream: str, *, bytes_per_second: int) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.bytes_per_second = bytes_per_second
        self.downloads: list[Download] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self.server.daemon_threads = True
        self.server.proxy = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ThrottlingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def downloads_of_the_test(self, since: float) -> list[Download]:
        with self.lock:
            return [download for download in self.downloads if download.started >= since]

    def download_in_progress(self) -> Download | None:
        with self.lock:
            return next((d for d in self.downloads if d.ended is None and d.sent > 0), None)


class _ProxyHandler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the site's own access log says what was asked."""

    def _forward(self) -> None:
        proxy: ThrottlingProxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            self.send_response_only(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "POST" and self.path.split("?")[0].endswith(DOWNLOAD_PATH):
                self._pass_download(proxy, answer)
            else:
                while piece := answer.read(PIECE):
                    self.wfile.write(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            upstream.close()

    def _pass_download(self, proxy: ThrottlingProxy, answer: http.client.HTTPResponse) -> None:
        announced = answer.getheader("Content-Length")
        download = Download(
            client_port=self.client_address[1],
            status=answer.status,
            started=time.monotonic(),
            length=int(announced) if announced else None,
        )
        with proxy.lock:
            proxy.downloads.append(download)
        digest = hashlib.sha256()
        try:
            while piece := answer.read(PIECE):
                self.wfile.write(piece)
                digest.update(piece)
                download.sent += len(piece)
                # Paced from the start of the download: a slow moment is caught up after.
                due = download.started + download.sent / proxy.bytes_per_second
                time.sleep(max(0.0, due - time.monotonic()))
        finally:
            download.sha256 = digest.hexdigest()
            download.ended = time.monotonic()


# The site's processes --------------------------------------------------------------------------


def _environment(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "DJANGO_READ_DOT_ENV": "0", **env}


def wait_for_log(log_path: Path, marker: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while marker not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{marker!r} never came:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.1)


@contextmanager
def web_server(port: int, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """The site served by gunicorn as the container image serves it (threads keep their
    database connections between requests), with `env` on top of the test environment."""
    command = [
        sys.executable, "-m", "gunicorn", "portability_site.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread",
        "--threads", "4", "--graceful-timeout", "5", "--access-logfile", "-",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=_environment(env), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_for_http(base_url + "/healthz")
            yield base_url
        finally:
            stop_process_group(process)


@contextmanager
def celery_beat(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Celery beat, the one scheduler of a deployment: it publishes the sweep every
    EXPORT_SWEEP_INTERVAL."""
    command = [sys.executable, "-m", "celery", "-A", "portability_site", "beat", "-l", "INFO"]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=_environment(env), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_for_log(log_path, "beat: Starting...", process)
            yield process
        finally:
            stop_process_group(process)


# A deployment ----------------------------------------------------------------------------------


@dataclass
class Deployment:
    """The site, its beat and its TikTok as the tests see them from outside: over HTTP, in the
    database, in storage, in the mail folder and in the processes' logs."""

    url: str
    database_url: str
    redis: PrivateRedis
    proxy: ThrottlingProxy
    home: Path
    env: dict[str, str]
    worker_logs: list[Path] = field(default_factory=list)

    @property
    def media(self) -> Path:
        return self.home / "media"

    def worker(self, name: str = "worker") -> AbstractContextManager[subprocess.Popen[bytes]]:
        """A Celery worker of the site (prefork, two children), started when entered."""
        log = self.home / f"{name}.log"
        self.worker_logs.append(log)
        return celery_worker(self.env, log)

    def query(self, sql: str, *params: object) -> list[dict[str, Any]]:
        """Rows from the site's database, on a connection of its own (it outlives restarts)."""
        with psycopg.connect(self.database_url, row_factory=dict_row, connect_timeout=5) as db:
            return db.execute(sql, params).fetchall()

    def export(self, export_id: str) -> dict[str, Any]:
        """The export's row, with `notified_at`: when its outcome email was sent, if it was."""
        (row,) = self.query(
            "SELECT e.*, m.sent_at AS notified_at FROM exports_exportrequest e"
            " LEFT JOIN exports_exportemail m ON m.export_id = e.id AND m.kind = 'outcome'"
            " WHERE e.id = %s",
            export_id,
        )
        return row

    def wait_for_export(
        self, export_id: str, condition: Callable[[dict[str, Any]], bool], *, seconds: float
    ) -> dict[str, Any]:
        """Polls the export's row until `condition` holds; fails after `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                row = self.export(export_id)
            except psycopg.OperationalError:  # the database is down for the test
                row = None
            if row is not None and condition(row):
                return row
            if time.monotonic() > deadline:
                raise AssertionError(f"export {export_id} is stuck: {row}\n{self.logs()}")
            time.sleep(0.1)

    def wait_for_copy(self, export_id: str, fraction: float) -> Download:
        """Waits until the copy from TikTok has `fraction` of the archive (as the copy's
        heartbeat records it in the row); returns the download under way."""
        self.wait_for_export(
            export_id,
            lambda e: (
                e["state"] == "fetching"
                and bool(e["bytes_total"])
                and e["bytes_received"] >= fraction * e["bytes_total"]
            ),
            seconds=60,
        )
        download = self.proxy.download_in_progress()
        assert download is not None
        return download

    def add_verified_email(self, export_id: str, address: str) -> None:
        """Gives the owner of the export a verified primary address, as confirming it would."""
        self.query(
            'INSERT INTO account_emailaddress (user_id, email, verified, "primary") '
            "SELECT user_id, %s, true, true FROM exports_exportrequest WHERE id = %s "
            "RETURNING id",
            address,
            export_id,
        )

    def expected_archive(self, request_id: int) -> tuple[str, int]:
        """SHA-256 and size of the archive TikTok (the sandbox) prepared for `request_id`, made
        again from the request's record: the sandbox's archives are deterministic."""
        (row,) = self.query(
            "SELECT request_id, open_id, data_format, category_selection_list, applied_at, "
            "archive_size, archive_layout, archive_language, archive_unknown_section "
            "FROM tiktok_sandbox_portabilityrequest WHERE request_id = %s",
            request_id,
        )
        return archive_sha256_and_size(ArchiveSpec.for_request(PortabilityRequest(**row)))

    def stored_files(self, export_id: str) -> list[Path]:
        """Every file under the export's owner's folder in storage, partial ones included."""
        (row,) = self.query("SELECT user_id FROM exports_exportrequest WHERE id = %s", export_id)
        folder = self.media / "exports" / str(row["user_id"])
        return sorted(path for path in folder.rglob("*") if path.is_file())

    def emails_to(self, address: str) -> list[Message]:
        """Every email the site's processes sent to `address` (they write them to files)."""
        messages = []
        for path in sorted((self.home / "mail").glob("*.log")):
            for chunk in path.read_text().split("-" * 79):
                message = email.message_from_string(chunk.strip())
                if chunk.strip() and address in str(message.get("To", "")):
                    messages.append(message)
        return messages

    def logs(self) -> str:
        parts = []
        for log in [*self.worker_logs, self.home / "beat.log", self.home / "web.log"]:
            if log.exists():
                parts.append(f"--- {log.name} ---\n{log.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def publish(self, task_name: str, export_id: str, *, task_id: str | None = None) -> str:
        """Publishes `task_name(export_id)` on the deployment's broker, routed as the site
        routes it. Returns the task id."""
        with Connection(self.redis.url(0)) as connection:
            sent = celery_app.send_task(
                task_name, args=[export_id], task_id=task_id, connection=connection
            )
        return sent.id

    def unacknowledged(self, task_name: str, export_id: str) -> list[str]:
        """Ids of the tasks `task_name(export_id)` delivered to a worker and not acknowledged
        (running, reserved, or lost with a worker that died)."""
        ids = []
        for raw in self.redis.client().hvals("unacked"):
            message = loads(raw)[0]
            headers = message["headers"]
            if headers.get("task") == task_name and export_id in str(headers.get("argsrepr")):
                ids.append(headers["id"])
        return ids

    def wait_for_sweeps(self, count: int, *, seconds: float = 60) -> None:
        """Waits until the workers have run `count` more sweeps: by then every message
        published before them has been handled (the queue is first in, first out)."""
        target = self._sweeps_run() + count
        deadline = time.monotonic() + seconds
        while self._sweeps_run() < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"the sweeps did not run\n{self.logs()}")
            time.sleep(0.1)

    def _sweeps_run(self) -> int:
        return sum(
            1
            for log in self.worker_logs
            if log.exists()
            for line in log.read_text(errors="replace").splitlines()
            if "sweep_exports_task[" in line and "succeeded in" in line
        )

    def task_outcomes(self, task_id: str) -> list[str]:
        """The workers' log lines that say how runs of the task `task_id` ended."""
        lines = []
        for log in self.worker_logs:
            for line in log.read_text(errors="replace").splitlines():
                if f"[{task_id}]" in line and ("succeeded in" in line or "raised" in line):
                    lines.append(line)
        return lines


@contextmanager
def deployment(
    home: Path, *, database_url: str, redis_server: PrivateRedis, env: dict[str, str],
    bytes_per_second: int,
) -> Iterator[Deployment]:  # fmt: skip
    """The site (gunicorn) and beat on `database_url` and `redis_server`, its TikTok API calls
    through a ThrottlingProxy; `env` on top (the pipeline's timings, the sandbox's settings).
    Workers are started by the tests, which kill them."""
    port = free_port()
    site_url = f"http://127.0.0.1:{port}"
    with ThrottlingProxy(site_url, bytes_per_second=bytes_per_second) as proxy:
        full_env = {
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": redis_server.url(0),
            "CACHE_URL": f"rediscache://127.0.0.1:{redis_server.port}/1",
            "SITE_URL": site_url,
            "VAR_DIR": str(home),
            "MEDIA_ROOT": str(home / "media"),
            "TIKTOK_API_BASE_URL": proxy.url + "/tiktok-sandbox",
            # A production site keeps its database connections between requests.
            "CONN_MAX_AGE": "60",
            **env,
        }
        with web_server(port, full_env, home / "web.log"), celery_beat(full_env, home / "beat.log"):
            yield Deployment(site_url, database_url, redis_server, proxy, home, full_env)


# What a person does ----------------------------------------------------------------------------


def sign_in_as(browser: Browser, site: str, persona: str, *, kinds: list[str]) -> None:
    """Signs in with TikTok as the sandbox persona `persona` (its open_id), allowing ongoing
    exports of `kinds`."""
    to_tiktok = start_sign_in(browser, site, kinds=kinds, frequency="ongoing")
    consent = browser.follow(to_tiktok)
    final = browser.submit(consent, "Authorize", data={"persona": persona})
    assert final.url == site + "/dashboard/", final.text


def start_export(
    site: Deployment, persona: int, address: str, browser: Browser | None = None
) -> str:
    """Sandbox persona number `persona` signs in (in `browser`), asks for their activity and
    has the verified address `address`. Returns the export's id."""
    browser = browser or Browser()
    sign_in_as(browser, site.url, PERSONAS[persona].open_id, kinds=["activity"])
    export_id = ask_for_export(browser, site.url, ["activity"])
    site.add_verified_email(export_id, address)
    return export_id


def ask_for_export(browser: Browser, site: str, kinds: list[str]) -> str:
    """Asks for an export of `kinds` on the new-export page; returns its id (the page it lands
    on names it)."""
    new_export = browser.get(site + "/exports/new/")
    page = browser.submit(
        new_export, "Ask TikTok for my data", data={"kinds": kinds, "data_format": "json"}
    )
    assert page.status_code == 200, page.text
    path = urlsplit(page.url).path
    assert path.startswith("/exports/"), page.url
    return path.split("/")[2]


# What must hold whatever happened -----------------------------------------------------------


def assert_exported_once(
    site: Deployment, export: dict[str, Any], address: str, downloads: list[Download]
) -> None:
    """The export is ready with exactly one stored object, whose checksum is that of the
    archive TikTok prepared and whose zip checks out; TikTok was asked for the archive once per
    claim of the copy and never twice at a time; the owner got exactly one email."""
    assert export["state"] == "ready", export
    (stored,) = site.stored_files(str(export["id"]))
    assert stored == site.media / archive_key(export["user_id"], export["id"])
    sha256, size = site.expected_archive(export["tiktok_request_id"])
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha256 == export["archive_sha256"]
    assert stored.stat().st_size == size == export["archive_size"]
    with zipfile.ZipFile(stored) as archive:
        assert archive.testzip() is None
    assert len(downloads) == export["fetch_attempts"]
    assert downloads[-1].complete
    assert downloads[-1].sha256 == sha256
    for earlier, later in itertools.pairwise(downloads):
        assert earlier.ended is not None
        assert earlier.ended <= later.started
    site.wait_for_export(str(export["id"]), lambda e: e["notified_at"] is not None, seconds=60)
    # A second email could only come from a message published before the first was sent.
    site.wait_for_sweeps(2)
    emails = site.emails_to(address)
    assert len(emails) == 1, [e["Subject"] for e in emails]
    assert "ready" in emails[0]["Subject"]


# Faults ----------------------------------------------------------------------------------------


def process_with_connection_from(port: int, ancestor: int) -> psutil.Process:
    """The process among `ancestor` and its descendants that holds a TCP connection from local
    port `port`: the worker child running a copy, found by the proxy's record of it."""
    root = psutil.Process(ancestor)
    for process in [root, *root.children(recursive=True)]:
        if any(c.laddr and c.laddr.port == port for c in process.net_connections(kind="tcp")):
            return process
    raise LookupError(f"no process under {ancestor} has a connection from port {port}")


def redeliver(broker_url: str, task_id: str) -> None:
    """Puts the message of task `task_id`, delivered and not yet acknowledged, back on its
    queue: what Redis does when the visibility timeout passes while the task still runs."""
    with Connection(broker_url) as connection:
        qos = connection.default_channel.qos
        client = connection.default_channel.client
        for tag, raw in client.hgetall(qos.unacked_key).items():
            message, _exchange, _routing_key = loads(raw)
            if message["headers"].get("id") == task_id:
                qos.restore_by_tag(tag.decode())
                return
    raise LookupError(f"no unacknowledged message for task {task_id}")

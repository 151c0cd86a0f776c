"""When TikTok's side misbehaves (T5, T6): a download that breaks off, stalls or arrives corrupt,
throttling and outages, an answer lost after TikTok acted, and concurrent token refreshes.

Every export runs as in production: the site and the sandbox (as TikTok) over real HTTP, a real
Celery worker process on Redis, PostgreSQL, and file storage or an S3 server process (moto).
The worker is configured with short backoffs and a short read timeout, through the settings
production uses, so that retries take seconds here instead of minutes.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Protocol

import pytest
import redis
from allauth.account.models import EmailAddress
from django.db import connection
from django.utils import timezone

from exports.models import ExportEvent, ExportRequest, ExportState, TikTokAuthorization
from exports.tiktok import current_access_token, fetch_user_info
from tests.exports.conftest import sign_in
from tests.support.browser import Browser
from tests.support.processes import celery_worker, database_url_of_tests
from tests.support.s3 import S3Server, moto_s3
from tiktok_sandbox import grants
from tiktok_sandbox.archives import ArchiveSpec, archive_sha256_and_size
from tiktok_sandbox.errors import OAuthError
from tiktok_sandbox.faults import inject_fault
from tiktok_sandbox.models import PortabilityRequest, SandboxFault, TokenPair

pytestmark = pytest.mark.django_db(transaction=True)

# The worker's configuration. The read timeout is short so that a stall can outlast it quickly.
READ_TIMEOUT = 3.0
FETCH_ATTEMPTS = 4
WORKER_SETTINGS = {
    "EXPORT_POLL_INITIAL": "0.25",  # retries after about 0.5, 1 and 2 s
    # Above the Retry-After used below: a longer wait would be left to the sweep (beat),
    # which these tests do not run.
    "EXPORT_POLL_MAX": "10",
    "EXPORT_FETCH_ATTEMPTS": str(FETCH_ATTEMPTS),
    "TIKTOK_READ_TIMEOUT": str(READ_TIMEOUT),
    "CONN_MAX_AGE": "0",
}
MIB = 1024 * 1024
# Several of the sandbox's ~512 KiB chunks, so that every fault strikes inside the stream.
ARCHIVE_SIZE = 3 * MIB
DEADLINE = 90.0


class Storage(Protocol):
    """What a worker's archive storage holds, seen from outside it."""

    def keys(self) -> list[str]:
        """Every stored object (with file storage, partial files included)."""
        ...

    def read(self, key: str) -> bytes: ...

    def uploads_in_progress(self) -> list[str]:
        """Objects begun and neither completed nor aborted (S3 multipart uploads)."""
        ...


@dataclass(frozen=True)
class FileStorage:
    root: Path

    def keys(self) -> list[str]:
        files = (path for path in self.root.rglob("*") if path.is_file())
        return sorted(str(path.relative_to(self.root)) for path in files)

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def uploads_in_progress(self) -> list[str]:
        return []  # a file being written is in keys(), under its partial name


@dataclass(frozen=True)
class BucketStorage:
    server: S3Server

    def keys(self) -> list[str]:
        listing = self.server.client().list_objects_v2(Bucket=self.server.bucket)
        return sorted(stored["Key"] for stored in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.server.bucket, Key=key)["Body"].read()

    def uploads_in_progress(self) -> list[str]:
        listing = self.server.client().list_multipart_uploads(Bucket=self.server.bucket)
        return [upload["Key"] for upload in listing.get("Uploads", [])]


@dataclass
class Worker:
    site: str
    home: Path
    log: Path
    storage: Storage

    @property
    def media(self) -> Path:
        return self.home / "media"

    def emails_to(self, address: str) -> list[Message]:
        """Every email the worker sent to ``address`` (its mail backend writes files)."""
        messages = []
        for path in sorted((self.home / "mail").glob("*.log")):
            for chunk in path.read_text().split("-" * 79):
                message = email.message_from_string(chunk.strip())
                if chunk.strip() and address in str(message.get("To", "")):
                    messages.append(message)
        return messages


class Workers:
    """Runs the Celery worker a test needs: one on file storage, or one on S3. Only one runs
    at a time, since two on the same broker would take each other's tasks."""

    def __init__(self, site: str, home: Path) -> None:
        self.site = site
        self.home = home
        self.running: tuple[str, Worker] | None = None
        self._stack = ExitStack()

    def use(self, name: str, env: dict[str, str], storage: Storage | None = None) -> Worker:
        if self.running is not None and self.running[0] == name:
            return self.running[1]
        self.close()
        home = self.home / name
        home.mkdir()
        full_env = {
            **WORKER_SETTINGS,
            "DATABASE_URL": database_url_of_tests(),
            "SITE_URL": self.site,
            "VAR_DIR": str(home),
            "MEDIA_ROOT": str(home / "media"),
            **env,
        }
        log = home / "worker.log"
        self._stack.enter_context(celery_worker(full_env, log))
        storage = storage or FileStorage(home / "media")
        self.running = (name, Worker(self.site, home, log, storage))
        return self.running[1]

    def close(self) -> None:
        self._stack.close()
        self._stack = ExitStack()
        self.running = None


@pytest.fixture(scope="module")
def workers(django_db_setup, live_server, tmp_path_factory) -> Iterator[Workers]:
    """The module's workers, on this run's own broker database, pointed at the live server and
    its sandbox."""
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
    pool = Workers(live_server.url, tmp_path_factory.mktemp("workers"))
    yield pool
    pool.close()


@pytest.fixture
def sandbox(site, settings) -> None:
    """TikTok prepares exports within a second, as archives of a few MiB."""
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 1.0
    settings.TIKTOK_SANDBOX_ARCHIVE_SIZE = ARCHIVE_SIZE


@pytest.fixture
def pipeline(workers, sandbox) -> Worker:
    """The worker on file storage, which starts empty."""
    worker = workers.use("files", {})
    shutil.rmtree(worker.media, ignore_errors=True)
    return worker


@pytest.fixture(scope="module")
def moto() -> Iterator[S3Server]:
    with moto_s3() as server:
        yield server


@pytest.fixture
def s3_pipeline(workers, sandbox, moto, settings) -> Worker:
    """The worker on S3 (moto), in parts of 5 MiB, with an empty bucket; archives of 12 MiB,
    so that a copy that fails late has uploaded parts to abort."""
    settings.TIKTOK_SANDBOX_ARCHIVE_SIZE = 12 * MIB
    client = moto.client()
    for stored in client.list_objects_v2(Bucket=moto.bucket).get("Contents", []):
        client.delete_object(Bucket=moto.bucket, Key=stored["Key"])
    env = {**moto.environment(), "EXPORT_S3_PART_SIZE": str(5 * MIB)}
    return workers.use("s3", env, BucketStorage(moto))


@dataclass
class Watch:
    """Follows an export through the database and remembers every state it was seen in."""

    export_id: object
    log: Path
    owner: str  # the owner's email address, unique to the test
    seen: list[tuple[str, str, int | None]] = field(default_factory=list)

    def until(
        self, predicate: Callable[[ExportRequest], bool], timeout: float = DEADLINE
    ) -> ExportRequest:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            export = ExportRequest.objects.get(pk=self.export_id)
            self.seen.append((export.state, export.archive_sha256, export.archive_size))
            if predicate(export):
                return export
            time.sleep(0.1)
        tail = self.log.read_text()[-4000:]
        raise AssertionError(f"export stuck in {export.state}; worker log:\n{tail}")

    def ended(self) -> ExportRequest:
        return self.until(lambda export: not export.is_active)


def start_export(
    browser: Browser, site: str, log: Path, *, kinds: str = "activity", frequency: str = "ongoing"
) -> Watch:
    """Signs a person in (with a verified email address of their own) and asks for their
    activity."""
    sign_in(browser, site, kinds=[kinds], frequency=frequency)
    user = TikTokAuthorization.objects.get().user
    owner = f"{uuid.uuid4().hex}@example.org"
    EmailAddress.objects.create(user=user, email=owner, verified=True, primary=True)
    new_export = browser.get(site + "/exports/new/")
    browser.submit(
        new_export,
        "Ask TikTok for my data",
        data={"kinds": ["activity"], "data_format": "json"},
    )
    return Watch(ExportRequest.objects.get().pk, log, owner)


def sandbox_archive(export: ExportRequest) -> tuple[str, int]:
    """The SHA-256 and size of the archive the sandbox serves for the export's request."""
    produced = PortabilityRequest.objects.get(request_id=export.tiktok_request_id)
    return archive_sha256_and_size(ArchiveSpec.for_request(produced))


def events(export: ExportRequest) -> list[tuple[str, str]]:
    return list(export.events.order_by("created_at", "pk").values_list("kind", "detail"))


def download_fault() -> SandboxFault:
    return SandboxFault.objects.get(endpoint="download")


def assert_stored_whole_after(
    watch: Watch, worker: Worker, failures: int, because: str
) -> ExportRequest:
    """The export ended READY with exactly the sandbox's archive, stored once and alone, after
    ``failures`` failed copies whose history entries mention ``because``; it was never seen
    READY with anything else."""
    export = watch.ended()
    assert export.state == ExportState.READY, events(export)
    sha256, size = sandbox_archive(export)
    assert (export.archive_sha256, export.archive_size) == (sha256, size)
    assert worker.storage.keys() == [export.archive_key]
    assert worker.storage.uploads_in_progress() == []
    assert hashlib.sha256(worker.storage.read(export.archive_key)).hexdigest() == sha256
    assert export.fetch_attempts == failures + 1
    kinds = [kind for kind, _ in events(export)]
    assert kinds.count(ExportEvent.Kind.FETCH_FAILED) == failures
    assert kinds.count(ExportEvent.Kind.STORED) == 1
    assert kinds.index(ExportEvent.Kind.STORED) > max(
        i for i, kind in enumerate(kinds) if kind == ExportEvent.Kind.FETCH_FAILED
    )
    for kind, detail in events(export):
        if kind == ExportEvent.Kind.FETCH_FAILED:
            assert because in detail
    ready_seen = {(sha, size) for state, sha, size in watch.seen if state == ExportState.READY}
    assert ready_seen == {(sha256, size)}
    assert download_fault().remaining == 0
    return export


# T5: the download breaks, stalls or is corrupt once; the copy is retried and comes out whole ----


def test_a_download_closed_short_of_its_content_length_is_retried_and_stored_whole(
    pipeline, browser, site
):
    inject_fault("download", kind="cut", at=0.3)

    watch = start_export(browser, site, pipeline.log)

    assert_stored_whole_after(
        watch, pipeline, failures=1, because="closed the connection before the end"
    )


def test_a_chunked_download_closed_before_its_last_chunk_is_refused_even_with_every_byte(
    pipeline, browser, site
):
    # Every byte of the archive arrives, and the zip would check out: only the missing
    # terminator says the stream broke, and that is enough to copy it again.
    inject_fault("download", kind="unterminated", at=1.0)

    watch = start_export(browser, site, pipeline.log)

    assert_stored_whole_after(watch, pipeline, failures=1, because="ended without its last chunk")


def test_a_connection_reset_at_30_percent_is_retried_and_stored_whole(pipeline, browser, site):
    inject_fault("download", kind="reset", at=0.3)

    watch = start_export(browser, site, pipeline.log)

    assert_stored_whole_after(watch, pipeline, failures=1, because="reset the connection")


def test_a_stall_longer_than_the_read_timeout_is_a_transient_failure(pipeline, browser, site):
    inject_fault("download", kind="stall", at=0.5, seconds=2 * READ_TIMEOUT)

    watch = start_export(browser, site, pipeline.log)

    assert_stored_whole_after(
        watch, pipeline, failures=1, because=f"sent nothing for {READ_TIMEOUT:g} s"
    )


def test_a_byte_flipped_at_60_percent_fails_the_crc_check_and_is_copied_again(
    pipeline, browser, site
):
    inject_fault("download", kind="flip", at=0.6)

    watch = start_export(browser, site, pipeline.log)

    assert_stored_whole_after(watch, pipeline, failures=1, because="is corrupt")


def test_a_503_three_times_then_the_archive_ends_ready(pipeline, browser, site):
    inject_fault("download", error="internal_error", http_status=503, times=3)

    watch = start_export(browser, site, pipeline.log)

    export = assert_stored_whole_after(watch, pipeline, failures=3, because="internal_error")
    assert export.fetch_attempts == FETCH_ATTEMPTS


def test_a_429_with_retry_after_is_not_asked_again_before_it_says(pipeline, browser, site):
    inject_fault("download", error="rate_limit_exceeded", http_status=429, retry_after=7)

    watch = start_export(browser, site, pipeline.log)
    waiting = watch.until(
        lambda export: export.fetch_attempts == 1 and export.next_step_at and not export.lease_owner
    )

    # The next attempt is scheduled no sooner than Retry-After after the 429 was served...
    answered_at = download_fault().last_taken_at
    assert waiting.state == ExportState.FETCHING
    assert waiting.next_step_at >= answered_at + dt.timedelta(seconds=7)
    # ...and that is when it happened: the archive was stored no sooner either.
    export = assert_stored_whole_after(watch, pipeline, failures=1, because="rate_limit_exceeded")
    stored_at = export.events.get(kind=ExportEvent.Kind.STORED).created_at
    assert stored_at >= answered_at + dt.timedelta(seconds=7)


# T5: a source that keeps failing --------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "reset", "at": 0.3},
        {"error": "internal_error", "http_status": 503},
    ],
    ids=["reset", "503"],
)
def test_a_source_that_keeps_failing_is_given_up_after_the_bound_with_one_email(
    pipeline, browser, site, fault
):
    inject_fault("download", times=50, **fault)

    watch = start_export(browser, site, pipeline.log)
    export = watch.ended()

    assert export.state == ExportState.FAILED
    assert export.failure_code == "fetch_failed"
    assert export.failure_message == (
        "The archive could not be copied from TikTok intact. Please ask again."
    )
    assert export.fetch_attempts == FETCH_ATTEMPTS
    # Exactly the configured number of downloads reached TikTok, and nothing was kept.
    assert download_fault().remaining == 50 - FETCH_ATTEMPTS
    assert not export.archive_key
    assert pipeline.storage.keys() == []
    assert all(state != ExportState.READY for state, _, _ in watch.seen)
    watch.until(lambda export: export.emails.filter(sent_at__isnull=False).exists())
    emails = pipeline.emails_to(watch.owner)
    assert len(emails) == 1
    assert "could not be completed" in emails[0]["Subject"]
    page = browser.get(f"{site}/exports/{export.pk}/").text
    assert "The archive could not be copied from TikTok intact. Please ask again." in page


def test_a_download_refused_as_unauthorized_refreshes_once_then_fails_with_one_email(
    pipeline, browser, site
):
    # TikTok refuses the token, and the fresh one too: the sign-in itself is no longer good.
    inject_fault("download", error="access_token_invalid", http_status=401, times=2)

    watch = start_export(browser, site, pipeline.log)
    export = watch.ended()

    assert export.state == ExportState.FAILED
    assert export.failure_code == "access_token_invalid"
    assert export.failure_message == (
        "TikTok no longer accepts this site's sign-in. Sign in again, then ask again."
    )
    assert export.failure_reason.startswith("access_token_invalid")  # TikTok's words
    assert export.fetch_attempts == 1
    assert download_fault().remaining == 0
    # One refresh: the sign-in's token pair and the one pair it was rotated into.
    assert TokenPair.objects.count() == 2
    assert pipeline.storage.keys() == []
    watch.until(lambda export: export.emails.filter(sent_at__isnull=False).exists())
    assert len(pipeline.emails_to(watch.owner)) == 1


# T6: calls that are not idempotent ------------------------------------------------------------


def test_a_lost_answer_to_add_on_a_once_only_scope_never_asks_twice_and_still_ends_ready(
    pipeline, browser, site
):
    # TikTok makes the request, then the connection is reset before its answer: the worker
    # cannot know the request exists, and asking again would find the scope used up.
    inject_fault("add", kind="lost_answer")

    watch = start_export(browser, site, pipeline.log, kinds="all", frequency="single")
    export = watch.ended()

    made = PortabilityRequest.objects.get()  # exactly one request reached TikTok
    assert made.scope == "portability.all.single"
    assert SandboxFault.objects.get(endpoint="add").remaining == 0
    assert export.state == ExportState.READY, events(export)
    assert export.tiktok_request_id == made.request_id
    assert export.submit_attempts == 1
    kinds = [kind for kind, _ in events(export)]
    # It waited for TikTok's webhook to name the request, then carried on with it.
    assert kinds.index(ExportEvent.Kind.UNCONFIRMED) < kinds.index(ExportEvent.Kind.ACCEPTED)
    assert export.archive_sha256 == sandbox_archive(export)[0]


def test_ten_concurrent_refreshes_reach_the_sandbox_once_and_all_get_a_working_token(
    browser, site, monkeypatch
):
    sign_in(browser, site, kinds=["activity"], frequency="ongoing")
    authorization = TikTokAuthorization.objects.get()
    TikTokAuthorization.objects.filter(pk=authorization.pk).update(
        access_token_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    # The sandbox runs in this process (the live server): count what its refresh grant does.
    outcomes: list[str] = []
    real_refresh = grants.refresh

    def counted_refresh(**kwargs: str) -> grants.IssuedTokens:
        try:
            issued = real_refresh(**kwargs)
        except OAuthError as error:
            outcomes.append(error.error)
            raise
        outcomes.append("rotated")
        return issued

    monkeypatch.setattr(grants, "refresh", counted_refresh)
    start = threading.Barrier(10)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def use_the_token() -> None:
        try:
            start.wait()
            tokens.append(current_access_token(authorization.pk))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=use_the_token) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert outcomes == ["rotated"]
    assert len(tokens) == 10
    assert len(set(tokens)) == 1
    pairs = TokenPair.objects.filter(grant__open_id=authorization.open_id)
    assert pairs.count() == 2
    assert pairs.filter(rotated_at__isnull=False).count() == 1
    assert fetch_user_info(tokens[0]).open_id == authorization.open_id
    stored = TikTokAuthorization.objects.get(pk=authorization.pk)
    assert stored.access_token == tokens[0]


# The same into S3: nothing of a failed copy stays behind, not even uploaded parts -------------


def test_a_reset_while_copying_into_s3_is_retried_and_leaves_one_object(s3_pipeline, browser, site):
    # 30 % of 12 MiB: the first 5 MiB part is uploaded when the connection is reset.
    inject_fault("download", kind="reset", at=0.3)

    watch = start_export(browser, site, s3_pipeline.log)

    assert_stored_whole_after(watch, s3_pipeline, failures=1, because="reset the connection")


def test_a_copy_into_s3_that_is_always_corrupt_fails_and_leaves_nothing(s3_pipeline, browser, site):
    # 60 % of 12 MiB: two parts are uploaded before the CRC check fails, every time.
    inject_fault("download", kind="flip", at=0.6, times=50)

    watch = start_export(browser, site, s3_pipeline.log)
    export = watch.ended()

    assert export.state == ExportState.FAILED
    assert export.failure_code == "fetch_failed"
    assert download_fault().remaining == 50 - FETCH_ATTEMPTS
    assert s3_pipeline.storage.keys() == []
    assert s3_pipeline.storage.uploads_in_progress() == []

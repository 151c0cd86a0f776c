"""The whole pipeline with S3 as the archive storage, as production runs it: the site over real
HTTP, the sandbox as TikTok, a real Celery worker on Redis, and an S3 server process (moto)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest
import redis
import requests

from exports.models import ExportRequest, ExportState
from tests.exports.conftest import sign_in
from tests.exports.test_pipeline_end_to_end import Pipeline, ask_for_export, wait_for
from tests.support.processes import celery_worker, database_url_of_tests
from tests.support.s3 import S3Server, moto_s3
from tiktok_sandbox.archives import ArchiveSpec, archive_sha256_and_size
from tiktok_sandbox.models import PortabilityRequest

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def moto() -> Iterator[S3Server]:
    with moto_s3() as server:
        yield server


@pytest.fixture(scope="module")
def s3_worker(django_db_setup, live_server, moto, tmp_path_factory) -> Iterator[Pipeline]:
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
    home = tmp_path_factory.mktemp("s3-worker")
    env = {
        "DATABASE_URL": database_url_of_tests(),
        "SITE_URL": live_server.url,
        "VAR_DIR": str(home),
        "EXPORT_POLL_INITIAL": "1",
        "EXPORT_S3_PART_SIZE": str(5 * MIB),
        "CONN_MAX_AGE": "0",
        **moto.environment(),
    }
    log = home / "worker.log"
    with celery_worker(env, log):
        yield Pipeline(site=live_server.url, mail_dir=home / "mail", log=log)


def test_an_export_is_copied_into_s3_and_downloaded_through_a_short_lived_link(
    s3_worker, moto, site, settings, browser
):
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 0.5
    settings.TIKTOK_SANDBOX_ARCHIVE_SIZE = 12 * MIB  # several multipart parts
    settings.STORAGES = {**settings.STORAGES, "default": moto.storage_settings()}
    settings.AWS_STORAGE_BUCKET_NAME = moto.bucket
    sign_in(browser, site, kinds=["all"], frequency="ongoing")

    ask_for_export(browser, site, ["all"])

    export = wait_for(ExportRequest.objects.get().pk, lambda e: not e.is_active, s3_worker.log)
    assert export.state == ExportState.READY
    produced = PortabilityRequest.objects.get(request_id=export.tiktok_request_id)
    sandbox_sha256, sandbox_size = archive_sha256_and_size(ArchiveSpec.for_request(produced))
    client = moto.client()
    head = client.head_object(Bucket=moto.bucket, Key=export.archive_key)
    assert head["ContentLength"] == sandbox_size == export.archive_size
    assert client.list_multipart_uploads(Bucket=moto.bucket).get("Uploads", []) == []

    redirect = browser.session.get(
        f"{site}/exports/{export.pk}/download/", allow_redirects=False, timeout=10
    )
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith(moto.endpoint)
    download = requests.get(redirect.headers["Location"], timeout=60)
    assert hashlib.sha256(download.content).hexdigest() == sandbox_sha256 == export.archive_sha256

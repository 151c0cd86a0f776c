"""A script the person authorizes, end to end: it holds only an API token and plain HTTP, asks
for a task, polls its status while the real worker and the sandbox do their part, and downloads
the archive through download_urls."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile

import pytest
import requests

from exports.models import ExportRequest
from tests.exports.conftest import sign_in
from tests.exports.test_pipeline_end_to_end import pipeline, worker
from tests.support.browser import Browser
from tiktok_sandbox.archives import ArchiveSpec, archive_sha256_and_size
from tiktok_sandbox.models import PortabilityRequest

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["pipeline", "worker"]  # fixtures, shared with the end-to-end tests


def make_token_on_the_site(browser: Browser, site: str) -> str:
    """What the person does: signs in, makes a token on the API tokens page, copies it."""
    page = browser.get(site + "/account/api-tokens/")
    made = browser.submit(page, "Make the token", data={"name": "my backup script"})
    return re.search(r'id="new-token-value">(tte_[^<]+)<', made.text).group(1)


class TaskClient:
    """What the authorized script does, knowing nothing but the token and the API."""

    def __init__(self, site: str, token: str) -> None:
        self.site = site
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def create(self, data_types: list[str]) -> str:
        answer = self.http.post(
            f"{self.site}/v2/data_portability/task/create/",
            json={"data_types": data_types},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["task_id"]

    def status(self, task_id: str) -> dict:
        answer = self.http.post(
            f"{self.site}/v2/data_portability/task/status/", json={"task_id": task_id}, timeout=10
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    def wait_until_done(self, task_id: str, seconds: float = 60) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            data = self.status(task_id)
            if data["status"] != "PROCESSING":
                return data
            time.sleep(0.5)
        raise AssertionError(f"task {task_id} still PROCESSING after {seconds} s")

    def wait_until_read(self, task_id: str, seconds: float = 60) -> dict:
        """Polls task/status until the site has read the archive (`reading` done)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            data = self.status(task_id)
            if data.get("reading") in ("done", "failed"):
                return data
            time.sleep(0.5)
        raise AssertionError(f"task {task_id} not read after {seconds} s")

    def download(self, url: str) -> bytes:
        # No token, no cookie: the URL alone is the credential.
        answer = requests.get(url, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.content


def test_a_script_with_a_token_creates_a_task_polls_it_and_downloads_the_archive(
    pipeline, browser, site
):
    sign_in(browser, site, kinds=["activity", "postsandprofile"], frequency="ongoing")
    token = make_token_on_the_site(browser, site)
    client = TaskClient(site, token)

    task_id = client.create(["FOLLOWERS", "VIDEOS"])
    done = client.wait_until_done(task_id)

    assert done["status"] == "READY", done
    url = done["download_urls"][0]
    assert done["downloads"][0] == {"data_type": "ARCHIVE", "format": "zip", "url": url}
    archive = client.download(url)
    export = ExportRequest.objects.get(pk=task_id)
    produced = PortabilityRequest.objects.get(request_id=export.tiktok_request_id)
    expected_sha256, expected_size = archive_sha256_and_size(ArchiveSpec.for_request(produced))
    assert hashlib.sha256(archive).hexdigest() == expected_sha256 == done["sha256"]
    assert len(archive) == expected_size == done["size"]
    assert produced.category_selection_list == ["profile", "video"]
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.testzip() is None

    # Once the site has read the archive, the data types asked for have extracts of their own.
    read = client.wait_until_read(task_id)
    extracts = {d["data_type"]: d["url"] for d in read["downloads"][1:]}
    assert {"FOLLOWERS", "VIDEOS"} <= set(extracts)
    followers = json.loads(client.download(extracts["FOLLOWERS"]))
    assert followers["data_type"] == "FOLLOWERS"
    assert followers["datasets"]["followers"]
    assert all(item["username"] for item in followers["datasets"]["followers"])


def test_a_script_sees_a_task_the_person_cancelled_as_failed_with_task_cancelled(
    pipeline, browser, site, settings
):
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 3600.0
    sign_in(browser, site, kinds=["activity"], frequency="ongoing")
    client = TaskClient(site, make_token_on_the_site(browser, site))
    task_id = client.create(["ACTIVITY"])

    export_page = browser.get(f"{site}/exports/{task_id}/")
    assert f'href="/exports/{task_id}/cancel/"' in export_page.text
    confirm = browser.get(f"{site}/exports/{task_id}/cancel/")
    browser.submit(confirm, "Cancel the export")
    done = client.wait_until_done(task_id)

    assert done["status"] == "FAILED"
    assert done["failure"]["code"] == "task_cancelled"
    assert "download_urls" not in done

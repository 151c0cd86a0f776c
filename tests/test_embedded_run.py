"""What `make run` serves: the embedded setup (SQLite, files under var/, the sandbox as TikTok)
with the .env scripts/write-dev-env writes for it, in its own process, over real HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.exports.conftest import sign_in
from tests.support.browser import Browser
from tests.support.processes import ROOT, django_server, free_port

# The test environment points at PostgreSQL and Redis; the embedded setup uses neither (other
# tests of the embedded setup unset these too).
SERVER_SETTINGS = ("DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "CONN_MAX_AGE")
# The rest of the test environment's own settings (tests/environment.py), which `make run` does
# not have either: its run gets what the written .env and the Makefile give it, and defaults.
NOT_IN_MAKE_RUN = (
    *SERVER_SETTINGS, "MEDIA_ROOT", "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "TIKTOK_SANDBOX",
    "DEBUG", "STATIC_FROM_SOURCE",
)  # fmt: skip


def written_dev_env(folder: Path) -> dict[str, str]:
    """The settings scripts/write-dev-env writes into `folder`/.env, as the site reads them."""
    subprocess.run(
        [str(ROOT / "scripts" / "write-dev-env"), sys.executable],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=60,
    )
    lines = (folder / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@dataclass(frozen=True)
class Embedded:
    site: str
    # The environment `manage.py` commands of this setup run in.
    manage_env: dict[str, str]

    def manage(self, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=self.manage_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture(scope="module")
def embedded_site(embedded: Embedded) -> str:
    return embedded.site


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    """The site as `make run` serves it: migrated, then served on a port of its own."""
    home = tmp_path_factory.mktemp("embedded")
    port = free_port()
    env = {
        **written_dev_env(home),
        "VAR_DIR": str(home / "var"),
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    # What the written .env sets is given; the rest of the tests' own settings are taken away.
    unset = tuple(name for name in NOT_IN_MAKE_RUN if name not in env)
    migrate_env = {**os.environ, "DJANGO_READ_DOT_ENV": "0", **env}
    for name in unset:
        migrate_env.pop(name, None)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT,
        env=migrate_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 0, f"migrate failed:\n{migrate.stdout}\n{migrate.stderr}"
    assert (home / "var" / "db.sqlite3").exists()
    with django_server(port, env, home / "server.log", unset=unset) as site:
        yield Embedded(site, migrate_env)


def test_the_written_dev_env_leaves_debug_off_and_serves_static_files_from_source(tmp_path):
    env = written_dev_env(tmp_path)

    assert "DEBUG" not in env
    assert env["STATIC_FROM_SOURCE"] == "1"
    assert len(env["SECRET_KEY"]) >= 50
    assert env["TOKEN_ENCRYPTION_KEYS"]


def test_embedded_setup_serves_the_site_and_signs_a_person_in(embedded_site):
    result = sign_in(Browser(), embedded_site, kinds=["all"], frequency="single")

    assert result.final.status_code == 200
    assert result.final.url == embedded_site + "/dashboard/"
    assert "Everything (once)" in result.final.text


def test_an_unknown_path_answers_the_sites_own_404_page_not_the_debug_page(embedded_site):
    answer = requests.get(embedded_site + "/no-such-page/", timeout=10)

    assert answer.status_code == 404
    assert "There is nothing here" in answer.text
    assert "DEBUG = True" not in answer.text
    assert "URLconf" not in answer.text
    # The page comes with its styles: without DEBUG the static files still need serving.
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', answer.text).group(1)
    styles = requests.get(embedded_site + stylesheet, timeout=10)
    assert styles.status_code == 200
    assert styles.headers["Content-Type"].startswith("text/css")


# Run in the embedded setup's own process: an archive stored for the signed-in person, read as
# the worker reads it (SQLite has no COPY: the reading inserts in bulk there).
READ_AN_ARCHIVE = """
import datetime as dt, io, json, zipfile
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from exports import services
from exports.archive_store import archive_key
from exports.datasets import ExportReading
from exports.models import ExportRequest, ExportState

person = get_user_model().objects.get()
watched = [{"Date": f"2024-11-{day:02d} 10:11:12", "Link": f"https://www.tiktokv.com/share/video/{day}/"}
           for day in range(1, 29)]
searches = [{"Date": "2024-10-01 08:00:00", "SearchTerm": "sourdough starter"}]
document = {"Your Activity": {"Watch History": {"VideoList": watched},
                              "Searches": {"SearchList": searches}}}
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.writestr("user_data_tiktok.json", json.dumps(document))
export = ExportRequest.objects.create(user=person, categories=["activity"], data_format="json",
                                      scope="portability.activity.single", state=ExportState.READY)
key = archive_key(person.pk, export.pk)
default_storage.save(key, ContentFile(buffer.getvalue()))
ExportRequest.objects.filter(pk=export.pk).update(
    archive_key=key, archive_size=len(buffer.getvalue()), ready_at=timezone.now(),
    retention_until=timezone.now() + dt.timedelta(days=7))
ExportReading.objects.create(export=export, next_step_at=timezone.now())
services.read_export(export.pk)
print(export.pk)
"""


def test_the_embedded_setup_reads_an_archive_and_shows_it_in_the_explorer(embedded):
    browser = Browser()
    sign_in(browser, embedded.site, kinds=["activity"], frequency="single")
    made = embedded.manage("shell", "-c", READ_AN_ARCHIVE)
    assert made.returncode == 0, made.stderr
    export_id = made.stdout.split()[-1]

    summary = browser.session.get(f"{embedded.site}/exports/{export_id}/summary.json").json()
    assert summary["reading"]["state"] == "done"
    assert summary["datasets"]["watch_history"]["count"] == 28
    overview = browser.session.get(f"{embedded.site}/exports/{export_id}/explore/")
    assert overview.status_code == 200
    assert 'id="videos-watched" data-value="28"' in overview.text
    found = browser.session.get(
        f"{embedded.site}/exports/{export_id}/explore/search/", params={"q": "SOURDOUGH"}
    )
    assert found.status_code == 200
    assert "sourdough starter" in found.text

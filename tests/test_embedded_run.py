"""What `make run` serves: the embedded setup (SQLite, files under var/, the sandbox as TikTok)
in its own process, signed into over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.exports.conftest import sign_in
from tests.support.browser import Browser
from tests.support.processes import ROOT, django_server, free_port

# The test environment points at PostgreSQL and Redis; the embedded setup uses neither.
SERVER_SETTINGS = ("DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "CONN_MAX_AGE")


def test_embedded_setup_serves_the_site_and_signs_a_person_in(tmp_path):
    port = free_port()
    env = {
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path / "var"),
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    migrate_env = {**os.environ, "DJANGO_READ_DOT_ENV": "0", **env}
    for name in SERVER_SETTINGS:
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

    with django_server(port, env, tmp_path / "server.log", unset=SERVER_SETTINGS) as site:
        result = sign_in(Browser(), site, kinds=["all"], frequency="single")

    assert (tmp_path / "var" / "db.sqlite3").exists()
    assert result.final.status_code == 200
    assert result.final.url == site + "/dashboard/"
    assert "Everything (once)" in result.final.text

"""The request id of a page or a task API call (its X-Request-ID, the API's `log_id`) is on the
Celery worker's log lines of the steps it caused, the later ones included
(portability_site/logs.py): the site over real HTTP with the sandbox as TikTok, a real worker
process on Redis writing JSON lines, PostgreSQL."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from django.contrib.auth import get_user_model

from exports import services, taskqueue
from exports.models import ExportRequest, ExportState
from portability_site.celery import app as celery_app
from portability_site.logs import REQUEST_ID_HEADER
from tests.exports.conftest import sign_in
from tests.support.browser import Browser
from tests.support.processes import celery_worker, database_url_of_tests

pytestmark = pytest.mark.django_db(transaction=True)

SUBMIT = "submit_export_task"
CHECK = "check_export_task"


@pytest.fixture(scope="module")
def worker_log(django_db_setup, live_server, tmp_path_factory) -> Iterator[Path]:
    """One worker for the module, pointed at the live server (and its sandbox), writing JSON
    lines. The first status check comes a second after TikTok accepted the request."""
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
    home = tmp_path_factory.mktemp("worker")
    env = {
        "DATABASE_URL": database_url_of_tests(),
        "SITE_URL": live_server.url,
        "VAR_DIR": str(home),
        "LOG_FORMAT": "json",
        "EXPORT_POLL_INITIAL": "1",
        "EXPORT_POLL_MAX": "60",
        "CONN_MAX_AGE": "0",
    }
    log = home / "worker.log"
    with celery_worker(env, log):
        yield log


@pytest.fixture
def person(worker_log, site, settings) -> Browser:
    """Signed in through the sandbox; the exports they ask for stay in processing there."""
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 3600
    browser = Browser()
    result = sign_in(browser, site, kinds=["activity"], frequency="ongoing")
    assert result.final.url == site + "/dashboard/"
    return browser


def task_lines(log: Path, task: str, marker: str = "") -> list[dict[str, str]]:
    """The worker's JSON lines naming `task` (and `marker`, a task id say)."""
    lines = []
    for text in log.read_text(errors="replace").splitlines():
        if text.startswith("{"):
            entry = json.loads(text)
            if f"{task}[" in entry["message"] and marker in entry["message"]:
                lines.append(entry)
    return lines


def wait_for_line(log: Path, task: str, request_id: str, marker: str = "") -> dict[str, str]:
    """The worker's line saying that a run of `task` carrying `request_id` succeeded."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for entry in task_lines(log, task, marker):
            if entry["request_id"] == request_id and "succeeded" in entry["message"]:
                return entry
        time.sleep(0.2)
    raise AssertionError(f"no {task} line with {request_id}:\n{log.read_text()[-4000:]}")


def wait_until_submitted(log: Path) -> ExportRequest:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        export = ExportRequest.objects.get()
        if export.state == ExportState.PROCESSING:
            return export
        time.sleep(0.2)
    raise AssertionError(f"export stuck in {export.state}:\n{log.read_text()[-4000:]}")


def test_a_pages_request_id_is_on_the_workers_lines_of_the_submit_and_the_later_check(
    person, site, worker_log
):
    new_export = person.get(site + "/exports/new/")
    person.session.headers[REQUEST_ID_HEADER] = "new-export-click-7"
    person.submit(
        new_export,
        "Ask TikTok for my data",
        data={"kinds": ["activity"], "data_format": "json"},
    )

    wait_until_submitted(worker_log)
    submitted = wait_for_line(worker_log, SUBMIT, "new-export-click-7")
    # Published by the submit step, not by the page: the id travels on.
    checked = wait_for_line(worker_log, CHECK, "new-export-click-7")

    assert submitted["logger"] == checked["logger"] == "celery.app.trace"


def test_the_task_apis_log_id_is_on_the_workers_line_of_the_submit_step(person, site, worker_log):
    user = get_user_model().objects.get()
    _row, token = services.create_api_token(user, "my script", None)

    answer = requests.post(
        site + "/v2/data_portability/task/create/",
        json={"data_types": ["ACTIVITY"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )

    assert answer.status_code == 200, answer.text
    log_id = answer.json()["error"]["log_id"]
    assert answer.headers[REQUEST_ID_HEADER] == log_id
    export = wait_until_submitted(worker_log)
    assert str(export.pk) == answer.json()["data"]["task_id"]
    wait_for_line(worker_log, SUBMIT, log_id)


def test_a_task_published_outside_any_request_carries_no_id(person, site, worker_log):
    """Published by the test process, as beat publishes the sweep: its lines show "-", even
    in a worker process that ran a step of a request before."""
    new_export = person.get(site + "/exports/new/")
    person.session.headers[REQUEST_ID_HEADER] = "earlier-request"
    person.submit(
        new_export,
        "Ask TikTok for my data",
        data={"kinds": ["activity"], "data_format": "json"},
    )
    export = wait_until_submitted(worker_log)
    wait_for_line(worker_log, SUBMIT, "earlier-request")

    task_ids = [celery_app.send_task(taskqueue.CHECK, args=[str(export.pk)]).id for _ in range(4)]

    for task_id in task_ids:
        wait_for_line(worker_log, CHECK, "-", marker=task_id)

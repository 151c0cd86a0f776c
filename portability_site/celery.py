"""The Celery application: configuration from Django settings (CELERY_*), tasks from the apps."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from celery import Celery
from celery.signals import (
    beat_init,
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_init,
)
from celery.worker.consumer import Consumer
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from exports import taskqueue
from portability_site import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portability_site.settings")

app = Celery("portability_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # A copy of an archive can take hours: it goes to a queue of its own, consumed by a worker
    # of its own (`downloads` in the Procfile), so that the short steps never wait behind it.
    # Routed by name, the way exports.taskqueue publishes (send_task reads no task options).
    task_routes={
        taskqueue.FETCH: {"queue": taskqueue.DOWNLOADS_QUEUE},
        # Reading a big archive takes minutes too: beside the copies, not before the emails.
        taskqueue.READ: {"queue": taskqueue.DOWNLOADS_QUEUE},
    },
    worker_consumer="portability_site.celery:BrokerLossConsumer",
    beat_schedule={
        "sweep-exports": {"task": taskqueue.SWEEP, "schedule": settings.EXPORT_SWEEP_INTERVAL},
    },
)
app.autodiscover_tasks()

# The request id of a page or an API call goes along to the worker's log lines of the steps it
# caused (portability_site/logs.py). Strong references: the handlers live in a module.
before_task_publish.connect(logs.add_request_id_to_task, dispatch_uid="logs.request_id.publish")
task_prerun.connect(logs.use_request_id_of_task, dispatch_uid="logs.request_id.prerun")
task_postrun.connect(logs.forget_request_id_of_task, dispatch_uid="logs.request_id.postrun")


def _already_closed() -> None:
    """What closing the connection again does once it has been collected."""


class BrokerLossConsumer(Consumer):
    """Celery's consumer, with the lost broker connection closed once, not twice.

    After losing the broker, Celery 5.7.0 collects the connection (which drops its transport)
    and then closes it again. With Redis, that second close hands the unacknowledged messages
    back through the dropped transport and raises AttributeError ('NoneType' object has no
    attribute 'hostname'): "Unrecoverable error", and the worker never consumes again. Every
    worker that is running a task (acks_late) when Redis restarts meets it, the downloads worker
    nearly always. Collecting alone is what Celery 5.6 did. Guarded by
    tests/exports/test_broker_and_database_restarts.py; drop this class once Celery closes the
    connection only once.
    """

    def on_connection_error_after_connected(self, exc: BaseException) -> None:
        if self.connection is not None:
            self.connection.close = _already_closed
        super().on_connection_error_after_connected(exc)


@app.on_after_configure.connect
def ensure_local_folders(sender: Celery, **kwargs: object) -> None:
    """beat's schedule file and kombu's filesystem transport (the embedded setup) need their
    folders to exist, in the web process that publishes as much as in the worker and beat."""
    folders = []
    if schedule := sender.conf.beat_schedule_filename:
        folders.append(Path(schedule).parent)
    if str(sender.conf.broker_url or "").startswith("filesystem://"):
        options = sender.conf.broker_transport_options or {}
        keys = ("data_folder_in", "data_folder_out", "control_folder")
        folders.extend(Path(options[key]) for key in keys if options.get(key))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)


@worker_init.connect
@beat_init.connect
def run_system_checks(**kwargs: object) -> None:
    """The worker and the scheduler refuse to start on a configuration the site would refuse,
    with the same messages (exports/checks.py)."""
    try:
        call_command("check")
    except SystemCheckError as error:
        # Celery logs and swallows exceptions from signal handlers; SystemExit gets through.
        # The original stderr: beat may have redirected sys.stderr into its logger by now.
        sys.__stderr__.write(f"{error}\n")
        raise SystemExit(1) from None

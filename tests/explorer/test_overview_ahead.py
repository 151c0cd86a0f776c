"""The worker works out an export's overview as soon as it has read it, so its owner's first
visit does not wait for the charts of millions of records."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from exports import services
from exports.datasets import ExportReading
from exports.services import explorer
from tests.exports.factories import make_ready_export, make_user
from tests.exports.test_reading import json_archive

pytestmark = pytest.mark.django_db


def test_the_overview_in_the_owners_time_zone_is_ready_when_the_reading_ends(
    archive_dirs, client, monkeypatch
):
    cache.clear()
    person = make_user("lucia")
    export = make_ready_export(person, json_archive(), time_zone="Europe/Madrid")
    ExportReading.objects.create(export=export, next_step_at=timezone.now())
    services.read_export(export.pk)

    def not_again(*args, **kwargs):
        raise AssertionError("the overview was worked out again")

    monkeypatch.setattr(explorer, "_compute_overview", not_again)
    client.force_login(person)
    client.cookies["tz"] = "Europe/Madrid"
    page = client.get(f"/exports/{export.pk}/explore/")

    assert page.status_code == 200
    assert 'id="videos-watched" data-value="28"' in page.content.decode()


def test_a_failure_to_work_the_overview_out_ahead_leaves_the_reading_done(
    archive_dirs, monkeypatch, caplog
):
    person = make_user("lucia")
    export = make_ready_export(person, json_archive())
    ExportReading.objects.create(export=export, next_step_at=timezone.now())

    def broken(*args, **kwargs):
        raise RuntimeError("the cache is down")

    monkeypatch.setattr(explorer, "overview_of", broken)
    services.read_export(export.pk)

    assert ExportReading.objects.get(export=export).is_done
    assert "Could not work out the overview" in caplog.text

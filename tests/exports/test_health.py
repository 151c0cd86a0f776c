"""/healthz says the process is alive; /readyz says whether the database, the broker and the
storage answer, for load balancers and orchestrators."""

from __future__ import annotations

import pytest
from celery import current_app


def test_healthz_answers_ok_without_asking_anything_else(client):
    # No database access is allowed in this test: a query would fail it.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_200_when_database_broker_and_storage_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }


@pytest.mark.django_db
def test_readyz_is_503_and_names_the_broker_when_it_is_down(client, monkeypatch):
    for name in ("broker_url", "broker_write_url"):  # nothing listens on port 1
        monkeypatch.setitem(current_app.conf, name, "redis://127.0.0.1:1/0")

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("unavailable")
    assert "127.0.0.1" not in response.content.decode()  # no details for the public

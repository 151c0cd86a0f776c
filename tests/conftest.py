from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from tests.support.browser import Browser
from tests.support.processes import LIVE_WORKERS, settle_readings


def pytest_configure(config: pytest.Config) -> None:
    engine = django_settings.DATABASES["default"]["ENGINE"]
    if not engine.endswith("postgresql"):
        raise pytest.UsageError(
            f"The suite runs against PostgreSQL, not {engine}: run `make test` or set DATABASE_URL."
        )


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Each test starts with an empty cache: rate limits and the like must not carry over from
    an earlier test or run (the cache is a Redis database that outlives the run)."""
    cache.clear()


@pytest.fixture(autouse=True)
def _worker_settles_before_the_database_is_emptied(request: pytest.FixtureRequest):
    """A test with a real worker process leaves it reading the archives it stored: the reading
    ends before the database is emptied under it (set up after the database, so torn down
    before it)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    if LIVE_WORKERS:
        settle_readings()


@pytest.fixture
def site(live_server, settings) -> str:
    """The site served over real HTTP, with the sandbox mounted on it as TikTok."""
    settings.SITE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    return live_server.url


@pytest.fixture
def browser() -> Browser:
    return Browser()

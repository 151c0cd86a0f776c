from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """The reader touches neither the database nor the cache: these tests need no Redis, so
    the suite's cache-clearing fixture of the same name is not run for them."""

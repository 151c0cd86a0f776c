from __future__ import annotations

import pytest

from exports import services
from tests.exports import factories
from tests.exports.factories import authorize, make_user

archive_dirs = factories.archive_dirs
published = factories.published


@pytest.fixture
def owner(db):
    person = make_user("ana")
    authorize(person, ["user.info.basic", "portability.activity.ongoing"])
    return person


@pytest.fixture
def api_token(owner) -> str:
    _row, token = services.create_api_token(owner, "my script", None)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

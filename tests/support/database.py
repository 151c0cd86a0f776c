"""Looking at the test database from outside, as an operator or an auditor would."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable

from django.db import connection


def dump_database(*, exclude_tables: Iterable[str] = ()) -> str:
    """Everything PostgreSQL holds for the test database, as `pg_dump --data-only` writes it.
    `exclude_tables` takes pg_dump patterns, like "tiktok_sandbox_*"."""
    params = connection.settings_dict
    command = [
        "pg_dump",
        "--data-only",
        *(f"--exclude-table={pattern}" for pattern in exclude_tables),
        "--host",
        params["HOST"] or "127.0.0.1",
        "--port",
        str(params["PORT"] or 5432),
        "--username",
        params["USER"] or "postgres",
        params["NAME"],
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout

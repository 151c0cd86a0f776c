"""Misconfiguration stops the site at start with a check that says what to set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_check(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TIKTOK_", "TOKEN_", "SECRET_KEY", "DEBUG"))
    }
    env.update(
        {
            "SECRET_KEY": "a-secret-key-for-the-check-subprocess",
            "TOKEN_ENCRYPTION_KEYS": "dGVzdHMtb25seS10b2tlbi1rZXktMzItYnl0ZXMteHg=",
            "DJANGO_READ_DOT_ENV": "0",
            **overrides,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_embedded_defaults_pass_the_checks():
    result = run_check(DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "check_id", "says"),
    [
        ({"TIKTOK_SANDBOX": "0"}, "exports.E001", "TIKTOK_CLIENT_KEY"),
        (
            {
                "TIKTOK_CLIENT_KEY": "key",
                "TIKTOK_CLIENT_SECRET": "secret",
                "TIKTOK_AUTH_BASE_URL": "tiktok",
            },
            "exports.E002",
            "absolute http(s) URL",
        ),
        (
            {
                "TIKTOK_CLIENT_KEY": "k",
                "TIKTOK_CLIENT_SECRET": "s",
                "TIKTOK_API_BASE_URL": "http://open.tiktokapis.com",
            },
            "exports.E003",
            "https",
        ),
        (
            {"TIKTOK_SANDBOX": "1", "TIKTOK_AUTH_BASE_URL": "https://www.tiktok.com"},
            "exports.E004",
            "Unset TIKTOK_SANDBOX",
        ),
        ({"SITE_URL": "example.org"}, "exports.E005", "SITE_URL"),
        (
            {"TIKTOK_SANDBOX": "1", "TIKTOK_CLIENT_KEY": "real-key", "TIKTOK_CLIENT_SECRET": "s"},
            "exports.E010",
            "the sandbox does not know",
        ),
        ({"TOKEN_ENCRYPTION_KEYS": ""}, "exports.E006", "Fernet"),
        ({"TOKEN_ENCRYPTION_KEYS": "not-a-key"}, "exports.E007", "url-safe base64"),
    ],
)
def test_misconfiguration_fails_the_checks_and_says_what_to_set(overrides, check_id, says):
    result = run_check(**overrides)

    assert result.returncode != 0
    assert check_id in result.stderr
    assert says in result.stderr


def test_sandbox_without_debug_warns_that_personas_share_accounts():
    result = run_check()

    assert result.returncode == 0
    assert "exports.W002" in result.stderr


def test_missing_secret_key_stops_the_site_and_says_what_to_set():
    result = run_check(SECRET_KEY="")

    assert result.returncode != 0
    assert "SECRET_KEY is not set. Set it to a long random string" in result.stderr


def test_real_credentials_turn_the_sandbox_off_and_point_at_tiktok():
    env_code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portability_site.settings';"
        "django.setup(); from django.conf import settings as s; from exports import tiktok;"
        "print(s.TIKTOK_SANDBOX, tiktok.authorize_url(), tiktok.token_url())"
    )
    env = {**os.environ, "TIKTOK_CLIENT_KEY": "real-key", "TIKTOK_CLIENT_SECRET": "real-secret"}
    env.pop("TIKTOK_SANDBOX", None)

    output = subprocess.run(
        [sys.executable, "-c", env_code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    assert output == [
        "False",
        "https://www.tiktok.com/v2/auth/authorize/",
        "https://open.tiktokapis.com/v2/oauth/token/",
    ]


@pytest.mark.parametrize("process", ["worker", "beat"])
def test_worker_and_scheduler_refuse_to_start_on_a_bad_configuration(process):
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("TIKTOK_", "DEBUG"))
    }
    env.update({"TIKTOK_SANDBOX": "0", "DJANGO_READ_DOT_ENV": "0"})

    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "portability_site", process, "--loglevel", "ERROR"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "exports.E001" in result.stderr

"""TikTok tokens never sit in plaintext anywhere we control: not in the database, not in logs."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command

from exports.models import TikTokAuthorization
from tests.exports.conftest import sign_in
from tests.support.database import dump_database

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_token_string_appears_in_a_database_dump_or_the_logs(browser, site, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(browser, site, kinds=["all"], frequency="ongoing")
    authorization = TikTokAuthorization.objects.get()
    secrets = [authorization.access_token, authorization.refresh_token]
    assert all(len(secret) > 20 for secret in secrets)

    dump = dump_database()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    # Sessions are stored encoded: decode each one, or a token inside would go unseen.
    sessions = "\n".join(
        repr(SessionStore().decode(session.session_data)) for session in Session.objects.all()
    )
    assert sessions

    assert authorization.open_id in dump  # the dump is of the right database
    for secret in secrets:
        assert secret not in dump
        assert secret not in logged
        assert secret not in sessions
        assert secret not in repr(authorization.__dict__)


def test_rotating_the_encryption_key_keeps_tokens_readable_and_rewrites_them(
    browser, site, settings
):
    sign_in(browser, site)
    before = TikTokAuthorization.objects.get()
    tokens_before = (before.access_token, before.refresh_token)
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]

    call_command("rotate_token_keys")

    settings.TOKEN_ENCRYPTION_KEYS = [new_key]
    after = TikTokAuthorization.objects.get()
    assert (after.access_token, after.refresh_token) == tokens_before
    assert after.access_token_ciphertext != before.access_token_ciphertext

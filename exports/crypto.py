"""Encryption of TikTok tokens at rest.

Fernet (AES-128-CBC with HMAC-SHA256) under keys from TOKEN_ENCRYPTION_KEYS, newest first, kept
apart from SECRET_KEY. Encryption always uses the newest key; decryption tries each, so a new key
can be put in front and old ciphertexts re-encrypted at leisure (manage.py rotate_token_keys).
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class TokenDecryptionError(Exception):
    """A stored token was encrypted under a key no longer in TOKEN_ENCRYPTION_KEYS."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.TOKEN_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _current().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError("No key in TOKEN_ENCRYPTION_KEYS decrypts this token.") from None


def reencrypt(ciphertext: str) -> str:
    """The same plaintext under the newest key."""
    try:
        return _current().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError("No key in TOKEN_ENCRYPTION_KEYS decrypts this token.") from None


def key_problem(key: str) -> str | None:
    """Why `key` is not a usable Fernet key, or None if it is."""
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return "a Fernet key is 32 random bytes in url-safe base64 (44 characters)"
    return None

"""Staff passwords (Argon2id, argon2-cffi's current parameters) and robot credentials."""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# Verifying against this when the user does not exist takes as long as for one who does, so
# the answer's timing does not tell which user names exist.
_NOBODY = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f'a password needs at least {MIN_PASSWORD_LENGTH} characters')
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _NOBODY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_robot_secret() -> str:
    return secrets.token_urlsafe(32)

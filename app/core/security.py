"""Security primitives: argon2id password hashing, JWT access tokens, API key generation and hashing.

Rules:
- Passwords are hashed with argon2id (argon2-cffi defaults: time_cost 3, memory 64 MiB, parallelism 4).
- Access tokens are HS256 JWTs signed with SECRET_KEY, carrying `sub` (user id), `iat`, `exp`.
- API keys are `itk_<key id hex>_<secret>`; only SHA-256 of the whole key is stored, compared in
  constant time; the key itself is shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.core import clock

_hasher = PasswordHasher()
# Verified against when the username does not exist, so a miss costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
JWT_ALGORITHM = "HS256"
API_KEY_PREFIX = "itk_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_access_token(subject: uuid.UUID, secret: str, expires: timedelta) -> str:
    issued = clock.now()
    payload = {"sub": str(subject), "iat": int(issued.timestamp()), "exp": int((issued + expires).timestamp())}
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, secret: str) -> uuid.UUID | None:
    """The user id of a valid, unexpired token signed with `secret`; None for anything else."""
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            # `exp` is required but checked below against the service clock only: PyJWT's own check uses the
            # wall clock, which refused tokens issued and used while the clock is pinned in the past.
            options={"require": ["sub", "exp", "iat"], "verify_iat": False, "verify_exp": False},
        )
        if int(payload["exp"]) <= int(clock.now().timestamp()):
            return None
        return uuid.UUID(str(payload["sub"]))
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None


def new_api_key(key_id: uuid.UUID) -> str:
    return f"{API_KEY_PREFIX}{key_id.hex}_{secrets.token_urlsafe(32)}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_api_key(key: str) -> uuid.UUID | None:
    """The key id embedded in an API key, or None if it is not shaped like one."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    body = key[len(API_KEY_PREFIX) :]
    key_hex, sep, secret = body.partition("_")
    if not sep or not secret or len(key_hex) != 32:
        return None
    try:
        return uuid.UUID(hex=key_hex)
    except ValueError:
        return None


def api_key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(key), stored_hash)

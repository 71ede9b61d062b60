"""Security primitives: argon2id password hashing, JWT access tokens, API key generation and hashing.

Rules:
- Passwords are hashed with argon2id (argon2-cffi defaults: time_cost 3, memory 64 MiB, parallelism 4).
- Access tokens are HS256 JWTs signed with SECRET_KEY, carrying `sub` (user id), `iat`, `exp`, and `iat_us`
  (the issue instant in microseconds since the epoch, so a token issued a moment before a password change or
  a "sign out everywhere" is told apart from one issued a moment after; a token without it counts as
  issued at the start of its `iat` second).
- API keys are `itk_<key id hex>_<secret>`; only SHA-256 of the whole key is stored, compared in
  constant time; the key itself is shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.core import clock

_hasher = PasswordHasher()
# Verified against when the username does not exist, so a miss costs as much as a wrong password: a hash of a
# random, forgotten password made with `_hasher`'s parameters (tests/core/test_password_hashing.py checks they
# still are), written out rather than computed, so starting a process (server, CLI) spends no argon2 round.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$iinLqIAZTdGK/W5Fc4/tjg$cFoDJNo1OVJmlRlAXMCAgguOtS/VkyppZajLnHReRQc"
JWT_ALGORITHM = "HS256"
API_KEY_PREFIX = "itk_"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def epoch_us(at: datetime) -> int:
    """`at` (timezone-aware) as whole microseconds since the epoch, exactly (no float rounding)."""
    return (at - _EPOCH) // _MICROSECOND


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a valid access token says: whose it is and when it was issued."""

    user_id: uuid.UUID
    issued_at_us: int


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_access_token(subject: uuid.UUID, secret: str, expires: timedelta, issued: datetime | None = None) -> str:
    """A token for `subject`, issued at `issued` (default now; a login passes the instant it read the user)."""
    issued = issued or clock.now()
    payload = {
        "sub": str(subject),
        "iat": int(issued.timestamp()),
        "iat_us": epoch_us(issued),
        "exp": int((issued + expires).timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, secret: str) -> AccessClaims | None:
    """The claims of a valid, unexpired token signed with `secret`; None for anything else."""
    verified = _verified(token, secret)
    if verified is None:
        return None
    claims, expires = verified
    # `exp` is checked here against the service clock, on every call (never cached): PyJWT's own check uses
    # the wall clock, which refused tokens issued and used while the clock is pinned in the past.
    return claims if expires > int(clock.now().timestamp()) else None


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[AccessClaims, int] | None:
    """The claims and `exp` of a token whose signature and shape are valid, or None.

    Cached: what a token string says and whether `secret` signed it never changes, and verifying it again is a
    tenth of a millisecond of every request. Nothing that can change is cached: expiry is compared per call
    (above), and whether the user may still act (active, signed out, role) is read by every request. `nbf` is
    not checked (PyJWT would check it on the wall clock, which a cache cannot follow): the service never issues
    it, and a token carrying it must still be signed with `secret`."""
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "exp", "iat"], "verify_iat": False, "verify_exp": False, "verify_nbf": False},
        )
        issued_us = payload.get("iat_us", int(payload["iat"]) * 1_000_000)
        if type(issued_us) is not int:
            return None
        return AccessClaims(uuid.UUID(str(payload["sub"])), issued_us), int(payload["exp"])
    except (jwt.PyJWTError, ValueError, KeyError, TypeError, OverflowError):
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

"""The production argon2 parameters, which the rest of the suite swaps for cheap ones (tests/conftest.py)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from app.core import security

pytestmark = pytest.mark.production_argon2


def test_passwords_are_hashed_with_argon2id_at_the_documented_cost() -> None:
    assert security.hash_password("correct horse battery").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert (security._hasher.time_cost, security._hasher.memory_cost, security._hasher.parallelism) == (3, 65536, 4)


def test_the_dummy_hash_costs_what_a_real_one_does() -> None:
    """An unknown username is checked against `_DUMMY_HASH`: it must carry the hasher's own parameters."""
    assert not security._hasher.check_needs_rehash(security._DUMMY_HASH)
    assert not PasswordHasher().check_needs_rehash(security._DUMMY_HASH)
    assert security.verify_password("anything", None) is False

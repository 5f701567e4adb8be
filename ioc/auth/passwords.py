"""Password hashing with argon2id (argon2-cffi)."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
# Letters and digits that cannot be mistaken for one another when read aloud or copied by hand.
READABLE = "abcdefghijkmnpqrstuvwxyz23456789"


@lru_cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash with a random salt."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches; never raises on a wrong password."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(password_hash)


# A hash to verify against when the user does not exist, so that timing does not tell.
@lru_cache
def dummy_hash() -> str:
    """A fixed hash for equal-time failures."""
    return hash_password("not-a-real-password")


def generate(groups: int = 4, size: int = 4) -> str:
    """A random password to give to a person: ``k7pq-x3mz-9vtr-c4hw`` carries 80 bits."""
    return "-".join("".join(secrets.choice(READABLE) for _ in range(size)) for _ in range(groups))

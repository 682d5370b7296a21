"""Password hashing with argon2id (argon2-cffi's defaults: RFC 9106's low-memory profile).

Hashing costs tens of milliseconds of CPU on purpose, so the async helpers run it in a thread. ``verify``
against ``DUMMY_HASH`` when there is no such user keeps the answer's timing from telling who has an account.
"""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("no such user; this hash only keeps the timing even")


def problem(password: str, email: str = "") -> str | None:
    """Why ``password`` cannot be used, in words for the person choosing it; None when it can."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if email and password.strip().lower() == email.strip().lower():
        return "must not be your email address"
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None: no such user, still costing one verification)."""
    return await asyncio.to_thread(_verify, stored, password)


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)

"""Passwords: what is accepted, how it is hashed (argon2id), and a verify that costs the same for nobody.

RELIABILITY 8 and 9: argon2id with at least 19 MiB and two passes, hashes made with older parameters
redone at the next login; any password of 8 or more characters is accepted (spaces, emoji, any script),
except the most common ones, which are the first ones an attacker tries.
"""

from __future__ import annotations

import contextlib
import secrets
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from paperstand.errors import DomainError

# OWASP's minimum for argon2id (m=19 MiB, t=2, p=1): about 20-40 ms a hash on one core, which an
# attacker with a stolen table pays per guess, and which one process can afford per login.
MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1
MIN_LENGTH = 8
# Hashing cost grows with the input; a password longer than this is no longer about security.
MAX_LENGTH = 1000
# How many of zxcvbn's most frequent leaked passwords are refused (its list is ordered by frequency).
COMMON_REFUSED = 10_000

HASHER = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM, hash_len=32,
                        salt_len=16, type=Type.ID)


class WeakPassword(DomainError):
    """A password that the rules refuse; the message says which rule."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The most common passwords, lower-cased: zxcvbn's frequency list, maintained from real leaks."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"][:COMMON_REFUSED])


def normalized(password: str) -> str:
    """The form a password is hashed in (NFC), so "é" typed as one or two code points is the same password."""
    return unicodedata.normalize("NFC", password)


def check_password(password: str, *, name: str = "", email: str = "") -> str:
    """The password to hash (normalised), or ``WeakPassword`` naming the rule it breaks."""
    text = normalized(password)
    if len(text) < MIN_LENGTH:
        raise WeakPassword(f"password: use at least {MIN_LENGTH} characters",
                           hint="A few words with spaces between them make a good password.")
    if len(text) > MAX_LENGTH:
        raise WeakPassword(f"password: use at most {MAX_LENGTH} characters")
    lowered = text.lower()
    if lowered in common_passwords():
        raise WeakPassword("password: this is one of the most common passwords, which are guessed first",
                           hint="Choose something less common: a few unrelated words work well.")
    local_part = email.lower().partition("@")[0]
    if lowered in {name.lower(), email.lower(), local_part} - {""}:
        raise WeakPassword("password: do not use your user name or email address as your password")
    return text


def hash_password(password: str) -> str:
    """The argon2id hash to store for ``password`` (already checked)."""
    return HASHER.hash(normalized(password))


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash; a malformed or foreign hash matches nothing."""
    if len(password) > MAX_LENGTH:
        dummy_verify()  # the same time as a real check, without hashing a huge input
        return False
    try:
        return HASHER.verify(stored, normalized(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether the hash was made with other (older, weaker) parameters and should be redone now."""
    try:
        return HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def dummy_verify() -> None:
    """Spend the time a real check takes, for an account that does not exist (no timing oracle)."""
    with contextlib.suppress(VerificationError):
        HASHER.verify(_dummy_hash(), "not the password")

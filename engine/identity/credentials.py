"""API tokens and passwords: only hashes are stored.

Passwords are hashed with Argon2id (argon2-cffi). Hashes written before it (``scrypt$salt$digest``)
still verify, and ``PasswordHashing.verify`` asks for a rehash after such a login, as it does when
the configured Argon2 cost has changed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "apr_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough (no salt or stretching needed).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


ARGON2_PREFIX = "$argon2"
LEGACY_SCRYPT_PREFIX = "scrypt$"
_LEGACY_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class Verdict:
    ok: bool
    # The password was right but its stored hash is of an older kind or cost: store a new one.
    needs_rehash: bool = False


class PasswordHashing:
    """Hash and verify login passwords at one configured Argon2id cost."""

    def __init__(self, memory_kib: int, time_cost: int) -> None:
        self._argon2 = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, password: str, stored: str | None) -> Verdict:
        """Check ``password`` against a stored hash. Costs one full hash whatever ``stored`` is, so
        that a missing or unusable hash (no such user, no password set) answers as slowly as a wrong
        password does."""
        if stored and stored.startswith(ARGON2_PREFIX):
            try:
                self._argon2.verify(stored, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return Verdict(False)
            return Verdict(True, self._argon2.check_needs_rehash(stored))
        if stored and stored.startswith(LEGACY_SCRYPT_PREFIX):
            return Verdict(_check_scrypt(password, stored), needs_rehash=True)
        self.verify_nobody(password)
        return Verdict(False)

    def verify_nobody(self, password: str) -> None:
        """Spend what verifying a real hash costs, for an answer that must not be faster."""
        try:
            self._argon2.verify(self._dummy_hash(), password)
        except VerificationError:
            pass

    def _dummy_hash(self) -> str:
        # Made on first use, at the configured cost, from a password nobody knows.
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self._argon2.hash(secrets.token_urlsafe(32))
            return self._dummy


def _check_scrypt(password: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$", 2)
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_LEGACY_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


def legacy_scrypt_hash(password: str) -> str:
    """A hash as versions before Argon2 wrote it (for tests of the upgrade path)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_LEGACY_SCRYPT)
    return f"{LEGACY_SCRYPT_PREFIX}{salt.hex()}${digest.hex()}"

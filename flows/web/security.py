"""Passwords (argon2), roles, CSRF tokens and login rate limiting for the web workspace."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
import unicodedata
from collections import defaultdict, deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLE_RANK = {"viewer": 0, "editor": 1, "admin": 2}
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("không có người dùng này")
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches the hash (constant work when there is no hash)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def login_name(typed: str) -> str:
    """A login name as stored and looked up: NFC (a keyboard may type 'ễ' decomposed, which
    would otherwise be another name), trimmed, lowercase."""
    return unicodedata.normalize("NFC", typed).strip().lower()


def may(role: str | None, needed: str) -> bool:
    """Whether a role may do what needs `needed` (viewer < editor < admin)."""
    return role in ROLE_RANK and ROLE_RANK[role] >= ROLE_RANK[needed]


def new_token() -> str:
    """A fresh random token (CSRF, demo passwords)."""
    return secrets.token_urlsafe(32)


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two tokens; False when either is missing."""
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


class LoginLimiter:
    """At most `limit` failed logins per (address, name) and per address within `window` s."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._failures[key]
        while hits and now - hits[0] > self.window:
            hits.popleft()
        return hits

    def blocked(self, address: str, name: str) -> bool:
        """True when this address (or this address and name) failed too often lately."""
        now = time.monotonic()
        with self._lock:
            per_name = len(self._recent(f"{address}|{name}", now)) >= self.limit
            per_address = len(self._recent(address, now)) >= self.limit * 4
        return per_name or per_address

    def failed(self, address: str, name: str) -> None:
        """Count one failed login."""
        now = time.monotonic()
        with self._lock:
            self._failures[f"{address}|{name}"].append(now)
            self._failures[address].append(now)

    def succeeded(self, address: str, name: str) -> None:
        """A good login clears that name's failures from that address."""
        with self._lock:
            self._failures.pop(f"{address}|{name}", None)

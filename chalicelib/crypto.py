"""Field encryption and keyed hashes. Plain Python (cryptography), no AWS.

- `seal`/`unseal`: AES-256-GCM under a user's data key, with the user id and the
  field name as associated data, so a ciphertext moved to another user or field
  does not decrypt.
- `keyed_hash`: HMAC-SHA256 under the platform's index key, for lookups by email or
  phone without storing them in clear.
- `TtlCache`: a bounded cache with a lifetime, for unwrapped keys.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"


class Unreadable(Exception):
    """The ciphertext cannot be opened with this key (wrong key, user or field)."""


def _aad(user_id: str, field: str) -> bytes:
    return f"{user_id}|{field}".encode()


def seal(key: bytes, user_id: str, field: str, plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(user_id, field))
    return f"{_VERSION}:{base64.b64encode(nonce + sealed).decode()}"


def unseal(key: bytes, user_id: str, field: str, token: str) -> str:
    version, _, payload = token.partition(":")
    if version != _VERSION:
        raise Unreadable("unknown ciphertext version")
    raw = base64.b64decode(payload)
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], _aad(user_id, field)).decode()
    except InvalidTag:
        raise Unreadable("ciphertext does not open with this key") from None


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """A stable pseudonymous token for `value` (already normalised by the caller)."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class TtlCache:
    """At most `maxsize` entries, each kept at most `ttl` seconds (by `now()`)."""

    def __init__(self, maxsize: int, ttl: float, now: Callable[[], float]):
        self.maxsize, self.ttl, self.now = maxsize, ttl, now
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            stored_at, value = found
            if self.now() - stored_at > self.ttl:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = (self.now(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def evict(self, key: Any) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

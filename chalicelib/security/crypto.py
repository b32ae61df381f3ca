"""Field encryption and keyed hashes. Plain Python (cryptography), no AWS.

- `seal`/`unseal`: AES-256-GCM under a user's data key, with the user id and the
  field name as associated data, so a ciphertext moved to another user or field
  does not decrypt.
- `keyed_hash`: HMAC-SHA256 under the platform's index key, for lookups by email or
  phone without storing them in clear.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

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

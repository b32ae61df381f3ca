"""Envelope encryption of personal data with per-user data keys.

Each owner (a user; the platform itself for the lookup-hash key) has one AES-256
data key from KMS `GenerateDataKey` under the platform key. Only its wrapped form is
stored, in the keys table, which has no backups. Fields are sealed with it before
they reach DynamoDB (`crypto.seal`, owner id and field name as associated data).
`shred(owner)` deletes the wrapped key: every copy of that owner's ciphertext, in the
table, its backups, exports or logs, can no longer be read by anyone.

Unwrapped keys are cached per container: at most `CACHE_SIZE` keys, each for at most
`CACHE_SECONDS`, so a warm container decrypts a user's fields with one KMS call per
key lifetime. A shredded key may survive in a warm container's cache for at most
that lifetime; `shred` evicts it from its own.
"""
from __future__ import annotations

from typing import overload

from chalicelib.adapters import keys as kms
from chalicelib.core import clock
from chalicelib.core.cache import TtlCache
from chalicelib.repos import keys as repo
from chalicelib.security import crypto

CACHE_SIZE = 1024
CACHE_SECONDS = 300
PLATFORM = "platform-index"  # owner of the key behind keyed hashes (email, phone lookups)

_cache = TtlCache(CACHE_SIZE, CACHE_SECONDS, clock.now_ts)


class KeyErased(Exception):
    """The owner's data key is gone: their ciphertext is unreadable by design."""


def create(owner: str) -> tuple[bytes, repo.WrappedKey]:
    """A new data key for `owner`: (plaintext, the item to store in the same transaction)."""
    plaintext, wrapped = kms.new_data_key(owner)
    _cache.put(owner, plaintext)
    return plaintext, repo.build(owner, wrapped)


def key_of(owner: str) -> bytes:
    found = _cache.get(owner)
    if found is not None:
        return found
    wrapped = repo.get(owner)
    if wrapped is None:
        raise KeyErased(owner)
    plaintext = kms.unwrap(owner, wrapped)
    _cache.put(owner, plaintext)
    return plaintext


def preload(owners: list[str]) -> None:
    """Make the keys of many owners ready with one read of the keys table (and one KMS
    decrypt per key not cached yet), before unsealing a page of their fields."""
    missing = [o for o in dict.fromkeys(owners) if _cache.get(o) is None]
    if not missing:
        return
    for owner, wrapped in repo.get_many(missing).items():
        _cache.put(owner, kms.unwrap(owner, wrapped))


def readable(owner: str, field: str, token: str | None) -> str | None:
    """`unseal`, or None where the owner's key was shredded (an erased user)."""
    try:
        return unseal(owner, field, token)
    except KeyErased:
        return None


@overload
def seal(owner: str, field: str, value: str) -> str: ...
@overload
def seal(owner: str, field: str, value: None) -> None: ...
@overload
def seal(owner: str, field: str, value: str | None) -> str | None: ...
def seal(owner: str, field: str, value: str | None) -> str | None:
    """The value sealed under the owner's key; None stays None (an absent field)."""
    return None if value is None else crypto.seal(key_of(owner), owner, field, value)


@overload
def unseal(owner: str, field: str, token: str) -> str: ...
@overload
def unseal(owner: str, field: str, token: None) -> None: ...
@overload
def unseal(owner: str, field: str, token: str | None) -> str | None: ...
def unseal(owner: str, field: str, token: str | None) -> str | None:
    return None if token is None else crypto.unseal(key_of(owner), owner, field, token)


def shred(owner: str) -> None:
    repo.delete(owner)
    _cache.evict(owner)


def _index_key() -> bytes:
    """The platform's lookup-hash key, made on first use by whichever container comes first."""
    try:
        return key_of(PLATFORM)
    except KeyErased:
        plaintext, wrapped = kms.new_data_key(PLATFORM)
        if not repo.put_new(PLATFORM, wrapped):  # another container made it first
            return key_of(PLATFORM)
        _cache.put(PLATFORM, plaintext)
        return plaintext


def platform_key() -> bytes:
    """The platform's own data key (for keyed hashes and signed links)."""
    return _index_key()


def lookup_hash(purpose: str, value: str) -> str:
    """Keyed hash for finding a user by email or phone without storing it in clear."""
    return crypto.keyed_hash(_index_key(), purpose, value)


def forget_cache() -> None:
    _cache.clear()

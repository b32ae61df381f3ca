"""Wrapped per-user data keys, in the keys table (no backups: see `resources.KEYS_TABLE`)."""
from __future__ import annotations

from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model

from chalicelib.core import clock, settings
from chalicelib.core.resources import KEYS_TABLE


class WrappedKey(Model):
    class Meta:
        table_name = KEYS_TABLE.name
        region = settings.region()
        max_retry_attempts = 3

    pk = UnicodeAttribute(hash_key=True)  # OWNER#<owner>
    sk = UnicodeAttribute(range_key=True)  # DATA_KEY
    wrapped = BinaryAttribute(legacy_encoding=False)
    created_at = NumberAttribute()


def _pk(owner: str) -> str:
    return f"OWNER#{owner}"


def build(owner: str, wrapped: bytes) -> WrappedKey:
    return WrappedKey(pk=_pk(owner), sk="DATA_KEY", wrapped=wrapped, created_at=clock.now_ts())


def put_new(owner: str, wrapped: bytes) -> bool:
    """Store a key unless one exists; False if it did."""
    try:
        build(owner, wrapped).save(condition=WrappedKey.pk.does_not_exist())
        return True
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def get(owner: str) -> bytes | None:
    try:
        return WrappedKey.get(_pk(owner), "DATA_KEY", consistent_read=True).wrapped
    except DoesNotExist:
        return None


def get_many(owners: list[str]) -> dict[str, bytes]:
    """Wrapped keys of several owners in one BatchGetItem; erased owners are absent."""
    found = WrappedKey.batch_get([(_pk(o), "DATA_KEY") for o in dict.fromkeys(owners)])
    return {item.pk.removeprefix("OWNER#"): item.wrapped for item in found}


def delete(owner: str) -> None:
    WrappedKey(pk=_pk(owner), sk="DATA_KEY").delete()

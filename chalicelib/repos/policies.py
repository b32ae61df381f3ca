"""Privacy policy versions: partition `POLICY`, sorted by when they take effect."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from chalicelib import clock
from chalicelib.db import Entity

PK = "POLICY"


class PolicyVersion(Entity, discriminator="policy"):
    version = UnicodeAttribute()
    effective_at = NumberAttribute()
    summary = UnicodeAttribute()
    text = UnicodeAttribute()
    material = BooleanAttribute(default=True)
    published_at = NumberAttribute()


def _sk(effective_at: float, version: str) -> str:
    return f"VERSION#{effective_at:017.3f}#{version}"


def build(version: str, effective_at: float, summary: str, text: str, material: bool = True) -> PolicyVersion:
    return PolicyVersion(
        pk=PK, sk=_sk(effective_at, version), version=version, effective_at=effective_at,
        summary=summary, text=text, material=material, published_at=clock.now_ts(),
    )


def put_if_absent(item: PolicyVersion) -> None:
    try:
        item.save(condition=PolicyVersion.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def in_effect(at: float) -> PolicyVersion | None:
    """The newest version whose effective time has come (one Query, one item)."""
    upper = f"VERSION#{at:017.3f}~"
    for item in PolicyVersion.query(PK, PolicyVersion.sk <= upper, scan_index_forward=False, limit=1):
        return item
    return None


def all_versions() -> list[PolicyVersion]:
    return list(PolicyVersion.query(PK, PolicyVersion.sk.startswith("VERSION#")))

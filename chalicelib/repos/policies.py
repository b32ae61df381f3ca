"""Privacy policy versions: partition `POLICY`, sorted by when they take effect."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.core import clock
from chalicelib.repos.db import Entity

PK = "POLICY"


class PolicyVersion(Entity, discriminator="policy"):
    version = UnicodeAttribute()
    effective_at = NumberAttribute()
    summary = UnicodeAttribute()
    text = UnicodeAttribute()
    material = BooleanAttribute(default=True)
    published_at = NumberAttribute()
    published_by = UnicodeAttribute(null=True)
    applied_at = NumberAttribute(null=True)  # when the `apply_policy_versions` job saw it take effect


class PolicyIndex(Entity, discriminator="policy_index"):
    """Every version's number and effective time in one small item, so the version in
    effect is one Get (or rides along in the authenticator's batch read)."""

    versions = UnicodeAttribute()  # JSON [[version, effective_at], ...] sorted by effective_at

    def in_effect(self, at: float) -> str | None:
        import json

        current = None
        for version, effective_at in json.loads(self.versions):
            if effective_at <= at:
                current = version
        return current


INDEX_KEY = (PK, "INDEX")


def get_index() -> PolicyIndex | None:
    try:
        return PolicyIndex.get(*INDEX_KEY)
    except DoesNotExist:
        return None


def _sk(effective_at: float, version: str) -> str:
    return f"VERSION#{effective_at:017.3f}#{version}"


def build(version: str, effective_at: float, summary: str, text: str, material: bool = True) -> PolicyVersion:
    return PolicyVersion(
        pk=PK, sk=_sk(effective_at, version), version=version, effective_at=effective_at,
        summary=summary, text=text, material=material, published_at=clock.now_ts(),
    )


def put_first(item: PolicyVersion) -> None:
    """Write the first version and the index, unless a first version exists already."""
    import json

    from chalicelib.repos import db

    if get_index() is not None:
        return
    index = PolicyIndex(pk=PK, sk="INDEX", versions=json.dumps([[item.version, item.effective_at]]))
    try:
        with db.transaction() as tx:
            tx.save(index, condition=PolicyIndex.pk.does_not_exist())
            tx.save(item, condition=PolicyVersion.pk.does_not_exist())
    except TransactWriteError as exc:
        reasons = [r.code for r in (exc.cancellation_reasons or []) if r is not None]
        if not reasons or any(code != "ConditionalCheckFailed" for code in reasons):
            raise


def get_version(version: str, effective_at: float) -> PolicyVersion | None:
    try:
        return PolicyVersion.get(PK, _sk(effective_at, version))
    except DoesNotExist:
        return None


def all_versions() -> list[PolicyVersion]:
    return list(PolicyVersion.query(PK, PolicyVersion.sk.startswith("VERSION#")))


def versions_of(index: PolicyIndex) -> list[tuple[str, float]]:
    import json

    return [(v, float(e)) for v, e in json.loads(index.versions)]


def publish(item: PolicyVersion, index: PolicyIndex, extra: list | None = None) -> None:
    """The new version and the index naming it, in one transaction; the index must be
    as it was read (another admin publishing meanwhile: `db.Conflict`)."""
    import json

    from chalicelib.repos import db

    versions = versions_of(index) + [(item.version, item.effective_at)]
    try:
        with db.transaction() as tx:
            tx.update(index, actions=[PolicyIndex.versions.set(json.dumps(versions))], condition=PolicyIndex.versions == index.versions)
            tx.save(item, condition=PolicyVersion.pk.does_not_exist())
            for other in extra or []:
                tx.save(other)
    except TransactWriteError as exc:
        if "TransactionCanceled" in str(exc) or getattr(exc, "cause_response_code", "") == "TransactionCanceledException":
            raise db.Conflict() from None
        raise


def mark_applied(item: PolicyVersion, at: float) -> bool:
    from pynamodb.exceptions import UpdateError

    try:
        item.update(actions=[PolicyVersion.applied_at.set(at)], condition=PolicyVersion.applied_at.does_not_exist())
        return True
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise

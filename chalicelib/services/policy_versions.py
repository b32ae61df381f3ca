"""Privacy policy versions: the index of versions and the one in effect, who is bound by
it and restricted until they accept it, and the scheduled job that marks a version in
effect on its date.

The first version is written with the stack (`ensure_first_version`, idempotent;
the local stack and tests call it when they provision, deployed stages on first
read). Its text is rendered from the active privacy profile (`policy_text`). The index
of versions is cached per container (`cached_index`), so knowing the version in effect
usually costs no AWS call.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.core import clock, privacy
from chalicelib.core.cache import TtlCache
from chalicelib.core.observability import logger, metrics
from chalicelib.repos import audit
from chalicelib.repos import policies as repo
from chalicelib.services import policy_text

FIRST_VERSION = "1.0"
FIRST_EFFECTIVE_AT = 1767225600.0  # 2026-01-01T00:00:00Z
_index = TtlCache(4, 60, clock.now_ts)  # per container; a new version shows within a minute


def ensure_first_version() -> None:
    summary, text = policy_text.render(privacy.active())
    repo.put_first(repo.build(FIRST_VERSION, FIRST_EFFECTIVE_AT, summary, text))


def cached_index() -> repo.PolicyIndex | None:
    return _index.get("index")


def remember_index(index: repo.PolicyIndex) -> None:
    _index.put("index", index)


def forget_index() -> None:
    """The next `index()` reads the stored index (a version published a moment ago shows)."""
    _index.clear()


def index() -> repo.PolicyIndex:
    found = cached_index()
    if found is None:
        found = stored_index()
        remember_index(found)
    return found


def stored_index() -> repo.PolicyIndex:
    """The policy index item, created with the first version on a fresh deployment."""
    found = repo.get_index()
    if found is None:
        ensure_first_version()
        found = repo.get_index()
    if found is None:
        raise RuntimeError("the policy index is missing right after it was created")
    return found


def current_version() -> str:
    """The version in effect now (from the cached index: usually no AWS call)."""
    return index().in_effect(clock.now_ts()) or FIRST_VERSION


def current() -> repo.PolicyVersion:
    versions = dict((v, e) for v, e in json.loads(index().versions))
    version = current_version()
    found = repo.get_version(version, versions[version])
    if found is None:
        raise RuntimeError("the policy index names a version that is not stored")
    return found


def all_versions() -> list[repo.PolicyVersion]:
    index()  # writes the first version if the stack has none yet
    return repo.all_versions()


# --- versions in order, and who has accepted the one in effect -------------------------

def order_of() -> dict[str, int]:
    return {v: n for n, (v, _) in enumerate(repo.versions_of(index()))}


def covers_current(accepted: str | None) -> bool:
    """Whether having accepted `accepted` means having accepted the version in effect
    (the same or a later one: a user may accept an upcoming version early)."""
    order = order_of()
    return order.get(accepted or "", -1) >= order.get(current_version(), 0)


def binds(user: Any) -> bool:
    """Whether the version in effect binds the user yet: from its effective date, and for
    someone who joined after it was published (and was told then, `tell_newcomers`) not
    before the profile's notice period has run from when they joined. Members from before
    the publication were told at least that long before the effective date (`publish`)."""
    effective = dict(repo.versions_of(index())).get(current_version(), 0.0)
    joined = getattr(user, "member_since", None) or 0.0
    if joined >= effective:  # it was in effect when they joined: they were shown it then
        return clock.now_ts() >= effective
    return clock.now_ts() >= max(effective, joined + privacy.active().policy_notice_days * 86400)


def restricted(user: Any) -> bool:
    """Where the profile asks for explicit acceptance, a member who has not accepted the
    version in effect may read, correct, export, consent and delete, but not create.
    Worked out on every request from the version in effect, so it begins the moment a
    version takes effect (and ends the moment the user accepts), between job runs too;
    for a member who joined during its notice period, once their own notice ran (`binds`)."""
    return (privacy.active().policy_explicit_acceptance and user.role != "admin" and not covers_current(user.policy_version)
            and binds(user))


def status_of(version: str, effective_at: float) -> str:
    current = current_version()
    if version == current:
        return "in_effect"
    return "upcoming" if effective_at > clock.now_ts() else "superseded"


def described(item: repo.PolicyVersion) -> dict:
    return {"version": item.version, "effective_at": clock.iso(item.effective_at), "summary": item.summary, "text": item.text,
            "material": item.material, "status": (status := status_of(item.version, item.effective_at)),
            "in_effect": status == "in_effect"}


# --- the effective date ------------------------------------------------------------------

def apply_due() -> dict[str, Any]:
    """The scheduled job: every version whose effective date has come is marked in
    effect (once) and audited. The restriction itself needs no write per user (see
    `restricted`); the metric says how many versions took effect."""
    forget_index()
    now = clock.now_ts()
    applied = 0
    for version, effective_at in repo.versions_of(index()):
        if effective_at > now or version == FIRST_VERSION:
            continue
        item = repo.get_version(version, effective_at)
        if item is not None and item.applied_at is None and repo.mark_applied(item, now):
            audit.build("system", "policy.in_effect", None, {"version": version}).save()
            applied += 1
            logger.info("policy version in effect", extra={"version": version})
    metrics.add_metric(name="PolicyVersionsApplied", unit="Count", value=applied)
    return {"applied": applied, "current": current_version()}

"""A user's decisions on privacy policy versions: accept or reject (in the app or by the
link of a notice email), and, where the profile takes continued use as acceptance, the
acceptance recorded on a member's first request after a version takes effect."""
from __future__ import annotations

from typing import Any

from chalicelib.core import clock, errors, privacy
from chalicelib.core.cache import TtlCache
from chalicelib.core.observability import logger
from chalicelib.repos import db
from chalicelib.repos import users as users_repo
from chalicelib.security import links
from chalicelib.services import policy_versions as versions


def decide(user: Any, version: str, decision: str, source: str) -> dict:
    """Record the user's decision on a version (`accept` or `reject`); the latest
    decision on a version counts. Accepting makes it the user's accepted version;
    rejecting the version they had accepted goes back to the one accepted before."""
    order = versions.order_of()
    if version not in order:
        raise errors.NotFound(f"No policy version {version}")
    current = versions.current_version()
    if order[version] < order.get(current, 0):
        raise errors.Conflict(f"Version {version} is no longer in effect; version {current} is", details={"field": "version"})
    accepted = user.policy_version or ""
    if decision == "accept":
        new_accepted = version if order[version] > order.get(accepted, -1) else accepted
    elif accepted == version:
        new_accepted = _accepted_before(users_repo.consent_records(user.user_id), order, version)
    else:
        new_accepted = accepted
    entry = users_repo.consent_record(user.user_id, "policy", decision, version, source)
    try:
        users_repo.record_policy_decision(user, accepted, new_accepted, entry)
    except db.Conflict:
        raise errors.Conflict("Another decision was recorded meanwhile; try again") from None
    user.policy_version = new_accepted
    logger.info("policy decision recorded", extra={"user_id": user.user_id, "version": version, "decision": decision, "source": source})
    return {"version": version, "decision": decision, "recorded_at": clock.iso(entry.at),
            "policy": {"accepted_version": new_accepted or None, "restricted": versions.restricted(user)}}


def _accepted_before(ledger: list[Any], order: dict[str, int], version: str) -> str:
    """The latest version before `version` whose last decision is an acceptance: a
    version accepted and then rejected stays rejected (only a new act accepts it)."""
    last: dict[str, str] = {}
    for entry in ledger:  # oldest first
        if entry.subject == "policy" and entry.version in order and order[entry.version] < order[version]:
            last[entry.version] = entry.decision
    return max((v for v, d in last.items() if d == "accept"), key=lambda v: order[v], default="")


def decide_by_link(version: str, decision: str, token: str) -> dict:
    """The accept/reject link of a notice email: valid only for its user, version and
    decision, until it expires; following it again records the same decision again."""
    try:
        user_id = links.verify(token, f"policy:{version}:{decision}")
    except links.InvalidLink:
        raise errors.BadRequest("This link is not valid (it was altered or has expired); decide in the app instead",
                                details={"field": "token"}) from None
    user = users_repo.get(user_id)
    if user is None or user.status == users_repo.ERASED:
        raise errors.NotFound("No such user")
    return decide(user, version, decision, "email_link")


def continued_use(user: Any) -> None:
    """Where the profile takes continued use as acceptance, a member's first signed-in
    request after a version takes effect records their acceptance (once per version)."""
    if privacy.active().policy_explicit_acceptance or user.role == "admin" or versions.covers_current(user.policy_version) or not versions.binds(user):
        return
    if _rejected(user.user_id, versions.current_version()):
        return  # a rejection stands until the user decides again: using the platform is not a new decision
    try:
        decide(user, versions.current_version(), "accept", "continued_use")
    except Exception as exc:  # a concurrent request recorded it: nothing is lost
        logger.info("continued use not recorded", extra={"error": type(exc).__name__})


_rejections = TtlCache(1024, 300, clock.now_ts)  # (user, version) known rejected: a later decision changes `covers_current` first


def _rejected(user_id: str, version: str) -> bool:
    """Whether the user's latest decision on `version` is a rejection (one Query of their
    ledger, only for someone who has not accepted the version in effect)."""
    if _rejections.get((user_id, version)):
        return True
    last = None
    for entry in users_repo.consent_records(user_id):  # oldest first
        if entry.subject == "policy" and entry.version == version:
            last = entry.decision
    if last == "reject":
        _rejections.put((user_id, version), True)
    return last == "reject"

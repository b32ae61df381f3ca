"""Consent: the current state per purpose and the append-only ledger of every change.

A change writes the account's new state and one ledger entry per purpose changed, with
its source and the policy version in effect, in one transaction. The account's sparse
index entry for marketing moves with it, so a campaign reaches exactly the users whose
consent is on when it is sent."""
from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.core.observability import logger, metrics
from chalicelib.domain import consent as rules
from chalicelib.repos import cursors
from chalicelib.repos import users as repo
from chalicelib.services import policy_versions


def state(user: repo.UserItem) -> dict[str, Any]:
    return {**{p: bool(getattr(user, p)) for p in rules.PURPOSES},
            "updated_at": clock.iso(user.consents_updated_at or user.created_at)}


def update(user: repo.UserItem, wanted: dict[str, bool | None], source: str) -> dict[str, Any]:
    """Apply the purposes `wanted` changes; unchanged ones write nothing."""
    changed = rules.changes(state(user), wanted)
    if not changed:
        return state(user)
    now, version = clock.now_ts(), policy_versions.current_version()
    repo.change_consents(user, changed, now, [repo.consent_record(user.user_id, purpose, "on" if on else "off", version, source)
                                             for purpose, on in changed.items()])
    for purpose, on in changed.items():
        setattr(user, purpose, on)
    user.consents_updated_at = now
    metrics.add_metric(name="ConsentChanges", unit="Count", value=len(changed))
    logger.info("consents changed", extra={"purposes": sorted(changed), "source": source})
    return state(user)


def history(user_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    found, last = repo.consent_history(user_id, limit, cursors.decode(cursor))
    return {
        "items": [{"purpose": e.subject, "decision": e.decision, "source": e.source, "policy_version": e.version,
                   "at": clock.iso(e.at)} for e in found],
        "next_cursor": cursors.encode(last),
    }

"""Retention jobs: personal data kept no longer than the privacy profile says.

Each job is the same pattern: a Query of a sparse index built for it, ordered by when
each item falls due, for what is due now (never a Scan, so a run costs what is due,
not what the table holds); then an idempotent removal of each item (a job that dies
half-way removes the rest next time); then the metric `RetentionRemoved` (dimension
`job`) with what it removed. A run takes at most `MAX_PER_RUN` items; the rest wait
for the next run, which comes soon (the schedules are in `core.resources`).

DynamoDB TTL also removes one-time codes, idempotency records and sent notifications'
items (their `expires_at`), and the usage data as a backstop. TTL is lazy (AWS deletes
within days, not at the second), so where the profile promises a period the job is
what keeps the promise; where TTL must be followed up (an export's files when its
expiry marker expires) the stream handler that recognises TTL's service principal
does it (`core.changes.Change.by_ttl`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.adapters import cognito, queues
from chalicelib.core import clock, privacy
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import ERASURE_QUEUE
from chalicelib.repos import audit, db, deletion
from chalicelib.repos import exports as export_repo
from chalicelib.repos import users as users_repo
from chalicelib.repos.db import Entity
from chalicelib.security import vault

MAX_PER_RUN = 1000
PAGE = 100
ABANDONED_DAYS = 7  # a signup whose phone is not verified within this long is removed


def _run(job: str, due: Callable[[], list[Any]], remove: Callable[[list[Any]], int]) -> dict[str, int]:
    """Page through what `due` finds (it finds less as items are removed) and remove it."""
    removed = seen = 0
    while seen < MAX_PER_RUN:
        page = due()
        if not page:
            break
        seen += len(page)
        progress = remove(page)
        removed += progress
        if len(page) < PAGE or not progress:
            break
    metrics.add_dimension(name="job", value=job)
    metrics.add_metric(name="RetentionRemoved", unit="Count", value=removed)
    logger.info("retention job ran", extra={"job": job, "removed": removed, "looked_at": seen})
    return {"removed": removed}


def _delete_all(items: Iterable[Entity]) -> int:
    return db.delete_all(items)


def purge_usage_data() -> dict[str, int]:
    """Sign-in records (time, IP address, device) older than `usage_data_keep_days`."""
    cutoff = clock.now_ts() - privacy.active().usage_data_keep_days * 86400
    return _run("purge_usage_data", lambda: users_repo.usage_before(cutoff, PAGE), _delete_all)


def expire_exports() -> dict[str, int]:
    """Exports past their lifetime: files deleted (every version), marked expired."""
    from chalicelib.services import exports

    def remove(markers: list[Any]) -> int:
        for marker in markers:
            exports.expire(marker.user_id, marker.export_id)
        return _delete_all(markers)  # plain deletes: their stream records are not TTL's, so nothing runs twice

    return _run("expire_exports", lambda: export_repo.expiring_before(clock.now_ts(), PAGE), remove)


def erase_closed_accounts() -> dict[str, int]:
    """Accounts whose deletion grace period (the reactivation window) has ended: queued
    for erasure, or archiving where the profile keeps closed accounts. TTL on the
    deletion request does the same; erasure is idempotent, so twice costs nothing."""
    due = deletion.due_before(clock.now_ts(), MAX_PER_RUN)
    jobs = [{"user_id": d.user_id, "token_hash": d.token_hash, "outcome": d.outcome} for d in due]
    if jobs:
        queues.send_batch(ERASURE_QUEUE, jobs)
    metrics.add_dimension(name="job", value="erase_closed_accounts")
    metrics.add_metric(name="RetentionRemoved", unit="Count", value=len(jobs))
    logger.info("retention job ran", extra={"job": "erase_closed_accounts", "removed": len(jobs)})
    return {"removed": len(jobs)}


def _remove_signup(claim: users_repo.EmailClaim) -> int:
    """Everything an unfinished signup wrote: its Cognito user, its partition (account,
    code, consent records, notices), its data key, and last its email claim (so a run
    that dies half-way finds it again). Skipped if the phone was verified meanwhile."""
    user_id = claim.user_id
    account = users_repo.get(user_id) if user_id else None
    if account is not None and account.status != users_repo.PENDING:
        return 0  # verified meanwhile
    if account is not None:
        email = vault.readable(user_id, "email", account.email_enc)
        if email:
            cognito.delete_user(email)
    if user_id:
        _delete_all(users_repo.partition(user_id))
        _delete_all(users_repo.listed_under(user_id))  # its SMS notification items
        vault.shred(user_id)
    if not users_repo.remove_unverified_claim(claim):
        return 0
    audit.build("system", "signup.abandoned_removed", user_id).save()
    return 1


def remove_abandoned_signups() -> dict[str, int]:
    """Signups whose phone was not verified within `ABANDONED_DAYS`: removed, so the
    address can sign up again."""
    cutoff = clock.now_ts() - ABANDONED_DAYS * 86400
    return _run("remove_abandoned_signups", lambda: users_repo.abandoned_before(cutoff, PAGE),
                lambda claims: sum(_remove_signup(c) for c in claims))


def purge_identity_documents() -> dict[str, int]:
    from chalicelib.services import identity

    result = identity.purge_documents()
    metrics.add_dimension(name="job", value="purge_identity_documents")
    metrics.add_metric(name="RetentionRemoved", unit="Count", value=result["purged"])
    return {"removed": result["purged"], **result}

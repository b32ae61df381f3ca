"""Erasure: what happens when a scheduled deletion's grace period ends, driven by the
data map (`domain.datamap`).

Before anything, the job re-reads its deletion: its receipt (keyed by the token hash
the job carries) must still be `scheduled`, else the deletion was cancelled or asked
again and the job is stale: it does nothing. Every blocker the profile names (and legal
holds) is looked for again: one found stops the erasure, nothing erased (the job fails
into the DLQ naming the blockers by type and id; the receipt lists them; the user is
emailed once). Then the receipt goes `scheduled` -> `erasing` in the transaction that
writes the progress item: a cancellation (conditional on `scheduled`) and the start of
erasure cannot both win.

Steps, in order, each recorded in the progress item `ERASURE#<user id>` once done, so a
crash, a throttle or a timeout and a rerun finish the job without repeating what is
done (and each step is itself safe to repeat):
1. `sign_in`  the account is closed (login fails, tokens are refused) and the Cognito
              user deleted (or, where the profile archives, disabled);
   `bids`     the user's live bids are withdrawn, as their bidder withdrawing does;
   `projects` the user's open projects are closed, as their owner closing does (their
              live bids rejected, off the open list);
2. `objects`  identity documents, project files the user uploaded and exports: every
              version of every object deleted;
3. `activity` items elsewhere that the user wrote (bids, messages, reviews given,
              projects, dispute reasons they gave): stripped of the user's fields;
4. `partition` every item of `USER#<id>`: deleted or stripped as the map says; the
              books (ledger, payouts, receipts) keep amounts under the opaque id;
5. `account`  the account item keeps `status: erased`, the id and role only;
6. `receipt`  the receipt says, by category, what was erased and what was kept, and why;
7. `key`      the user's data key is deleted: every remaining copy of their ciphertext,
              backups included, is unreadable (last, so a rerun can still read the
              email to finish step 1).
Under a profile whose policy archives instead (`after_erasure: archive`), only steps 1
(disable), `bids`, `projects`, `unlist` (out of every processing list) and the receipt
run: the data is kept, access ends and processing stops, and the receipt says so.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from chalicelib.adapters import cognito, queues, storage
from chalicelib.core import clock, privacy
from chalicelib.core.changes import Change
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import DOCUMENTS_BUCKET, ERASURE_QUEUE, EXPORTS_BUCKET, FILES_BUCKET
from chalicelib.domain import datamap
from chalicelib.domain import marketplace as market
from chalicelib.repos import activity, db, notifications
from chalicelib.repos import deletion as deletion_repo
from chalicelib.repos import identity as identity_repo
from chalicelib.repos import users as users_repo
from chalicelib.repos.db import Entity, kind_of
from chalicelib.security import vault
from chalicelib.services import contracts, deletion, projects

ERASE_STEPS = ("sign_in", "bids", "projects", "contracts", "objects", "activity", "partition", "account", "receipt", "key")
ARCHIVE_STEPS = ("sign_in", "bids", "projects", "contracts", "unlist", "receipt")
KEY_ATTRIBUTES = set(datamap.KEYS)


def _done(progress: deletion_repo.ErasureProgress, step: str, touched: set[str] | None = None) -> None:
    deletion_repo.step_done(progress, step, touched)


def _account(user_id: str) -> users_repo.UserItem | None:
    return users_repo.get_consistent(user_id)


def _strip(item: Entity, kind: str) -> None:
    """Remove the fields the data map erases from one item (if it has any)."""
    doomed = [name for name in datamap.erased_fields(kind) if getattr(item, name, None) is not None and name not in KEY_ATTRIBUTES]
    if doomed:
        db.remove_fields(item, doomed)


# --- the steps ------------------------------------------------------------------------------

def _sign_in(user_id: str, progress: deletion_repo.ErasureProgress) -> None:
    account = _account(user_id)
    if account is None:
        return
    email = vault.readable(user_id, "email", account.email_enc)
    if email:
        (cognito.disable_user if progress.outcome == "archive" else cognito.delete_user)(email)
    if account.status not in (users_repo.CLOSED, users_repo.ERASED):
        users_repo.close(account, clock.now_ts())


def _bids(user_id: str, progress: deletion_repo.ErasureProgress) -> None:
    """Live bids are withdrawn the way their bidder withdraws one: nobody can accept them."""
    for bid in activity.of_user(user_id, "bids_placed"):
        if bid.status == market.LIVE:
            projects.retract(bid)


def _projects(user_id: str, progress: deletion_repo.ErasureProgress) -> None:
    """Open projects are closed the way their owner closes one: off the open list, their
    live bids rejected (the bidders are told)."""
    for project in activity.of_user(user_id, "projects_posted"):
        if project.status == market.OPEN:
            projects.shut(project)


def _contracts(user_id: str, progress: deletion_repo.ErasureProgress) -> None:
    """Active contracts never funded are cancelled (where the profile lets an active
    contract stand in the way, there are none by now; a funded one stopped the erasure)."""
    for kind in ("contracts_as_employer", "contracts_as_freelancer"):
        for contract in activity.of_user(user_id, kind):
            contracts.cancel_for_erasure(contract)


def _objects(user_id: str, progress: deletion_repo.ErasureProgress) -> None:
    storage.delete_prefix_every_version(DOCUMENTS_BUCKET.name, f"identity/{user_id}/")
    storage.delete_prefix_every_version(EXPORTS_BUCKET.name, f"exports/{user_id}/")
    for item in activity.of_user(user_id, "project_files_uploaded"):
        if getattr(item, "object_key", None):
            storage.delete_every_version(FILES_BUCKET.name, item.object_key)


def _activity(user_id: str, progress: deletion_repo.ErasureProgress) -> set[str]:
    touched: set[str] = set()
    for kind in activity.ACTIVITY:
        if kind == "reviews_received":
            continue  # the reviewers' words, not the user's
        for item in activity.of_user(user_id, kind):
            item_kind = kind_of(item)
            touched.add(item_kind)
            if kind == "project_files_uploaded":
                item.delete()
            elif item_kind == "contract":
                if item.disputed_by == user_id and item.dispute_reason_enc is not None:
                    db.remove_fields(item, ["dispute_reason_enc"])
            else:
                _strip(item, item_kind)
    for item in users_repo.listed_under(user_id):  # notifications to the user
        item_kind = kind_of(item)
        touched.add(item_kind)
        item.delete()
    return touched


def _partition(user_id: str, progress: deletion_repo.ErasureProgress) -> set[str]:
    touched: set[str] = set()
    account = _account(user_id)
    if account is not None and account.email_hash:
        users_repo.release_address(account.email_hash, user_id)  # the address may sign up again
    for item in users_repo.partition(user_id):
        kind = kind_of(item)
        touched.add(kind)
        if kind == "user":
            continue  # the account is the last item changed (`_account_item`)
        if datamap.ITEM_ON_ERASURE.get(kind) == "delete":
            item.delete()
        else:
            _strip(item, kind)
        if kind == "identity":
            identity_repo.unlist(user_id)  # off the admins' queues and the purge index
    return touched


def _account_item(user_id: str, progress: deletion_repo.ErasureProgress) -> None:
    account = _account(user_id)
    if account is None:
        return
    users_repo.erase(account, [n for n in datamap.erased_fields("user") if getattr(account, n, None) is not None], clock.now_ts())


def _unlist(user_id: str, progress: deletion_repo.ErasureProgress) -> None:
    """Archive: out of every list that processes users (marketing, campaigns)."""
    account = _account(user_id)
    if account is None:
        return
    users_repo.unlist(account)


def _receipt(user_id: str, progress: deletion_repo.ErasureProgress) -> None:
    now = clock.now_ts()
    if progress.outcome == "archive":
        erased: list[str] = []
        kept = [{"category": "user", "reason": "the platform's policy keeps an account's data after it is closed, archived: "
                                               "access has ended and the data is no longer processed"}]
        status = "archived"
    else:
        erased, kept = datamap.receipt_lines(sorted(set(progress.touched or []) | {"user"}), activity.remaining(user_id))
        status = "erased"
    if not deletion_repo.complete_receipt(progress.token_hash, status, erased, kept, now):
        logger.warning("erasure without a receipt to complete", extra={"user_id": user_id})


def _key(user_id: str, progress: deletion_repo.ErasureProgress) -> None:
    vault.shred(user_id)


STEP = {
    "sign_in": _sign_in, "contracts": _contracts, "bids": _bids, "projects": _projects, "objects": _objects, "activity": _activity,
    "partition": _partition, "account": _account_item, "unlist": _unlist, "receipt": _receipt, "key": _key,
}


class ErasureBlocked(Exception):
    """A blocker stands in the way now (a legal hold placed, a dispute opened during the
    grace period, ...): nothing is erased. The job fails, is retried, then waits in the
    DLQ (an alarm) until the blocker is settled and an operator re-drives it; the user
    may cancel meanwhile. The message names the blockers by type and id only."""

    def __init__(self, found: list[dict[str, str]]):
        super().__init__("erasure blocked by " + ", ".join(f"{b['type']} {b['id']}" for b in found))
        self.blockers = found


BLOCKER_WORDS = {
    "pending_payout": "a payout still being paid ({id})", "wallet_balance": "money in your wallet ({id})",
    "active_contract": "an active contract ({id})", "open_dispute": "an open dispute on contract {id}",
    "legal_hold": "a legal hold (reference {id})",
}


def _blockers(user_id: str, wanted: list[str] | None = None) -> list[dict[str, str]]:
    """What would block asking for the deletion now (the active profile's blockers), and
    legal holds under every profile."""
    account = _account(user_id)
    if account is None:
        return []
    wanted = wanted or sorted(set(deletion.wanted(privacy.active())) | {"legal_hold"})
    return deletion.blockers(user_id, account.role, wanted)


def _tell_blocked(user_id: str, token_hash: str, found: list[dict[str, str]]) -> None:
    """Once per deletion and set of blockers (the notification's id is derived from
    them): the queue's retries of the job send nothing more."""
    deletion_repo.erasure_blocked(token_hash, found)
    account = _account(user_id)
    email = vault.readable(user_id, "email", account.email_enc) if account is not None else None
    if not email:
        return
    cause = hashlib.sha256(json.dumps([token_hash, found], sort_keys=True).encode()).hexdigest()[:32]
    listed = "\n".join("- " + BLOCKER_WORDS.get(b["type"], b["type"] + " ({id})").format(id=b["id"]) for b in found)
    body = ("We could not delete your account when its grace period ended, because of:\n" + listed + "\n\n"
            "Nothing has been erased and your account still works. Once this is settled, the deletion goes ahead; "
            "you can also cancel it in your settings (DELETE /me/deletion).")
    notifications.save_once(notifications.new("email", email, "Your account deletion could not be completed", body,
                                              user_id=user_id, purpose="deletion", notification_id=f"erasure-blocked-{cause}"))


def _start(user_id: str, token_hash: str, outcome: str) -> deletion_repo.ErasureProgress | None:
    """The progress item of an erasure that may start now, or None if the job is stale."""
    receipt = deletion_repo.receipt(token_hash)
    if receipt is None or receipt.status != deletion_repo.SCHEDULED_STATUS:
        return None
    found = _blockers(user_id)
    if found:
        _held(user_id, token_hash, found)
    progress = deletion_repo.ErasureProgress(*deletion_repo.progress_key(user_id), user_id=user_id, token_hash=token_hash,
                                             outcome=outcome, started_at=clock.now_ts())
    return progress if deletion_repo.start_erasure(progress) else None


def _held(user_id: str, token_hash: str, found: list[dict[str, str]], begun: bool = False) -> None:
    metrics.add_metric(name="ErasuresBlocked", unit="Count", value=1)
    logger.warning("erasure blocked", extra={"user_id": user_id, "blockers": found})
    if begun:
        deletion_repo.erasure_blocked(token_hash, found)  # the account is closed already: no "it still works" email
    else:
        _tell_blocked(user_id, token_hash, found)
    raise ErasureBlocked(found)


def run(user_id: str, token_hash: str, outcome: str) -> dict[str, Any]:
    """Erase (or archive) one account; safe to call again at any point. A job whose
    deletion was cancelled or asked again (another token hash) does nothing."""
    progress = deletion_repo.progress(user_id)
    if progress is not None and progress.finished_at:
        return {"status": "already done"}
    if progress is None:
        progress = _start(user_id, token_hash, outcome)
    elif progress.token_hash == token_hash and (found := _blockers(user_id, ["legal_hold"])):
        _held(user_id, token_hash, found, begun=True)  # begun already: only a legal hold stops what is left
    if progress is None or progress.token_hash != token_hash:
        metrics.add_metric(name="ErasuresStale", unit="Count", value=1)
        logger.info("erasure job for a deletion no longer scheduled: nothing done", extra={"user_id": user_id})
        return {"status": "stale"}
    steps = ARCHIVE_STEPS if progress.outcome == "archive" else ERASE_STEPS
    for step in steps:
        if step in (progress.done or []):
            continue
        touched = STEP[step](user_id, progress)
        _done(progress, step, touched if isinstance(touched, set) else None)
    deletion_repo.erasure_finished(progress, clock.now_ts())
    metrics.add_metric(name="AccountsErased" if progress.outcome == "erase" else "AccountsArchived", unit="Count", value=1)
    logger.info("erasure finished", extra={"user_id": user_id, "outcome": progress.outcome})
    return {"status": "erased" if progress.outcome == "erase" else "archived"}


def due(change: Change) -> dict[str, str] | None:
    """The erasure a stream record asks for: a scheduled deletion removed by TTL (its
    grace period has ended). A deletion cancelled by the user is removed by the API, not
    by TTL, and asks for nothing."""
    old = change.old
    if not change.by_ttl or change.new or not old or old.get("kind") != "deletion":
        return None
    return {"user_id": str(old["user_id"]), "token_hash": str(old["token_hash"]), "outcome": str(old["outcome"])}


def select(changes: list[Change]) -> list[dict[str, str]]:
    """The stream's concern: the erasure jobs these changes ask for, for the `erasure` queue."""
    return [job for c in changes if (job := due(c)) is not None]


OVERDUE_AFTER_SECONDS = 24 * 3600  # DynamoDB's TTL usually deletes within a day or two of the time


def watch() -> dict[str, int]:
    """Scheduled deletions whose erasure should have started a day ago and has not (TTL
    is lazy, or a job failed): counted (`ErasuresOverdue`, what an alarm watches) and
    queued now, without waiting on TTL. A Query of the sparse index of scheduled
    deletions, oldest first; never a Scan."""
    overdue = deletion_repo.due_before(clock.now_ts() - OVERDUE_AFTER_SECONDS)
    jobs = [{"user_id": d.user_id, "token_hash": d.token_hash, "outcome": d.outcome} for d in overdue]
    if jobs:
        queues.send_batch(ERASURE_QUEUE, jobs)
        logger.warning("erasures overdue", extra={"count": len(jobs)})
    metrics.add_metric(name="ErasuresOverdue", unit="Count", value=len(jobs))
    return {"overdue": len(jobs)}

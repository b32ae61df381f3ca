"""Deletion: the request (with the blockers the profile names), its cancellation while
still scheduled, and the receipt told by token without signing in.

What the profile's `self_service_deletion` means here:
- `erase`: the account is scheduled for erasure after `erasure_grace_days`, unless a
  blocker the profile names stands in the way (`409 DeletionBlocked` lists them all);
- `request_only` (the account is closed, its data archived and kept, as the policy says):
  scheduled the same way, and the receipt says everything is kept, archived;
- `correction_only`: no deletion is offered (`403 DeletionNotOffered`); the user
  corrects their data instead (`PATCH /me`, `PUT /me/profile`).
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.core import clock, errors, privacy
from chalicelib.core.observability import logger, metrics
from chalicelib.domain import marketplace as market
from chalicelib.repos import contracts as contract_repo
from chalicelib.repos import db, users
from chalicelib.repos import deletion as repo
from chalicelib.repos import ledger as ledger_repo
from chalicelib.repos.batch import Batch
from chalicelib.services.caller import Caller
from chalicelib.services.loads import Load

# Money blocks deletion under every profile that offers it: a wallet balance, a pending
# payout, an open dispute (its escrow goes to one party) and an active contract whose
# escrow is funded or being funded. The profiles name what their policy adds (strict: any
# active contract, legal holds); no policy lets us forfeit a user's money, and erasing or
# archiving the account would leave it where nobody can ever withdraw it (the policies'
# "legal obligations", "pending payments"). An unfunded active contract blocks only where
# the profile says so; erasure cancels it (`services.erasure`).
MONEY = ("pending_payout", "wallet_balance", "open_dispute", "funded_contract")


@dataclass
class DeletionLoad:
    """What `DELETE /me/deletion` reads with the caller's account: the scheduled deletion, if any."""

    scheduled: repo.DeletionRequest | None


def load_scheduled() -> Load[DeletionLoad]:
    def want(batch: Batch, caller_id: str | None) -> Callable[[], DeletionLoad]:
        scheduled = batch.want(repo.request_key(caller_id), repo.DeletionRequest) if caller_id else None
        return lambda: DeletionLoad(scheduled.item if scheduled else None)

    return Load(want)


def wanted(profile: privacy.Profile) -> list[str]:
    """The blockers of deletion under `profile`: its own, and money under every profile."""
    return list(dict.fromkeys([*profile.deletion_blockers, *MONEY]))


def named(profile: privacy.Profile) -> list[str]:
    """The blockers as the policy text and `GET /policies/profile` name them (a funded
    contract is an active contract)."""
    return list(dict.fromkeys("active_contract" if b == "funded_contract" else b for b in wanted(profile)))


def blockers(user_id: str, role: str, wanted: list[str]) -> list[dict[str, str]]:
    """What stands in the way of deleting the account, among the kinds in `wanted` (see
    `wanted`). Each is found by a Query of the user's own partition or contract index."""
    found: list[dict[str, str]] = []
    if "pending_payout" in wanted:
        found += [{"type": "pending_payout", "id": p.payout_id} for p in repo.pending_payouts(user_id)]
    if "wallet_balance" in wanted:
        found += [{"type": "wallet_balance", "id": a.currency} for a in ledger_repo.user_accounts(user_id)
                  if a.account == "wallet" and int(a.balance) > 0]
    if {"open_dispute", "active_contract", "funded_contract"} & set(wanted):
        for contract in contract_repo.of_party(user_id, role):
            funded = contract.escrow_status != "unfunded"
            if contract.status == market.DISPUTED and "open_dispute" in wanted:
                found.append({"type": "open_dispute", "id": contract.contract_id})
            elif contract.status == market.ACTIVE and ("active_contract" in wanted or (funded and "funded_contract" in wanted)):
                found.append({"type": "active_contract", "id": contract.contract_id})
    if "legal_hold" in wanted:
        found += [{"type": "legal_hold", "id": h.hold_id} for h in repo.legal_holds(user_id)]
    return found


def request(caller: Caller) -> dict[str, Any]:
    profile = privacy.active()
    if profile.self_service_deletion == "correction_only":
        raise errors.Forbidden("This platform's policy offers correction of your data, not deletion: "
                               "correct it with PATCH /me and PUT /me/profile", code="DeletionNotOffered")
    if caller.role == "admin":
        raise errors.Forbidden("Admin accounts are removed by another admin, not by self-service deletion")
    # hex: 256 bits that survive being pasted into a URL, a mail client or a command line
    # (a token_urlsafe value may start with '-', which `python -m ops erasure receipt` took for an option)
    token = secrets.token_hex(32)
    hashed = repo.token_hash(token)
    for _ in range(SCHEDULE_ATTEMPTS):
        account = users.get_consistent(caller.user_id)  # read before the blockers: the transaction holds it unchanged
        if account is None:
            raise errors.NotFound("No such account")
        if account.deletion_token_hash:
            raise already_scheduled()
        found = blockers(caller.user_id, caller.role, wanted(profile))
        if found:
            raise errors.Conflict("Your account cannot be deleted yet: settle what is listed first", code="DeletionBlocked",
                                  details={"blockers": found})
        answer = _schedule(caller.user_id, account, token, hashed, profile)
        if answer is not None:
            return answer
    raise errors.Conflict("Your account changed while the deletion was being asked for; ask again")


SCHEDULE_ATTEMPTS = 3


def already_scheduled() -> errors.Conflict:
    return errors.Conflict("A deletion is already scheduled; cancel it (DELETE /me/deletion) to ask again",
                           code="DeletionAlreadyScheduled")


def _schedule(user_id: str, account: users.UserItem, token: str, hashed: str, profile: Any) -> dict[str, Any] | None:
    """The request, its receipt and the account's flag, in one transaction; None when a
    contract was entered since `account` was read (the blockers are looked for again)."""
    now = clock.now_ts()
    erase_after = now + profile.erasure_grace_days * 86400
    outcome = "archive" if profile.after_erasure == "archive" else "erase"
    try:
        repo.schedule(account, hashed, now, erase_after, outcome)
    except db.Conflict as exc:
        if exc.on == repo.ACCOUNT_CHANGED:
            return None  # a deletion flagged meanwhile is seen on the next read; a contract entered, by the blockers
        raise already_scheduled() from None
    metrics.add_metric(name="DeletionsScheduled", unit="Count", value=1)
    logger.info("deletion scheduled", extra={"user_id": user_id, "outcome": outcome, "erase_after": clock.iso(erase_after)})
    return {"status": "scheduled", "erase_after": clock.iso(erase_after), "receipt_token": token}


def cancel(caller: Caller, load: DeletionLoad) -> dict[str, Any]:
    """While scheduled, also once the grace period has ended and TTL removed the request
    but its erasure has not begun (it is queued, or a blocker stopped it): the account's
    flag names the receipt. Conditional on the receipt still `scheduled`, which is what
    the start of erasure moves it from (`services.erasure`): one of the two wins."""
    scheduled = load.scheduled
    token_hash = scheduled.token_hash if scheduled is not None else caller.user.deletion_token_hash
    if not token_hash:
        raise errors.NotFound("No deletion is scheduled")
    try:
        repo.cancel(caller.user_id, token_hash, scheduled, clock.now_ts())
    except db.Conflict:
        raise errors.Conflict("The deletion is no longer scheduled (it was cancelled meanwhile, or its erasure has begun)") from None
    logger.info("deletion cancelled", extra={"user_id": caller.user_id})
    return {"status": "cancelled"}


def receipt(token: str) -> dict[str, Any]:
    found = repo.receipt(repo.token_hash(token))
    if found is None:
        raise errors.NotFound("No deletion receipt for this token")
    return {
        "status": "scheduled" if found.status == repo.ERASING else found.status,  # erasing: scheduled until it is done
        "requested_at": clock.iso(found.requested_at), "erase_after": clock.iso(found.erase_after),
        "erased": list(found.erased or []), "kept": [dict(k) for k in (found.kept or [])],
        "completed_at": clock.iso(found.completed_at) if found.completed_at else None,
        "blocked_by": [dict(b) for b in (found.blocked_by or [])] if found.status in (repo.SCHEDULED_STATUS, repo.ERASING) else [],
    }

"""Contracts: what each party sees of the other (contact details, once hired), the
state machine of API.md, the work chat and reviews.

A contract is seen by its two parties only; anyone else, admins included, gets 404.
Admins act on disputes through `/admin/disputes/...`. Messages and review comments
are sealed with their author's key, so erasing an author makes their words
unreadable everywhere (shown as null), while the other party's stay.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.core import clock, errors
from chalicelib.core.observability import logger, metrics
from chalicelib.domain import marketplace as rules
from chalicelib.repos import audit, cursors, db, ids, users
from chalicelib.repos import contracts as repo
from chalicelib.repos.batch import Batch
from chalicelib.security import vault
from chalicelib.services import escrow, guards, profiles
from chalicelib.services.caller import Caller
from chalicelib.services.loads import Load


@dataclass
class ContractLoad:
    """What a contract's routes read with the caller's account: the contract, None if there is none."""

    contract: repo.Contract | None


def load_contract(contract_id: str) -> Load[ContractLoad]:
    def want(batch: Batch, caller_id: str | None) -> Callable[[], ContractLoad]:
        contract = batch.want(repo.key(contract_id), repo.Contract)
        return lambda: ContractLoad(contract.item)

    return Load(want)


def side(contract: repo.Contract, user_id: str) -> str | None:
    if user_id == contract.employer_id:
        return rules.EMPLOYER
    if user_id == contract.freelancer_id:
        return rules.FREELANCER
    return None


def party_contract(caller: Caller, load: ContractLoad) -> tuple[repo.Contract, str]:
    contract = load.contract
    if contract is None or (role := side(contract, caller.user_id)) is None:
        raise errors.NotFound("No such contract")
    return contract, role


def summary(contract: repo.Contract) -> dict[str, Any]:
    return {
        "contract_id": contract.contract_id, "project_id": contract.project_id, "bid_id": contract.bid_id, "status": contract.status,
        "amount": {"amount": int(contract.amount), "currency": contract.currency}, "escrow_status": contract.escrow_status,
        "employer_id": contract.employer_id, "freelancer_id": contract.freelancer_id,
        "created_at": clock.iso(contract.created_at), "updated_at": clock.iso(contract.updated_at),
    }


def _person(account: users.UserItem | None, user_id: str) -> dict[str, Any]:
    """A party's contact details, decrypted for the other party. An erased user's key
    is gone: they show as "Deleted user" with nothing else."""
    if account is None or account.status == users.ERASED:
        return {"user_id": user_id, "full_name": profiles.DELETED_USER, "email": None, "phone": None}
    uid = account.user_id
    name = vault.readable(uid, "full_name", account.full_name_enc)
    return {
        "user_id": uid, "full_name": name or profiles.DELETED_USER,
        "email": vault.readable(uid, "email", account.email_enc), "phone": vault.readable(uid, "phone", account.phone_enc),
    }


def get(caller: Caller, load: ContractLoad) -> dict[str, Any]:
    contract, role = party_contract(caller, load)
    other_id = contract.freelancer_id if role == rules.EMPLOYER else contract.employer_id
    other = users.get(other_id)
    vault.preload([caller.user_id, other_id])
    people = {caller.user_id: _person(caller.user, caller.user_id), other_id: _person(other, other_id)}
    return {**summary(contract), "employer": people[contract.employer_id], "freelancer": people[contract.freelancer_id], "you_are": role}


def mine(caller: Caller, limit: int, cursor: str | None) -> dict[str, Any]:
    guards.member(caller, "have contracts")
    found, last = repo.of_user(caller.user_id, caller.role, limit, cursors.decode(cursor))
    return {"items": [summary(c) for c in found], "next_cursor": cursors.encode(last)}


def _move(contract: repo.Contract, action: str, actor: str, extra: dict[str, Any] | None = None, record: Any = None,
          escrow_to: str | None = None, escrow_unfunded: bool = False) -> str:
    """Apply a transition of the state machine; `record` (an audit entry) is written in
    the same transaction, so a move is never without its record. `escrow_to` (the
    freelancer or the employer) empties the funded escrow to that side in the same
    transaction, so a contract is never completed without its money moving, or the
    reverse."""
    try:
        new_state = rules.next_state(contract.status, action, actor)
    except rules.TransitionRefused as exc:
        raise (errors.Forbidden(str(exc)) if exc.forbidden else errors.Conflict(str(exc))) from None
    now = clock.now_ts()

    settlement = escrow.settle_escrow(contract, str(escrow_to), now) if escrow_to is not None else None
    try:
        repo.move(contract, new_state, now, fields=extra, record=record, unfunded_only=escrow_unfunded, settlement=settlement)
    except db.Conflict:
        raise errors.Conflict("The contract changed meanwhile; reload it") from None
    contract.status, contract.updated_at = new_state, now
    if escrow_to is not None:
        contract.escrow_status = "released" if escrow_to == rules.FREELANCER else "refunded"
    logger.info("contract moved", extra={"contract_id": contract.contract_id, "action": action, "status": new_state})
    metrics.add_metric(name=f"Contracts{new_state.capitalize()}", unit="Count", value=1)
    return new_state


def cancel_for_erasure(contract: repo.Contract) -> bool:
    """An active contract whose party's account is being erased, and whose escrow was never
    funded, is cancelled: nothing is owed and nobody is left to work with. (A funded or
    disputed one blocks the erasure under every profile: `services.deletion.MONEY`.) False
    if it is not an unfunded active contract."""
    if contract.status != rules.ACTIVE or contract.escrow_status != "unfunded":
        return False
    try:
        _move(contract, "cancel", "erasure", escrow_unfunded=True)
    except errors.Conflict:
        return False
    return True


def _escrow_settled_to(contract: repo.Contract, to: str) -> str | None:
    """Who a settlement pays: `to` if the escrow is funded, nobody if it never was; a
    charge still in flight must land first."""
    if contract.escrow_status == "funded":
        return to
    if contract.escrow_status == "pending":
        raise errors.Conflict("The escrow's charge is still being confirmed; try again in a moment")
    return None


def complete(caller: Caller, load: ContractLoad) -> dict[str, Any]:
    contract, role = party_contract(caller, load)
    if role == rules.EMPLOYER and contract.status == rules.ACTIVE and contract.escrow_status != "funded":
        raise errors.Conflict(f"Fund the contract before completing it (its escrow is {contract.escrow_status})",
                              code="EscrowNotFunded")
    _move(contract, "complete", role, escrow_to=rules.FREELANCER)
    return summary(contract)


def dispute(caller: Caller, load: ContractLoad, reason: str) -> dict[str, Any]:
    contract, role = party_contract(caller, load)
    sealed = vault.seal(caller.user_id, "contract.dispute_reason", reason)
    _move(contract, "dispute", role, {"dispute_reason_enc": sealed, "disputed_by": caller.user_id})
    return summary(contract)


def resolve(admin_id: str, load: ContractLoad, contract_id: str, release_to: str) -> dict[str, Any]:
    contract = load.contract
    if contract is None:
        raise errors.NotFound("No such contract")
    entry = audit.build(admin_id, "dispute.resolved", contract.disputed_by, {"contract_id": contract_id, "release_to": release_to})
    to = rules.FREELANCER if release_to == "freelancer" else rules.EMPLOYER
    escrow_to = _escrow_settled_to(contract, to) if contract.status == rules.DISPUTED else None
    _move(contract, f"resolve_{release_to}", "admin", record=entry, escrow_to=escrow_to)
    return summary(contract)


# --- the work chat ------------------------------------------------------------------

CHAT_OPEN = (rules.ACTIVE, rules.DISPUTED)


def post_message(caller: Caller, load: ContractLoad, contract_id: str, body: str) -> dict[str, Any]:
    contract, _ = party_contract(caller, load)
    guards.policy_accepted(caller)
    if contract.status not in CHAT_OPEN:
        raise errors.Conflict(f"The contract is {contract.status}; its chat is closed")
    message_id, now = ids.new_id(), clock.now_ts()
    repo.message(contract_id, message_id, caller.user_id, vault.seal(caller.user_id, "message.body", body), now).save()
    metrics.add_metric(name="MessagesPosted", unit="Count", value=1)
    return {"message_id": message_id, "at": clock.iso(now)}


def messages(caller: Caller, load: ContractLoad, contract_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    party_contract(caller, load)
    found, last = repo.messages(contract_id, limit, cursors.decode(cursor))
    vault.preload([m.sender_id for m in found])
    return {
        "items": [
            {"message_id": m.message_id, "sender_id": m.sender_id, "body": vault.readable(m.sender_id, "message.body", m.body_enc),
             "at": clock.iso(m.at)}
            for m in found
        ],
        "next_cursor": cursors.encode(last),
    }


# --- reviews -------------------------------------------------------------------------

def review(caller: Caller, load: ContractLoad, contract_id: str, rating: int, comment: str | None) -> dict[str, Any]:
    contract, role = party_contract(caller, load)
    if not rules.can_review(contract.status):
        raise errors.Conflict(f"The contract is {contract.status}; reviews open once it is completed")
    reviewee = contract.freelancer_id if role == rules.EMPLOYER else contract.employer_id
    if comment:  # shown where the reviewee's profile is, to anyone
        profiles.refuse_contact_details({"comment": comment})
    now = clock.now_ts()
    item = repo.review(contract_id, caller.user_id, reviewee, rating, vault.seal(caller.user_id, "review.comment", comment), now)
    try:
        repo.post_review(item)
    except db.Conflict as exc:
        if exc.on == repo.REVIEW:
            raise errors.Conflict("You have reviewed this contract already") from None
        raise errors.Conflict("The other party's account is gone; the review cannot be shown") from None
    return {"contract_id": contract_id, "rating": rating, "reviewee_id": reviewee}

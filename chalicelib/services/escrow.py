"""Escrow: funding a contract's escrow through the gateway, and emptying it when the
contract ends (released to the freelancer less the fee, or refunded to the employer).

`fund` carries an `Idempotency-Key`: its record (`repos.idempotency`), the contract's
escrow `pending` and the pending charge are one transaction; the charge is settled with
the gateway by `services.settlement`. Emptying the escrow is part of the contract's own
move (`services.contracts`): `settle_escrow` makes the plan (the movement, the receipts,
the escrow's new status) and `repos.ledger.add_settlement` writes it in that transaction.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.core import clock, errors, privacy
from chalicelib.core.observability import logger, metrics
from chalicelib.domain import ledger as rules
from chalicelib.domain import marketplace as market
from chalicelib.repos import contracts as contract_repo
from chalicelib.repos import idempotency, ids
from chalicelib.repos import ledger as repo
from chalicelib.services import guards
from chalicelib.services.caller import Caller

if TYPE_CHECKING:
    from chalicelib.services.contracts import ContractLoad


def fund(caller: Caller, load: ContractLoad, contract_id: str, key_of_request: Callable[[], str]) -> dict[str, Any]:
    """Ask the gateway to charge the employer the contract's amount: the contract's escrow
    becomes `pending` (in the same transaction as the idempotency record and the charge),
    and `funded` once the gateway confirms (`settle`)."""
    contract = load.contract
    if contract is None or caller.user_id not in (contract.employer_id, contract.freelancer_id):
        raise errors.NotFound("No such contract")
    uid = caller.user_id
    digest = idempotency.request_hash("fund", {"contract_id": contract_id})
    if uid != contract.employer_id:
        raise errors.Forbidden("Only the employer funds the contract")
    key = key_of_request()  # a missing key is a 400 only to whoever may fund
    if contract.status != market.ACTIVE or contract.escrow_status != "unfunded":
        replayed = idempotency.replay(uid, key, digest)
        if replayed is not None:
            return replayed
        raise errors.Conflict(f"The contract is {contract.status} and its escrow {contract.escrow_status}; it cannot be funded again")
    guards.no_deletion_scheduled(caller, "fund contracts")
    charge_id, now = ids.new_id(), clock.now_ts()
    result = {"contract_id": contract_id, "charge_id": charge_id, "escrow_status": "pending"}
    funding = repo.Funding(
        *repo.funding_key(contract_id), contract_id=contract_id, charge_id=charge_id, employer_id=uid, amount=int(contract.amount),
        currency=contract.currency, status="pending", created_at=now, **repo.pending_index(now, "funding", contract_id),
    )
    try:  # money follows neither party into an account being erased
        replayed = repo.request_funding(idempotency.Claim(uid, key, "fund", digest, result, now), contract, funding)
    except repo.Refused as refused:
        if refused.on == repo.PAYER:
            raise errors.deletion_scheduled("fund contracts") from None
        if refused.on == repo.PAYEE:
            raise errors.account_unavailable("freelancer", "the contract cannot be funded") from None
        raise errors.Conflict("The contract's escrow changed meanwhile; reload it") from None
    if replayed is not None:
        return replayed
    metrics.add_metric(name="FundingsRequested", unit="Count", value=1)
    logger.info("funding requested", extra={"contract_id": contract_id, "charge_id": charge_id})
    return result


def settlement(contract: contract_repo.Contract, to: str, now: float) -> tuple[rules.Movement, list]:
    """The movement and receipts that empty a funded escrow: to the freelancer (less the
    fee) or back to the employer."""
    amount, currency, cid = int(contract.amount), contract.currency, contract.contract_id
    if to == market.FREELANCER:
        movement = rules.release(cid, contract.freelancer_id, amount, currency, privacy.active().platform_fee_bps)
        fee = rules.fee_of(amount, privacy.active().platform_fee_bps)
        receipts = [repo.receipt(contract.freelancer_id, ids.new_id(), "release", cid, currency, amount, fee, now)]
    else:
        movement = rules.refund(cid, contract.employer_id, amount, currency)
        receipts = [repo.receipt(contract.employer_id, ids.new_id(), "refund", cid, currency, amount, 0, now)]
    return movement, receipts


def settle_escrow(contract: contract_repo.Contract, to: str, now: float) -> repo.EscrowSettlement:
    """What releasing (`to` the freelancer) or refunding (to the employer) a funded escrow
    writes, for `repos.ledger.add_settlement` to add to the contract's transaction."""
    movement, receipts = settlement(contract, to, now)
    return repo.EscrowSettlement(movement, receipts, "released" if to == market.FREELANCER else "refunded")

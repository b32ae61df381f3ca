"""Payouts: from the wallet to the payout method, and the receipts of what moved.

`request_payout` carries an `Idempotency-Key`: its record (`repos.idempotency`) is
written in the same transaction as the money it moves (wallet to held) and the pending
payout, so a retry, a duplicate or a concurrent request moves nothing twice. The table's
stream then puts the payout's ids on the `payments` queue, and `services.settlement`
pays it with the gateway.
"""
from __future__ import annotations

from typing import Any

from chalicelib.core import clock, errors
from chalicelib.core.observability import logger, metrics
from chalicelib.domain import ledger as rules
from chalicelib.repos import cursors, idempotency, ids
from chalicelib.repos import ledger as repo
from chalicelib.services import guards
from chalicelib.services.caller import Caller
from chalicelib.services.payout_methods import PayoutMethodLoad, destination_label, sealed_destination
from chalicelib.services.wallet import money


def _payout(p: repo.Payout) -> dict[str, Any]:
    return {"payout_id": p.payout_id, "amount": money(p.amount, p.currency), "status": p.status, "destination": p.destination,
            "failure_reason": p.failure_reason, "created_at": clock.iso(p.created_at),
            "settled_at": clock.iso(p.settled_at) if p.settled_at else None}


def request_payout(caller: Caller, load: PayoutMethodLoad, key: str, amount: int, currency: str) -> dict[str, Any]:
    """Move `amount` from the wallet to held and record a pending payout, with the
    idempotency record, in one transaction (one DynamoDB call; a retried key costs one
    more, to read the first answer)."""
    guards.member(caller, "request payouts")
    guards.policy_accepted(caller)
    uid = caller.user_id
    digest = idempotency.request_hash("payout", {"amount": amount, "currency": currency})
    method = load.payout_method
    if method is None:
        replayed = idempotency.replay(uid, key, digest)
        if replayed is not None:
            return replayed
        raise errors.method_missing()
    payout_id, now = ids.new_id(), clock.now_ts()
    result = {"payout_id": payout_id, "status": "pending"}
    movement = rules.payout_requested(payout_id, uid, amount, currency)
    payout = repo.Payout(
        *repo.payout_key(uid, payout_id), payout_id=payout_id, user_id=uid, amount=amount, currency=currency, status="pending",
        destination=destination_label(method), created_at=now, **repo.pending_index(now, "payout", payout_id),
    )
    payout.destination_enc = sealed_destination(method)
    try:
        replayed = repo.request_payout(idempotency.Claim(uid, key, "payout", digest, result, now), movement, payout)
    except repo.Refused:
        raise errors.insufficient_funds(currency) from None
    if replayed is not None:
        return replayed
    metrics.add_metric(name="PayoutsRequested", unit="Count", value=1)
    logger.info("payout requested", extra={"payout_id": payout_id, "amount": amount, "currency": currency,
                                           "destination": payout.destination})
    return result


def payouts(caller: Caller, limit: int, cursor: str | None) -> dict[str, Any]:
    found, last = repo.payouts(caller.user_id, limit, cursors.decode(cursor))
    return {"items": [_payout(p) for p in found], "next_cursor": cursors.encode(last)}


def receipts(caller: Caller, limit: int, cursor: str | None) -> dict[str, Any]:
    found, last = repo.receipts(caller.user_id, limit, cursors.decode(cursor))
    return {
        "items": [
            {"receipt_id": r.receipt_id, "kind": r.receipt_kind, "ref": r.ref, "gross": money(r.gross, r.currency),
             "fee": money(r.fee, r.currency), "net": money(r.net, r.currency), "created_at": clock.iso(r.created_at)}
            for r in found
        ],
        "next_cursor": cursors.encode(last),
    }

"""Settlement with the payment gateway: pending payouts and fundings, from the table's
stream to the `payments` queue, paid or charged, and booked.

The table's stream sees a new pending payout or funding (`select`) and puts its ids on
the `payments` queue; `settle` calls the gateway with the payout's or charge's id as the
gateway's idempotency key and books the outcome (`repos.ledger.settle_payout`,
`settle_funding`: one transaction each, guarded by the payment's status and the
movement's marker). A timeout, a late answer or a crash before the booking raises, the
queue redelivers after a backoff, and the gateway answers the same key with the same
result. A booking cancelled by the payment's own status condition was settled by another
delivery and is dropped; one cancelled for any other reason (a `TransactionConflict`,
throttling) raises too, so the message is delivered again. After the queue's
`max_receive_count` the message goes to the DLQ; `watch` counts what is stuck pending.
"""
from __future__ import annotations

import json

from chalicelib.adapters import gateway as gateways
from chalicelib.adapters import queues
from chalicelib.core import clock
from chalicelib.core.changes import Change
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import PAYMENTS_QUEUE
from chalicelib.domain import ledger as rules
from chalicelib.repos import ids
from chalicelib.repos import ledger as repo
from chalicelib.security import vault

STUCK_AFTER_SECONDS = 3600  # a payment pending longer than this is counted as stuck


class StillPending(Exception):
    """The gateway has not decided yet: the queue asks again after a backoff."""


class TryAgain(Exception):
    """The booking's transaction was cancelled for another reason than the payment being
    settled already (a `TransactionConflict`, throttling, a balance condition): the queue
    delivers the message again after a backoff, and the DLQ takes it after the last try."""


def _try_again(exc: repo.Cancelled, what: str, payment_id: str) -> TryAgain:
    logger.warning("settlement cancelled, to be retried", extra={"what": what, "id": payment_id, "reasons": exc.reasons})
    return TryAgain(f"{what} {payment_id}")


def newly_pending(change: Change) -> dict[str, str] | None:
    """The queue message (ids only) for a payout or funding that this change made pending."""
    new, old = change.new, change.old
    if not new or new.get("status") != "pending":
        return None
    if old and old.get("status") == "pending":
        return None  # already pending before this change: queued then
    kind = new.get("kind")
    if kind == "payout":
        return {"what": "payout", "user_id": str(new["user_id"]), "id": str(new["payout_id"])}
    if kind == "funding":
        return {"what": "funding", "contract_id": str(new["contract_id"]), "id": str(new["charge_id"])}
    return None


def select(changes: list[Change]) -> list[dict[str, str]]:
    """The stream's concern: new pending payouts and fundings, for the `payments` queue (ids only)."""
    return [m for c in changes if (m := newly_pending(c)) is not None]


def settle(message: dict[str, str]) -> str:
    """Settle one pending payout or funding with the gateway; returns what happened.
    Raises (so that the queue retries) on a timeout, a refusal or a pending answer."""
    if message.get("what") == "payout":
        return _settle_payout(message["user_id"], message["id"])
    if message.get("what") == "funding":
        return _settle_funding(message["contract_id"], message["id"])
    logger.warning("unknown payment message", extra={"what": message.get("what")})
    return "ignored"


def _settle_payout(user_id: str, payout_id: str) -> str:
    payout = repo.payout(user_id, payout_id)
    if payout is None or payout.status != "pending":
        return "already settled"
    try:
        plain = json.loads(vault.unseal(user_id, "payout.destination", payout.destination_enc) or "{}")
        destination = gateways.Destination(**plain)
    except vault.KeyErased:
        outcome = gateways.Outcome("failed", None, "destination_unreadable")
    else:
        outcome = gateways.gateway().transfer(payout_id, int(payout.amount), payout.currency, destination)
    if outcome.status == "pending":
        raise StillPending(payout_id)
    paid = outcome.status == "succeeded"
    now = clock.now_ts()
    movement = (rules.payout_paid if paid else rules.payout_failed)(payout_id, user_id, int(payout.amount), payout.currency)
    status = "paid" if paid else "failed"
    receipt = repo.receipt(user_id, ids.new_id(), "payout", payout_id, payout.currency, int(payout.amount), 0, now) if paid else None
    try:
        repo.settle_payout(payout, status, outcome.provider_ref, outcome.reason, movement, receipt, now)
    except repo.AlreadySettled:
        return "already settled"
    except repo.Cancelled as exc:
        raise _try_again(exc, "payout", payout_id) from exc
    metrics.add_metric(name="PayoutsPaid" if paid else "PayoutsFailed", unit="Count", value=1)
    logger.info("payout settled", extra={"payout_id": payout_id, "status": status, "reason": outcome.reason})
    return status


def _settle_funding(contract_id: str, charge_id: str) -> str:
    funding = repo.funding(contract_id)
    if funding is None or funding.charge_id != charge_id or funding.status != "pending":
        return "already settled"
    outcome = gateways.gateway().charge(charge_id, int(funding.amount), funding.currency, funding.employer_id)
    if outcome.status == "pending":
        raise StillPending(charge_id)
    funded = outcome.status == "succeeded"
    now = clock.now_ts()
    movement = rules.funding(contract_id, int(funding.amount), funding.currency) if funded else None
    receipt = (repo.receipt(funding.employer_id, ids.new_id(), "funding", contract_id, funding.currency, int(funding.amount), 0, now)
               if funded else None)
    try:
        repo.settle_funding(funding, funded, outcome.provider_ref, outcome.reason, movement, receipt, now)
    except repo.AlreadySettled:
        return "already settled"
    except repo.Cancelled as exc:
        raise _try_again(exc, "funding", charge_id) from exc
    metrics.add_metric(name="FundingsSettled" if funded else "FundingsDeclined", unit="Count", value=1)
    logger.info("funding settled", extra={"contract_id": contract_id, "funded": funded, "reason": outcome.reason})
    return "funded" if funded else "declined"


def back_off(receipt_handle: str, attempt: int) -> None:
    """30 s after the first failed attempt, doubling, at most 15 minutes (with the queue's
    `max_receive_count` of 8, a payment is retried for about an hour before the DLQ)."""
    queues.back_off(PAYMENTS_QUEUE, receipt_handle, attempt)


def watch() -> dict[str, int]:
    """Count payouts and fundings pending past `STUCK_AFTER_SECONDS` (a Query on the
    sparse pending index) and queue them again: the metric `PaymentsStuckPending` is
    what an alarm watches."""
    stuck = repo.pending_payments(clock.now_ts() - STUCK_AFTER_SECONDS)
    messages = []
    for item in stuck:
        if isinstance(item, repo.Payout):
            messages.append({"what": "payout", "user_id": item.user_id, "id": item.payout_id})
        elif isinstance(item, repo.Funding):
            messages.append({"what": "funding", "contract_id": item.contract_id, "id": item.charge_id})
    if messages:
        queues.send_batch(PAYMENTS_QUEUE, messages)
    metrics.add_metric(name="PaymentsStuckPending", unit="Count", value=len(messages))
    if messages:
        logger.warning("payments stuck pending", extra={"count": len(messages)})
    return {"stuck": len(messages)}


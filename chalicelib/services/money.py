"""Money: payout methods, the wallet, payouts, escrow funding, release and refund, and
their settlement with the payment gateway.

Every movement of money is one DynamoDB transaction that books a balanced movement
(`domain.ledger`, `repos.ledger.book`) together with the state change it belongs to
(the contract's escrow status, the payout's status) and any receipt. Each is guarded
twice: by the state it expects (a condition) and by the movement's marker, so a retry,
a duplicate queue delivery or a concurrent request books nothing twice.

Requests that move money carry an `Idempotency-Key`. Its record (the key, a hash of
the request, the answer and an expiry) is written in the same transaction as the money
it moves, so there is no state in which the money moved and the record is missing, or
the reverse. Powertools Idempotency writes its record in a call of its own before the
work (IN_PROGRESS) and another after (COMPLETED): three calls instead of one here, and
a crash between them leaves a record that blocks retries until it expires. Our answer
is known before the write (the new ids), so one conditional transaction does it all.

Settlement is asynchronous: the table's stream sees a new pending payout or funding and
puts its ids on the `payments` queue; `settle` calls the gateway with the payout's or
charge's id as the gateway's idempotency key and books the outcome. A timeout, a late
answer or a crash before the booking raises, the queue redelivers after a backoff, and
the gateway answers the same key with the same result. A booking cancelled by the
payment's own status condition was settled by another delivery and is dropped; one
cancelled for any other reason (a `TransactionConflict`, throttling) raises too, so the
message is delivered again. After the queue's
`max_receive_count` the message goes to the DLQ; `watch` counts what is stuck pending.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

from pynamodb.exceptions import TransactWriteError

from chalicelib.adapters import gateway as gateways
from chalicelib.adapters import queues
from chalicelib.core import clock, errors, privacy
from chalicelib.core.changes import Change
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import PAYMENTS_QUEUE
from chalicelib.domain import ledger as rules
from chalicelib.domain import marketplace as market
from chalicelib.domain.money import Currency
from chalicelib.repos import contracts as contract_repo
from chalicelib.repos import cursors, db, ids, users
from chalicelib.repos import ledger as repo
from chalicelib.repos.batch import Batch
from chalicelib.repos.users import user_pk
from chalicelib.security import vault
from chalicelib.services import guards
from chalicelib.services.caller import Caller
from chalicelib.services.loads import Load

if TYPE_CHECKING:
    from chalicelib.services.contracts import ContractLoad

IDEMPOTENCY_SECONDS = 24 * 3600  # a key is remembered this long (Stripe's and most providers' window)
STUCK_AFTER_SECONDS = 3600  # a payment pending longer than this is counted as stuck
DEFAULT_CURRENCY = "USD"  # the wallet's currency shown when the user holds none yet
CONFLICT_RETRIES = 5


@dataclass
class PayoutMethodLoad:
    """What `GET /me/payout-method` and `POST /me/payouts` read with the caller's account."""

    payout_method: repo.PayoutMethod | None


def load_payout_method() -> Load[PayoutMethodLoad]:
    def want(batch: Batch, caller_id: str | None) -> Callable[[], PayoutMethodLoad]:
        method = batch.want(repo.payout_method_key(caller_id), repo.PayoutMethod) if caller_id else None
        return lambda: PayoutMethodLoad(method.item if method else None)

    return Load(want)


@dataclass
class WalletLoad:
    """What `GET /me/wallet` reads with the caller's account: the wallet's ledger accounts
    (wallet and held) in every currency the platform settles in (`domain.money.Currency`),
    those that exist."""

    accounts: list[repo.LedgerAccount]


def load_wallet() -> Load[WalletLoad]:
    """The wallet's balances by key in the account's batch (2 x the currencies, read
    as one BatchGetItem with the account), not by a Query of their own."""

    def want(batch: Batch, caller_id: str | None) -> Callable[[], WalletLoad]:
        refs = [batch.want(repo.account_key(rules.Account(kind, caller_id, currency)), repo.LedgerAccount)
                for currency in get_args(Currency) for kind in rules.USER_ACCOUNTS] if caller_id else []
        return lambda: WalletLoad(sorted((a for ref in refs if (a := ref.item) is not None), key=lambda a: a.sk))  # as a Query orders them

    return Load(want)


# --- errors of the API contract ------------------------------------------------------------


def insufficient_funds(currency: str) -> errors.Conflict:
    return errors.Conflict(f"The amount is more than your available {currency} balance", code="InsufficientFunds")


def key_reused() -> errors.Conflict:
    return errors.Conflict("This Idempotency-Key was used with another request; use a new key", code="IdempotencyKeyReused")


def method_missing() -> errors.Conflict:
    return errors.Conflict("Add a payout method first (PUT /me/payout-method)", code="PayoutMethodMissing")


def money(amount: float, currency: str) -> dict[str, Any]:
    """Money as answered; stored amounts come back from DynamoDB as numbers, always whole minor units."""
    return {"amount": int(amount), "currency": currency}


# --- idempotency ---------------------------------------------------------------------------

def request_hash(operation: str, body: dict[str, Any]) -> str:
    """A hash of what was asked: the operation and the body, canonical (key order and
    whitespace do not matter)."""
    canonical = json.dumps({"operation": operation, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotency_record(user_id: str, key: str, operation: str, digest: str, result: dict[str, Any], now: float):
    pk, sk = repo.idempotency_key(user_id, key)
    return repo.IdempotencyRecord(
        pk, sk, operation=operation, body_hash=digest, result=json.dumps(result, sort_keys=True), created_at=now,
        expires_at=int(now + IDEMPOTENCY_SECONDS),
    )


def _fresh_key_condition(now: float):
    """The record may be written if none exists, or the one there has expired (TTL
    deletes lazily: an expired record may still be read for up to two days)."""
    return repo.IdempotencyRecord.pk.does_not_exist() | (repo.IdempotencyRecord.expires_at < int(now))


def _replay(user_id: str, key: str, digest: str) -> dict[str, Any] | None:
    """The first answer for this key, if the same request was made with it; raises
    `IdempotencyKeyReused` if another was."""
    record = repo.get(repo.IdempotencyRecord, *repo.idempotency_key(user_id, key))
    if record is None or record.expires_at < clock.now_ts():
        return None
    if record.body_hash != digest:
        raise key_reused()
    return json.loads(record.result)


def _commit(write) -> None:
    """Run `write(tx)` as a transaction, retried in place on a `TransactionConflict`."""
    db.commit(write, CONFLICT_RETRIES)


def _commit_keyed(user_id: str, key: str, digest: str, write,
                  refused: Callable[[TransactWriteError], errors.AppError]) -> dict[str, Any] | None:
    """Commit a transaction that holds the idempotency record. None when it
    committed; the first answer when the key was used before for the same request;
    raises `IdempotencyKeyReused` for another request, else `refused(exc)` (a condition
    of the money or the state failed)."""
    try:
        _commit(write)
        return None
    except TransactWriteError as exc:
        if db.failed_on(exc, *repo.idempotency_key(user_id, key)):
            replayed = _replay(user_id, key, digest)
            if replayed is not None:
                return replayed
        raise refused(exc) from None


# --- payout methods ------------------------------------------------------------------------

def _mask_upi(upi_id: str) -> str:
    name, _, handle = upi_id.partition("@")
    return f"{name[:2]}***@{handle}"


def _masked(method: repo.PayoutMethod) -> dict[str, Any]:
    if method.method_type == "bank":
        return {"type": "bank", "account_number_last4": method.account_number_last4, "updated_at": clock.iso(method.updated_at)}
    return {"type": "upi", "upi_id_masked": method.upi_id_masked, "updated_at": clock.iso(method.updated_at)}


def _destination_label(method: repo.PayoutMethod) -> str:
    if method.method_type == "bank":
        return f"bank ****{method.account_number_last4}"
    return f"upi {method.upi_id_masked}"


def set_payout_method(caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    """Store the caller's payout method, every field sealed with their data key; only
    masked forms stay in clear. Replaces the previous one; payouts already requested
    still go where they were requested to."""
    guards.member(caller, "receive payouts")
    uid, now = caller.user_id, clock.now_ts()
    pk, sk = repo.payout_method_key(uid)
    if data["type"] == "bank":
        number = data["account_number"]
        method = repo.PayoutMethod(
            pk, sk, user_id=uid, method_type="bank", updated_at=now,
            account_holder_enc=vault.seal(uid, "payout.account_holder", data["account_holder"]),
            account_number_enc=vault.seal(uid, "payout.account_number", number),
            ifsc_enc=vault.seal(uid, "payout.ifsc", data.get("ifsc")),
            branch_name_enc=vault.seal(uid, "payout.branch_name", data.get("branch_name")),
            account_number_last4=number[-4:],
        )
    else:
        method = repo.PayoutMethod(
            pk, sk, user_id=uid, method_type="upi", updated_at=now,
            upi_id_enc=vault.seal(uid, "payout.upi_id", data["upi_id"]), upi_id_masked=_mask_upi(data["upi_id"]),
        )
    method.save()
    logger.info("payout method set", extra={"type": method.method_type, "destination": _destination_label(method)})
    return _masked(method)


def payout_method(caller: Caller, load: PayoutMethodLoad) -> dict[str, Any]:
    method = load.payout_method
    if method is None:
        raise errors.NotFound("No payout method yet (PUT /me/payout-method)")
    return _masked(method)


def _sealed_destination(method: repo.PayoutMethod) -> str:
    """The destination, as the payout will use it, sealed again for the payout itself."""
    uid = method.user_id
    if method.method_type == "bank":
        plain = {"type": "bank", "account_holder": vault.unseal(uid, "payout.account_holder", method.account_holder_enc),
                 "account_number": vault.unseal(uid, "payout.account_number", method.account_number_enc),
                 "ifsc": vault.unseal(uid, "payout.ifsc", method.ifsc_enc)}
    else:
        plain = {"type": "upi", "upi_id": vault.unseal(uid, "payout.upi_id", method.upi_id_enc)}
    return vault.seal(uid, "payout.destination", json.dumps(plain))


# --- the wallet ------------------------------------------------------------------------------

def _entry(e: repo.LedgerEntry) -> dict[str, Any]:
    return {"entry_id": e.entry_id, "kind": e.entry_kind, "amount": money(e.amount, e.currency),
            "created_at": clock.iso(e.created_at), "ref": e.ref}


def wallet(caller: Caller, load: WalletLoad, currency: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """Balance and held (payouts in flight) in one currency, every currency's totals (read
    with the caller's account, `load_wallet`), and a page of the wallet's ledger entries,
    newest first: one Query of the caller's partition."""
    accounts = load.accounts
    totals: dict[str, dict[str, int]] = {}
    latest: tuple[float, str] | None = None
    for account in accounts:
        totals.setdefault(account.currency, {"wallet": 0, "held": 0})[account.account] = int(account.balance)
        if account.account == rules.WALLET and (latest is None or (account.updated_at or 0) > latest[0]):
            latest = (account.updated_at or 0, account.currency)
    shown = currency or (latest[1] if latest else DEFAULT_CURRENCY)
    found, last = repo.entries(user_pk(caller.user_id), rules.WALLET, limit, cursors.decode(cursor))
    mine = totals.get(shown, {"wallet": 0, "held": 0})
    return {
        "balance": money(mine["wallet"], shown), "held": money(mine["held"], shown),
        "balances": [{"balance": money(t["wallet"], c), "held": money(t["held"], c)} for c, t in sorted(totals.items())],
        "ledger": [_entry(e) for e in found], "next_cursor": cursors.encode(last),
    }


# --- payouts ---------------------------------------------------------------------------------

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
    digest = request_hash("payout", {"amount": amount, "currency": currency})
    method = load.payout_method
    if method is None:
        replayed = _replay(uid, key, digest)
        if replayed is not None:
            return replayed
        raise method_missing()
    payout_id, now = ids.new_id(), clock.now_ts()
    result = {"payout_id": payout_id, "status": "pending"}
    movement = rules.payout_requested(payout_id, uid, amount, currency)
    payout = repo.Payout(
        *repo.payout_key(uid, payout_id), payout_id=payout_id, user_id=uid, amount=amount, currency=currency, status="pending",
        destination=_destination_label(method), created_at=now, **repo.pending_index(now, "payout", payout_id),
    )
    payout.destination_enc = _sealed_destination(method)

    def write(tx) -> None:
        tx.save(_idempotency_record(uid, key, "payout", digest, result, now), condition=_fresh_key_condition(now))
        repo.book(tx, movement, now)
        tx.save(payout, condition=repo.Payout.pk.does_not_exist())

    replayed = _commit_keyed(uid, key, digest, write, lambda _: insufficient_funds(currency))
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


# --- escrow ---------------------------------------------------------------------------------

def fund(caller: Caller, load: ContractLoad, contract_id: str, key_of_request: Callable[[], str]) -> dict[str, Any]:
    """Ask the gateway to charge the employer the contract's amount: the contract's escrow
    becomes `pending` (in the same transaction as the idempotency record and the charge),
    and `funded` once the gateway confirms (`settle`)."""
    contract = load.contract
    if contract is None or caller.user_id not in (contract.employer_id, contract.freelancer_id):
        raise errors.NotFound("No such contract")
    uid = caller.user_id
    digest = request_hash("fund", {"contract_id": contract_id})
    if uid != contract.employer_id:
        raise errors.Forbidden("Only the employer funds the contract")
    key = key_of_request()  # a missing key is a 400 only to whoever may fund
    if contract.status != market.ACTIVE or contract.escrow_status != "unfunded":
        replayed = _replay(uid, key, digest)
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

    def write(tx) -> None:
        tx.save(_idempotency_record(uid, key, "fund", digest, result, now), condition=_fresh_key_condition(now))
        tx.update(contract, actions=[contract_repo.Contract.escrow_status.set("pending"), contract_repo.Contract.updated_at.set(now)],
                  condition=(contract_repo.Contract.escrow_status == "unfunded") & (contract_repo.Contract.status == market.ACTIVE))
        tx.save(funding, condition=repo.Funding.pk.does_not_exist() | (repo.Funding.status == "failed"))
        users.engage(tx, uid)  # money follows neither party into an account being erased
        users.engage(tx, contract.freelancer_id)

    def refused(exc: TransactWriteError) -> errors.AppError:
        if db.failed_on(exc, *users.account_key(uid)):
            return errors.deletion_scheduled("fund contracts")
        if db.failed_on(exc, *users.account_key(contract.freelancer_id)):
            return errors.account_unavailable("freelancer", "the contract cannot be funded")
        return errors.Conflict("The contract's escrow changed meanwhile; reload it")

    replayed = _commit_keyed(uid, key, digest, write, refused)
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


def settle_escrow(tx, contract: contract_repo.Contract, to: str, now: float) -> list:
    """Add to `tx` what releasing (`to` the freelancer) or refunding (to the employer) a
    funded escrow books; returns the contract update actions that go with it."""
    movement, receipts = settlement(contract, to, now)
    repo.book(tx, movement, now)
    for receipt in receipts:
        tx.save(receipt)
    return [contract_repo.Contract.escrow_status.set("released" if to == market.FREELANCER else "refunded")]


# --- settlement with the gateway -------------------------------------------------------------

class StillPending(Exception):
    """The gateway has not decided yet: the queue asks again after a backoff."""


class TryAgain(Exception):
    """The booking's transaction was cancelled for another reason than the payment being
    settled already (a `TransactionConflict`, throttling, a balance condition): the queue
    delivers the message again after a backoff, and the DLQ takes it after the last try."""


def _settled_meanwhile(exc: TransactWriteError, payment: repo.Payout | repo.Funding, what: str, payment_id: str) -> str:
    """"already settled" when the transaction failed on the payment's own status condition
    (another delivery settled it); else raises `TryAgain`."""
    if db.failed_on(exc, payment.pk, payment.sk):
        return "already settled"
    reasons = [getattr(r, "code", None) for r in (getattr(exc, "cancellation_reasons", None) or [])]
    logger.warning("settlement cancelled, to be retried", extra={"what": what, "id": payment_id,
                                                                 "reasons": [r for r in reasons if r] or exc.cause_response_code})
    raise TryAgain(f"{what} {payment_id}") from exc


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
    payout = repo.get(repo.Payout, *repo.payout_key(user_id, payout_id))
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
    try:
        with db.transaction() as tx:
            tx.update(payout, actions=[
                repo.Payout.status.set(status), repo.Payout.settled_at.set(now), db.set_or_remove(repo.Payout.provider_ref, outcome.provider_ref),
                db.set_or_remove(repo.Payout.failure_reason, outcome.reason), repo.Payout.gsi2pk.remove(), repo.Payout.gsi2sk.remove(),
            ], condition=repo.Payout.status == "pending")
            repo.book(tx, movement, now)
            if paid:
                tx.save(repo.receipt(user_id, ids.new_id(), "payout", payout_id, payout.currency, int(payout.amount), 0, now))
    except TransactWriteError as exc:
        return _settled_meanwhile(exc, payout, "payout", payout_id)
    metrics.add_metric(name="PayoutsPaid" if paid else "PayoutsFailed", unit="Count", value=1)
    logger.info("payout settled", extra={"payout_id": payout_id, "status": status, "reason": outcome.reason})
    return status


def _settle_funding(contract_id: str, charge_id: str) -> str:
    funding = repo.get(repo.Funding, *repo.funding_key(contract_id))
    if funding is None or funding.charge_id != charge_id or funding.status != "pending":
        return "already settled"
    outcome = gateways.gateway().charge(charge_id, int(funding.amount), funding.currency, funding.employer_id)
    if outcome.status == "pending":
        raise StillPending(charge_id)
    funded = outcome.status == "succeeded"
    now = clock.now_ts()
    contract = contract_repo.Contract(*contract_repo.key(contract_id))
    try:
        with db.transaction() as tx:
            tx.update(funding, actions=[
                repo.Funding.status.set("funded" if funded else "failed"), repo.Funding.settled_at.set(now),
                db.set_or_remove(repo.Funding.provider_ref, outcome.provider_ref), db.set_or_remove(repo.Funding.failure_reason, outcome.reason),
                repo.Funding.gsi2pk.remove(), repo.Funding.gsi2sk.remove(),
            ], condition=(repo.Funding.status == "pending") & (repo.Funding.charge_id == charge_id))
            tx.update(contract, actions=[contract_repo.Contract.escrow_status.set("funded" if funded else "unfunded"),
                                         contract_repo.Contract.updated_at.set(now)],
                      condition=contract_repo.Contract.escrow_status == "pending")
            if funded:
                repo.book(tx, rules.funding(contract_id, int(funding.amount), funding.currency), now)
                tx.save(repo.receipt(funding.employer_id, ids.new_id(), "funding", contract_id, funding.currency,
                                     int(funding.amount), 0, now))
    except TransactWriteError as exc:
        return _settled_meanwhile(exc, funding, "funding", charge_id)
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

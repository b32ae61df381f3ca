"""Money on the main table: ledger accounts and postings, payout methods, payouts,
funding charges and receipts, and the writes that move money (the idempotency records
of the requests that do are `repos.idempotency`'s).

Items and keys (everything a user owns is in `USER#<id>`, so export and erasure find
it from the id alone; the books keep user ids only, never names):
- `LEDGER#<account>#<currency>` a ledger account with its `balance`, in its owner's
  partition: `USER#<id>` (wallet, held), `CONTRACT#<id>` (escrow), or
  `PLATFORM#<account>#<currency>#<shard>` (fees, clearing: spread over `PLATFORM_SHARDS`
  items so that concurrent movements do not queue on one item).
- `ENTRY#<account>#<time>#<entry_id>` the postings of that account, beside it.
- `MOVE#<movement_id>` / `MOVE` a movement's marker: written with a condition that it
  does not exist, so the same movement can never be booked twice.
- `USER#<id>` / `PAYOUT_METHOD` the payout method, sealed with the owner's data key;
  only masked forms are kept in clear.
- `USER#<id>` / `PAYOUT#<payout_id>` a payout; `CONTRACT#<id>` / `FUNDING` the charge
  that funds a contract's escrow. While `pending`, both are in the sparse gsi2
  partition `PAYMENTS#pending`, oldest first (what the stuck-payment watch reads).
- `USER#<id>` / `RECEIPT#<time>#<receipt_id>` invoices and receipts.
- `USER#<id>` / `IDEM#<hash of the key>` an idempotency record (TTL `expires_at`,
  `repos.idempotency`).

Every write here that moves money is one transaction: the movement (`book`) with the
state change it belongs to and its receipts. The services hand over plain data (the
domain's `Movement`, the items to write) and learn the outcome as the exceptions below,
never as DynamoDB's: `Refused` (a request's condition failed, `on` says whose),
`AlreadySettled` (a settlement whose payment is settled already) and `Cancelled` (a
settlement cancelled for any other reason: try again).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action

from chalicelib.domain import ledger as rules
from chalicelib.domain import marketplace as market
from chalicelib.repos import db, idempotency, users
from chalicelib.repos.contracts import Contract, contract_pk
from chalicelib.repos.contracts import key as contract_key
from chalicelib.repos.db import Entity, time_key
from chalicelib.repos.users import user_pk

PLATFORM_SHARDS = 8
PENDING_PAYMENTS = "PAYMENTS#pending"
PAYER, PAYEE, STATE, BALANCE = "payer", "payee", "state", "balance"  # what refused a request (`Refused.on`)


class Refused(Exception):
    """A request's transaction was cancelled by a condition other than its idempotency
    record's: `on` is `PAYER` or `PAYEE` (that party's account is closed or being
    deleted), `STATE` (the contract's escrow changed meanwhile) or `BALANCE` (the money
    is not there)."""

    def __init__(self, on: str) -> None:
        super().__init__(on)
        self.on = on


class AlreadySettled(Exception):
    """A settlement cancelled by the payment's own status condition: another delivery
    settled it meanwhile."""


class Cancelled(Exception):
    """A settlement cancelled for any other reason (a `TransactionConflict`, throttling, a
    balance condition); `reasons` are DynamoDB's codes, to be logged."""

    def __init__(self, reasons: Any) -> None:
        super().__init__(str(reasons))
        self.reasons = reasons


class LedgerAccount(Entity, discriminator="ledger_account"):
    account = UnicodeAttribute()  # wallet | held | escrow | fees | clearing
    owner = UnicodeAttribute()  # user id, contract id or "platform"
    currency = UnicodeAttribute()
    balance = NumberAttribute(default=0)
    updated_at = NumberAttribute(null=True)


class LedgerPosting(Entity, discriminator="ledger_entry"):
    entry_id = UnicodeAttribute()
    movement_id = UnicodeAttribute()
    account = UnicodeAttribute()
    owner = UnicodeAttribute()
    currency = UnicodeAttribute()
    amount = NumberAttribute()  # signed minor units
    entry_kind = UnicodeAttribute()  # funding | release | fee | refund | payout | payout_paid | payout_reversal
    ref = UnicodeAttribute()  # the contract or payout it is about
    created_at = NumberAttribute()


class MovementMarker(Entity, discriminator="movement"):
    movement_id = UnicodeAttribute()
    ref = UnicodeAttribute()
    postings = NumberAttribute()
    created_at = NumberAttribute()


class PayoutMethod(Entity, discriminator="payout_method"):
    user_id = UnicodeAttribute()
    method_type = UnicodeAttribute()  # bank | upi
    account_holder_enc = UnicodeAttribute(null=True)
    account_number_enc = UnicodeAttribute(null=True)
    ifsc_enc = UnicodeAttribute(null=True)
    branch_name_enc = UnicodeAttribute(null=True)
    upi_id_enc = UnicodeAttribute(null=True)
    account_number_last4 = UnicodeAttribute(null=True)  # masked forms: safe to show and log
    upi_id_masked = UnicodeAttribute(null=True)
    updated_at = NumberAttribute()


class Payout(Entity, discriminator="payout"):
    payout_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | paid | failed
    destination = UnicodeAttribute()  # masked: "bank ****0001" or "upi ad***@okaxis"
    destination_enc = UnicodeAttribute(null=True)  # where it goes, sealed with the owner's key (read only to pay it)
    failure_reason = UnicodeAttribute(null=True)  # the gateway's code, never personal data
    provider_ref = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    settled_at = NumberAttribute(null=True)


class Funding(Entity, discriminator="funding"):
    contract_id = UnicodeAttribute()
    charge_id = UnicodeAttribute()
    employer_id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | funded | failed
    failure_reason = UnicodeAttribute(null=True)
    provider_ref = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    settled_at = NumberAttribute(null=True)


class Receipt(Entity, discriminator="receipt"):
    receipt_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    receipt_kind = UnicodeAttribute()  # funding | release | refund | payout
    ref = UnicodeAttribute()
    currency = UnicodeAttribute()
    gross = NumberAttribute()
    fee = NumberAttribute(default=0)
    net = NumberAttribute()
    created_at = NumberAttribute()


# --- keys ------------------------------------------------------------------------------

def _shard(movement_id: str) -> int:
    return int(hashlib.sha256(movement_id.encode()).hexdigest()[:8], 16) % PLATFORM_SHARDS


def account_pk(account: rules.Account, movement_id: str = "", shard: int | None = None) -> str:
    if account.kind in rules.USER_ACCOUNTS:
        return user_pk(account.owner)
    if account.kind == rules.ESCROW:
        return contract_pk(account.owner)
    return f"PLATFORM#{account.kind}#{account.currency}#{_shard(movement_id) if shard is None else shard}"


def account_sk(account: rules.Account) -> str:
    return f"LEDGER#{account.kind}#{account.currency}"


def account_key(account: rules.Account) -> tuple[str, str]:
    """The key of a user's or a contract's account (platform accounts are sharded)."""
    return account_pk(account), account_sk(account)


def payout_method_key(user_id: str) -> tuple[str, str]:
    return user_pk(user_id), "PAYOUT_METHOD"


def payout_key(user_id: str, payout_id: str) -> tuple[str, str]:
    return user_pk(user_id), f"PAYOUT#{payout_id}"


def funding_key(contract_id: str) -> tuple[str, str]:
    return contract_pk(contract_id), "FUNDING"


# --- booking -----------------------------------------------------------------------------

def book(tx, movement: rules.Movement, at: float) -> None:
    """Add a movement to transaction `tx`: its marker (refused if it was booked before),
    each account's balance (refused where a non-negative account would go below zero)
    and each posting as an entry beside its account. Entries sum to zero by construction
    (`rules.Movement`)."""
    tx.save(
        MovementMarker(f"MOVE#{movement.movement_id}", "MOVE", movement_id=movement.movement_id, ref=movement.ref,
                       postings=len(movement.postings), created_at=at),
        condition=MovementMarker.pk.does_not_exist(),
    )
    for account, net in movement.net_by_account().items():
        condition = LedgerAccount.balance >= -net if net < 0 and account.non_negative else None
        tx.update(
            LedgerAccount(account_pk(account, movement.movement_id), account_sk(account)),
            actions=[
                LedgerAccount.balance.add(net), LedgerAccount.kind.set(LedgerAccount),
                LedgerAccount.account.set(account.kind), LedgerAccount.owner.set(account.owner),
                LedgerAccount.currency.set(account.currency), LedgerAccount.updated_at.set(at),
            ],
            condition=condition,
        )
    for index, posting in enumerate(movement.postings):
        account = posting.account
        entry_id = f"{movement.movement_id}.{index}"
        tx.save(LedgerPosting(
            account_pk(account, movement.movement_id), f"ENTRY#{account.kind}#{time_key(at)}#{entry_id}", entry_id=entry_id,
            movement_id=movement.movement_id, account=account.kind, owner=account.owner, currency=account.currency,
            amount=posting.amount, entry_kind=posting.kind, ref=movement.ref, created_at=at,
        ))


# --- writes that move money ----------------------------------------------------------------

@dataclass(frozen=True)
class EscrowSettlement:
    """What emptying a funded escrow writes: the movement, its receipts and the escrow's
    new status (`released` or `refunded`)."""

    movement: rules.Movement
    receipts: list[Receipt]
    escrow_status: str


def save_payout_method(method: PayoutMethod) -> None:
    """Store a payout method, replacing the previous one."""
    method.save()


def request_payout(claim: idempotency.Claim, movement: rules.Movement, payout: Payout) -> dict[str, Any] | None:
    """Book the payout's movement (wallet to held) and write the pending payout with the
    claim's record, in one transaction. None when committed; the first answer when the
    key was used before for the same request; raises `Refused(BALANCE)` when the money is
    not there (or `IdempotencyKeyReused`)."""
    def write(tx: Any) -> None:
        book(tx, movement, claim.at)
        tx.save(payout, condition=Payout.pk.does_not_exist())

    return idempotency.commit(claim, write, lambda _: Refused(BALANCE))


def request_funding(claim: idempotency.Claim, contract: Contract, funding: Funding) -> dict[str, Any] | None:
    """Make the active, unfunded contract's escrow `pending` and write its pending charge
    with the claim's record, in one transaction; both parties' accounts count it, so money
    follows neither into an account being erased. None when committed; the first answer
    when the key was used before for the same request; raises `Refused(PAYER | PAYEE |
    STATE)` (or `IdempotencyKeyReused`)."""
    employer, freelancer, at = contract.employer_id, contract.freelancer_id, claim.at

    def write(tx: Any) -> None:
        tx.update(contract, actions=[Contract.escrow_status.set("pending"), Contract.updated_at.set(at)],
                  condition=(Contract.escrow_status == "unfunded") & (Contract.status == market.ACTIVE))
        tx.save(funding, condition=Funding.pk.does_not_exist() | (Funding.status == "failed"))
        users.engage(tx, employer)
        users.engage(tx, freelancer)

    def refused(exc: TransactWriteError) -> Exception:
        if db.failed_on(exc, *users.account_key(employer)):
            return Refused(PAYER)
        if db.failed_on(exc, *users.account_key(freelancer)):
            return Refused(PAYEE)
        return Refused(STATE)

    return idempotency.commit(claim, write, refused)


def add_settlement(tx: Any, plan: EscrowSettlement, at: float) -> list[Action]:
    """Add to the contract's transaction `tx` what emptying its funded escrow books (the
    movement, the receipts); returns the contract's update actions that go with it."""
    book(tx, plan.movement, at)
    for item in plan.receipts:
        tx.save(item)
    return [Contract.escrow_status.set(plan.escrow_status)]


def _unsettled(exc: TransactWriteError, payment: Payout | Funding) -> Exception:
    """`AlreadySettled` when the transaction failed on the payment's own status condition,
    else `Cancelled`."""
    if db.failed_on(exc, payment.pk, payment.sk):
        return AlreadySettled()
    reasons = [getattr(r, "code", None) for r in (getattr(exc, "cancellation_reasons", None) or [])]
    return Cancelled([r for r in reasons if r] or exc.cause_response_code)


def settle_payout(payout: Payout, status: str, provider_ref: str | None, reason: str | None, movement: rules.Movement,
                  receipt: Receipt | None, at: float) -> None:
    """Mark a pending payout `paid` or `failed` (off the pending index) and book its
    movement and receipt, in one transaction; raises `AlreadySettled` or `Cancelled`."""
    try:
        with db.transaction() as tx:
            tx.update(payout, actions=[
                Payout.status.set(status), Payout.settled_at.set(at), db.set_or_remove(Payout.provider_ref, provider_ref),
                db.set_or_remove(Payout.failure_reason, reason), Payout.gsi2pk.remove(), Payout.gsi2sk.remove(),
            ], condition=Payout.status == "pending")
            book(tx, movement, at)
            if receipt is not None:
                tx.save(receipt)
    except TransactWriteError as exc:
        raise _unsettled(exc, payout) from exc


def settle_funding(funding: Funding, funded: bool, provider_ref: str | None, reason: str | None,
                   movement: rules.Movement | None, receipt: Receipt | None, at: float) -> None:
    """Mark a pending charge `funded` or `failed` (off the pending index) and its contract's
    escrow `funded` or `unfunded` again, with the movement and receipt of a charge that
    succeeded, in one transaction; raises `AlreadySettled` or `Cancelled`."""
    contract = Contract(*contract_key(funding.contract_id))
    try:
        with db.transaction() as tx:
            tx.update(funding, actions=[
                Funding.status.set("funded" if funded else "failed"), Funding.settled_at.set(at),
                db.set_or_remove(Funding.provider_ref, provider_ref), db.set_or_remove(Funding.failure_reason, reason),
                Funding.gsi2pk.remove(), Funding.gsi2sk.remove(),
            ], condition=(Funding.status == "pending") & (Funding.charge_id == funding.charge_id))
            tx.update(contract, actions=[Contract.escrow_status.set("funded" if funded else "unfunded"), Contract.updated_at.set(at)],
                      condition=Contract.escrow_status == "pending")
            if movement is not None:
                book(tx, movement, at)
            if receipt is not None:
                tx.save(receipt)
    except TransactWriteError as exc:
        raise _unsettled(exc, funding) from exc


# --- reads -------------------------------------------------------------------------------

def user_accounts(user_id: str) -> list[LedgerAccount]:
    """The user's wallet and held accounts, every currency: one Query."""
    return list(LedgerAccount.query(user_pk(user_id), LedgerAccount.sk.startswith("LEDGER#")))


def entries(pk: str, account: str, limit: int, start: dict | None) -> tuple[list[LedgerPosting], dict | None]:
    result = LedgerPosting.query(pk, LedgerPosting.sk.startswith(f"ENTRY#{account}#"), scan_index_forward=False, limit=limit,
                               page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def payouts(user_id: str, limit: int, start: dict | None) -> tuple[list[Payout], dict | None]:
    result = Payout.query(user_pk(user_id), Payout.sk.startswith("PAYOUT#"), scan_index_forward=False, limit=limit,
                          page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def receipts(user_id: str, limit: int, start: dict | None) -> tuple[list[Receipt], dict | None]:
    result = Receipt.query(user_pk(user_id), Receipt.sk.startswith("RECEIPT#"), scan_index_forward=False, limit=limit,
                           page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def pending_payments(older_than: float, limit: int = 100) -> list[Entity]:
    """Payouts and fundings still pending since before `older_than` (a Query on gsi2)."""
    return list(Entity.gsi2.query(PENDING_PAYMENTS, Entity.gsi2sk < time_key(older_than), limit=limit))


def payout(user_id: str, payout_id: str) -> Payout | None:
    found: Payout | None = get(Payout, *payout_key(user_id, payout_id))
    return found


def funding(contract_id: str) -> Funding | None:
    found: Funding | None = get(Funding, *funding_key(contract_id))
    return found


def get(model, pk: str, sk: str, consistent: bool = True):
    try:
        return model.get(pk, sk, consistent_read=consistent)
    except DoesNotExist:
        return None


def receipt(user_id: str, receipt_id: str, kind: str, ref: str, currency: str, gross: int, fee: int, at: float) -> Receipt:
    return Receipt(
        user_pk(user_id), f"RECEIPT#{time_key(at)}#{receipt_id}", receipt_id=receipt_id, user_id=user_id, receipt_kind=kind,
        ref=ref, currency=currency, gross=gross, fee=fee, net=gross - fee, created_at=at,
    )


def pending_index(at: float, what: str, ident: str) -> dict[str, Any]:
    return {"gsi2pk": PENDING_PAYMENTS, "gsi2sk": f"{time_key(at)}#{what}#{ident}"}

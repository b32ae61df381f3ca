"""Money on the main table: ledger accounts and entries, payout methods, payouts,
funding charges, receipts and idempotency records.

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
- `USER#<id>` / `IDEM#<hash of the key>` an idempotency record (TTL `expires_at`).
"""
from __future__ import annotations

import hashlib
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from chalicelib.domain import ledger as rules
from chalicelib.repos.contracts import contract_pk
from chalicelib.repos.db import Entity
from chalicelib.repos.users import user_pk

PLATFORM_SHARDS = 8
PENDING_PAYMENTS = "PAYMENTS#pending"


class LedgerAccount(Entity, discriminator="ledger_account"):
    account = UnicodeAttribute()  # wallet | held | escrow | fees | clearing
    owner = UnicodeAttribute()  # user id, contract id or "platform"
    currency = UnicodeAttribute()
    balance = NumberAttribute(default=0)
    updated_at = NumberAttribute(null=True)


class LedgerEntry(Entity, discriminator="ledger_entry"):
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


class IdempotencyRecord(Entity, discriminator="idempotency"):
    operation = UnicodeAttribute()
    body_hash = UnicodeAttribute()
    result = UnicodeAttribute()  # JSON of the first answer (ids and statuses only)
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


def idempotency_key(user_id: str, key: str) -> tuple[str, str]:
    return user_pk(user_id), f"IDEM#{hashlib.sha256(key.encode()).hexdigest()[:40]}"


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
        tx.save(LedgerEntry(
            account_pk(account, movement.movement_id), f"ENTRY#{account.kind}#{at:017.6f}#{entry_id}", entry_id=entry_id,
            movement_id=movement.movement_id, account=account.kind, owner=account.owner, currency=account.currency,
            amount=posting.amount, entry_kind=posting.kind, ref=movement.ref, created_at=at,
        ))


# --- reads -------------------------------------------------------------------------------

def user_accounts(user_id: str) -> list[LedgerAccount]:
    """The user's wallet and held accounts, every currency: one Query."""
    return list(LedgerAccount.query(user_pk(user_id), LedgerAccount.sk.startswith("LEDGER#")))


def entries(pk: str, account: str, limit: int, start: dict | None) -> tuple[list[LedgerEntry], dict | None]:
    result = LedgerEntry.query(pk, LedgerEntry.sk.startswith(f"ENTRY#{account}#"), scan_index_forward=False, limit=limit,
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
    return list(Entity.gsi2.query(PENDING_PAYMENTS, Entity.gsi2sk < f"{older_than:017.6f}", limit=limit))


def get(model, pk: str, sk: str, consistent: bool = True):
    try:
        return model.get(pk, sk, consistent_read=consistent)
    except DoesNotExist:
        return None


def receipt(user_id: str, receipt_id: str, kind: str, ref: str, currency: str, gross: int, fee: int, at: float) -> Receipt:
    return Receipt(
        user_pk(user_id), f"RECEIPT#{at:017.6f}#{receipt_id}", receipt_id=receipt_id, user_id=user_id, receipt_kind=kind,
        ref=ref, currency=currency, gross=gross, fee=fee, net=gross - fee, created_at=at,
    )


def pending_index(at: float, what: str, ident: str) -> dict[str, Any]:
    return {"gsi2pk": PENDING_PAYMENTS, "gsi2sk": f"{at:017.6f}#{what}#{ident}"}

"""The wallet: a user's balances (spendable and held, every currency) and a page of its
ledger postings (`domain.ledger` says what each kind of posting is)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

from chalicelib.core import clock
from chalicelib.domain import ledger as rules
from chalicelib.domain.money import Currency
from chalicelib.repos import cursors
from chalicelib.repos import ledger as repo
from chalicelib.repos.batch import Batch
from chalicelib.repos.users import user_pk
from chalicelib.services.caller import Caller
from chalicelib.services.loads import Load

DEFAULT_CURRENCY = "USD"  # the wallet's currency shown when the user holds none yet


def money(amount: float, currency: str) -> dict[str, Any]:
    """Money as answered; stored amounts come back from DynamoDB as numbers, always whole minor units."""
    return {"amount": int(amount), "currency": currency}


def _entry(e: repo.LedgerPosting) -> dict[str, Any]:
    return {"entry_id": e.entry_id, "kind": e.entry_kind, "amount": money(e.amount, e.currency),
            "created_at": clock.iso(e.created_at), "ref": e.ref}


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

"""The wallet: a user's balances (spendable and held, every currency) and a page of its
ledger postings (`domain.ledger` says what each kind of posting is)."""
from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.domain import ledger as rules
from chalicelib.repos import cursors
from chalicelib.repos import ledger as repo
from chalicelib.repos.users import user_pk
from chalicelib.services.caller import Caller

DEFAULT_CURRENCY = "USD"  # the wallet's currency shown when the user holds none yet


def money(amount: float, currency: str) -> dict[str, Any]:
    """Money as answered; stored amounts come back from DynamoDB as numbers, always whole minor units."""
    return {"amount": int(amount), "currency": currency}


def _entry(e: repo.LedgerPosting) -> dict[str, Any]:
    return {"entry_id": e.entry_id, "kind": e.entry_kind, "amount": money(e.amount, e.currency),
            "created_at": clock.iso(e.created_at), "ref": e.ref}


def wallet(caller: Caller, currency: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """Balance and held (payouts in flight) in one currency, every currency's totals, and
    a page of the wallet's ledger entries, newest first: two Queries of the caller's
    partition."""
    accounts = repo.user_accounts(caller.user_id)
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

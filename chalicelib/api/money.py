"""Money routes: the payout method, the wallet and its ledger, payouts, receipts.
(Funding a contract's escrow is `POST /contracts/{id}/fund` in `api/contracts.py`.)"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import IDEMPOTENCY_KEY, PAGE, Call, Reply, Want, endpoint, idempotency_key
from chalicelib.core.lazy import lazy, refs

repo = lazy("chalicelib.repos.ledger")
service = lazy("chalicelib.services.money")
M = refs("chalicelib.api.schemas.money")
bp = Blueprint(__name__)
TAGS = ("money",)


def _method(want: Want) -> list:
    return [repo.payout_method_key(want.caller_id)] if want.caller_id else []


@endpoint(bp, "/me/payout-method", "PUT", body=M.PayoutMethodIn, response=M.PayoutMethodOut, tags=TAGS, errors_=(403,),
          summary="Set the payout method (bank account or UPI id); answered masked, stored sealed")
def set_method(call: Call) -> dict:
    return service.set_payout_method(call.caller, call.body.root.model_dump())


@endpoint(bp, "/me/payout-method", response=M.PayoutMethodOut, tags=TAGS, errors_=(404,), prefetch=_method,
          summary="The payout method, masked (no endpoint returns it in clear)")
def get_method(call: Call) -> dict:
    return service.payout_method(call.caller, call.items)


@endpoint(bp, "/me/wallet", query=M.WalletQuery, response=M.Wallet, tags=TAGS,
          summary="Balance, held (payouts in flight) and a page of the wallet's ledger")
def wallet(call: Call) -> dict:
    return service.wallet(call.caller, call.query.currency, call.query.limit, call.query.cursor)


@endpoint(bp, "/me/payouts", "POST", body=M.PayoutIn, response=M.PayoutAccepted, status=202, tags=TAGS, errors_=(403, 409),
          prefetch=_method, headers=(IDEMPOTENCY_KEY,),
          summary="Pay out from the wallet to the payout method (settled asynchronously)")
def request_payout(call: Call) -> Reply:
    key = idempotency_key(call)
    amount = call.body.amount
    return Reply(service.request_payout(call.caller, call.items, key, amount.amount, amount.currency))


@endpoint(bp, "/me/payouts", query=PAGE, response=M.PayoutOutPage, tags=TAGS, summary="The caller's payouts, newest first")
def payouts(call: Call) -> dict:
    return service.payouts(call.caller, call.query.limit, call.query.cursor)


@endpoint(bp, "/me/receipts", query=PAGE, response=M.ReceiptOutPage, tags=TAGS,
          summary="Receipts and invoices: escrow funded, released or refunded, payouts paid")
def receipts(call: Call) -> dict:
    return service.receipts(call.caller, call.query.limit, call.query.cursor)

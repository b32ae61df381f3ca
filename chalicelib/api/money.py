"""Money routes: the payout method, the wallet and its ledger, payouts, receipts.
(Funding a contract's escrow is `POST /contracts/{id}/fund` in `api/contracts.py`.)"""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import IDEMPOTENCY_KEY, Call, Reply, Want, idempotency_key, page_query

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.money  # noqa: F401
    from chalicelib.services.loads import Load
    from chalicelib.services.payout_methods import PayoutMethodLoad
    from chalicelib.services.wallet import WalletLoad

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)
TAGS = ("money",)


def _method(want: Want) -> Load[PayoutMethodLoad]:
    from chalicelib.services import payout_methods as service

    return service.load_payout_method()


def _wallet(want: Want) -> Load[WalletLoad]:
    from chalicelib.services import wallet as service

    return service.load_wallet()


@route("/me/payout-method", "PUT", body=lambda: schemas.money.PayoutMethodIn, response=lambda: schemas.money.PayoutMethodOut, tags=TAGS, errors_=(403,),
          summary="Set the payout method (bank account or UPI id); answered masked, stored sealed")
def set_method(call: Call) -> dict:
    from chalicelib.services import payout_methods as service

    return service.set_payout_method(call.caller, call.body.root.model_dump())


@route("/me/payout-method", response=lambda: schemas.money.PayoutMethodOut, tags=TAGS, errors_=(404,), load=_method,
          summary="The payout method, masked (no endpoint returns it in clear)")
def get_method(call: Call[PayoutMethodLoad]) -> dict:
    from chalicelib.services import payout_methods as service

    return service.payout_method(call.caller, call.loaded)


@route("/me/wallet", query=lambda: schemas.money.WalletQuery, response=lambda: schemas.money.Wallet, tags=TAGS, load=_wallet,
          summary="Balance, held (payouts in flight) and a page of the wallet's ledger")
def wallet(call: Call[WalletLoad]) -> dict:
    from chalicelib.services import wallet as service

    return service.wallet(call.caller, call.loaded, call.query.currency, call.query.limit, call.query.cursor)


@route("/me/payouts", "POST", body=lambda: schemas.money.PayoutIn, response=lambda: schemas.money.PayoutAccepted, status=202, tags=TAGS, errors_=(403, 409),
          load=_method, headers=(IDEMPOTENCY_KEY,),
          summary="Pay out from the wallet to the payout method (settled asynchronously)")
def request_payout(call: Call[PayoutMethodLoad]) -> Reply:
    from chalicelib.services import payouts as service

    key = idempotency_key(call)
    amount = call.body.amount
    return Reply(service.request_payout(call.caller, call.loaded, key, amount.amount, amount.currency))


@route("/me/payouts", query=page_query, response=lambda: schemas.money.PayoutOutPage, tags=TAGS, summary="The caller's payouts, newest first")
def payouts(call: Call) -> dict:
    from chalicelib.services import payouts as service

    return service.payouts(call.caller, call.query.limit, call.query.cursor)


@route("/me/receipts", query=page_query, response=lambda: schemas.money.ReceiptOutPage, tags=TAGS,
          summary="Receipts and invoices: escrow funded, released or refunded, payouts paid")
def receipts(call: Call) -> dict:
    from chalicelib.services import payouts as service

    return service.receipts(call.caller, call.query.limit, call.query.cursor)

"""Contract routes: read (parties), list one's own, complete, dispute, resolve
(admin), the work chat and reviews."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import IDEMPOTENCY_KEY, Call, Want, idempotency_key, page_query, path_id

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.contracts  # noqa: F401
    import chalicelib.api.schemas.money  # noqa: F401
    from chalicelib.services.contracts import ContractLoad
    from chalicelib.services.loads import Load

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)
TAGS = ("contracts",)


def _contract(want: Want) -> Load[ContractLoad]:
    from chalicelib.services import contracts as service

    return service.load_contract(path_id(want.path, "contract_id"))


@route("/contracts/{contract_id}", response=lambda: schemas.contracts.ContractOut, tags=TAGS, errors_=(404,), load=_contract,
          summary="A contract (its two parties): each sees the other's contact details")
def read(call: Call[ContractLoad]) -> dict:
    from chalicelib.services import contracts as service

    return service.get(call.caller, call.loaded)


@route("/me/contracts", query=page_query, response=lambda: schemas.contracts.ContractSummaryPage, tags=TAGS, summary="The caller's contracts, newest first")
def mine(call: Call) -> dict:
    from chalicelib.services import contracts as service

    return service.mine(call.caller, call.query.limit, call.query.cursor)


@route("/contracts/{contract_id}/fund", "POST", response=lambda: schemas.money.FundAccepted, status=202, tags=TAGS, errors_=(403, 404, 409),
          load=_contract, headers=(IDEMPOTENCY_KEY,),
          summary="Fund the escrow (employer): the contract's amount is charged through the payment gateway")
def fund(call: Call[ContractLoad]) -> dict:
    from chalicelib.services import escrow

    return escrow.fund(call.caller, call.loaded, call.path["contract_id"], lambda: idempotency_key(call))


@route("/contracts/{contract_id}/complete", "POST", response=lambda: schemas.contracts.ContractSummary, tags=TAGS, errors_=(403, 404, 409), load=_contract,
          summary="Complete an active contract (employer)")
def complete(call: Call[ContractLoad]) -> dict:
    from chalicelib.services import contracts as service

    return service.complete(call.caller, call.loaded)


@route("/contracts/{contract_id}/dispute", "POST", body=lambda: schemas.contracts.Dispute, response=lambda: schemas.contracts.ContractSummary, tags=TAGS, errors_=(404, 409), load=_contract,
          summary="Open a dispute on an active contract (either party)")
def dispute(call: Call[ContractLoad]) -> dict:
    from chalicelib.services import contracts as service

    return service.dispute(call.caller, call.loaded, call.body.reason)


@route("/admin/disputes/{contract_id}/resolve", "POST", body=lambda: schemas.contracts.Resolve, response=lambda: schemas.contracts.ContractSummary, auth="admin", tags=("admin",), errors_=(404, 409),
          load=_contract, summary="Resolve a dispute: to the freelancer (completed) or the employer (cancelled)")
def resolve(call: Call[ContractLoad]) -> dict:
    from chalicelib.services import contracts as service

    return service.resolve(call.caller.user_id, call.loaded, call.path["contract_id"], call.body.release_to)


@route("/contracts/{contract_id}/messages", "POST", body=lambda: schemas.contracts.MessageIn, response=lambda: schemas.contracts.MessagePosted, status=201, tags=TAGS, errors_=(403, 404, 409),
          load=_contract, summary="Post to the work chat (parties)")
def post_message(call: Call[ContractLoad]) -> dict:
    from chalicelib.services import contracts as service

    return service.post_message(call.caller, call.loaded, call.path["contract_id"], call.body.body)


@route("/contracts/{contract_id}/messages", query=page_query, response=lambda: schemas.contracts.MessageOutPage, tags=TAGS, errors_=(404,), load=_contract,
          summary="The work chat, newest first")
def messages(call: Call[ContractLoad]) -> dict:
    from chalicelib.services import contracts as service

    return service.messages(call.caller, call.loaded, call.path["contract_id"], call.query.limit, call.query.cursor)


@route("/contracts/{contract_id}/reviews", "POST", body=lambda: schemas.contracts.ReviewIn, response=lambda: schemas.contracts.ReviewPosted, status=201, tags=TAGS, errors_=(404, 409, 422), load=_contract,
          summary="Review the other party, once, after completion")
def review(call: Call[ContractLoad]) -> dict:
    from chalicelib.services import contracts as service

    return service.review(call.caller, call.loaded, call.path["contract_id"], call.body.rating, call.body.comment)

"""Contract routes: read (parties), list one's own, complete, dispute, resolve
(admin), the work chat and reviews."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import IDEMPOTENCY_KEY, PAGE, Call, Want, endpoint, idempotency_key, path_id
from chalicelib.core.lazy import lazy, refs

repo = lazy("chalicelib.repos.contracts")
service = lazy("chalicelib.services.contracts")
M = refs("chalicelib.api.schemas.contracts")
money = lazy("chalicelib.services.money")
MM = refs("chalicelib.api.schemas.money")
bp = Blueprint(__name__)
TAGS = ("contracts",)


def _contract(want: Want) -> list:
    return [repo.key(path_id(want.path, "contract_id"))]


@endpoint(bp, "/contracts/{contract_id}", response=M.ContractOut, tags=TAGS, errors_=(404,), prefetch=_contract,
          summary="A contract (its two parties): each sees the other's contact details")
def read(call: Call) -> dict:
    return service.get(call.caller, call.items, call.path["contract_id"])


@endpoint(bp, "/me/contracts", query=PAGE, response=M.ContractSummaryPage, tags=TAGS, summary="The caller's contracts, newest first")
def mine(call: Call) -> dict:
    return service.mine(call.caller, call.query.limit, call.query.cursor)


@endpoint(bp, "/contracts/{contract_id}/fund", "POST", response=MM.FundAccepted, status=202, tags=TAGS, errors_=(403, 404, 409),
          prefetch=_contract, headers=(IDEMPOTENCY_KEY,),
          summary="Fund the escrow (employer): the contract's amount is charged through the payment gateway")
def fund(call: Call) -> dict:
    return money.fund(call.caller, call.items, call.path["contract_id"], lambda: idempotency_key(call))


@endpoint(bp, "/contracts/{contract_id}/complete", "POST", response=M.ContractSummary, tags=TAGS, errors_=(403, 404, 409), prefetch=_contract,
          summary="Complete an active contract (employer)")
def complete(call: Call) -> dict:
    return service.complete(call.caller, call.items, call.path["contract_id"])


@endpoint(bp, "/contracts/{contract_id}/dispute", "POST", body=M.Dispute, response=M.ContractSummary, tags=TAGS, errors_=(404, 409), prefetch=_contract,
          summary="Open a dispute on an active contract (either party)")
def dispute(call: Call) -> dict:
    return service.dispute(call.caller, call.items, call.path["contract_id"], call.body.reason)


@endpoint(bp, "/admin/disputes/{contract_id}/resolve", "POST", body=M.Resolve, response=M.ContractSummary, auth="admin", tags=("admin",), errors_=(404, 409),
          prefetch=_contract, summary="Resolve a dispute: to the freelancer (completed) or the employer (cancelled)")
def resolve(call: Call) -> dict:
    return service.resolve(call.caller.user_id, call.items, call.path["contract_id"], call.body.release_to)


@endpoint(bp, "/contracts/{contract_id}/messages", "POST", body=M.MessageIn, response=M.MessagePosted, status=201, tags=TAGS, errors_=(403, 404, 409),
          prefetch=_contract, summary="Post to the work chat (parties)")
def post_message(call: Call) -> dict:
    return service.post_message(call.caller, call.items, call.path["contract_id"], call.body.body)


@endpoint(bp, "/contracts/{contract_id}/messages", query=PAGE, response=M.MessageOutPage, tags=TAGS, errors_=(404,), prefetch=_contract,
          summary="The work chat, newest first")
def messages(call: Call) -> dict:
    return service.messages(call.caller, call.items, call.path["contract_id"], call.query.limit, call.query.cursor)


@endpoint(bp, "/contracts/{contract_id}/reviews", "POST", body=M.ReviewIn, response=M.ReviewPosted, status=201, tags=TAGS, errors_=(404, 409, 422), prefetch=_contract,
          summary="Review the other party, once, after completion")
def review(call: Call) -> dict:
    return service.review(call.caller, call.items, call.path["contract_id"], call.body.rating, call.body.comment)

"""Contract routes: read (parties), list one's own, complete, dispute, resolve
(admin), the work chat and reviews."""
from __future__ import annotations

from typing import Annotated, Literal

from chalice import Blueprint
from pydantic import Field, StringConstraints

from chalicelib.http import Call, Want, endpoint, path_id
from chalicelib.lazy import lazy
from chalicelib.models import Model, Strict, paged
from chalicelib.money import Money
from chalicelib.pagination import Page

repo = lazy("chalicelib.repos.contracts")
service = lazy("chalicelib.services.contracts")
bp = Blueprint(__name__)
TAGS = ("contracts",)


class Dispute(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Resolve(Strict):
    release_to: Literal["freelancer", "employer"]


class MessageIn(Strict):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class ReviewIn(Strict):
    rating: int = Field(ge=1, le=5, strict=True)
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class Person(Model):
    user_id: str
    full_name: str
    email: str | None
    phone: str | None


class ContractSummary(Model):
    contract_id: str
    project_id: str
    bid_id: str
    status: Literal["active", "completed", "disputed", "cancelled"]
    amount: Money
    escrow_status: str
    employer_id: str
    freelancer_id: str
    created_at: str
    updated_at: str


class MessageOut(Model):
    message_id: str
    sender_id: str
    body: str | None = Field(description="null once its author's data was erased")
    at: str


class MessagePosted(Model):
    message_id: str
    at: str


class ReviewPosted(Model):
    contract_id: str
    rating: int
    reviewee_id: str


class ContractOut(ContractSummary):
    employer: Person
    freelancer: Person
    you_are: Literal["employer", "freelancer"]


def _contract(want: Want) -> list:
    return [repo.key(path_id(want.path, "contract_id"))]


@endpoint(bp, "/contracts/{contract_id}", response=ContractOut, tags=TAGS, errors_=(404,), prefetch=_contract,
          summary="A contract (its two parties): each sees the other's contact details")
def read(call: Call) -> dict:
    return service.get(call.caller, call.items, call.path["contract_id"])


@endpoint(bp, "/me/contracts", query=Page, response=paged(ContractSummary), tags=TAGS, summary="The caller's contracts, newest first")
def mine(call: Call) -> dict:
    return service.mine(call.caller, call.query.limit, call.query.cursor)


@endpoint(bp, "/contracts/{contract_id}/complete", "POST", response=ContractSummary, tags=TAGS, errors_=(403, 404, 409), prefetch=_contract,
          summary="Complete an active contract (employer)")
def complete(call: Call) -> dict:
    return service.complete(call.caller, call.items, call.path["contract_id"])


@endpoint(bp, "/contracts/{contract_id}/dispute", "POST", body=Dispute, response=ContractSummary, tags=TAGS, errors_=(404, 409), prefetch=_contract,
          summary="Open a dispute on an active contract (either party)")
def dispute(call: Call) -> dict:
    return service.dispute(call.caller, call.items, call.path["contract_id"], call.body.reason)


@endpoint(bp, "/admin/disputes/{contract_id}/resolve", "POST", body=Resolve, response=ContractSummary, auth="admin", tags=("admin",), errors_=(404, 409),
          prefetch=_contract, summary="Resolve a dispute: to the freelancer (completed) or the employer (cancelled)")
def resolve(call: Call) -> dict:
    return service.resolve(call.caller.user_id, call.items, call.path["contract_id"], call.body.release_to)


@endpoint(bp, "/contracts/{contract_id}/messages", "POST", body=MessageIn, response=MessagePosted, status=201, tags=TAGS, errors_=(403, 404, 409),
          prefetch=_contract, summary="Post to the work chat (parties)")
def post_message(call: Call) -> dict:
    return service.post_message(call.caller, call.items, call.path["contract_id"], call.body.body)


@endpoint(bp, "/contracts/{contract_id}/messages", query=Page, response=paged(MessageOut), tags=TAGS, errors_=(404,), prefetch=_contract,
          summary="The work chat, newest first")
def messages(call: Call) -> dict:
    return service.messages(call.caller, call.items, call.path["contract_id"], call.query.limit, call.query.cursor)


@endpoint(bp, "/contracts/{contract_id}/reviews", "POST", body=ReviewIn, response=ReviewPosted, status=201, tags=TAGS, errors_=(404, 409), prefetch=_contract,
          summary="Review the other party, once, after completion")
def review(call: Call) -> dict:
    return service.review(call.caller, call.items, call.path["contract_id"], call.body.rating, call.body.comment)

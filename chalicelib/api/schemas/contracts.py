"""Request and response models of the contracts routes (`api/contracts.py`)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.models import FreeText, Model, Strict, Timestamp, paged
from chalicelib.domain.money import Money
from chalicelib.domain.numbers import Whole


class Dispute(Strict):
    reason: Annotated[str, FreeText(2000, 1, multiline=True)]


class Resolve(Strict):
    release_to: Literal["freelancer", "employer"]


class MessageIn(Strict):
    body: Annotated[str, FreeText(5000, 1, multiline=True)]


class ReviewIn(Strict):
    rating: Whole = Field(ge=1, le=5)
    comment: Annotated[str, FreeText(2000, multiline=True)] | None = None


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
    created_at: Timestamp
    updated_at: Timestamp


class MessageOut(Model):
    message_id: str
    sender_id: str
    body: str | None = Field(description="null once its author's data was erased")
    at: Timestamp


class MessagePosted(Model):
    message_id: str
    at: Timestamp


class ReviewPosted(Model):
    contract_id: str
    rating: int
    reviewee_id: str


class ContractOut(ContractSummary):
    employer: Person
    freelancer: Person
    you_are: Literal["employer", "freelancer"]


ContractSummaryPage = paged(ContractSummary)

MessageOutPage = paged(MessageOut)

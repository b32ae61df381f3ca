"""Request and response models of the projects routes (`api/projects.py`)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.api.models import FreeText, Model, Strict, Timestamp, omittable, paged
from chalicelib.domain import marketplace as rules
from chalicelib.domain.money import Money
from chalicelib.domain.numbers import Whole

Title = Annotated[str, FreeText(200, 3)]
Description = Annotated[str, FreeText(10000, 1, multiline=True)]
Skill = Annotated[str, FreeText(50, 1)]
Location = Annotated[str, FreeText(200)]


class ProjectIn(Strict):
    title: Title
    description: Description
    budget: Money
    skills: list[Skill] = Field(default_factory=list, max_length=30)
    location: Location | None = None


class ProjectPatch(Strict):
    """Send only what changes; `location` may be null (removed), the others may be left
    out but not set to null."""

    title: Title = omittable()
    description: Description = omittable()
    budget: Money = omittable()
    skills: list[Skill] = omittable(max_length=30)
    location: Location | None = None


class Created(Model):
    project_id: str
    status: str


class ProjectOut(Model):
    project_id: str
    owner_id: str
    title: str
    description: str
    budget: Money
    skills: list[str]
    location: str | None
    status: str
    contract_id: str | None
    created_at: Timestamp
    updated_at: Timestamp


class FileIn(Strict):
    filename: Annotated[str, FreeText(200, 1)]
    content_type: Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=100)]
    size: Whole = Field(ge=1, le=rules.MAX_FILE_BYTES)


class BidIn(Strict):
    amount: Money
    cover_letter: Annotated[str, FreeText(5000, 1, multiline=True)]
    delivery_days: Whole = Field(ge=1, le=365)


class BidCreated(Model):
    bid_id: str
    status: str


class ContractCreated(Model):
    contract_id: str


class PresignedPost(Model):
    url: str
    fields: dict[str, str]


class FileCreated(Model):
    file_id: str
    upload: PresignedPost
    expires_in: int


class FileOut(Model):
    file_id: str
    filename: str
    content_type: str
    size: int
    status: Literal["uploaded", "pending_upload"] = Field(description="pending_upload: listed to the owner only, no URL yet")
    download_url: str | None
    expires_in: int | None


class Bidder(Model):
    model_config = ConfigDict(defer_build=True, extra="allow")
    user_id: str
    display_name: str | None
    anonymous: bool


class BidOut(Model):
    bid_id: str
    project_id: str
    amount: Money
    cover_letter: str | None
    delivery_days: int
    status: str
    created_at: Timestamp


class ProjectBid(BidOut):
    freelancer: Bidder = Field(description="the bidder's profile as the owner may see it (see GET /users/{id}/profile)")


class BidStatus(Model):
    bid_id: str
    status: str


BidOutPage = paged(BidOut)

FileOutPage = paged(FileOut)

ProjectBidPage = paged(ProjectBid)

ProjectOutPage = paged(ProjectOut)

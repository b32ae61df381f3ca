"""Request and response models of the profiles routes (`api/profiles.py`)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.api.models import FreeText, Model, Strict, Timestamp, paged
from chalicelib.domain import marketplace as rules

Line = Annotated[str, FreeText(200)]
Para = Annotated[str, FreeText(4000, multiline=True)]
Year = Annotated[int, Field(ge=1900, le=2100)]
Level = Literal["public", "registered", "hired", "private"]
FieldName = Literal["full_name", "headline", "bio", "skills", "experience", "education", "portfolio", "location", "company"]


class Experience(Strict):
    title: Line
    organization: Line | None = None
    start_year: Year | None = None
    end_year: Year | None = None
    description: Para | None = None


class Education(Strict):
    school: Line
    degree: Line | None = None
    start_year: Year | None = None
    end_year: Year | None = None


class PortfolioItem(Strict):
    title: Line
    description: Para | None = None
    url: Annotated[str, StringConstraints(max_length=500, pattern=r"^https://\S+$")] | None = None


class ProfileIn(Strict):
    headline: Line
    bio: Para = ""
    skills: list[Annotated[str, FreeText(50, 1)]] = Field(default_factory=list, max_length=50)
    experience: list[Experience] = Field(default_factory=list, max_length=30)
    education: list[Education] = Field(default_factory=list, max_length=20)
    portfolio: list[PortfolioItem] = Field(default_factory=list, max_length=30)
    location: Line | None = None
    company: Line | None = None
    visibility: dict[FieldName, Level] = Field(
        default_factory=dict, description=f"per field; unset fields are '{rules.DEFAULT_VISIBILITY}'",
    )


class SaveOut(Model):
    status: Literal["published", "pending_review"]


class Rating(Model):
    average: float | None
    count: int


class ProfileOut(Model):
    model_config = ConfigDict(defer_build=True, extra="allow")
    user_id: str
    role: str
    anonymous: bool
    display_name: str | None
    photo_url: str | None
    rating: Rating
    headline: str | None
    bio: str | None
    skills: list[str] | None
    experience: list[dict] | None
    education: list[dict] | None
    portfolio: list[dict] | None
    location: str | None
    company: str | None


class Anonymity(Strict):
    enabled: bool = Field(strict=True)


class ProfileDecision(Strict):
    decision: Literal["approve", "reject"]
    reason: str = Field(default="", max_length=1000)


class ReviewOut(Model):
    contract_id: str
    rating: int
    comment: str | None
    reviewer_id: str
    at: Timestamp


class AnonymityOut(Model):
    anonymous: bool
    display_name: str | None
    warning: str | None = Field(default=None, description="what being anonymous costs, said when it is turned on")


class QueuedEdit(Model):
    user_id: str
    submitted_at: Timestamp
    profile: dict
    visibility: dict[str, str]


class ReviewDecisionOut(Model):
    user_id: str
    status: Literal["published", "rejected"]


QueuedEditPage = paged(QueuedEdit)

ReviewOutPage = paged(ReviewOut)

"""Profile routes: publish one's profile, show anyone's as the caller may see it,
anonymous mode, reviews received, and the admins' review queue."""
from __future__ import annotations

from typing import Annotated, Literal

from chalice import Blueprint
from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.domain import marketplace as rules
from chalicelib.http import Call, Want, endpoint, path_id
from chalicelib.lazy import lazy
from chalicelib.models import Model, Strict, paged
from chalicelib.pagination import Page

guards = lazy("chalicelib.services.guards")
service = lazy("chalicelib.services.profiles")
bp = Blueprint(__name__)
TAGS = ("profiles",)

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Para = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
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
    skills: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]] = Field(default_factory=list, max_length=50)
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
    at: str


class AnonymityOut(Model):
    anonymous: bool
    display_name: str | None


class QueuedEdit(Model):
    user_id: str
    submitted_at: str
    profile: dict
    visibility: dict[str, str]


class ReviewDecisionOut(Model):
    user_id: str
    status: Literal["published", "rejected"]


def _profile_keys(want: Want) -> list:
    return service.profile_keys(path_id(want.path, "user_id"), want.caller_id)


@endpoint(bp, "/me/profile", "PUT", body=ProfileIn, response=SaveOut, tags=TAGS, errors_=(403, 422),
          summary="Publish the caller's profile (or queue it for review where the privacy profile says so)")
def put_profile(call: Call) -> dict:
    guards.member(call.caller, "have a profile")
    data = call.body.model_dump(mode="json", exclude={"visibility"})
    return service.save(call.caller, data, dict(call.body.visibility))


@endpoint(bp, "/users/{user_id}/profile", response=ProfileOut, auth="optional", tags=TAGS, errors_=(404,), prefetch=_profile_keys,
          summary="A user's profile as the caller may see it: public, registered, hired or (the owner) everything")
def get_profile(call: Call) -> dict:
    viewer = call.caller.user_id if call.caller else None
    return service.view(call.path["user_id"], viewer, call.items)


@endpoint(bp, "/users/{user_id}/reviews", query=Page, response=paged(ReviewOut), auth="optional", tags=TAGS, summary="Reviews a user received, newest first")
def get_reviews(call: Call) -> dict:
    return service.reviews_received(path_id(call.path, "user_id"), call.query.limit, call.query.cursor)


@endpoint(bp, "/me/anonymity", "POST", body=Anonymity, response=AnonymityOut, tags=TAGS, errors_=(403,),
          summary="Anonymous mode: a stable pseudonym instead of name and photo")
def anonymity(call: Call) -> dict:
    guards.member(call.caller, "be anonymous")
    return service.set_anonymity(call.caller, call.body.enabled)


@endpoint(bp, "/admin/profile-reviews", query=Page, response=paged(QueuedEdit), auth="admin", tags=("admin",), summary="Profile edits waiting for review, oldest first")
def review_queue(call: Call) -> dict:
    return service.review_queue(call.query.limit, call.query.cursor)


@endpoint(bp, "/admin/profile-reviews/{user_id}/decision", "POST", body=ProfileDecision, response=ReviewDecisionOut, auth="admin", tags=("admin",), errors_=(404, 409),
          summary="Publish or reject a profile edit; the previous version stays visible until then")
def review_decision(call: Call) -> dict:
    return service.decide_review(call.caller.user_id, path_id(call.path, "user_id"), call.body.decision, call.body.reason or None)

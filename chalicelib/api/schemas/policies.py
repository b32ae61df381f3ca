"""Response models of the policy routes (`api/policies.py`)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from chalicelib.api.models import ISSUED, FreeText, Model, Strict, Timestamp, paged
from chalicelib.api.schemas.accounts import PolicyState
from chalicelib.core import clock, privacy

Line = Annotated[str, FreeText(200, 1)]
Version = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$")]


class PolicyOut(Model):
    version: str
    effective_at: Timestamp
    summary: str
    text: str
    material: bool
    in_effect: bool
    status: Literal["upcoming", "in_effect", "superseded"] = Field(description="upcoming, the version in effect, or an older one")

    @classmethod
    def of(cls, item: Any, status: str) -> PolicyOut:
        return cls(
            version=item.version, effective_at=clock.iso(item.effective_at), summary=item.summary, text=item.text,
            material=item.material, in_effect=status == "in_effect", status=status,
        )


class PolicyList(Model):
    items: list[PolicyOut]
    next_cursor: str | None = None


class MappedField(Model):
    name: str = Field(description="the attribute, object prefix or payload field")
    category: str = Field(description="its data category (Fides taxonomy)")
    rule: Literal["erase", "pseudonymise", "keep"]
    exported: bool = Field(description="whether the user's export includes it")
    says: str = Field(description="what happens to it on erasure, in plain words")


class MappedStore(Model):
    store: str = Field(description="where it is kept: a table entity, a bucket, Cognito or a queue")
    fields: list[MappedField]


class DataMap(Model):
    items: list[MappedStore]


class PolicyIn(Strict):
    version: Version
    summary: Annotated[str, FreeText(2000, 1, multiline=True)]
    text: Annotated[str, FreeText(100000, 1, multiline=True)]
    effective_at: AwareDatetime = Field(description="ISO 8601 with a time zone; at least the profile's notice period from now")
    material: bool = Field(default=True, strict=True, description="a material change (some profiles email only those)")


class PolicyDecisionIn(Strict):
    version: Version
    decision: Literal["accept", "reject"]


class PolicyDecisionOut(Model):
    version: str
    decision: Literal["accept", "reject"]
    recorded_at: Timestamp
    policy: PolicyState


class DecisionLinkQuery(Model):
    version: Version
    decision: Literal["accept", "reject"]
    token: str = Field(min_length=20, max_length=400, pattern=r"^[A-Za-z0-9_.-]+$", json_schema_extra=ISSUED)


class NoticeOut(Model):
    notice_id: str
    purpose: Literal["policy", "announcement"]
    topic: str | None = Field(description="the policy version, or the announcement's kind")
    subject: str
    channels: list[str] = Field(description="how it reached the user besides this list: email, sms")
    received_at: Timestamp


NoticePage = paged(NoticeOut)


class AnnouncementIn(Strict):
    kind: Literal["business_transfer", "service"]
    subject: Line
    body: Annotated[str, FreeText(20000, 1, multiline=True)]


class AnnouncementAccepted(Model):
    announcement_id: str


ActiveProfile = privacy.Profile
"""`GET /policies/profile`: the active privacy profile as the code obeys it (`core.privacy.Profile`)."""

"""Request and response models of the consent routes (`api/consents.py`)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from chalicelib.api.models import ISSUED, FreeText, Model, Strict, Timestamp, omittable, paged


class Consents(Model):
    marketing: bool
    analytics: bool
    promotions: bool
    third_party_sharing: bool
    updated_at: Timestamp


class ConsentsIn(Strict):
    """Any of the four purposes; those left out stay as they are."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    marketing: bool = omittable(strict=True)
    analytics: bool = omittable(strict=True)
    promotions: bool = omittable(strict=True)
    third_party_sharing: bool = omittable(strict=True)

    @model_validator(mode="after")
    def _something(self) -> ConsentsIn:
        if all(v is None for v in self.model_dump().values()):
            raise ValueError("name at least one of marketing, analytics, promotions, third_party_sharing")
        return self


class ConsentChange(Model):
    purpose: str = Field(description="marketing, analytics, promotions, third_party_sharing, or policy (a policy decision)")
    decision: Literal["on", "off", "accept", "reject"]
    source: str | None = Field(description="signup, settings, unsubscribe_link or admin")
    policy_version: str | None = Field(description="the policy version in effect when it changed (or decided on)")
    at: Timestamp


ConsentChangePage = paged(ConsentChange)


class CampaignIn(Strict):
    subject: Annotated[str, FreeText(200, 1)]
    body: Annotated[str, FreeText(20000, 1, multiline=True)]


class CampaignAccepted(Model):
    campaign_id: str


class UnsubscribeQuery(Model):
    token: str = Field(min_length=20, max_length=400, pattern=r"^[A-Za-z0-9_.-]+$", json_schema_extra=ISSUED)


class Unsubscribed(Model):
    marketing: Literal[False]
    message: str

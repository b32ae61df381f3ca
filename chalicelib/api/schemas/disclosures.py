"""Request and response models of the disclosure, legal-hold and phishing routes."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.api.models import FreeText, Model, Strict, Timestamp, paged

Text = Annotated[str, FreeText(500, 1, multiline=True)]


class DisclosureIn(Strict):
    user_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
    recipient: Text = Field(description="the third party or authority")
    purpose: Text
    legal_basis: Text
    data_categories: list[Annotated[str, FreeText(100, 1)]] = Field(min_length=1, max_length=50)
    notify_user: bool = Field(strict=True, description="false only where the law prohibits telling the user")


class DisclosureRecorded(Model):
    disclosure_id: str
    told: bool


class DisclosureOut(Model):
    disclosure_id: str
    recipient: str
    purpose: str
    legal_basis: str
    data_categories: list[str]
    at: Timestamp


DisclosureOutPage = paged(DisclosureOut)


class HoldIn(Strict):
    user_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
    reason: Text = Field(description="the case or authority's reference; no personal data")


class HoldPlaced(Model):
    hold_id: str


class HoldLifted(Model):
    hold_id: str
    status: Literal["lifted"]


class PhishingIn(Strict):
    reported_sender: Annotated[str, FreeText(320, 1)]
    channel: Literal["email", "sms", "phone", "chat", "other"]
    content: Annotated[str, FreeText(20000, 1, multiline=True)]
    received_at: Annotated[str, FreeText(40, 4)]


class PhishingStored(Model):
    report_id: str

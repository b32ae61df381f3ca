"""Request and response models of the identity routes (`api/identity.py`)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.api.models import Model, Page, Strict

IdNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
UserId = Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


class StartIdentity(Strict):
    id_type: Literal["cnic", "passport", "driving_license", "voter_id", "tax_id"]
    id_number: IdNumber


class Upload(Model):
    url: str
    fields: dict[str, str]


class Uploads(Model):
    document: Upload
    selfie: Upload


class StartOut(Model):
    uploads: Uploads
    max_bytes: int
    expires_in: int


class IdentityOut(Model):
    status: str
    id_type: str | None
    id_number_last4: str | None


class QueueQuery(Page):
    status: Literal["submitted", "approved", "rejected"] = "submitted"


class Decision(Strict):
    decision: Literal["approve", "reject"]
    reason: str = Field(default="", max_length=1000)


class AuditQuery(Page):
    user_id: UserId | None = None
    action: Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z_.]+$")] | None = None


"""Request and response models of the identity routes (`api/identity.py`)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from chalicelib.api.models import Model, Page, Strict, Timestamp, paged

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


class IdentityDecisionIn(Strict):
    decision: Literal["approve", "reject"]
    reason: str = Field(default="", max_length=1000)


class Submitted(Model):
    status: Literal["submitted"]


class QueueItem(Model):
    user_id: str
    status: str
    id_type: str
    id_number_last4: str
    submitted_at: Timestamp | None


QueuePage = paged(QueueItem)


class DocumentUrls(Model):
    document: str = Field(description="presigned GET of the identity document")
    selfie: str = Field(description="presigned GET of the selfie")


class IdentityDocuments(Model):
    documents: DocumentUrls
    expires_in: int = Field(description="seconds the links work")


class IdentityDecided(Model):
    user_id: str
    status: Literal["approved", "rejected"]


class AuditEntry(Model):
    entry_id: str
    at: Timestamp
    actor_id: str
    action: str
    subject_id: str | None
    details: dict[str, Any] = Field(description="what the action touched (ids and names, never personal data)")


AuditPage = paged(AuditEntry)


class AuditQuery(Page):
    user_id: UserId | None = None
    action: Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z_.]+$")] | None = None


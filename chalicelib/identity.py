"""Identity verification (KYC) routes, the admins' queue and decisions, and the audit log."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from chalice import Blueprint
from pydantic import Field, StringConstraints

from chalicelib.http import Call, endpoint
from chalicelib.lazy import lazy
from chalicelib.models import Model, Strict
from chalicelib.pagination import Page
from chalicelib.resources import SCHEDULES

service = lazy("chalicelib.services.identity")
bp = Blueprint(__name__)
TAGS = ("identity",)

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


@endpoint(bp, "/me/identity", "POST", body=StartIdentity, response=StartOut, status=201, tags=TAGS, errors_=(409,),
          summary="Start identity verification: presigned SSE-KMS image uploads for the document and a selfie")
def start(call: Call) -> dict:
    return service.start(call.caller.user, call.body.id_type, call.body.id_number)


@endpoint(bp, "/me/identity/submit", "POST", tags=TAGS, errors_=(409, 422),
          summary="Submit the uploads for review; each is checked and anything not a real image is deleted")
def submit(call: Call) -> dict:
    return service.submit(call.caller.user)


@endpoint(bp, "/me/identity", response=IdentityOut, tags=TAGS, summary="Verification status; only the id number's last 4 characters")
def status(call: Call) -> dict:
    return service.status_of(call.caller.user_id)


@endpoint(bp, "/admin/identity", query=QueueQuery, auth="admin", tags=("admin",), summary="Identity verifications by status, oldest first")
def admin_queue(call: Call) -> dict:
    return service.queue(call.query.status, call.query.limit, call.query.cursor)


@endpoint(bp, "/admin/identity/{user_id}/documents", auth="admin", tags=("admin",), errors_=(404,),
          summary="Short-lived presigned GETs of a user's documents; every view is audited")
def admin_documents(call: Call) -> dict:
    return service.documents(call.caller.user_id, call.path["user_id"])


@endpoint(bp, "/admin/identity/{user_id}/decision", "POST", body=Decision, auth="admin", tags=("admin",), errors_=(404, 409),
          summary="Approve or reject a submitted verification")
def admin_decision(call: Call) -> dict:
    return service.decide(call.caller.user_id, call.path["user_id"], call.body.decision, call.body.reason or None)


@endpoint(bp, "/admin/audit", query=AuditQuery, auth="admin", tags=("admin",), summary="Privileged actions: who, what, when, on whom")
def admin_audit(call: Call) -> dict:
    return service.audit_page(call.query.user_id, call.query.action, call.query.limit, call.query.cursor)


@bp.schedule(SCHEDULES["purge_identity_documents"].expression, name="purge_identity_documents")
def purge_identity_documents(event: Any) -> dict:
    """Identity documents are kept only `identity_documents_keep_days` after the decision."""
    return service.purge_documents()

"""Identity verification (KYC) routes, the admins' queue and decisions, and the audit log."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import Call

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.identity  # noqa: F401

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)
TAGS = ("identity",)


@route("/me/identity", "POST", body=lambda: schemas.identity.StartIdentity, response=lambda: schemas.identity.StartOut, status=201, tags=TAGS, errors_=(409,),
          summary="Start identity verification: presigned SSE-KMS image uploads for the document and a selfie")
def start(call: Call) -> dict:
    from chalicelib.services import identity as service

    return service.start(call.caller.user, call.body.id_type, call.body.id_number)


@route("/me/identity/submit", "POST", response=lambda: schemas.identity.Submitted, tags=TAGS, errors_=(409, 422),
          summary="Submit the uploads for review; each is checked and anything not a real image is deleted")
def submit(call: Call) -> dict:
    from chalicelib.services import identity as service

    return service.submit(call.caller.user)


@route("/me/identity", response=lambda: schemas.identity.IdentityOut, tags=TAGS, summary="Verification status; only the id number's last 4 characters")
def status(call: Call) -> dict:
    from chalicelib.services import identity as service

    return service.status_of(call.caller.user_id)


@route("/admin/identity", query=lambda: schemas.identity.QueueQuery, response=lambda: schemas.identity.QueuePage, auth="admin", tags=("admin",), summary="Identity verifications by status, oldest first")
def admin_queue(call: Call) -> dict:
    from chalicelib.services import identity as service

    return service.queue(call.query.status, call.query.limit, call.query.cursor)


@route("/admin/identity/{user_id}/documents", response=lambda: schemas.identity.IdentityDocuments, auth="admin", tags=("admin",), errors_=(404,),
          summary="Short-lived presigned GETs of a user's documents; every view is audited")
def admin_documents(call: Call) -> dict:
    from chalicelib.services import identity as service

    return service.documents(call.caller.user_id, call.path["user_id"])


@route("/admin/identity/{user_id}/decision", "POST", body=lambda: schemas.identity.IdentityDecisionIn, response=lambda: schemas.identity.IdentityDecided, auth="admin", tags=("admin",), errors_=(404, 409),
          summary="Approve or reject a submitted verification")
def admin_decision(call: Call) -> dict:
    from chalicelib.services import identity as service

    return service.decide(call.caller.user_id, call.path["user_id"], call.body.decision, call.body.reason or None)


@route("/admin/audit", query=lambda: schemas.identity.AuditQuery, response=lambda: schemas.identity.AuditPage, auth="admin", tags=("admin",), summary="Privileged actions: who, what, when, on whom")
def admin_audit(call: Call) -> dict:
    from chalicelib.services import identity as service

    return service.audit_page(call.query.user_id, call.query.action, call.query.limit, call.query.cursor)

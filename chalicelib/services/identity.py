"""Identity verification (KYC): uploads, submit, the admin queue and decisions.

S3 enforces a presigned POST's conditions in AWS, moto does not, and neither looks at
the bytes. So an upload counts only after `submit` has checked what is really there:
SSE-KMS under our key, within the size cap, and an image by its signature. Anything
else is deleted (every version) and the submit is refused.
"""
from __future__ import annotations

import uuid
from typing import Any

from chalicelib.adapters import storage
from chalicelib.core import clock, errors, privacy
from chalicelib.core.observability import logger
from chalicelib.core.resources import DOCUMENTS_BUCKET
from chalicelib.domain import identity as rules
from chalicelib.repos import audit, cursors, db, users
from chalicelib.repos import identity as repo
from chalicelib.security import vault


def start(user: users.UserItem, id_type: str, id_number: str) -> dict[str, Any]:
    profile = privacy.active()
    if id_type not in profile.identity_document_types:
        allowed = ", ".join(profile.identity_document_types)
        raise errors.BadRequest(f"Invalid body field 'id_type': accepted here are {allowed}", details={"field": "id_type"})
    current = repo.get(user.user_id)
    if current and current.status in (repo.SUBMITTED, repo.APPROVED):
        raise errors.Conflict(f"Identity verification is already {current.status}")
    if current is not None:
        _delete_documents(user.user_id, current.upload_id)  # a new attempt supersedes the old uploads
    upload_id = uuid.uuid4().hex
    repo.start(user, id_type, vault.seal(user.user_id, "id_number", id_number), upload_id)
    uploads = {
        which: storage.presigned_post(
            DOCUMENTS_BUCKET.name, repo.object_key(user.user_id, upload_id, which), "image/", rules.MAX_BYTES, rules.UPLOAD_SECONDS,
        )
        for which in repo.UPLOADS
    }
    return {"uploads": uploads, "max_bytes": rules.MAX_BYTES, "expires_in": rules.UPLOAD_SECONDS}


def _check_upload(key: str, which: str) -> None:
    problem = storage.problem_with(DOCUMENTS_BUCKET.name, key, rules.MAX_BYTES)
    if problem == storage.MISSING:
        raise errors.Conflict(f"The {which} has not been uploaded yet", details={"field": which})
    if problem is None and rules.sniff_image(storage.first_bytes(DOCUMENTS_BUCKET.name, key, rules.SNIFF_BYTES)) is None:
        problem = "is not a JPEG, PNG or WebP image"
    if problem:
        storage.delete_every_version(DOCUMENTS_BUCKET.name, key)
        raise errors.Unprocessable(f"The {which} {problem}; it was deleted, upload it again", details={"field": which})


def submit(user: users.UserItem) -> dict[str, str]:
    item = repo.get(user.user_id)
    if item is None or item.status != repo.PENDING_UPLOAD:
        raise errors.Conflict("Start identity verification first (POST /me/identity)")
    for which in repo.UPLOADS:
        _check_upload(repo.object_key(user.user_id, item.upload_id, which), which)
    try:
        repo.submit(item, user, clock.now_ts())
    except db.Conflict:
        raise errors.Conflict("The verification changed meanwhile; reload and try again") from None
    return {"status": repo.SUBMITTED}


def status_of(user_id: str) -> dict[str, Any]:
    item = repo.get(user_id)
    if item is None:
        return {"status": "none", "id_type": None, "id_number_last4": None}
    return {"status": item.status, "id_type": item.id_type, "id_number_last4": rules.last4(vault.unseal(user_id, "id_number", item.id_number_enc))}


def queue(status: str, limit: int, cursor: str | None) -> dict[str, Any]:
    items, last = repo.page(status, limit, cursors.decode(cursor))
    # a verification whose owner's key is gone (erased, and not yet unlisted) is nobody's to review
    numbers = {i.user_id: vault.readable(i.user_id, "id_number", i.id_number_enc) for i in items}
    return {
        "items": [
            {
                "user_id": i.user_id, "status": i.status, "id_type": i.id_type,
                "id_number_last4": rules.last4(numbers[i.user_id] or ""),
                "submitted_at": clock.iso(i.submitted_at) if i.submitted_at else None,
            }
            for i in items if numbers[i.user_id] is not None
        ],
        "next_cursor": cursors.encode(last),
    }


def documents(admin_id: str, user_id: str) -> dict[str, Any]:
    item = repo.get(user_id)
    if item is None or item.status == repo.PENDING_UPLOAD:
        raise errors.NotFound("No submitted identity documents for this user")
    if item.documents_purged_at:
        raise errors.NotFound("This user's identity documents were deleted when their keep period ended")
    urls, viewed = {}, []
    for which in repo.UPLOADS:
        urls[which] = storage.presigned_get(DOCUMENTS_BUCKET.name, repo.object_key(user_id, item.upload_id, which), rules.VIEW_SECONDS)
        viewed.append(audit.build(admin_id, "identity.document_viewed", user_id, {"document": which}))
    db.save_together(viewed)
    return {"documents": urls, "expires_in": rules.VIEW_SECONDS}


def decide(admin_id: str, user_id: str, decision: str, reason: str | None) -> dict[str, Any]:
    item = repo.get(user_id)
    if item is None:
        raise errors.NotFound("No identity verification for this user")
    if item.status != repo.SUBMITTED:
        raise errors.Conflict(f"The verification is {item.status}, not submitted")
    now = clock.now_ts()
    status = repo.APPROVED if decision == "approve" else repo.REJECTED
    keep = privacy.active().identity_documents_keep_days
    try:
        repo.decide(item, status, admin_id, now, vault.seal(user_id, "identity.reason", reason) if reason else None,
                    now + keep * 86400 if keep is not None else None, audit.build(admin_id, f"identity.{status}", user_id))
    except db.Conflict:
        raise errors.Conflict("Another administrator decided meanwhile") from None
    logger.info("identity decided", extra={"user_id": user_id, "decision": status})
    return {"user_id": user_id, "status": status}


def _delete_documents(user_id: str, upload_id: str) -> int:
    return sum(storage.delete_every_version(DOCUMENTS_BUCKET.name, repo.object_key(user_id, upload_id, w)) for w in repo.UPLOADS)


def purge_documents() -> dict[str, int]:
    """The scheduled job: delete the documents of every verification whose keep period
    (`identity_documents_keep_days` after the decision) has passed, every version, and
    record it. Safe to repeat: an item leaves the purge index only once its documents
    are gone, and deleting absent objects is a no-op."""
    now = clock.now_ts()
    purged = objects = 0
    for item in repo.purge_due(now):
        objects += _delete_documents(item.user_id, item.upload_id)
        try:
            repo.documents_purged(item, now, audit.build("system", "identity.documents_purged", item.user_id, {"objects": len(repo.UPLOADS)}))
        except db.Conflict:
            continue  # a new attempt replaced it meanwhile; its own decision schedules its own purge
        purged += 1
    logger.info("identity documents purged", extra={"verifications": purged, "object_versions": objects})
    return {"purged": purged, "object_versions": objects}


def audit_page(user_id: str | None, action: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    import json

    items, last = audit.page(user_id, action, limit, cursors.decode(cursor))
    return {
        "items": [
            {"entry_id": e.entry_id, "at": clock.iso(e.at), "actor_id": e.actor_id, "action": e.action,
             "subject_id": e.subject_id, "details": json.loads(e.details) if e.details else {}}
            for e in items
        ],
        "next_cursor": cursors.encode(last),
    }

"""Retention promises that need time to pass: identity documents are deleted once the
profile's keep period after the decision is over, and sign-in records (usage data)
expire after `usage_data_keep_days`. The test clock is moved forward, as
`POST /_dev/clock` does; it never goes back, so this module makes its own users."""
from __future__ import annotations

import boto3

from chalicelib.core import privacy
from chalicelib.core.resources import DOCUMENTS_BUCKET
from chalicelib.repos import identity as identity_repo
from chalicelib.repos import users
from tests.helpers import admin_token, call, register, verify_identity

DAY = 86400


def versions(prefix: str) -> list:
    listing = boto3.client("s3").list_object_versions(Bucket=DOCUMENTS_BUCKET.name, Prefix=prefix)
    return listing.get("Versions", []) + listing.get("DeleteMarkers", [])


def test_identity_documents_are_deleted_when_their_keep_period_ends(http, runtime, admin):
    keep = privacy.active().identity_documents_keep_days
    user = register(http, runtime, "freelancer")
    verify_identity(http, admin_token(http, admin), user)
    prefix = f"identity/{user['user_id']}/"
    assert len(versions(prefix)) == 2

    status, moved = call(http, "POST", "/_dev/clock", {"advance_seconds": (keep - 1) * DAY})
    assert status == 200 and len(versions(prefix)) == 2  # a day before the end: still kept

    status, moved = call(http, "POST", "/_dev/clock", {"advance_seconds": 2 * DAY})
    assert any(f["function"] == "purge_identity_documents" and f["ok"] for f in moved["fired"]), moved
    assert versions(prefix) == []  # every version, not just the current one
    item = identity_repo.get(user["user_id"])
    assert item.status == "approved" and item.documents_purged_at is not None
    assert users.get(user["user_id"]).identity_status == "approved"  # the decision stays; only the images go

    token = admin_token(http, admin)
    status, error = call(http, "GET", f"/admin/identity/{user['user_id']}/documents", token=token)
    assert status == 404 and "deleted" in error["Message"]
    assert call(http, "POST", "/_dev/jobs/purge_identity_documents")[1]["ok"] is True  # runs again: nothing left to do
    audit = call(http, "GET", f"/admin/audit?user_id={user['user_id']}&action=identity.documents_purged", token=token)[1]["items"]
    assert len(audit) == 1 and audit[0]["actor_id"] == "system"


def test_a_new_attempt_deletes_the_rejected_uploads(http, runtime, admin):
    from tests.helpers import PNG, upload

    user = register(http, runtime, "employer")
    started = call(http, "POST", "/me/identity", {"id_type": "passport", "id_number": "ZX1234567"}, token=user["token"])[1]
    for which in ("document", "selfie"):
        upload(started["uploads"][which], PNG, "image/png")
    call(http, "POST", "/me/identity/submit", token=user["token"])
    call(http, "POST", f"/admin/identity/{user['user_id']}/decision", {"decision": "reject", "reason": "blurry"}, token=admin_token(http, admin))
    first = started["uploads"]["document"]["fields"]["key"].rsplit("/", 1)[0]
    assert len(versions(first)) == 2
    assert call(http, "POST", "/me/identity", {"id_type": "passport", "id_number": "ZX1234567"}, token=user["token"])[0] == 201
    assert versions(first) == []


def test_sign_in_records_expire_after_the_usage_data_period(http, runtime):
    keep = privacy.active().usage_data_keep_days
    user = register(http, runtime, "freelancer")
    records = users.sign_ins(user["user_id"])
    assert len(records) == 1 and records[0].expires_at is not None

    call(http, "POST", "/_dev/clock", {"advance_seconds": (keep - 1) * DAY})
    runtime.drain()
    assert len(users.sign_ins(user["user_id"])) == 1

    call(http, "POST", "/_dev/clock", {"advance_seconds": 2 * DAY})
    runtime.drain()
    assert users.sign_ins(user["user_id"]) == []
    assert users.get(user["user_id"]) is not None  # only the usage data goes

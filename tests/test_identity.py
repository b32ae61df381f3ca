"""Identity verification over HTTP: SSE-KMS uploads checked for what they really are,
the admin queue, audited document views and decisions; only the last 4 characters of
the id number ever come back."""
from __future__ import annotations

import json

import boto3
import requests

from chalicelib.core.resources import DOCUMENTS_BUCKET
from tests.helpers import ID_NUMBER, JPEG, PNG, admin_token, call, register, upload


def start(client, user) -> dict:
    status, started = call(client, "POST", "/me/identity", {"id_type": "cnic", "id_number": ID_NUMBER}, token=user["token"])
    assert status == 201, started
    return started["uploads"]


def test_uploads_are_sse_kms_under_our_key_and_submit_checks_them(client, runtime, cloud):
    user = register(client, runtime)
    uploads = start(client, user)
    assert uploads["document"]["fields"]["x-amz-server-side-encryption"] == "aws:kms"
    assert user["user_id"] in uploads["document"]["fields"]["key"]
    status, error = call(client, "POST", "/me/identity/submit", token=user["token"])
    assert status == 409 and error["Details"]["field"] == "document"

    assert upload(uploads["document"], JPEG, "image/jpeg") in (200, 204)
    assert upload(uploads["selfie"], b"#!/bin/sh\necho not an image\n", "image/png") in (200, 204)
    status, error = call(client, "POST", "/me/identity/submit", token=user["token"])
    assert status == 422 and error["Details"]["field"] == "selfie"
    s3 = boto3.client("s3")
    selfie_key = uploads["selfie"]["fields"]["key"]
    assert s3.list_object_versions(Bucket=DOCUMENTS_BUCKET.name, Prefix=selfie_key).get("Versions", []) == []

    assert upload(uploads["selfie"], PNG, "image/png") in (200, 204)
    status, submitted = call(client, "POST", "/me/identity/submit", token=user["token"])
    assert status == 200 and submitted == {"status": "submitted"}
    for target in uploads.values():
        meta = s3.head_object(Bucket=DOCUMENTS_BUCKET.name, Key=target["fields"]["key"])
        assert meta["ServerSideEncryption"] == "aws:kms" and meta["SSEKMSKeyId"] == cloud["DATA_KEY_ARN"]
    status, mine = call(client, "GET", "/me/identity", token=user["token"])
    assert mine == {"status": "submitted", "id_type": "cnic", "id_number_last4": "67-1"}
    assert call(client, "GET", "/me", token=user["token"])[1]["identity"] == {"status": "submitted"}
    status, error = call(client, "POST", "/me/identity", {"id_type": "cnic", "id_number": ID_NUMBER}, token=user["token"])
    assert status == 409


def test_bad_identity_input_is_400(client, runtime):
    user = register(client, runtime)
    status, error = call(client, "POST", "/me/identity", {"id_type": "library_card", "id_number": "1234"}, token=user["token"])
    assert status == 400 and error["Details"]["field"] == "id_type"
    status, error = call(client, "POST", "/me/identity", {"id_type": "passport", "id_number": "x" * 500}, token=user["token"])
    assert status == 400 and error["Details"]["field"] == "id_number"
    assert call(client, "POST", "/me/identity", {"id_type": "passport", "id_number": "AB123456"})[0] == 401


def test_admins_review_view_audited_and_decide(client, runtime, admin):
    user = register(client, runtime)
    uploads = start(client, user)
    upload(uploads["document"], PNG, "image/png")
    upload(uploads["selfie"], JPEG, "image/jpeg")
    assert call(client, "POST", "/me/identity/submit", token=user["token"])[0] == 200
    token = admin_token(client, admin)

    assert call(client, "GET", "/admin/identity", token=user["token"])[0] == 403
    cursor, found = None, None
    while found is None:
        path = "/admin/identity?status=submitted&limit=100" + (f"&cursor={cursor}" if cursor else "")
        status, page = call(client, "GET", path, token=token)
        assert status == 200
        found = next((i for i in page["items"] if i["user_id"] == user["user_id"]), None)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert found and found["id_number_last4"] == "67-1"

    status, docs = call(client, "GET", f"/admin/identity/{user['user_id']}/documents", token=token)
    assert status == 200 and docs["expires_in"] <= 60
    assert requests.get(docs["documents"]["document"], timeout=10).content == PNG
    status, log = call(client, "GET", f"/admin/audit?user_id={user['user_id']}", token=token)
    views = [e for e in log["items"] if e["action"] == "identity.document_viewed"]
    assert sorted(e["details"]["document"] for e in views) == ["document", "selfie"]

    status, decided = call(client, "POST", f"/admin/identity/{user['user_id']}/decision", {"decision": "approve", "reason": "ok"}, token=token)
    assert status == 200 and decided["status"] == "approved"
    assert call(client, "POST", f"/admin/identity/{user['user_id']}/decision", {"decision": "reject"}, token=token)[0] == 409
    assert call(client, "GET", "/me/identity", token=user["token"])[1]["status"] == "approved"
    status, log = call(client, "GET", "/admin/audit?action=identity.approved&limit=5", token=token)
    assert status == 200 and log["items"][0]["subject_id"] == user["user_id"]
    everything = json.dumps(call(client, "GET", f"/admin/audit?user_id={user['user_id']}", token=token)[1])
    for personal in (ID_NUMBER, user["email"], user["phone"], user["full_name"]):
        assert personal not in everything
    assert call(client, "GET", "/admin/audit?cursor=%%%", token=token)[0] == 400
    assert call(client, "GET", "/admin/identity/nobody/documents", token=token)[0] == 404


def _submitted(client, runtime) -> dict:
    user = register(client, runtime)
    uploads = start(client, user)
    upload(uploads["document"], PNG, "image/png")
    upload(uploads["selfie"], JPEG, "image/jpeg")
    assert call(client, "POST", "/me/identity/submit", token=user["token"])[0] == 200
    return user


def _whole_queue(client, token, status) -> list[dict]:
    items, cursor = [], None
    while True:
        path = f"/admin/identity?status={status}&limit=100" + (f"&cursor={cursor}" if cursor else "")
        code, page = call(client, "GET", path, token=token)
        assert code == 200, page
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_an_erased_users_verification_leaves_every_admin_queue_and_cannot_be_decided_or_viewed(client, runtime, admin):
    waiting = _submitted(client, runtime)
    approved = _submitted(client, runtime)
    token = admin_token(client, admin)
    assert call(client, "POST", f"/admin/identity/{approved['user_id']}/decision", {"decision": "approve"}, token=token)[0] == 200
    for user in (waiting, approved):
        assert call(client, "POST", "/me/deletion", token=user["token"])[0] == 202
    runtime.advance_clock(14 * 86400 + 60)
    runtime.drain()

    token = admin_token(client, admin)
    erased = {waiting["user_id"], approved["user_id"]}
    for status in ("submitted", "approved"):
        assert erased.isdisjoint(i["user_id"] for i in _whole_queue(client, token, status))
    status, error = call(client, "POST", f"/admin/identity/{waiting['user_id']}/decision", {"decision": "approve"}, token=token)
    assert (status, error["Code"]) == (404, "NotFoundError")
    for user in (waiting, approved):
        assert call(client, "GET", f"/admin/identity/{user['user_id']}/documents", token=token)[0] == 404


def test_the_admin_queue_skips_a_verification_stripped_by_an_erasure_that_left_it_listed(client, runtime, admin):
    """Erasures before this fix stripped the number and left the item on the queue."""
    from chalicelib.repos import identity

    user = _submitted(client, runtime)
    item = identity.get(user["user_id"])
    item.update(actions=[identity.IdentityItem.id_number_enc.remove(), identity.IdentityItem.id_type.remove(),
                         identity.IdentityItem.upload_id.remove()])
    token = admin_token(client, admin)
    assert user["user_id"] not in {i["user_id"] for i in _whole_queue(client, token, "submitted")}
    assert call(client, "POST", f"/admin/identity/{user['user_id']}/decision", {"decision": "reject"}, token=token)[0] == 404


def test_the_admin_queue_answers_when_a_queued_users_key_is_gone(client, runtime, admin):
    """A verification still queued whose owner's data key was shredded (an erasure's last
    step, or a key removed by an operator) is left out of the queue, not a 500."""
    from chalicelib.security import vault

    user = _submitted(client, runtime)
    vault.shred(user["user_id"])
    token = admin_token(client, admin)
    assert user["user_id"] not in {i["user_id"] for i in _whole_queue(client, token, "submitted")}

"""The right of access: an export holds every category kept about the caller, as JSON and
as a PDF a person can read; links are short-lived; the export expires and is deleted."""
from __future__ import annotations

import io
import json
import re
from types import SimpleNamespace

import boto3
import pytest
import requests

from tests.helpers import admin_token, call, verified

CATEGORIES = ("account", "profile", "identity_verification", "projects", "bids", "contracts", "messages", "reviews_given",
              "reviews_received", "ledger", "receipts", "payouts", "payout_method", "consents", "sign_ins", "disclosures",
              "audit_entries")


@pytest.fixture(scope="module")
def world(http, runtime, admin):
    tok = admin_token(http, admin)
    return SimpleNamespace(admin=tok, employer=verified(http, runtime, tok, "employer"))


def test_an_export_holds_every_category_as_json_and_pdf_then_expires(http, runtime, world):
    from pypdf import PdfReader

    from tests.helpers import BANK, earn

    freelancer = earn(http, runtime, world.admin, world.employer, 10000)
    call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])
    call(http, "PUT", "/me/profile", {"headline": "Exporter", "skills": ["go"]}, token=freelancer["token"])
    cid = call(http, "GET", "/me/contracts", token=freelancer["token"])[1]["items"][0]["contract_id"]
    call(http, "POST", f"/contracts/{cid}/reviews", {"rating": 5, "comment": "Fair employer"}, token=freelancer["token"])

    status, started = call(http, "POST", "/me/exports", token=freelancer["token"])
    assert status == 202 and started["status"] == "pending"
    path = f"/me/exports/{started['export_id']}"
    assert call(http, "GET", path, token=world.employer["token"])[0] == 404
    runtime.drain()
    status, ready = call(http, "GET", path, token=freelancer["token"])
    assert status == 200 and ready["status"] == "ready" and ready["json_url"] and ready["pdf_url"] and ready["expires_at"]

    document = requests.get(ready["json_url"], timeout=10).json()
    assert document["schema_version"] == 1 and set(CATEGORIES) <= set(document["categories"])
    got = document["categories"]
    assert got["account"]["email"] == freelancer["email"] and got["account"]["phone"] == freelancer["phone"]
    assert got["identity_verification"]["status"] == "approved" and "images" in got["identity_verification"]["documents"]
    assert got["payout_method"]["account_number_last4"] == "0001" and BANK["account_number"] not in json.dumps(document)
    assert {e["kind"] for e in got["ledger"]} >= {"release", "fee"} and got["receipts"][0]["kind"] == "release"
    assert got["contracts"][0]["contract_id"] == cid and got["reviews_given"][0]["comment"] == "Fair employer"
    assert got["profile"]["published"]["headline"] == "Exporter" and got["sign_ins"]
    assert {h["purpose"] for h in got["consents"]["history"]} >= {"policy", "marketing"}

    pdf = PdfReader(io.BytesIO(requests.get(ready["pdf_url"], timeout=10).content))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for category in CATEGORIES:
        assert category.replace("_", " ").capitalize() in text, category
    assert freelancer["email"] in text

    s3 = boto3.client("s3")
    prefix = f"exports/{freelancer['user_id']}/{started['export_id']}/"
    objects = s3.list_objects_v2(Bucket="marketplace-local-exports", Prefix=prefix)["Contents"]
    assert len(objects) == 2
    for obj in objects:
        assert s3.head_object(Bucket="marketplace-local-exports", Key=obj["Key"])["ServerSideEncryption"] == "aws:kms"

    runtime.advance_clock(7 * 86400 + 60)
    runtime.drain()
    from tests.helpers import login

    token = login(http, freelancer)[1]["token"]
    status, gone = call(http, "GET", path, token=token)
    assert status == 200 and gone["status"] == "expired" and gone["json_url"] is None
    versions = s3.list_object_versions(Bucket="marketplace-local-exports", Prefix=prefix)
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")


@pytest.fixture(scope="module")
def rich(http, runtime, admin):
    from tests import everything

    return everything.build(http, runtime, admin_token(http, admin))


def _exported(http, runtime, user) -> dict:
    """Ask for an export over HTTP, let the queue build it, and read its JSON by its link."""
    from tests.helpers import login

    token = login(http, user)[1]["token"]
    status, started = call(http, "POST", "/me/exports", token=token)
    assert status == 202
    runtime.drain()
    status, ready = call(http, "GET", f"/me/exports/{started['export_id']}", token=token)
    assert status == 200 and ready["status"] == "ready", ready
    return {**requests.get(ready["json_url"], timeout=10).json(), "export_id": started["export_id"]}


def test_a_minor_with_visibilities_a_guardian_files_and_notices_gets_an_export_that_holds_them(http, runtime, rich):
    document = _exported(http, runtime, rich.employer)
    got = document["categories"]
    assert got["profile"]["visibility"] == {"headline": "public", "bio": "private", "skills": "hired"}
    assert got["account"]["guardian"] == rich.guardian
    assert [f["filename"] for f in got["project_files"]] == [f"brief-{rich.tag}.pdf"]
    assert f"Maintenance {rich.tag}" in [n["subject"] for n in got["notices"]]
    assert {n["purpose"] for n in got["notifications"]} >= {"disclosure"}


def test_the_export_holds_every_attribute_the_data_map_marks_for_export(http, runtime, rich):
    """Walk the data map over every stored item of the user's: each attribute marked for
    export, present on the item, has its value (opened, in ISO time) in the export JSON."""
    from chalicelib.domain import datamap
    from tests import everything

    for user in (rich.employer, rich.freelancer):
        document = _exported(http, runtime, user)
        shown = everything.tagged(everything.leaves(document))
        missing = []
        for item in everything.items_of(user["user_id"]):
            kind = item["kind"]
            if kind == "export" and item["export_id"] == document["export_id"]:
                continue  # an export cannot hold its own completion
            owners = [user["user_id"], *(v for v in item.values() if isinstance(v, str) and re.fullmatch(r"[0-9a-f-]{20,40}", v))]
            for attr, field in datamap.ENTITIES[kind].items():
                if not field.export or attr in datamap.KEYS or item.get(attr) is None:
                    continue
                for value in everything.expected_values(item, attr, field is datamap.WHEN, owners):
                    if everything.tagged([value]) - shown:
                        missing.append(f"{kind}.{attr}")
                        break
        assert not missing, f"{user['role']}: exported by the data map, absent from the export: {sorted(set(missing))}"


def test_every_list_in_the_export_holds_every_entry_past_the_first_page(http, runtime, admin):
    """A long-standing user: 105 consent changes and 1,005 audit entries about them are
    all in the export (no list stops at the first page of a Query)."""
    from chalicelib.repos import audit
    from tests.helpers import register

    user = register(http, runtime, "freelancer")
    for n in range(105):
        assert call(http, "PUT", "/me/consents", {"analytics": n % 2 == 0}, token=user["token"])[0] == 200
    with audit.AuditEntry.batch_write() as batch:
        for n in range(1005):
            batch.save(audit.build("support-agent", "account.viewed", user["user_id"], {"n": n}))
    got = _exported(http, runtime, user)["categories"]
    changes = [h for h in got["consents"]["history"] if h["purpose"] == "analytics" and h["source"] == "settings"]
    assert len(changes) == 105
    assert sorted(a["details"]["n"] for a in got["audit_entries"] if a["action"] == "account.viewed") == list(range(1005))

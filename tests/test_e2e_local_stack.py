"""The real local stack, started as `python -m local run` in its own process, over HTTP."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.live import Stack

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e


def _call(base: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@pytest.fixture(scope="module")
def stack():
    s = Stack().start()
    yield s
    s.stop()


def test_health_and_the_generated_openapi_document(stack):
    assert stack.startup_seconds < 60
    status, body = _call(stack.base, "GET", "/health")
    assert status == 200 and body["status"] == "ok"
    status, document = _call(stack.base, "GET", "/openapi.json")
    assert status == 200
    from openapi_spec_validator import validate

    validate(document)
    assert "/health" in document["paths"] and "/_dev/drain" in document["paths"]


def test_a_method_no_route_has_is_a_json_405_not_an_html_501(stack):
    for method in ("TRACE", "CONNECT", "BREW", "DELETE"):
        status, body = _call(stack.base, method, "/health")
        assert status == 405, method
        assert body["Code"] == "MethodNotAllowedError" and method in body["Message"]
    status, body = _call(stack.base, "GET", "/health")  # the server is still serving
    assert status == 200


def test_a_path_no_route_has_is_404_not_found_with_or_without_a_token_and_carries_cors(stack):
    for headers in ({}, {"Authorization": "Bearer x.y.z"}):
        request = urllib.request.Request(stack.base + "/no/such/path", headers={"Origin": "http://localhost:5173", **headers})
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=30)
        assert caught.value.code == 404
        assert json.load(caught.value) == {"Code": "NotFoundError", "Message": "No route matches this path"}
        assert caught.value.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


def test_a_browser_preflight_over_http_is_answered_by_the_app(stack):
    request = urllib.request.Request(stack.base + "/projects", method="OPTIONS", headers={
        "Origin": "http://127.0.0.1:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Idempotency-Key, Content-Type"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 204
        assert reply.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:3000"
        assert "idempotency-key" in reply.headers["Access-Control-Allow-Headers"].lower()
        assert "POST" in reply.headers["Access-Control-Allow-Methods"]


def test_the_aws_cli_endpoint_lists_the_provisioned_table(stack):
    tables = stack.aws("dynamodb").list_tables()["TableNames"]
    assert "marketplace-local-main" in tables


def test_a_streamed_record_reaches_its_handler_and_drain_waits_for_it(stack):
    address = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    nid = uuid.uuid4().hex
    stack.aws("dynamodb").put_item(
        TableName="marketplace-local-main",
        Item={
            "pk": {"S": f"NOTIF#{nid}"}, "sk": {"S": "NOTIF"}, "kind": {"S": "notification"},
            "notification_id": {"S": nid}, "status": {"S": "queued"}, "channel": {"S": "email"},
            "to": {"S": address}, "subject": {"S": "Hello"}, "body": {"S": "Through the stream"},
            "send_at": {"N": "0"},
        },
    )
    status, drained = _call(stack.base, "POST", "/_dev/drain")
    assert status == 200 and drained["complete"] is True
    # after drain nothing is pending: the queue is empty and the mail has gone out
    sqs = stack.aws("sqs")
    url = sqs.get_queue_url(QueueName="marketplace-local-notifications")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    status, outbox = _call(stack.base, "GET", f"/_dev/outbox?to={address}")
    assert [(m["channel"], m["subject"], m["body"]) for m in outbox["items"]] == [("email", "Hello", "Through the stream")]


def test_a_scheduled_job_fires_when_the_clock_advances(stack):
    def runs() -> int:
        items = _call(stack.base, "GET", "/_dev/jobs")[1]["items"]
        return next(j["runs"] for j in items if j["name"] == "release_due_notifications")

    before = runs()
    status, moved = _call(stack.base, "POST", "/_dev/clock", {"advance_seconds": 600})
    assert status == 200
    assert any(f["function"] == "release_due_notifications" and f["ok"] for f in moved["fired"])
    assert runs() > before
    status, error = _call(stack.base, "POST", "/_dev/clock", {"advance_seconds": -5})
    assert status == 400 and error["Code"] == "BadRequestError"


def test_invoke_runs_one_function_with_an_event_file(stack):
    from app import app

    names = sorted(p.stem for p in (ROOT / "events").glob("*.json"))
    assert set(names) == {s.name for s in app.event_sources}, "every non-HTTP function has a sample event, and only those"
    for name in names:
        out = subprocess.run(
            [sys.executable, "-m", "local", "invoke", name, "-e", f"events/{name}.json"],
            cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=60,
        )
        assert out.returncode == 0, out.stderr
    assert '"released"' in subprocess.run(
        [sys.executable, "-m", "local", "invoke", "release_due_notifications", "-e", "events/release_due_notifications.json"],
        cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=60,
    ).stdout


def test_an_account_end_to_end_with_encrypted_storage_and_sse_kms_documents(stack):
    import re

    import requests

    email, phone = f"e2e-{uuid.uuid4().hex[:8]}@example.com", "+1415" + str(uuid.uuid4().int)[:7]
    status, created = _call(stack.base, "POST", "/auth/signup", {
        "email": email, "password": "Correct-Horse-9", "role": "employer", "full_name": "End To End",
        "phone": phone, "date_of_birth": "1988-08-08", "accepted_policy_version": "1.0",
    })
    assert status == 201, created
    assert _call(stack.base, "POST", "/_dev/drain")[1]["complete"] is True
    sms = _call(stack.base, "GET", f"/_dev/outbox?to=%2B{phone[1:]}")[1]["items"]
    code = re.search(r"\d{6}", sms[-1]["body"]).group(0)
    assert _call(stack.base, "POST", "/auth/verify-phone", {"email": email, "code": code})[0] == 200
    status, session = _call(stack.base, "POST", "/auth/login", {"email": email, "password": "Correct-Horse-9"})
    assert status == 200
    auth = {"Authorization": f"Bearer {session['token']}"}
    me = requests.get(stack.base + "/me", headers=auth, timeout=10).json()
    assert (me["email"], me["phone"], me["date_of_birth"]) == (email, phone, "1988-08-08")
    started = requests.post(stack.base + "/me/identity", json={"id_type": "passport", "id_number": "AB9876543"}, headers=auth, timeout=10)
    assert started.status_code == 201
    for which, content in (("document", b"\x89PNG\r\n\x1a\n" + bytes(32)), ("selfie", b"\xff\xd8\xff\xe0" + bytes(32))):
        target = started.json()["uploads"][which]
        fields = {**target["fields"], "Content-Type": "image/png"}
        assert requests.post(target["url"], data=fields, files={"file": ("f", content)}, timeout=10).status_code in (200, 204)
    submitted = requests.post(stack.base + "/me/identity/submit", headers=auth, timeout=10)
    assert submitted.status_code == 200, submitted.text

    raw = stack.aws("dynamodb").query(
        TableName="marketplace-local-main", KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"USER#{session['user_id']}"}},
    )["Items"]
    dumped = json.dumps(raw)
    for secret in (email, phone, phone[1:], "1988-08-08", "AB9876543", "End To End"):
        assert secret not in dumped
    s3 = stack.aws("s3")
    key_arn = stack.aws("kms").describe_key(KeyId="alias/marketplace-local-data")["KeyMetadata"]["Arn"]
    listed = s3.list_objects_v2(Bucket="marketplace-local-documents", Prefix=f"identity/{session['user_id']}/")["Contents"]
    assert len(listed) == 2
    for obj in listed:
        meta = s3.head_object(Bucket="marketplace-local-documents", Key=obj["Key"])
        assert meta["ServerSideEncryption"] == "aws:kms" and meta["SSEKMSKeyId"] == key_arn


def _as(stack: Stack, token: str | None, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    import requests

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    reply = requests.request(method, stack.base + path, json=body, headers=headers, timeout=30)
    return reply.status_code, reply.json()


def _keyed(stack: Stack, token: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """A POST with a fresh Idempotency-Key (money routes)."""
    import requests

    reply = requests.post(stack.base + path, json=body, timeout=30,
                          headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
    return reply.status_code, reply.json()


def _member(stack: Stack, role: str, full_name: str, admin_token: str) -> dict:
    """Sign up, verify the phone from the outbox, sign in, pass identity verification."""
    import re

    import requests

    email, phone = f"e2e-{uuid.uuid4().hex[:8]}@example.com", "+1415" + str(uuid.uuid4().int)[:7]
    status, created = _call(stack.base, "POST", "/auth/signup", {
        "email": email, "password": "Correct-Horse-9", "role": role, "full_name": full_name,
        "phone": phone, "date_of_birth": "1988-08-08", "accepted_policy_version": "1.0",
    })
    assert status == 201, created
    _call(stack.base, "POST", "/_dev/drain")
    code = re.search(r"\d{6}", _call(stack.base, "GET", f"/_dev/outbox?to=%2B{phone[1:]}")[1]["items"][-1]["body"]).group(0)
    assert _call(stack.base, "POST", "/auth/verify-phone", {"email": email, "code": code})[0] == 200
    session = _call(stack.base, "POST", "/auth/login", {"email": email, "password": "Correct-Horse-9"})[1]
    status, started = _as(stack, session["token"], "POST", "/me/identity", {"id_type": "passport", "id_number": "AB9876543"})
    for which in ("document", "selfie"):
        target = started["uploads"][which]
        sent = requests.post(target["url"], data={**target["fields"], "Content-Type": "image/png"},
                             files={"file": ("f", b"\x89PNG\r\n\x1a\n" + bytes(32))}, timeout=10)
        assert sent.status_code in (200, 204)
    assert _as(stack, session["token"], "POST", "/me/identity/submit")[0] == 200
    assert _as(stack, admin_token, "POST", f"/admin/identity/{session['user_id']}/decision", {"decision": "approve"})[0] == 200
    return {"email": email, "phone": phone, "full_name": full_name, "token": session["token"], "user_id": session["user_id"]}


def test_the_marketplace_end_to_end(stack):
    admin = _call(stack.base, "POST", "/auth/login", {"email": "admin@local.test", "password": "Admin-Passw0rd!"})[1]["token"]
    employer = _member(stack, "employer", "Emma Employer", admin)
    ada = _member(stack, "freelancer", "Ada Freelancer", admin)
    alan = _member(stack, "freelancer", "Alan Freelancer", admin)
    outsider = _member(stack, "employer", "Olive Outsider", admin)
    for person, headline in ((ada, "Static sites"), (alan, "Web apps")):
        assert _as(stack, person["token"], "PUT", "/me/profile", {"headline": headline, "skills": ["html"]}) == (200, {"status": "published"})

    money = {"amount": 75000, "currency": "USD"}
    status, project = _as(stack, employer["token"], "POST", "/projects", {"title": "Company site", "description": "Five pages", "budget": money})
    assert status == 201
    pid = project["project_id"]
    bids = {}
    for person in (ada, alan):
        status, bid = _as(stack, person["token"], "POST", f"/projects/{pid}/bids",
                          {"amount": money, "cover_letter": f"{person['full_name']} can do it", "delivery_days": 10})
        assert status == 201, bid
        bids[person["user_id"]] = bid["bid_id"]

    status, listed = _as(stack, employer["token"], "GET", f"/projects/{pid}/bids")
    assert status == 200 and {b["freelancer"]["user_id"] for b in listed["items"]} == set(bids)
    assert {b["freelancer"]["headline"] for b in listed["items"]} == {"Static sites", "Web apps"}
    for person in (ada, alan):
        assert person["email"] not in json.dumps(listed) and person["phone"] not in json.dumps(listed)

    status, accepted = _as(stack, employer["token"], "POST", f"/projects/{pid}/bids/{bids[ada['user_id']]}/accept")
    assert status == 201
    cid = accepted["contract_id"]
    seen_by_employer = _as(stack, employer["token"], "GET", f"/contracts/{cid}")[1]
    seen_by_ada = _as(stack, ada["token"], "GET", f"/contracts/{cid}")[1]
    assert (seen_by_employer["freelancer"]["email"], seen_by_employer["freelancer"]["phone"]) == (ada["email"], ada["phone"])
    assert (seen_by_ada["employer"]["email"], seen_by_ada["employer"]["phone"]) == (employer["email"], employer["phone"])
    assert _as(stack, alan["token"], "GET", "/me/bids")[1]["items"][0]["status"] == "rejected"

    assert _as(stack, employer["token"], "POST", f"/contracts/{cid}/messages", {"body": "Welcome aboard"})[0] == 201
    assert _as(stack, ada["token"], "POST", f"/contracts/{cid}/messages", {"body": "Thanks, starting today"})[0] == 201
    chat = _as(stack, ada["token"], "GET", f"/contracts/{cid}/messages")[1]["items"]
    assert [m["body"] for m in chat] == ["Thanks, starting today", "Welcome aboard"]

    # the other employer sees nothing of any of it
    for path in (f"/projects/{pid}", f"/projects/{pid}/bids", f"/projects/{pid}/files", f"/contracts/{cid}", f"/contracts/{cid}/messages"):
        assert _as(stack, outsider["token"], "GET", path)[0] == 404, path
    assert pid not in json.dumps(_as(stack, outsider["token"], "GET", "/projects")[1])
    assert _as(stack, None, "GET", f"/projects/{pid}")[0] == 404

    # what DynamoDB holds of the chat and the bids is ciphertext
    raw = json.dumps(stack.aws("dynamodb").query(
        TableName="marketplace-local-main", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": f"CONTRACT#{cid}"}},
    )["Items"]) + json.dumps(stack.aws("dynamodb").query(
        TableName="marketplace-local-main", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": f"PROJECT#{pid}"}},
    )["Items"])
    for text in ("Welcome aboard", "starting today", "can do it"):
        assert text not in raw


def test_money_end_to_end(stack):
    """Fund, complete, the wallet shows the release less the fee, a bank payout is paid
    after a drain; a payout to an account ending in 0002 fails and the money is back."""

    from tests.helpers import assert_books_balance

    admin = _call(stack.base, "POST", "/auth/login", {"email": "admin@local.test", "password": "Admin-Passw0rd!"})[1]["token"]
    employer = _member(stack, "employer", "Maya Employer", admin)
    worker = _member(stack, "freelancer", "Wes Freelancer", admin)
    price = {"amount": 250000, "currency": "INR"}
    pid = _as(stack, employer["token"], "POST", "/projects", {"title": "Invoice tool", "description": "Small app", "budget": price})[1]["project_id"]
    bid = _as(stack, worker["token"], "POST", f"/projects/{pid}/bids", {"amount": price, "cover_letter": "Can do", "delivery_days": 9})[1]
    cid = _as(stack, employer["token"], "POST", f"/projects/{pid}/bids/{bid['bid_id']}/accept")[1]["contract_id"]

    assert _as(stack, employer["token"], "POST", f"/contracts/{cid}/complete")[1]["Code"] == "EscrowNotFunded"
    status, funding = _keyed(stack, employer["token"], f"/contracts/{cid}/fund")
    assert (status, funding["escrow_status"]) == (202, "pending")
    assert _call(stack.base, "POST", "/_dev/drain")[1]["complete"] is True
    assert _as(stack, worker["token"], "GET", f"/contracts/{cid}")[1]["escrow_status"] == "funded"
    status, done = _as(stack, employer["token"], "POST", f"/contracts/{cid}/complete")
    assert status == 200 and done["escrow_status"] == "released"
    fee_bps = _call(stack.base, "GET", "/policies/profile")[1]["platform_fee_bps"]
    net = 250000 - (250000 * fee_bps + 5000) // 10000
    wallet = _as(stack, worker["token"], "GET", "/me/wallet")[1]
    assert wallet["balance"] == {"amount": net, "currency": "INR"}
    assert {e["kind"] for e in wallet["ledger"]} == {"release", "fee"}

    bank = {"type": "bank", "account_holder": "Wes Freelancer", "account_number": "50100012345671", "ifsc": "HDFC0000123",
            "branch_name": "Andheri"}
    assert _as(stack, worker["token"], "PUT", "/me/payout-method", bank)[1]["account_number_last4"] == "5671"
    status, paid = _keyed(stack, worker["token"], "/me/payouts", {"amount": {"amount": 100000, "currency": "INR"}})
    assert (status, paid["status"]) == (202, "pending")
    assert _call(stack.base, "POST", "/_dev/drain")[1]["complete"] is True
    payouts = _as(stack, worker["token"], "GET", "/me/payouts")[1]["items"]
    assert (payouts[0]["payout_id"], payouts[0]["status"]) == (paid["payout_id"], "paid")

    assert _as(stack, worker["token"], "PUT", "/me/payout-method", {**bank, "account_number": "50100012340002"})[0] == 200
    status, failing = _keyed(stack, worker["token"], "/me/payouts", {"amount": {"amount": 50000, "currency": "INR"}})
    assert status == 202
    assert _as(stack, worker["token"], "GET", "/me/wallet")[1]["balance"]["amount"] == net - 150000
    assert _call(stack.base, "POST", "/_dev/drain")[1]["complete"] is True
    payouts = _as(stack, worker["token"], "GET", "/me/payouts")[1]["items"]
    assert (payouts[0]["payout_id"], payouts[0]["status"]) == (failing["payout_id"], "failed")
    wallet = _as(stack, worker["token"], "GET", "/me/wallet")[1]
    assert (wallet["balance"]["amount"], wallet["held"]["amount"]) == (net - 100000, 0)
    assert assert_books_balance(stack.aws("dynamodb"))["INR"] >= 8


def test_concurrent_payouts_over_http_move_money_exactly_once(stack):
    """50 identical requests with one key make one payout; 50 with distinct keys against
    a balance that covers exactly 10 make exactly 10, the rest 409 InsufficientFunds."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from tests.helpers import assert_books_balance

    admin = _call(stack.base, "POST", "/auth/login", {"email": "admin@local.test", "password": "Admin-Passw0rd!"})[1]["token"]
    employer = _member(stack, "employer", "Cora Employer", admin)
    worker = _member(stack, "freelancer", "Finn Freelancer", admin)
    price = {"amount": 101000, "currency": "USD"}  # 90,900 after the 10% fee: one of 900, then ten of 9,000
    pid = _as(stack, employer["token"], "POST", "/projects", {"title": "Load test", "description": "x", "budget": price})[1]["project_id"]
    bid = _as(stack, worker["token"], "POST", f"/projects/{pid}/bids", {"amount": price, "cover_letter": "ok", "delivery_days": 3})[1]
    cid = _as(stack, employer["token"], "POST", f"/projects/{pid}/bids/{bid['bid_id']}/accept")[1]["contract_id"]
    fund = requests.post(f"{stack.base}/contracts/{cid}/fund", timeout=30,
                         headers={"Authorization": f"Bearer {employer['token']}", "Idempotency-Key": uuid.uuid4().hex})
    assert fund.status_code == 202
    _call(stack.base, "POST", "/_dev/drain")
    assert _as(stack, employer["token"], "POST", f"/contracts/{cid}/complete")[0] == 200
    bank = {"type": "bank", "account_holder": "Finn", "account_number": "123450000001", "ifsc": "ICIC0000001"}
    assert _as(stack, worker["token"], "PUT", "/me/payout-method", bank)[0] == 200

    def payout(amount: int, key: str) -> tuple[int, dict]:
        reply = requests.post(f"{stack.base}/me/payouts", json={"amount": {"amount": amount, "currency": "USD"}}, timeout=60,
                              headers={"Authorization": f"Bearer {worker['token']}", "Idempotency-Key": key})
        return reply.status_code, reply.json()

    same = uuid.uuid4().hex
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: payout(900, same), range(50)))
    assert {s for s, _ in answers} == {202} and len({a["payout_id"] for _, a in answers}) == 1
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: payout(9000, uuid.uuid4().hex), range(50)))
    assert sorted(s for s, _ in answers) == [202] * 10 + [409] * 40
    assert {a["Code"] for s, a in answers if s == 409} == {"InsufficientFunds"}
    wallet = _as(stack, worker["token"], "GET", "/me/wallet")[1]
    # the stack settles payouts in the background too: whatever is not held yet was paid
    assert wallet["balance"]["amount"] == 0 and wallet["held"]["amount"] in range(0, 90901, 900)
    assert _call(stack.base, "POST", "/_dev/drain")[1]["complete"] is True
    wallet = _as(stack, worker["token"], "GET", "/me/wallet")[1]
    assert (wallet["balance"]["amount"], wallet["held"]["amount"]) == (0, 0)
    paid = [p for p in _as(stack, worker["token"], "GET", "/me/payouts?limit=100")[1]["items"] if p["status"] == "paid"]
    assert len(paid) == 11
    assert_books_balance(stack.aws("dynamodb"))


def test_privacy_rights_end_to_end_export_deletion_blocked_then_erased_and_the_sweep_finds_nothing(stack):
    """A freelancer with a funded, completed contract, chat, reviews, an identity document,
    a payout method and consents exports their data, is blocked from deletion by the
    wallet and then by the pending payout, deletes, cancels, deletes again, waits out the
    grace period; afterwards nothing of them is left anywhere."""
    import io

    import requests
    from pypdf import PdfReader

    from tests.helpers import assert_books_balance, sweep, text_tag

    admin = _call(stack.base, "POST", "/auth/login", {"email": "admin@local.test", "password": "Admin-Passw0rd!"})[1]["token"]
    employer = _member(stack, "employer", "Hana Employer", admin)
    name = f"Ivo Leaving {text_tag(5)}"
    worker = _member(stack, "freelancer", name, admin)
    bank_number = "4455" + str(uuid.uuid4().int)[:8]
    price = {"amount": 50000, "currency": "USD"}
    pid = _as(stack, employer["token"], "POST", "/projects", {"title": "Shop", "description": "x", "budget": price})[1]["project_id"]
    bid = _as(stack, worker["token"], "POST", f"/projects/{pid}/bids", {"amount": price, "cover_letter": "Ready", "delivery_days": 4})[1]
    cid = _as(stack, employer["token"], "POST", f"/projects/{pid}/bids/{bid['bid_id']}/accept")[1]["contract_id"]
    assert _keyed(stack, employer["token"], f"/contracts/{cid}/fund")[0] == 202
    _call(stack.base, "POST", "/_dev/drain")
    _as(stack, worker["token"], "POST", f"/contracts/{cid}/messages", {"body": f"Regards, {name}"})
    _as(stack, employer["token"], "POST", f"/contracts/{cid}/messages", {"body": "Thanks"})
    assert _as(stack, employer["token"], "POST", f"/contracts/{cid}/complete")[0] == 200
    _as(stack, worker["token"], "POST", f"/contracts/{cid}/reviews", {"rating": 5, "comment": "Clear brief"})
    _as(stack, employer["token"], "POST", f"/contracts/{cid}/reviews", {"rating": 5, "comment": "Great work"})
    bank = {"type": "bank", "account_holder": name, "account_number": bank_number, "ifsc": "SBIN0000001"}
    assert _as(stack, worker["token"], "PUT", "/me/payout-method", bank)[0] == 200
    assert _as(stack, worker["token"], "PUT", "/me/consents", {"marketing": True, "analytics": True})[0] == 200

    export_id = _as(stack, worker["token"], "POST", "/me/exports")[1]["export_id"]
    _call(stack.base, "POST", "/_dev/drain")
    ready = _as(stack, worker["token"], "GET", f"/me/exports/{export_id}")[1]
    document = requests.get(ready["json_url"], timeout=10).json()
    assert document["categories"]["account"]["email"] == worker["email"] and document["categories"]["messages"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(requests.get(ready["pdf_url"], timeout=10).content)).pages)
    assert all(c.replace("_", " ").capitalize() in text for c in document["categories"])

    status, refused = _as(stack, worker["token"], "POST", "/me/deletion")
    assert status == 409 and [b["type"] for b in refused["Details"]["blockers"]] == ["wallet_balance"]
    assert _keyed(stack, worker["token"], "/me/payouts", {"amount": {"amount": 45000, "currency": "USD"}})[0] == 202
    status, refused = _as(stack, worker["token"], "POST", "/me/deletion")
    assert status == 409 and [b["type"] for b in refused["Details"]["blockers"]] == ["pending_payout"]
    _call(stack.base, "POST", "/_dev/drain")
    assert _as(stack, worker["token"], "POST", "/me/deletion")[0] == 202
    assert _as(stack, worker["token"], "DELETE", "/me/deletion")[0] == 200
    status, scheduled = _as(stack, worker["token"], "POST", "/me/deletion")
    assert status == 202

    assert _call(stack.base, "POST", "/_dev/clock", {"advance_seconds": 14 * 86400 + 60})[0] == 200
    assert _call(stack.base, "POST", "/_dev/drain")[1]["complete"] is True
    assert _call(stack.base, "POST", "/auth/login", {"email": worker["email"], "password": "Correct-Horse-9"})[0] != 200
    employer_token = _call(stack.base, "POST", "/auth/login", {"email": employer["email"], "password": "Correct-Horse-9"})[1]["token"]
    assert _as(stack, employer_token, "GET", f"/users/{worker['user_id']}/profile")[0] == 404
    seen = _as(stack, employer_token, "GET", f"/contracts/{cid}")[1]
    assert seen["freelancer"]["full_name"] == "Deleted user" and seen["freelancer"]["email"] is None
    receipt = _call(stack.base, "GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")[1]
    assert receipt["status"] == "erased" and any("accounting" in k["reason"] for k in receipt["kept"])
    assert worker["email"] not in json.dumps(receipt) and worker["user_id"] not in json.dumps(receipt)
    assert_books_balance(stack.aws("dynamodb"))
    needles = [worker["email"], worker["phone"], worker["phone"].lstrip("+"), name, bank_number, "AB9876543"]
    assert sweep(needles, stack.logs(), endpoint=f"http://127.0.0.1:{stack.aws_port}") == []


def test_forty_simultaneous_accepts_over_http_on_four_bids_make_exactly_one_contract(stack):
    """The accept race at a higher count, through the real server's threads."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.live import Api

    api = Api(stack)
    employer = api.member("employer")
    money = {"amount": 2500, "currency": "USD"}
    status, project = api.call("POST", "/projects", {"title": "Raced project", "description": "Who wins?", "budget": money},
                               employer["token"])
    assert status == 201, project
    bids = []
    for _ in range(4):
        bidder = api.member("freelancer")
        status, bid = api.call("POST", f"/projects/{project['project_id']}/bids",
                               {"amount": money, "cover_letter": "Me", "delivery_days": 3}, bidder["token"])
        assert status == 201, bid
        bids.append(bid["bid_id"])

    def accept(i: int) -> tuple[int, dict]:
        return Api(stack).call("POST", f"/projects/{project['project_id']}/bids/{bids[i % 4]}/accept", None, employer["token"])

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(accept, range(40)))
    assert sorted(s for s, _ in results) == [201] + [409] * 39, results
    contracts = api.get("/me/contracts", employer["token"])["items"]
    assert len(contracts) == 1 and contracts[0]["contract_id"] == next(b for s, b in results if s == 201)["contract_id"]
    states = sorted(b["status"] for b in api.get(f"/projects/{project['project_id']}/bids", employer["token"])["items"])
    assert states == ["accepted", "rejected", "rejected", "rejected"]


def test_a_port_in_use_gets_a_clear_message_and_ctrl_c_stops_everything(stack):  # stops the module's stack: keep it last
    second = subprocess.run(
        [sys.executable, "-m", "local", "run"], cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=60,
    )
    assert second.returncode == 2
    assert str(stack.api_port) in second.stderr and "Traceback" not in second.stderr

    before = stack.err_path.stat().st_size
    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=20) == 0
    assert "Traceback" not in stack.err_path.read_text(errors="replace")[before:]
    with pytest.raises(OSError):
        _call(stack.base, "GET", "/health")

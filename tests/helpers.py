"""Helpers that act as a frontend would: over HTTP, reading codes from the outbox."""
from __future__ import annotations

import json
import re
import secrets
import string
import uuid
from datetime import date
from typing import Any

from tests import pii

PASSWORD = "Correct-Horse-9"


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def call(client: Any, method: str, path: str, payload: Any = None, token: str | None = None, headers: dict | None = None) -> tuple[int, Any]:
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    data = payload if isinstance(payload, (str, bytes)) or payload is None else json.dumps(payload)
    response = getattr(client, method.lower())(path, headers=h, body=data) if data is not None else getattr(client, method.lower())(path, headers=h)
    return response.status_code, body(response)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def text_tag(length: int = 6) -> str:
    """A random tag for free text: letters only, because digits in a title or a name can read as a phone number."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))


def unique_phone() -> str:
    return "+1415" + str(uuid.uuid4().int)[:7]


def years_ago(years: int, days: int = 0) -> str:
    today = date.today()
    from datetime import timedelta

    return (today.replace(year=today.year - years) - timedelta(days=days)).isoformat()


def signup_payload(role: str = "freelancer", **over: Any) -> dict[str, Any]:
    payload = {
        "email": unique_email(role),
        "password": PASSWORD,
        "role": role,
        "full_name": "Ada Lovelace",
        "phone": unique_phone(),
        "date_of_birth": years_ago(30),
        "accepted_policy_version": "1.0",
    }
    payload.update(over)
    pii.remember_user(payload)
    return payload


def otp_from_outbox(client: Any, runtime: Any, phone: str) -> str:
    drained = runtime.drain()
    status, outbox = call(client, "GET", f"/_dev/outbox?to={phone.replace('+', '%2B')}")
    from local import outbox as sent

    assert status == 200 and outbox["items"], f"no SMS for {phone}: {list(runtime.failures)[-3:]} {sent.messages(None)[-2:]} {drained}"
    return re.search(r"\b(\d{6})\b", outbox["items"][-1]["body"]).group(1)


def register(client: Any, runtime: Any, role: str = "freelancer", **over: Any) -> dict[str, Any]:
    """Sign up, verify the phone, sign in. Returns the payload plus user_id and token."""
    payload = signup_payload(role, **over)
    status, created = call(client, "POST", "/auth/signup", payload)
    assert status == 201, created
    code = otp_from_outbox(client, runtime, payload["phone"])
    status, verified = call(client, "POST", "/auth/verify-phone", {"email": payload["email"], "code": code})
    assert status == 200, verified
    status, session = call(client, "POST", "/auth/login", {"email": payload["email"], "password": payload["password"]})
    assert status == 200, session
    return {**payload, **session}


# --- identity verification, as the user and an admin would do it ----------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
ID_NUMBER = "35202-1234567-1"
pii.remember(ID_NUMBER, "AB1234567")


def admin_token(client: Any, admin: tuple[str, str]) -> str:
    status, session = call(client, "POST", "/auth/login", {"email": admin[0], "password": admin[1]})
    assert status == 200 and session["role"] == "admin"
    return session["token"]


def upload(target: dict, content: bytes, content_type: str) -> int:
    import requests

    fields = {**target["fields"], "Content-Type": content_type}
    return requests.post(target["url"], data=fields, files={"file": ("upload", content, content_type)}, timeout=10).status_code


def verify_identity(client: Any, admin_tok: str, user: dict[str, Any]) -> None:
    """Upload a document and a selfie, submit, and have an admin approve."""
    status, started = call(client, "POST", "/me/identity", {"id_type": "passport", "id_number": "AB1234567"}, token=user["token"])
    assert status == 201, started
    for which in ("document", "selfie"):
        assert upload(started["uploads"][which], PNG, "image/png") in (200, 204)
    status, submitted = call(client, "POST", "/me/identity/submit", token=user["token"])
    assert status == 200, submitted
    status, decided = call(client, "POST", f"/admin/identity/{user['user_id']}/decision", {"decision": "approve"}, token=admin_tok)
    assert status == 200, decided


def verified(client: Any, runtime: Any, admin_tok: str, role: str, **over: Any) -> dict[str, Any]:
    user = register(client, runtime, role, **over)
    verify_identity(client, admin_tok, user)
    return user


# --- the marketplace: projects, bids, contracts, as an employer and a freelancer would --------
# One copy of each builder for every test file (a file passes only what its tests look at).

BUDGET = {"amount": 50000, "currency": "USD"}
COVER_LETTER = "I have built many of these."


def post_project(client: Any, employer: dict[str, Any], amount: int | None = None, currency: str = "USD", **over: Any) -> str:
    """A project posted by `employer` (201, open): budget `amount` (else `BUDGET`), any field in `over`."""
    budget = BUDGET if amount is None else {"amount": amount, "currency": currency}
    payload = {"title": "Build a landing page", "description": "A fast static site.", "budget": budget, "skills": ["html"], **over}
    status, created = call(client, "POST", "/projects", payload, token=employer["token"])
    assert status == 201 and created["status"] == "open", created
    return created["project_id"]


def bid(client: Any, freelancer: dict[str, Any], project_id: str, amount: int = 40000, currency: str = "USD",
        letter: str = COVER_LETTER, days: int = 7) -> tuple[int, Any]:
    """A bid as `freelancer`: (status, answer), whatever the answer."""
    payload = {"amount": {"amount": amount, "currency": currency}, "cover_letter": letter, "delivery_days": days}
    return call(client, "POST", f"/projects/{project_id}/bids", payload, token=freelancer["token"])


def place_bid(client: Any, freelancer: dict[str, Any], project_id: str, amount: int = 40000, letter: str = COVER_LETTER) -> str:
    """A bid that must be taken (201): its id."""
    status, placed = bid(client, freelancer, project_id, amount, letter=letter)
    assert status == 201, placed
    return placed["bid_id"]


def accept(client: Any, employer: dict[str, Any], project_id: str, bid_id: str) -> tuple[int, Any]:
    return call(client, "POST", f"/projects/{project_id}/bids/{bid_id}/accept", token=employer["token"])


def hire(client: Any, employer: dict[str, Any], freelancer: dict[str, Any], amount: int | None = None) -> tuple[str, str]:
    """A project of the employer with the freelancer's bid accepted: (project_id, contract_id).
    With `amount`, the budget and the bid are both that amount (the contract's)."""
    project_id = post_project(client, employer, amount)
    bid_id = place_bid(client, freelancer, project_id, 40000 if amount is None else amount)
    status, accepted = accept(client, employer, project_id, bid_id)
    assert status == 201, accepted
    return project_id, accepted["contract_id"]


def contract(client: Any, employer: dict[str, Any], freelancer: dict[str, Any], amount: int) -> str:
    """An active, unfunded contract of `amount` USD between them: its id."""
    return hire(client, employer, freelancer, amount)[1]


# --- money ---------------------------------------------------------------------------------

def assert_books_balance(ddb: Any = None, table: str = "marketplace-local-main") -> dict[str, int]:
    """The ledger's invariants, checked over the whole table (a test may Scan; the product
    never does): every movement's entries sum to zero, all entries together sum to zero
    per currency, and every account's balance equals the sum of its entries and is not
    below zero where it may not be. Returns the number of entries per currency."""
    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    ddb = ddb or boto3.client("dynamodb")
    plain = TypeDeserializer()
    items: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(
        TableName=table, FilterExpression="#k IN (:e, :a)", ExpressionAttributeNames={"#k": "kind"},
        ExpressionAttributeValues={":e": {"S": "ledger_entry"}, ":a": {"S": "ledger_account"}},
    ):
        items += [{k: plain.deserialize(v) for k, v in item.items()} for item in page["Items"]]
    entries = [i for i in items if i["kind"] == "ledger_entry"]
    accounts = [i for i in items if i["kind"] == "ledger_account"]
    per_movement: dict[str, int] = {}
    per_currency: dict[str, int] = {}
    per_account: dict[tuple[str, str], int] = {}
    counts: dict[str, int] = {}
    for e in entries:
        per_movement[e["movement_id"]] = per_movement.get(e["movement_id"], 0) + int(e["amount"])
        per_currency[e["currency"]] = per_currency.get(e["currency"], 0) + int(e["amount"])
        key = (e["pk"], f"LEDGER#{e['account']}#{e['currency']}")
        per_account[key] = per_account.get(key, 0) + int(e["amount"])
        counts[e["currency"]] = counts.get(e["currency"], 0) + 1
    assert {m: t for m, t in per_movement.items() if t} == {}, "a movement does not sum to zero"
    assert {c: t for c, t in per_currency.items() if t} == {}, "the books do not balance"
    for account in accounts:
        key = (account["pk"], account["sk"])
        assert int(account["balance"]) == per_account.get(key, 0), f"{key}: balance {account['balance']} != entries {per_account.get(key, 0)}"
        if account["account"] in ("wallet", "held", "escrow"):
            assert int(account["balance"]) >= 0, f"{key} went below zero"
    assert set(per_account) <= {(a["pk"], a["sk"]) for a in accounts}, "entries of an account that does not exist"
    return counts


def wallet(client: Any, user: dict[str, Any], currency: str = "USD") -> dict[str, Any]:
    status, found = call(client, "GET", f"/me/wallet?currency={currency}&limit=100", token=user["token"])
    assert status == 200, found
    return found


def fund(client: Any, runtime: Any, employer: dict[str, Any], contract_id: str) -> None:
    """Fund a contract's escrow as its employer and let the gateway sandbox settle it."""
    status, answer = call(client, "POST", f"/contracts/{contract_id}/fund", token=employer["token"],
                          headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 202, answer
    runtime.drain()


BANK = {"type": "bank", "account_holder": "Ada Freelancer", "account_number": "123456780001", "ifsc": "HDFC0001234",
        "branch_name": "Fort, Mumbai"}
FAILING_BANK = {**BANK, "account_number": "987654320002"}  # the gateway sandbox fails payouts to it
pii.remember(BANK["account_number"], BANK["account_holder"], FAILING_BANK["account_number"])


def idempotency_key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def funded(client: Any, runtime: Any, employer: dict[str, Any], freelancer: dict[str, Any], amount: int) -> str:
    """A contract of `amount` whose escrow the gateway sandbox has funded: its id."""
    cid = contract(client, employer, freelancer, amount)
    status, answer = call(client, "POST", f"/contracts/{cid}/fund", token=employer["token"], headers=idempotency_key())
    assert status == 202 and answer["escrow_status"] == "pending", answer
    runtime.drain()
    assert call(client, "GET", f"/contracts/{cid}", token=employer["token"])[1]["escrow_status"] == "funded"
    return cid


def earn(client: Any, runtime: Any, admin_tok: str, employer: dict[str, Any], amount: int) -> dict[str, Any]:
    """A fresh verified freelancer whose completed contract put `amount` less the fee in their wallet."""
    freelancer = verified(client, runtime, admin_tok, "freelancer")
    cid = funded(client, runtime, employer, freelancer, amount)
    status, done = call(client, "POST", f"/contracts/{cid}/complete", token=employer["token"])
    assert status == 200 and done["escrow_status"] == "released", done
    return freelancer


# --- erasure: the sweep ----------------------------------------------------------------------

def sweep(needles: list[str], logs: str = "", endpoint: str | None = None) -> list[str]:
    """Look for each needle (a user's email, phone, name, identity or bank account number)
    in every item of every table, every version of every object of every bucket (keys and
    content), every message of every queue and DLQ, every Cognito user's attributes and
    the captured log lines. Returns where each was found ("needle @ place"); [] is the proof.
    A test may Scan: the product never does."""
    if endpoint is None:
        return _sweep_in_process(needles, logs)
    import boto3

    def client(service: str):
        return boto3.client(service, endpoint_url=endpoint) if endpoint else boto3.client(service)

    needles = [n for n in dict.fromkeys(needles) if n]
    found: list[str] = []

    def look(where: str, text: str) -> None:
        found.extend(f"{n} @ {where}" for n in needles if n in text)

    ddb = client("dynamodb")
    for table in ddb.list_tables()["TableNames"]:
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                text = json.dumps(item, default=lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
                look(f"table {table} {item.get('pk', {}).get('S', '')}/{item.get('sk', {}).get('S', '')}", text)
    s3 = client("s3")
    for bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []):
                look(f"s3 key {bucket}/{version['Key']}", version["Key"])
                body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
                look(f"s3 object {bucket}/{version['Key']}", body.decode("utf-8", "replace"))
    sqs = client("sqs")
    for url in sqs.list_queues().get("QueueUrls", []):
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", []):
            look(f"queue {url.rsplit('/', 1)[-1]}", message["Body"])
    idp = client("cognito-idp")
    for pool in idp.list_user_pools(MaxResults=60)["UserPools"]:
        for page in idp.get_paginator("list_users").paginate(UserPoolId=pool["Id"]):
            for user in page["Users"]:
                look(f"cognito {pool['Name']}", json.dumps(user, default=str))
    look("logs", logs)
    return found


def _plain(value: Any) -> Any:
    """JSON for what boto3's deserializer gives: Binary and bytes as text, sets as lists."""
    value = getattr(value, "value", value)  # boto3.dynamodb.types.Binary
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, (_plain(v) for v in value)))
    return str(value)


def _sweep_in_process(needles: list[str], logs: str) -> list[str]:
    """The same sweep on the test session's embedded moto, read from its stores directly:
    every version of every object and every message (in flight or not) without the
    HTTP round trips and the per-page copy of a bucket's whole version list that moto's
    ListObjectVersions makes (the HTTP sweep grew to seconds as a session's data grew)."""
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    from moto.sqs.models import sqs_backends

    from local.moto_server import DYNAMODB_LOCK

    needles = [n for n in dict.fromkeys(needles) if n]
    found: list[str] = []

    def look(where: str, text: str) -> None:
        found.extend(f"{n} @ {where}" for n in needles if n in text)

    def backends(per_account: Any) -> list[Any]:
        return [backend for account in list(per_account) for backend in per_account[account].values()]

    with DYNAMODB_LOCK:
        for backend in backends(dynamodb_backends):
            for name, table in backend.tables.items():
                for item in table.all_items():
                    attrs = item.to_regular_json()  # plain values, binary as bytes (as boto3 reads them)
                    text = json.dumps(attrs, default=_plain)
                    look(f"table {name} {attrs.get('pk', '')}/{attrs.get('sk', '')}", text)
    for backend in backends(s3_backends):
        for name, bucket in list(backend.buckets.items()):
            for key, versions in list(bucket.keys.iterlists()):
                look(f"s3 key {name}/{key}", key)
                for version in versions:
                    if hasattr(version, "value"):
                        look(f"s3 object {name}/{key}", version.value.decode("utf-8", "replace"))
    for backend in backends(sqs_backends):
        for name, queue in list(backend.queues.items()):
            for message in list(queue._messages):
                look(f"queue {name}", message.body)
    for backend in backends(cognitoidp_backends):
        for pool in list(backend.user_pools.values()):
            for user in list(pool.users.values()):
                look(f"cognito {pool.name}", json.dumps(user.to_json(extended=True), default=str))
    look("logs", logs)
    return found


def login(client: Any, user: dict[str, Any]) -> tuple[int, Any]:
    return call(client, "POST", "/auth/login", {"email": user["email"], "password": user["password"]})

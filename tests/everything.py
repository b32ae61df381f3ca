"""Two users who have one of everything the platform stores about a person, made over
HTTP as a frontend would: a minor employer (admitted with a guardian's consent) who
posts a project with a location and an uploaded file, and a freelancer who bids, works
two contracts (one completed, one disputed and resolved), chats, reviews and is
reviewed, pays out every cent, changes a consent; both with verified identities,
published profiles with visibilities, payout methods, a disclosure and a notice.
And the test-side reading of the stores that export and erasure tests compare with."""
from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.helpers import call, fund, text_tag, upload, verified, wallet, years_ago

FILE_BYTES = b"%PDF-1.4 the brief\n"


def build(http: Any, runtime: Any, admin_tok: str) -> SimpleNamespace:
    tag = text_tag()
    guardian = {"full_name": f"Gail Guardian {tag}", "email": f"guardian-{tag}@example.com", "consent": True}
    employer = verified(http, runtime, admin_tok, "employer", date_of_birth=years_ago(15), guardian=guardian,
                        full_name=f"Mina Minor {tag}")
    freelancer = verified(http, runtime, admin_tok, "freelancer", full_name=f"Fay Freelancer {tag}")
    for who, headline in ((employer, "Small shop"), (freelancer, "Python developer")):
        status, _ = call(http, "PUT", "/me/profile", {"headline": f"{headline} {tag}", "bio": f"Bio {tag}", "skills": ["python"],
                                                       "visibility": {"headline": "public", "bio": "private", "skills": "hired"}},
                         token=who["token"])
        assert status == 200
        assert call(http, "PUT", "/me/payout-method", {"type": "upi", "upi_id": f"{tag}@okbank"}, token=who["token"])[0] == 200

    contracts = []
    for n in range(2):
        money = {"amount": 10000, "currency": "USD"}
        status, project = call(http, "POST", "/projects", {"title": f"Shop site {tag} {n}", "description": f"Build it {tag}",
                                                            "budget": money, "skills": ["python"], "location": f"Lahore {tag}"},
                               token=employer["token"])
        assert status == 201, project
        if n == 0:
            status, added = call(http, "POST", f"/projects/{project['project_id']}/files",
                                 {"filename": f"brief-{tag}.pdf", "content_type": "application/pdf", "size": len(FILE_BYTES)},
                                 token=employer["token"])
            assert status == 201, added
            assert upload(added["upload"], FILE_BYTES, "application/pdf") in (200, 204)
            assert call(http, "GET", f"/projects/{project['project_id']}/files", token=employer["token"])[0] == 200
        status, bid = call(http, "POST", f"/projects/{project['project_id']}/bids",
                           {"amount": money, "cover_letter": f"Cover letter {tag} {n}", "delivery_days": 5}, token=freelancer["token"])
        assert status == 201, bid
        status, accepted = call(http, "POST", f"/projects/{project['project_id']}/bids/{bid['bid_id']}/accept", token=employer["token"])
        assert status == 201, accepted
        cid = accepted["contract_id"]
        contracts.append(cid)
        fund(http, runtime, employer, cid)
        assert call(http, "POST", f"/contracts/{cid}/messages", {"body": f"Hello from the employer {tag}"}, token=employer["token"])[0] == 201
        assert call(http, "POST", f"/contracts/{cid}/messages", {"body": f"Hello from the freelancer {tag}"}, token=freelancer["token"])[0] == 201
    done, disputed = contracts
    assert call(http, "POST", f"/contracts/{done}/complete", token=employer["token"])[0] == 200
    for who, words in ((employer, "Great work"), (freelancer, "Fair employer")):
        assert call(http, "POST", f"/contracts/{done}/reviews", {"rating": 4, "comment": f"{words} {tag}"}, token=who["token"])[0] == 201
    assert call(http, "POST", f"/contracts/{disputed}/dispute", {"reason": f"Late delivery {tag}"}, token=employer["token"])[0] == 200
    status, resolved = call(http, "POST", f"/admin/disputes/{disputed}/resolve", {"release_to": "freelancer"}, token=admin_tok)
    assert status == 200, resolved
    runtime.drain()

    balance = wallet(http, freelancer)["balance"]
    status, paid = call(http, "POST", "/me/payouts", {"amount": balance}, token=freelancer["token"], headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 202, paid
    assert call(http, "PUT", "/me/consents", {"marketing": True}, token=freelancer["token"])[0] == 200
    for who in (employer, freelancer):
        status, _ = call(http, "POST", "/admin/disclosures", {"user_id": who["user_id"], "recipient": f"Tax Office {tag}", "purpose": "audit",
                                                               "legal_basis": "tax law", "data_categories": ["user.financial"],
                                                               "notify_user": True}, token=admin_tok)
        assert status == 201
    status, _ = call(http, "POST", "/admin/announcements", {"kind": "service", "subject": f"Maintenance {tag}", "body": "On Sunday."},
                     token=admin_tok)
    assert status == 202
    runtime.drain()
    return SimpleNamespace(tag=tag, guardian=guardian, employer=employer, freelancer=freelancer, contracts=contracts)


# --- reading the stores, as a test may (a Scan; the product never does) ---------------------

def items_of(user_id: str) -> list[dict[str, Any]]:
    """Every item of the main table that is the user's: in their partition, or on an index
    partition keyed by their id (their activity, notifications to them, audit about them)."""
    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    plain = TypeDeserializer()
    ddb = boto3.client("dynamodb")
    mine: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(TableName="marketplace-local-main"):
        for raw in page["Items"]:
            item = {k: plain.deserialize(v) for k, v in raw.items()}
            keys = [item.get(k) for k in ("pk", "gsi1pk", "gsi2pk")]
            if item.get("pk") == f"USER#{user_id}" or any(isinstance(k, str) and k.endswith(f"#{user_id}") for k in keys):
                mine.append(item)
    return mine


_SEALED_AS = None


def _purposes() -> list[str]:
    """The field names personal data is sealed under (`vault.seal(owner, "<field>", ...)`)."""
    global _SEALED_AS
    if _SEALED_AS is None:
        root = Path(__file__).resolve().parent.parent / "chalicelib"
        found = {m for path in root.rglob("*.py") for m in re.findall(r"vault\.seal\([^,]+,\s*\"([^\"]+)\"", path.read_text())}
        _SEALED_AS = sorted(found | {"email", "full_name", "phone", "address", "date_of_birth"})
    return _SEALED_AS


def opened(token: str, owners: list[str]) -> str | None:
    """The plaintext of a sealed value, tried under each candidate owner and field name."""
    from chalicelib.security import crypto, vault

    for owner in owners:
        try:
            key = vault.key_of(owner)
        except vault.KeyErased:
            continue
        for field in _purposes():
            try:
                return crypto.unseal(key, owner, field, token)
            except crypto.Unreadable:
                continue
    return None


def leaves(value: Any) -> list[Any]:
    """The scalar values inside a JSON-like value."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [leaf for v in value for leaf in leaves(v)]
    if isinstance(value, Decimal):
        return [int(value) if value == value.to_integral_value() else float(value)]
    return [value]


def tagged(values: list[Any]) -> set[tuple[str, Any]]:
    """Leaves with their JSON type, so that `True` and `1` do not stand for each other."""
    return {("bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) else type(v).__name__, v) for v in values}


def expected_values(item: dict[str, Any], attr: str, when: bool, owners: list[str]) -> list[Any]:
    """What an export shows of one stored attribute: sealed text opened (and a sealed JSON
    document's values), times in ISO 8601, numbers, booleans, list and map values."""
    from chalicelib.core import clock

    value = item[attr]
    if attr.endswith("_enc") and isinstance(value, str):
        text = opened(value, owners)
        assert text is not None, f"{item['kind']}.{attr}: sealed under no key and field the test knows"
        try:
            document = json.loads(text)
        except ValueError:
            return [text]
        return leaves(document) if isinstance(document, (dict, list)) else [text]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return leaves(json.loads(value))  # a JSON document stored as text (audit details)
        except ValueError:
            pass
    if when and isinstance(value, Decimal):
        return [clock.iso(float(value))]
    return leaves(value)

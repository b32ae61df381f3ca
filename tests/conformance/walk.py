"""What the profile-conformance modules share: a live stack under the module's profile,
the `promise` marker that ties a test to the sentence of the source document it checks,
and the few journeys (hire, a project, a campaign) the promises are walked through.

Each conformance module sets `PROFILE` and `SOURCE` (its document under
`../shared/policies/`, or None for `strict`, whose source is the platform's own policy
text as `GET /policies/current` serves it) and ends with `test_every_quote_is_in_the_source`.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.live import Api

# the four platforms' documents, as the profiles cite them (`"source": "policies/..."`)
POLICIES = Path(__file__).resolve().parents[2] / "docs" / "policies"
PROJECT = {"title": "A small web shop", "description": "Build a small web shop with a cart and a checkout page.",
           "budget": {"amount": 80000, "currency": "USD"}, "skills": ["python"]}
BID = {"amount": {"amount": 70000, "currency": "USD"}, "cover_letter": "I have built many shops like this.", "delivery_days": 10}


def promise(sentence: str) -> Callable[[Callable], Callable]:
    """Mark a test with the sentence of the source document it checks."""
    def mark(test: Callable) -> Callable:
        test.promise = sentence  # type: ignore[attr-defined]
        return test
    return mark


def normalised(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip()


def quotes_of(module_globals: dict[str, Any]) -> list[str]:
    return [fn.promise for fn in module_globals.values() if callable(fn) and hasattr(fn, "promise")]


def source_text(source: str | None, api: Api) -> str:
    if source is None:  # the platform's own first version, rendered from the profile
        return api.get("/policies")["items"][0]["text"]
    return (POLICIES / source).read_text(encoding="utf-8")


def assert_quotes_in_source(module_globals: dict[str, Any], api: Api) -> None:
    document = normalised(source_text(module_globals["SOURCE"], api))
    quotes = quotes_of(module_globals)
    assert quotes, "a conformance module quotes its document"
    missing = [q for q in quotes if normalised(q) not in document]
    assert not missing, f"not in the source document, word for word: {missing}"


def iso_in(api: Api, days: float) -> str:
    now = datetime.fromisoformat(api.get("/_dev/clock")["now"].replace("Z", "+00:00"))
    return (now + timedelta(days=days)).astimezone(UTC).isoformat()


def post_project(api: Api, employer: dict) -> str:
    status, created = api.call("POST", "/projects", PROJECT, employer["token"])
    assert status == 201, created
    return created["project_id"]


def hire(api: Api, employer: dict, freelancer: dict) -> dict[str, str]:
    project_id = post_project(api, employer)
    status, bid = api.call("POST", f"/projects/{project_id}/bids", BID, freelancer["token"])
    assert status == 201, bid
    status, contract = api.call("POST", f"/projects/{project_id}/bids/{bid['bid_id']}/accept", None, employer["token"])
    assert status == 201, contract
    return {"project_id": project_id, "bid_id": bid["bid_id"], "contract_id": contract["contract_id"]}


def campaign(api: Api, subject: str) -> None:
    status, _ = api.call("POST", "/admin/campaigns", {"subject": subject, "body": "Lower fees this month."}, api.admin())
    assert status == 202
    api.drain()


def mail(api: Api, user: dict, subject_part: str) -> list[dict]:
    return [m for m in api.outbox(user["email"]) if subject_part in (m["subject"] or "")]


def links_in(message: dict) -> dict[str, str]:
    """The accept/reject/unsubscribe links of a message, as paths the API serves."""
    from urllib.parse import urlparse

    found = {}
    for label, url in re.findall(r"(Accept|Reject|Unsubscribe)[^:\n]*: (\S+)", message["body"]):
        parsed = urlparse(url)
        found[label.lower()] = f"{parsed.path}?{parsed.query}"
    return found


def publish(api: Api, version: str, days: float, material: bool = True) -> tuple[int, Any]:
    body = {"version": version, "summary": f"What changes in version {version}.", "text": f"The policy, version {version}.",
            "effective_at": iso_in(api, days), "material": material}
    return api.call("POST", "/admin/policies", body, api.admin())


def fresh(api: Api, user: dict) -> dict:
    """The user with a new token (after the clock moved past the old one's hour)."""
    return {**user, "token": api.login(user)["token"]}


def sign_ins(api: Api, user_id: str) -> set[str]:
    """The sort keys of the user's sign-in records (usage data), read through the AWS API."""
    found = api.stack.aws("dynamodb").query(
        TableName="marketplace-local-main", KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": f"USER#{user_id}"}, ":s": {"S": "SIGNIN#"}})["Items"]
    return {i["sk"]["S"] for i in found}


def disclosure_is_told_unless_forbidden(api: Api, user: dict, recipient: str) -> None:
    """An admin records two disclosures, one the user may be told of: only that one is mailed and listed."""
    body = {"user_id": user["user_id"], "recipient": recipient, "purpose": "An inquiry", "legal_basis": "A court order",
            "data_categories": ["contact"], "notify_user": True}
    assert api.call("POST", "/admin/disclosures", body, api.admin())[0] == 201
    assert api.call("POST", "/admin/disclosures", {**body, "recipient": "A sealed inquiry", "notify_user": False}, api.admin())[0] == 201
    api.drain()
    assert len(mail(api, user, "A disclosure of your data")) == 1
    assert [d["recipient"] for d in api.get("/me/disclosures", user["token"])["items"]] == [recipient]


def business_transfer_is_announced(api: Api, users: list[dict], subject: str, body: str) -> None:
    """An announcement of a change of ownership reaches every user once by email and in-app."""
    status, _ = api.call("POST", "/admin/announcements", {"kind": "business_transfer", "subject": subject, "body": body}, api.admin())
    assert status == 202
    api.drain()
    for user in users:
        assert len(mail(api, user, subject)) == 1
        notice = api.get("/me/notices", user["token"])["items"][0]
        assert notice["subject"] == subject and notice["topic"] == "business_transfer"

"""Retention on a real local stack (strict profile), over HTTP and through the AWS API:
the clock moves past each period in turn, and each time exactly the data that period
covers is gone while everything else is as it was."""
from __future__ import annotations

import pytest

from tests.live import Api, Stack

pytestmark = pytest.mark.e2e
TABLE = "marketplace-local-main"


@pytest.fixture(scope="module")
def api():
    stack = Stack(PRIVACY_PROFILE="strict").start()
    yield Api(stack)
    stack.stop()


def _items(api: Api, user_id: str) -> dict[str, dict]:
    """Every item of the user's partition, by sort key, but the count of codes sent in the
    last hour (`CODE_SENDS`, the codes' limit), which expires an hour after the last code
    by its own TTL whatever the retention jobs do."""
    ddb = api.stack.aws("dynamodb")
    pages = ddb.get_paginator("query").paginate(TableName=TABLE, KeyConditionExpression="pk = :p",
                                                ExpressionAttributeValues={":p": {"S": f"USER#{user_id}"}})
    return {item["sk"]["S"]: item for page in pages for item in page["Items"] if item["sk"]["S"] != "CODE_SENDS"}


def _notifications(api: Api, user_id: str) -> list[dict]:
    ddb = api.stack.aws("dynamodb")
    found = ddb.query(TableName=TABLE, IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                      ExpressionAttributeValues={":p": {"S": f"USER#{user_id}"}})["Items"]
    return [i for i in found if i["kind"]["S"] == "notification"]


def _objects(api: Api, bucket: str, prefix: str) -> list[str]:
    listed = api.stack.aws("s3").list_object_versions(Bucket=bucket, Prefix=prefix)
    return [v["Key"] for v in listed.get("Versions", [])]


def _unchanged(before: dict[str, dict], after: dict[str, dict], gone: str | None = None, allow_new: tuple[str, ...] = ()) -> None:
    """`after` holds every item of `before` as it was, except items whose key starts with `gone`."""
    for sk, item in before.items():
        if gone and sk.startswith(gone):
            assert sk not in after, f"{sk} should be gone"
        else:
            assert after.get(sk) == item, f"{sk} changed"
    assert all(sk in before or sk.startswith(allow_new) for sk in after), set(after) - set(before)


def test_each_retention_period_removes_its_data_and_nothing_else(api):
    keeper = api.member("employer")  # identity documents, sign-ins
    exporter = api.register("freelancer")
    leaver = api.register("freelancer")
    status, abandoned, payload = api.signup("freelancer")  # never verifies the phone
    assert status == 201 and abandoned["status"] == "pending_verification"
    status, export = api.call("POST", "/me/exports", None, exporter["token"])
    assert status == 202
    status, scheduled = api.call("POST", "/me/deletion", None, leaver["token"])
    assert status == 202, scheduled
    api.drain()
    assert api.get(f"/me/exports/{export['export_id']}", exporter["token"])["status"] == "ready"
    assert _objects(api, "marketplace-local-exports", f"exports/{exporter['user_id']}/")
    assert _objects(api, "marketplace-local-documents", f"identity/{keeper['user_id']}/")
    keeper_items = _items(api, keeper["user_id"])
    sent = _notifications(api, keeper["user_id"])
    assert sent and all("expires_at" in n and "to" not in n and "body" not in n for n in sent)  # sent: stripped, then TTL
    exporter_items = _items(api, exporter["user_id"])
    assert any(sk.startswith("SIGNIN#") for sk in keeper_items) and _items(api, abandoned["user_id"])
    status, _, _ = api.signup("freelancer", email=payload["email"])
    assert status == 409  # the address is held by the unfinished signup

    # 7 days: the export's lifetime and the abandoned signup's window end
    api.advance(days=7, seconds=3600)
    api.drain()
    exporter_token = api.login(exporter)["token"]
    assert api.get(f"/me/exports/{export['export_id']}", exporter_token)["status"] == "expired"
    assert _objects(api, "marketplace-local-exports", f"exports/{exporter['user_id']}/") == []
    assert _items(api, abandoned["user_id"]) == {}
    assert api.call("POST", "/auth/login", {"email": payload["email"], "password": payload["password"]})[0] == 401
    status, again, _ = api.signup("freelancer", email=payload["email"])
    assert status == 201, again  # the address can sign up again
    _unchanged(keeper_items, _items(api, keeper["user_id"]))
    after = _items(api, exporter["user_id"])
    assert after[f"EXPORT#{export['export_id']}"]["status"]["S"] == "expired"
    _unchanged({k: v for k, v in exporter_items.items() if not k.startswith("EXPORT#")}, after, allow_new=("SIGNIN#", "EXPORT#"))
    assert _objects(api, "marketplace-local-documents", f"identity/{keeper['user_id']}/")

    # 14 days: the deletion's grace period ends and the account is erased
    api.advance(days=7)
    api.drain()
    status, receipt = api.call("GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")
    assert status == 200 and receipt["status"] == "erased"
    assert api.call("POST", "/auth/login", {"email": leaver["email"], "password": leaver["password"]})[0] == 401
    _unchanged(keeper_items, _items(api, keeper["user_id"]))

    # 30 days after the identity decision: the documents go, the verification's outcome stays
    api.advance(days=17)
    api.drain()
    assert _objects(api, "marketplace-local-documents", f"identity/{keeper['user_id']}/") == []
    assert _notifications(api, keeper["user_id"]) == []  # the notifications' items: TTL after 30 days
    keeper_token = api.login(keeper)["token"]
    assert api.get("/me", keeper_token)["identity"]["status"] == "approved"
    now_items = _items(api, keeper["user_id"])
    assert now_items["IDENTITY"]["documents_purged_at"]
    _unchanged({k: v for k, v in keeper_items.items() if k != "IDENTITY"}, now_items, allow_new=("SIGNIN#", "IDENTITY"))

    # 90 days: the sign-in records (IP address, device) made before then go, the rest stays
    old_sign_ins = {sk for sk in keeper_items if sk.startswith("SIGNIN#")}
    api.advance(days=61)
    api.drain()
    later = _items(api, keeper["user_id"])
    assert old_sign_ins and not old_sign_ins & set(later)
    assert any(sk.startswith("SIGNIN#") for sk in later)  # the one made at day 31 is within its period
    _unchanged({k: v for k, v in now_items.items() if k not in old_sign_ins}, later, allow_new=("SIGNIN#",))
    assert api.login(keeper)["token"]  # the account itself is untouched

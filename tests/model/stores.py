"""What the stack's stores hold, read from its moto over HTTP (a test may Scan; the product
never does). Each example of the model runs on a fresh stack, so a Scan reads only what
that example made (a few hundred items)."""
from __future__ import annotations

import json
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from chalicelib.domain import datamap
from tests.live import Stack
from tests.model.client import Violation

MAIN = "marketplace-local-main"
_plain = TypeDeserializer()


def _text(value: Any) -> str:
    return json.dumps(value, default=lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else str(getattr(v, "value", v)))


def scan(stack: Stack, table: str = MAIN) -> list[dict[str, Any]]:
    ddb = stack.aws("dynamodb")
    items: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        items += [{k: _plain.deserialize(v) for k, v in item.items()} for item in page["Items"]]
    return items


def books(items: list[dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    """The ledger's invariants over every entry and account: each movement and each
    currency sums to zero, each account's balance is the sum of its entries, no wallet,
    held or escrow below zero. Returns every balance by (user partition, account, currency)."""
    entries = [i for i in items if i.get("kind") == "ledger_entry"]
    accounts = [i for i in items if i.get("kind") == "ledger_account"]
    per_movement: dict[str, int] = {}
    per_currency: dict[str, int] = {}
    per_account: dict[tuple[str, str], int] = {}
    for e in entries:
        per_movement[e["movement_id"]] = per_movement.get(e["movement_id"], 0) + int(e["amount"])
        per_currency[e["currency"]] = per_currency.get(e["currency"], 0) + int(e["amount"])
        key = (e["pk"], f"LEDGER#{e['account']}#{e['currency']}")
        per_account[key] = per_account.get(key, 0) + int(e["amount"])
    if bad := {m: t for m, t in per_movement.items() if t}:
        raise Violation(f"books: movements that do not sum to zero: {sorted(bad)[:5]}")
    if bad := {c: t for c, t in per_currency.items() if t}:
        raise Violation(f"books: the ledger does not balance: {bad}")
    balances: dict[tuple[str, str, str], int] = {}
    for account in accounts:
        key = (account["pk"], account["sk"])
        if int(account["balance"]) != per_account.get(key, 0):
            raise Violation(f"books: {account['sk']} of {account['pk']} holds {account['balance']}, its entries sum to {per_account.get(key, 0)}")
        if account["account"] in ("wallet", "held", "escrow") and int(account["balance"]) < 0:
            raise Violation(f"books: {account['sk']} of {account['pk']} went below zero")
        balances[(account["pk"], account["account"], account.get("currency", ""))] = int(account["balance"])
    if missing := set(per_account) - {(a["pk"], a["sk"]) for a in accounts}:
        raise Violation(f"books: entries of accounts that do not exist: {sorted(missing)[:3]}")
    return balances


def related(items: list[dict[str, Any]], user_id: str) -> list[tuple[dict[str, Any], list[str]]]:
    """Each item that still refers to the user, with the attributes that do: all of them
    for an item of the user's own partition, else those whose value names the user."""
    out = []
    for item in items:
        if user_id in str(item.get("pk", "")):
            out.append((item, list(item)))
            continue
        names = [k for k, v in item.items() if k not in ("pk", "sk") and user_id in _text(v)]
        if names:
            out.append((item, names))
    return out


def categories_held(items: list[dict[str, Any]], user_id: str) -> dict[str, list[str]]:
    """The data categories (by the data map) of what the table still holds about the user,
    each with where (kind.attribute), the system's own operations left out."""
    held: dict[str, list[str]] = {}
    for item, names in related(items, user_id):
        fields = {**datamap.KEYS, **datamap.ENTITIES.get(str(item.get("kind")), {})}
        for name in names:
            field = fields.get(name)
            if field is None or field.category == datamap.SYSTEM or item.get(name) in (None, "", [], {}):
                continue
            held.setdefault(field.category, []).append(f"{item.get('kind')}.{name}")
    return held


def sweep(stack: Stack, needles: list[str]) -> list[str]:
    """Where any needle is found in the stack's moto (`tests.helpers.sweep` over its
    endpoint: every table item, object version, queue message and Cognito user), by place
    only, so that a failure prints no personal data. [] is the proof."""
    from tests import helpers

    needles = [n for n in dict.fromkeys(needles) if n and len(n) >= 6]
    found = helpers.sweep(needles, endpoint=f"http://127.0.0.1:{stack.aws_port}") if needles else []
    return sorted({place.split(" @ ", 1)[1] for place in found})


def dead_letters(stack: Stack) -> dict[str, int]:
    """How many messages wait in each DLQ (by the queue's logical name)."""
    sqs = stack.aws("sqs")
    waiting = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        name = url.rsplit("/", 1)[-1]
        if name.endswith("-dlq"):
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                           "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            count = int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
            waiting[name.removeprefix("marketplace-local-").removesuffix("-dlq")] = count
    return waiting

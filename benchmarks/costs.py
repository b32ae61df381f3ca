"""Cost per operation in US dollars: what each operation's AWS calls cost at list prices.

    python benchmarks/costs.py            # or: make bench-costs

Drives the app in process over a fresh embedded moto (`benchmarks/stack.py`), as users
would, each operation followed by everything it causes (the stream, the router, the
queue consumers: `runtime.drain()`), and meters every AWS call it makes below boto3 and
PynamoDB, with its parameters and its answer:

- DynamoDB on-demand request units from item sizes (DynamoDB's size rules: attribute
  names plus values): a write is 1 WRU per KB of the item (the item after an update,
  before a delete; the larger of the two is not known, the one written is used), plus
  the same again for each global secondary index the item is in (they project ALL); a
  read is 1 RRU per 4 KB strongly consistent, half that eventually consistent (a Query
  adds up the items it returns, then rounds); transactions count twice, a ConditionCheck
  as a transactional write of its item. Failed conditional writes are charged too, as
  AWS does. The TTL process's deletes (the local reaper) are free, as in AWS.
- SQS: one request per call, and per 64 KB chunk of what a call sends or receives
  (the receives and deletes that Lambda's pollers make for a queue trigger are billed as
  SQS requests too; the idle long polls between messages are not counted here).
- SES: per recipient. SNS: per SMS (one part). KMS, S3 (PUT/LIST class, GET class;
  DELETE is free): per request. Cognito: per monthly active user, in the months only.
  API Gateway: one REST request per HTTP request. DynamoDB Streams: GetRecords calls are
  counted, but a Lambda trigger's reads are not charged.
- Containers are warm (keys, JWKS and queue URLs cached), as most requests find them.
- Lambda: one request per invocation (the API function per HTTP request, each stream,
  queue and schedule run), and GB-seconds from its measured duration here (in process,
  over moto: slower than Lambda, so an upper bound) at the function's configured memory
  (`infra/stack.py`: the API function and the others).

Not counted: browser uploads and downloads through presigned URLs, storage, data
transfer, CloudWatch, X-Ray, KMS keys' monthly fee, free tiers.

Seven readers against the router: the seven stream functions no longer exist, so they
are modelled from what is measured, as `benchmarks/stream_readers.py` does: each of the
seven mappings read every record and was invoked for the same batches the router is
(7 x its invocations, each as long as the router's run of that batch: each decoded every
record); bid notices and policy announcements were done inside their stream function,
so their queue (sends, receives, deletes) and their consumer's invocations go (their
work's time stays); everything else is the same.
"""
from __future__ import annotations

import base64
import math
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.prices import AS_KNOWN_ON, PRICES, each  # noqa: E402

KB = 1024
SQS_CHUNK = 64 * KB
OLD_STREAM_READERS = 7
MOVED_OFF_THE_STREAM = {"bid_notices": "notices", "announce_policy_versions": "policies"}  # consumer -> its queue
FREE_DYNAMODB = {"DescribeTable", "ListTables", "DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource"}
S3_WRITE_CLASS = {"PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2", "ListObjectVersions",
                  "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "ListMultipartUploads"}
S3_FREE = {"DeleteObject", "DeleteObjects", "AbortMultipartUpload"}
FREE_SES = {"GetSendQuota", "GetAccount", "GetSendStatistics", "VerifyEmailIdentity"}

# a month of each active user, in unit operations (each measured once below)
MONTHS: dict[str, dict[str, int]] = {
    "an active freelancer": {"sign-in": 30, "project list page": 60, "project view": 300, "bid": 20, "contract message": 40,
                             "wallet view": 10, "payout": 2},
    "an active employer": {"sign-in": 30, "project": 4, "project view": 40, "bid list view": 80, "accept": 2, "funding": 2,
                           "contract message": 40, "complete": 2, "review": 2},
}


# --- DynamoDB's size rules and request units (pure: tests/test_benchmark_figures.py) ---------------

def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    return (len(digits.rstrip("0") or "0") + 1) // 2 + 1


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value (DynamoDB's item-size rules, approximated for numbers)."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner if isinstance(inner, (bytes, bytearray)) else base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode()) for v in inner)
    if kind == "NS":
        return sum(_number_size(v) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + value_size(v) for name, v in (item or {}).items())


def write_units(size: int, transactional: bool = False) -> int:
    """On-demand write request units of writing an item of `size` bytes: 1 per KB, rounded up."""
    return max(1, math.ceil(size / KB)) * (2 if transactional else 1)


def read_units(size: int, consistent: bool = True, transactional: bool = False) -> float:
    """On-demand read request units of reading `size` bytes: 1 per 4 KB strongly consistent
    (rounded up), half that eventually consistent, twice that in a transaction."""
    units = max(1, math.ceil(size / (4 * KB)))
    return units * 2 if transactional else units if consistent else units / 2


def sqs_requests(payload_bytes: int) -> int:
    return max(1, math.ceil(payload_bytes / SQS_CHUNK))


def dollars(units: dict[str, float]) -> float:
    return sum(n * each(name) for name, n in units.items())


def gb_seconds(seconds: float, memory_mb: int) -> float:
    return math.ceil(seconds * 1000) / 1000 * memory_mb / 1024


# --- the meter ----------------------------------------------------------------------------------------

@dataclass
class Bill:
    units: Counter = field(default_factory=Counter)  # price name -> units
    sqs_by_queue: Counter = field(default_factory=Counter)
    calls: Counter = field(default_factory=Counter)  # service:operation
    invocations: list[tuple[str, float, int]] = field(default_factory=list)  # (function, seconds, memory MB)
    stream_records: int = 0
    router_runs: list[float] = field(default_factory=list)  # seconds of each route_changes run
    unbilled_requests: int = 0  # entries of `invocations` that add time to another run, not a request

    def lambda_units(self) -> dict[str, float]:
        return {"lambda.request": len(self.invocations) - self.unbilled_requests,
                "lambda.gb_second": sum(gb_seconds(s, m) for _, s, m in self.invocations)}

    def total(self) -> float:
        return dollars(self.units) + dollars(self.lambda_units())

    def seven_readers(self) -> Bill:
        """The same operation with seven stream functions instead of the router (the model
        in this module's docstring)."""
        old = Bill(units=Counter(self.units), sqs_by_queue=Counter(), calls=Counter(self.calls),
                   stream_records=self.stream_records * OLD_STREAM_READERS)
        for queue in MOVED_OFF_THE_STREAM.values():
            old.units["sqs.request"] -= self.sqs_by_queue[queue]
        moved = 0.0  # the moved consumers' work: done inside a stream function, its time kept
        for name, seconds, memory in self.invocations:
            if name == "route_changes":
                old.invocations += [(name, seconds, memory)] * OLD_STREAM_READERS
            elif name in MOVED_OFF_THE_STREAM:
                moved += seconds
            else:
                old.invocations.append((name, seconds, memory))
        if moved:
            old.invocations.append(("moved work", moved, next((m for n, _, m in self.invocations if n == "route_changes"), 512)))
            old.unbilled_requests += 1  # time added to a stream function's run, not an invocation of its own
        old.calls["dynamodbstreams:GetRecords"] = self.calls["dynamodbstreams:GetRecords"] * OLD_STREAM_READERS
        return old


class Meter:
    """Every AWS call of this process, priced; `with meter.paused():` for what AWS does not
    charge (the TTL process) or what is set-up."""

    def __init__(self, indexes: dict[str, list[str]], api_memory: int, function_memory: int):
        self.indexes, self.api_memory, self.function_memory = indexes, api_memory, function_memory
        self.bill = Bill()
        self._local = threading.local()
        self._lock = threading.Lock()

    @contextmanager
    def measuring(self) -> Iterator[Bill]:
        self.bill = Bill()
        yield self.bill

    @contextmanager
    def paused(self) -> Iterator[None]:
        self._local.paused = getattr(self._local, "paused", 0) + 1
        try:
            yield
        finally:
            self._local.paused -= 1

    def _off(self) -> bool:
        return bool(getattr(self._local, "paused", 0))

    def _add(self, name: str, n: float) -> None:
        with self._lock:
            self.bill.units[name] += n

    # DynamoDB
    def _index_writes(self, table: str, item: dict[str, Any] | None, size: int) -> int:
        return sum(write_units(size) for hash_key in self.indexes.get(table, []) if item and hash_key in item)

    def _probe(self, client: Any, table: str, key: dict[str, Any], original: Callable[..., Any]) -> dict[str, Any] | None:
        reply = original(client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
        item: dict[str, Any] | None = reply.get("Item")
        return item

    def _write(self, table: str, item: dict[str, Any] | None, transactional: bool = False) -> None:
        size = item_size(item)
        self._add("dynamodb.wru", write_units(size, transactional) + self._index_writes(table, item, size))

    def call(self, client: Any, operation: str, params: dict[str, Any], original: Callable[..., Any]) -> Any:
        service = client.meta.service_model.service_name
        if self._off():
            return original(client, operation, params)
        before: list[tuple[str, dict[str, Any] | None]] = []
        if service == "dynamodb":
            if operation == "DeleteItem":
                before = [(params["TableName"], self._probe(client, params["TableName"], params["Key"], original))]
            elif operation == "TransactWriteItems":
                for entry in params["TransactItems"]:
                    (what, body), = entry.items()
                    if what in ("Delete", "ConditionCheck"):
                        before.append((body["TableName"], self._probe(client, body["TableName"], body["Key"], original)))
            elif operation == "BatchWriteItem":
                for table, requests in params["RequestItems"].items():
                    before += [(table, self._probe(client, table, r["DeleteRequest"]["Key"], original))
                               for r in requests if "DeleteRequest" in r]
        response: Any = None
        try:
            response = original(client, operation, params)
            return response
        finally:
            with self._lock:
                self.bill.calls[f"{service}:{operation}"] += 1
            self._price(client, service, operation, params, response, before, original)

    def _price(self, client: Any, service: str, operation: str, params: dict[str, Any], response: Any,
               before: list[tuple[str, dict[str, Any] | None]], original: Callable[..., Any]) -> None:
        response = response or {}
        if service == "dynamodb":
            self._dynamodb(client, operation, params, response, before, original)
        elif service == "sqs":
            if operation in ("SendMessage", "SendMessageBatch"):
                entries = params.get("Entries") or [params]
                n = sqs_requests(sum(len(e.get("MessageBody", "").encode()) for e in entries))
            elif operation == "ReceiveMessage":
                n = sqs_requests(sum(len(m.get("Body", "").encode()) for m in response.get("Messages", [])))
            else:
                n = 1
            self._add("sqs.request", n)
            queue = str(params.get("QueueUrl") or params.get("QueueName") or "").rsplit("/", 1)[-1]
            with self._lock:
                self.bill.sqs_by_queue[queue.removesuffix("-dlq").rsplit("-", 1)[-1]] += n
        elif service == "kms":
            self._add("kms.request", 1)
        elif service == "ses" and operation not in FREE_SES:
            if operation == "SendEmail":
                d = params.get("Destination", {})
                n = len(d.get("ToAddresses", [])) + len(d.get("CcAddresses", [])) + len(d.get("BccAddresses", []))
            elif operation in ("SendBulkTemplatedEmail", "SendRawEmail"):
                n = len(params.get("Destinations", [])) or 1
            else:
                n = 0
            self._add("ses.email", n)
        elif service == "sns" and operation == "Publish":
            self._add("sns.sms" if params.get("PhoneNumber") else "sns.publish", 1)
        elif service == "s3" and operation not in S3_FREE:
            self._add("s3.write" if operation in S3_WRITE_CLASS else "s3.read", 1)
        elif service == "cognito-idp":
            pass  # charged per monthly active user (the months), not per call
        elif service == "dynamodbstreams":
            pass  # a Lambda trigger's reads are not charged

    def _dynamodb(self, client: Any, operation: str, params: dict[str, Any], response: dict[str, Any],
                  before: list[tuple[str, dict[str, Any] | None]], original: Callable[..., Any]) -> None:
        if operation in FREE_DYNAMODB:
            return
        table = params.get("TableName", "")
        consistent = bool(params.get("ConsistentRead")) and not params.get("IndexName")
        if operation == "GetItem":
            self._add("dynamodb.rru", read_units(item_size(response.get("Item")), consistent))
        elif operation in ("Query", "Scan"):
            self._add("dynamodb.rru", read_units(sum(item_size(i) for i in response.get("Items", [])), consistent))
        elif operation == "BatchGetItem":
            # every key asked for is billed as a GetItem, found or not (a missing item costs the minimum unit);
            # keys handed back unprocessed were not read
            for t, request in params["RequestItems"].items():
                c = bool(request.get("ConsistentRead"))
                items = response.get("Responses", {}).get(t, [])
                unprocessed = len(response.get("UnprocessedKeys", {}).get(t, {}).get("Keys", []))
                for i in items:
                    self._add("dynamodb.rru", read_units(item_size(i), c))
                for _ in range(len(request.get("Keys", [])) - len(items) - unprocessed):
                    self._add("dynamodb.rru", read_units(0, c))
        elif operation == "TransactGetItems":
            for i in response.get("Responses", []):
                self._add("dynamodb.rru", read_units(item_size(i.get("Item")), transactional=True))
        elif operation == "PutItem":
            self._write(table, params["Item"])
        elif operation == "UpdateItem":
            after = response.get("Attributes") if params.get("ReturnValues") == "ALL_NEW" else None
            self._write(table, after if after is not None else self._probe(client, table, params["Key"], original))
        elif operation == "DeleteItem":
            self._write(*before[0])
        elif operation == "BatchWriteItem":
            deletes = iter(before)
            for t, requests in params["RequestItems"].items():
                for r in requests:
                    self._write(t, r["PutRequest"]["Item"]) if "PutRequest" in r else self._write(*next(deletes))
        elif operation == "TransactWriteItems":
            checked = iter(before)
            for entry in params["TransactItems"]:
                (what, body), = entry.items()
                if what == "Put":
                    self._write(body["TableName"], body["Item"], transactional=True)
                elif what == "Update":
                    self._write(body["TableName"], self._probe(client, body["TableName"], body["Key"], original), transactional=True)
                elif what == "Delete":
                    self._write(*next(checked), transactional=True)
                else:  # ConditionCheck: its item is not written, so no index write
                    _, item = next(checked)
                    self._add("dynamodb.wru", write_units(item_size(item), transactional=True))


@contextmanager
def metering(meter: Meter) -> Iterator[Meter]:
    import botocore.client

    original = botocore.client.BaseClient._make_api_call

    def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
        return meter.call(client, operation, params, original)

    botocore.client.BaseClient._make_api_call = metered
    try:
        yield meter
    finally:
        botocore.client.BaseClient._make_api_call = original


# --- the operations ----------------------------------------------------------------------------------

class Driver:
    """Requests as users make them, each timed as an API function invocation, and the
    runtime's function runs timed at their memory."""

    def __init__(self, app: Any, runtime: Any, http: Any, meter: Meter):
        self.app, self.runtime, self.http, self.meter = app, runtime, http, meter
        import local.runtime as lr

        real_invoke = lr._invoke

        def timed(handler: Any, name: str, event: dict[str, Any]) -> Any:
            started = time.perf_counter()
            try:
                return real_invoke(handler, name, event)
            finally:
                seconds = time.perf_counter() - started
                bill = meter.bill
                bill.invocations.append((name, seconds, meter.function_memory))
                if name == "route_changes":
                    bill.stream_records += len(event.get("Records", []))
                    bill.router_runs.append(seconds)

        lr._invoke = timed
        real_reap = runtime.reap_ttl

        def reap() -> Any:
            with meter.paused():  # the TTL process's deletes are free
                return real_reap()

        runtime.reap_ttl = reap
        real_backlog = runtime.queue_backlog

        def backlog() -> Any:
            with meter.paused():  # the local runtime's own look at the queues: no Lambda poller makes it
                return real_backlog()

        runtime.queue_backlog = backlog

    def call(self, method: str, path: str, payload: Any = None, token: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        from tests.helpers import call

        started = time.perf_counter()
        status, body = call(self.http, method, path, payload, token=token, headers=headers)
        self.meter.bill.invocations.append(("api", time.perf_counter() - started, self.meter.api_memory))
        self.meter._add("apigateway.request", 1)
        self.runtime.drain()
        return status, body


def run_operations(app: Any, runtime: Any, meter: Meter) -> dict[str, Bill]:
    from chalice.test import Client

    from chalicelib.services import fanout
    from local import outbox, seed
    from tests.helpers import admin_token, register, signup_payload, verified

    bills: dict[str, Bill] = {}
    with Client(app, stage_name="local") as c:
        http = c.http
        d = Driver(app, runtime, http, meter)
        with meter.paused():
            seed.local_admin()
            admin = admin_token(http, seed.admin_credentials())
            employer = verified(http, runtime, admin, "employer")
            freelancer = verified(http, runtime, admin, "freelancer")
            runtime.drain()
        e, f = employer["token"], freelancer["token"]
        budget = {"amount": 100000, "currency": "USD"}

        def measure(label: str, action: Callable[[], Any]) -> Any:
            runtime.drain()
            with meter.measuring() as bill:
                result = action()
                runtime.drain()
            bills[label] = bill
            return result

        def signup() -> None:
            import re

            payload = signup_payload("freelancer")
            assert d.call("POST", "/auth/signup", payload)[0] == 201
            sms = [m for m in outbox.messages(payload["phone"]) if re.search(r"\b\d{6}\b", m["body"])]
            code = re.search(r"\b(\d{6})\b", sms[-1]["body"]).group(1)  # type: ignore[union-attr]
            assert d.call("POST", "/auth/verify-phone", {"email": payload["email"], "code": code})[0] == 200
            assert d.call("POST", "/auth/login", {"email": payload["email"], "password": payload["password"]})[0] == 200

        measure("signup (with its SMS code, verification, first sign-in)", signup)
        measure("sign-in", lambda: d.call("POST", "/auth/login", {"email": freelancer["email"], "password": freelancer["password"]}))

        def project() -> str:
            status, made = d.call("POST", "/projects", {"title": f"Logo {uuid.uuid4().hex[:6]}", "description": "A logo.",
                                                        "budget": budget}, token=e)
            assert status == 201, made
            return str(made["project_id"])

        pid = measure("project", project)
        measure("project view", lambda: d.call("GET", f"/projects/{pid}", token=f))
        measure("project list page", lambda: d.call("GET", "/projects", token=f))

        def bid() -> str:
            status, made = d.call("POST", f"/projects/{pid}/bids", {"amount": budget, "cover_letter": "I can.", "delivery_days": 3}, token=f)
            assert status == 201, made
            return str(made["bid_id"])

        bid_id = measure("bid", bid)
        measure("bid list view", lambda: d.call("GET", f"/projects/{pid}/bids", token=e))

        def accept() -> str:
            status, made = d.call("POST", f"/projects/{pid}/bids/{bid_id}/accept", token=e)
            assert status in (200, 201), made
            return str(made["contract_id"])

        cid = measure("accept", accept)
        measure("contract message", lambda: d.call("POST", f"/contracts/{cid}/messages", {"body": "Started today."}, token=f))
        funded = measure("funding", lambda: d.call("POST", f"/contracts/{cid}/fund", token=e, headers={"Idempotency-Key": "costs-fund-01"}))
        assert funded[0] in (200, 201, 202), funded
        measure("complete", lambda: d.call("POST", f"/contracts/{cid}/complete", token=e))
        measure("review", lambda: d.call("POST", f"/contracts/{cid}/reviews", {"rating": 5, "comment": "Good work."}, token=e))
        with meter.paused():
            bank = {"type": "bank", "account_holder": "Ada Lovelace", "account_number": "123456780001", "ifsc": "HDFC0001234",
                    "branch_name": "Fort"}
            assert d.call("PUT", "/me/payout-method", bank, token=f)[0] == 200
        measure("wallet view", lambda: d.call("GET", "/me/wallet", token=f))
        paid = measure("payout", lambda: d.call("POST", "/me/payouts", {"amount": {"amount": 5000, "currency": "USD"}}, token=f,
                                                headers={"Idempotency-Key": "costs-payout-01"}))
        assert paid[0] in (200, 201, 202), paid
        exported = measure("export", lambda: d.call("POST", "/me/exports", token=f))
        assert exported[0] == 202, exported

        with meter.paused():
            leaving = register(http, runtime, "freelancer")  # nothing to settle: erasable at once

        def erasure() -> None:
            status, asked = d.call("POST", "/me/deletion", token=leaving["token"])
            assert status in (200, 201, 202), asked
            with meter.paused():
                runtime.advance_clock(31 * 86400)  # the grace period; the TTL reaper's deletes are free
            runtime.drain()

        measure("erasure (request, grace period, erasure)", erasure)

        members = 50

        def notice() -> None:
            fanout.create("policy", "Our terms change", "Our terms change on the first of next month.", "costs", topic="policy")
            runtime.drain(max_rounds=100_000)

        with meter.paused():
            from benchmarks.fanout_calls import _members

            _members(members, f"costs-{uuid.uuid4().hex[:4]}")
            runtime.drain(max_rounds=100_000)
        measure(f"policy notice (fan-out to {members} members)", notice)
        bills["_members"] = Bill(stream_records=members)
    return bills


def money(x: float) -> str:
    return f"${x:.6f}" if x < 0.01 else f"${x:,.4f}"


def main() -> int:
    from benchmarks.stack import local_stack
    from chalicelib.core import resources as r
    from infra.stack import API_MEMORY_MB, FUNCTION_MEMORY_MB

    with local_stack() as (app, runtime):
        indexes = {t.name: [i.hash_key for i in t.indexes] for t in r.TABLES}
        meter = Meter(indexes, API_MEMORY_MB, FUNCTION_MEMORY_MB)
        with metering(meter):
            bills = run_operations(app, runtime, meter)
    members = bills.pop("_members").stream_records

    print(f"## Cost per operation, US dollars (us-east-1 list prices as known on {AS_KNOWN_ON}: `benchmarks/prices.py`)\n")
    print("| operation | DynamoDB WRU | RRU | KMS | SQS | SES | SMS | S3 | API | Lambda runs | Lambda GB-s | stream records "
          "| router | seven readers |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, bill in bills.items():
        u = bill.units
        lam = bill.lambda_units()
        old = bill.seven_readers()
        print(f"| {label} | {u['dynamodb.wru']:g} | {u['dynamodb.rru']:g} | {u['kms.request']:g} | {u['sqs.request']:g} "
              f"| {u['ses.email']:g} | {u['sns.sms']:g} | {u['s3.write'] + u['s3.read']:g} | {u['apigateway.request']:g} "
              f"| {lam['lambda.request']:g} | {lam['lambda.gb_second']:.3f} | {bill.stream_records} "
              f"| {money(bill.total())} | {money(old.total())} |")
    per_user = bills[next(k for k in bills if k.startswith("policy notice"))]
    print(f"\nA policy notice per user: {money(per_user.total() / members)} (router), "
          f"{money(per_user.seven_readers().total() / members)} (seven readers).\n")

    ops = [b for label, b in bills.items() if not label.startswith("policy notice")]
    records = sum(b.stream_records for b in ops)
    new_all, old_all = sum(b.total() for b in ops), sum(b.seven_readers().total() for b in ops)
    runs = sum(1 for b in ops for n, _, _ in b.invocations if n == "route_changes")
    print(f"Per 1,000 table writes (the operations above but the notice, {records} stream records, {runs} router runs): "
          f"{money(1000 * new_all / records)} with the router, {money(1000 * old_all / records)} with seven readers "
          f"({money(1000 * (old_all - new_all) / records)} more: {OLD_STREAM_READERS * runs * 1000 // records:,} stream invocations "
          f"instead of {runs * 1000 // records:,}).\n")
    print("A month (unit operations above x the counts; Cognito: one monthly active user):\n")
    print("| month | mix | router | seven readers |")
    print("|---|---|---|---|")
    for who, mix in MONTHS.items():
        new = sum(n * bills[op].total() for op, n in mix.items()) + each("cognito.mau")
        old = sum(n * bills[op].seven_readers().total() for op, n in mix.items()) + each("cognito.mau")
        print(f"| {who} | {', '.join(f'{n} {op}' for op, n in mix.items())} | {money(new)} | {money(old)} |")

    print("\nPrices used (per unit):", "; ".join(f"{name} {p.usd:g} per {p.per:,}" for name, p in PRICES.items()) + ".")
    print("DynamoDB Streams GetRecords made by Lambda triggers are not charged (only Lambda time is): the seven readers' 7x reads "
          "cost nothing in themselves; their 7x invocations and durations do. Lambda durations are the local stack's (in process, "
          "over moto): an upper bound of Lambda's. Seven readers: modelled (7 x the router's invocations, each as long as its run; "
          "no notices or policies queue), see benchmarks/costs.py.")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PRIVACY_PROFILE", "strict")
    sys.exit(main())

"""Drives the app's non-HTTP functions the way AWS would, against the embedded moto.

- Stream pump: one iterator per (function, shard), records in the Lambda event shape,
  in order; a failed batch is retried (same records, same order) up to
  `STREAM_MAX_ATTEMPTS` times, then skipped and reported, like an event source
  mapping with MaximumRetryAttempts and an on-failure destination.
- Queue poller: receives with the queue's visibility timeout, deletes on success;
  failures are redelivered and, after the queue's maxReceiveCount, moto's redrive
  moves the message to the DLQ.
- Scheduler: fires each `@app.schedule` function when the local clock reaches its
  next time (after a jump of the clock it fires once, as EventBridge does not
  backfill missed runs).
- TTL reaper: deletes items whose TTL attribute is in the past, as DynamoDB's TTL
  process does, and marks their REMOVE stream records with the service principal.
  It learns what is due from `local/ttl_index.py` (moto's writes, in-process), not by Scan.
"""
from __future__ import annotations

import json
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from chalicelib.core import clock, resources
from local.iam_check import acting_as
from local.schedule_expr import Expression, parse

STREAM_MAX_ATTEMPTS = 3
TTL_PRINCIPAL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _client(service: str) -> Any:
    """The runtime's own clients (not the app's), made once: building one costs ~0.2 s."""
    with _clients_lock:
        if service not in _clients:
            _clients[service] = boto3.session.Session().client(service)
        return _clients[service]


def _context(name: str) -> Any:
    from chalice.local import LambdaContext

    return LambdaContext(function_name=name, memory_size=512, max_runtime_ms=60000)


def _invoke(handler: Callable[..., Any], name: str, event: dict[str, Any]) -> tuple[bool, str | None]:
    try:
        with acting_as(name):
            handler(event, _context(name))
        return True, None
    except Exception as exc:  # the function failed: the event source retries
        traceback.print_exc()
        return False, type(exc).__name__


@dataclass
class StreamSubscription:
    name: str
    handler: Callable[..., Any]
    table: str
    batch_size: int
    starting_position: str
    stream_arn: str | None = None
    shard_id: str | None = None
    last_sequence: str | None = None
    iterator: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    ttl_keys: set[str] = field(default_factory=set)  # keys the reaper deleted, not yet seen
    read_to: int | None = None  # the shard's end when this subscription last read nothing new


@dataclass
class QueueSubscription:
    name: str
    handler: Callable[..., Any]
    queue: str
    batch_size: int
    url: str | None = None
    arn: str | None = None


@dataclass
class Job:
    name: str
    handler: Callable[..., Any]
    expression: Expression
    next_run: float
    runs: int = 0
    last_run: float | None = None
    last_status: str | None = None
    last_result: Any = None


def _moto_stream_end(table: str) -> int | None:
    """Where the table's stream shard ends now, read from the embedded moto when it runs in
    this process (the local stack, the tests); None elsewhere. Lets the pump skip the
    GetRecords call of a subscription that has already read to the end: an idle tick
    then costs no AWS call, and request threads keep the interpreter to themselves."""
    try:
        from moto.dynamodb.models import dynamodb_backends

        from local.moto_server import DYNAMODB_LOCK

        with DYNAMODB_LOCK:  # never the tentative record of a transaction that may yet be cancelled
            for regions in dynamodb_backends.values():
                for backend in regions.values():
                    found = backend.tables.get(table)
                    if found is not None and found.stream_shard is not None:
                        shard = found.stream_shard
                        return shard.starting_sequence_number + len(shard.items)
    except Exception:  # noqa: S110 - not in-process: read as usual
        pass
    return None


def _moto_queue_empty(queue: str) -> bool:
    """Whether the embedded moto (in this process) holds no message at all in `queue`."""
    try:
        from moto.sqs.models import sqs_backends

        for regions in sqs_backends.values():
            for backend in regions.values():
                found = backend.queues.get(queue)
                if found is not None:
                    return not found._messages
    except Exception:  # noqa: S110 - not in-process: poll as usual
        pass
    return False


def _keys_id(keys: dict[str, Any]) -> str:
    return json.dumps(keys, sort_keys=True)


def as_the_api_function(request: Any, get_response: Callable[[Any], Any]) -> Any:
    """HTTP middleware: every request's AWS calls are the API function's (its IAM role), as in
    AWS, where the API function serves them. (Each request's own state is per thread already:
    the app is `chalicelib.core.application.Application`.)"""
    with acting_as("api_handler"):
        return get_response(request)


class LocalRuntime:
    def __init__(self, app: Any):
        self.app = app
        if (as_the_api_function, "http") not in app.middleware_handlers:  # one runtime after another on one app
            app.register_middleware(as_the_api_function, "http")
        self.lock = threading.RLock()
        self.streams: list[StreamSubscription] = []
        self.queues: list[QueueSubscription] = []
        self.jobs: dict[str, Job] = {}
        self.failures: deque[dict[str, Any]] = deque(maxlen=200)
        self._stop = threading.Event()
        self._last_reap, self._last_reap_clock = 0.0, 0.0
        self._thread: threading.Thread | None = None
        from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig

        now = clock.now_ts()
        for source in app.event_sources:
            handler = app.handler_map[source.name]
            if isinstance(source, DynamoDBEventConfig):
                self.streams.append(
                    StreamSubscription(
                        source.name, handler, resources.table_of_stream_arn(source.stream_arn),
                        source.batch_size, source.starting_position,
                    )
                )
            elif isinstance(source, SQSEventConfig):
                self.queues.append(QueueSubscription(source.name, handler, source.queue, source.batch_size))
            elif isinstance(source, ScheduledEventConfig):
                expression = parse(source.schedule_expression)
                self.jobs[source.name] = Job(source.name, handler, expression, expression.next_after(now))

    # --- streams ---------------------------------------------------------------

    def _open(self, sub: StreamSubscription) -> bool:
        """The subscription's iterator: the one the last read returned, else a new one after
        the last record delivered (or at the starting position)."""
        streams = _client("dynamodbstreams")
        if sub.stream_arn is None:
            table = _client("dynamodb").describe_table(TableName=sub.table)["Table"]
            sub.stream_arn = table.get("LatestStreamArn")
            if not sub.stream_arn:
                return False
            sub.shard_id = streams.describe_stream(StreamArn=sub.stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
        if sub.iterator is not None:
            return True
        if sub.last_sequence is not None:
            position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": sub.last_sequence}
        else:
            position = {"ShardIteratorType": sub.starting_position}
        sub.iterator = streams.get_shard_iterator(StreamArn=sub.stream_arn, ShardId=sub.shard_id, **position)["ShardIterator"]
        return True

    def _lambda_record(self, sub: StreamSubscription, record: dict[str, Any]) -> dict[str, Any]:
        out = json.loads(json.dumps(record, default=lambda v: v.timestamp() if hasattr(v, "timestamp") else str(v)))
        out["eventSourceARN"] = sub.stream_arn
        if out["eventName"] == "REMOVE":
            key = _keys_id(out["dynamodb"]["Keys"])
            if key in sub.ttl_keys:
                sub.ttl_keys.discard(key)
                out["userIdentity"] = dict(TTL_PRINCIPAL)
        return out

    def _read(self, sub: StreamSubscription) -> dict[str, Any] | None:
        """The next batch of the subscription's shard. Where its position has been trimmed
        (records older than the stream's 24 hours), go on from the trim horizon, as Lambda
        does, and say how it happened in the failures list; an expired iterator is taken anew."""
        from botocore.exceptions import ClientError

        for _ in range(2):
            try:
                if not self._open(sub):
                    return None
                return _client("dynamodbstreams").get_records(ShardIterator=sub.iterator, Limit=sub.batch_size)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code == "TrimmedDataAccessException":
                    self.failures.append({"function": sub.name, "source": "stream", "records": None, "at": clock.iso(),
                                          "error": "records past the 24-hour retention were skipped (trim horizon)"})
                    sub.last_sequence, sub.iterator, sub.starting_position = None, None, "TRIM_HORIZON"
                elif code == "ExpiredIteratorException":
                    sub.iterator = None
                else:
                    raise
        return None

    def pump_streams(self) -> list[dict[str, Any]]:
        """Give each stream subscription its next batch and run its function. The
        subscriptions of a table that stand at the same position share one GetRecords
        call (each still gets its own records, retries and failures): every Lambda has
        its own poller in AWS, but here each read costs the one interpreter the request
        threads need too, and moto's serialising a batch of full images eight times over
        was a quarter of the stack's CPU under load (measured with py-spy)."""
        ran = []
        groups: dict[tuple[str, str | None, int, str | None], list[StreamSubscription]] = {}
        for sub in self.streams:
            if not sub.pending:
                start = sub.starting_position if sub.last_sequence is None else None
                groups.setdefault((sub.table, sub.last_sequence, sub.batch_size, start), []).append(sub)
        for (table, *_), group in groups.items():
            leader = group[0]
            end = _moto_stream_end(table) if leader.iterator is not None else None
            if end is not None and end == leader.read_to:
                continue  # nothing written since they last read to the end
            reply = self._read(leader)
            if reply is None:
                continue
            for sub in group:
                sub.stream_arn, sub.shard_id, sub.starting_position = leader.stream_arn, leader.shard_id, leader.starting_position
                sub.read_to = end if not reply["Records"] else None
                sub.iterator = reply.get("NextShardIterator")
                if reply["Records"]:
                    sub.last_sequence = reply["Records"][-1]["dynamodb"]["SequenceNumber"]
                sub.pending = [self._lambda_record(sub, r) for r in reply["Records"]]
                sub.attempts = 0
        for sub in self.streams:
            if not sub.pending:
                continue
            ok, error = _invoke(sub.handler, sub.name, {"Records": sub.pending})
            sub.attempts += 1
            ran.append({"function": sub.name, "source": "stream", "records": len(sub.pending), "ok": ok, "attempt": sub.attempts})
            if ok or sub.attempts >= STREAM_MAX_ATTEMPTS:
                if not ok:
                    self.failures.append({"function": sub.name, "source": "stream", "records": len(sub.pending), "error": error, "at": clock.iso()})
                sub.pending = []
                sub.attempts = 0
        return ran

    # --- queues ----------------------------------------------------------------

    QUEUE_BATCHES_PER_TICK = 10  # Lambda runs a queue's batches concurrently; here up to this many a tick

    def poll_queues(self, retry_now: bool = False) -> list[dict[str, Any]]:
        ran: list[dict[str, Any]] = []
        for _ in range(self.QUEUE_BATCHES_PER_TICK):
            step = self._poll_queues_once(retry_now)
            ran += step
            if not step:
                break
        return ran

    def _poll_queues_once(self, retry_now: bool) -> list[dict[str, Any]]:
        ran = []
        sqs = _client("sqs")
        for sub in self.queues:
            if sub.url is None:
                sub.url = sqs.get_queue_url(QueueName=sub.queue)["QueueUrl"]
                sub.arn = sqs.get_queue_attributes(QueueUrl=sub.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            if _moto_queue_empty(sub.queue):
                continue
            messages = sqs.receive_message(
                QueueUrl=sub.url, MaxNumberOfMessages=min(sub.batch_size, 10), WaitTimeSeconds=0,
                AttributeNames=["All"], MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                continue
            event = {
                "Records": [
                    {
                        "messageId": m["MessageId"],
                        "receiptHandle": m["ReceiptHandle"],
                        "body": m["Body"],
                        "attributes": m.get("Attributes", {}),
                        "messageAttributes": m.get("MessageAttributes", {}),
                        "md5OfBody": m["MD5OfBody"],
                        "eventSource": "aws:sqs",
                        "eventSourceARN": sub.arn,
                        "awsRegion": "us-east-1",
                    }
                    for m in messages
                ]
            }
            ok, error = _invoke(sub.handler, sub.name, event)
            ran.append({"function": sub.name, "source": "queue", "records": len(messages), "ok": ok})
            if ok:
                sqs.delete_message_batch(
                    QueueUrl=sub.url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
                )
            else:
                self.failures.append({"function": sub.name, "source": "queue", "records": len(messages), "error": error, "at": clock.iso()})
                if retry_now:  # drain: do not wait out the visibility timeout
                    for m in messages:
                        sqs.change_message_visibility(QueueUrl=sub.url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
        return ran

    def queue_backlog(self) -> int:
        sqs = _client("sqs")
        total = 0
        for sub in self.queues:
            if sub.url:
                attrs = sqs.get_queue_attributes(QueueUrl=sub.url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
                total += int(attrs.get("ApproximateNumberOfMessages", 0))
        return total

    # --- TTL ---------------------------------------------------------------------

    def reap_ttl(self) -> list[dict[str, Any]]:
        """Delete what DynamoDB's TTL would have deleted by now: the items `local.ttl_index`
        says are due (no Scan), each on the condition that it still carries that expiry.
        Their REMOVE records are marked as made by the DynamoDB service, as in AWS."""
        from local import ttl_index

        self._last_reap, self._last_reap_clock = time.monotonic(), clock.now_ts()
        ran = []
        ddb = _client("dynamodb")
        now = clock.now_ts()
        for table in resources.TABLES:
            if not table.ttl_attribute:
                continue
            deleted = 0
            for keys, was in ttl_index.due(table.name, now):
                try:
                    ddb.delete_item(
                        TableName=table.name, Key=keys,
                        ConditionExpression="#t = :was",
                        ExpressionAttributeNames={"#t": table.ttl_attribute},
                        ExpressionAttributeValues={":was": {"N": was}},
                    )
                except ddb.exceptions.ConditionalCheckFailedException:
                    continue  # changed or gone since: no longer expired
                deleted += 1
                for sub in self.streams:
                    if sub.table == table.name:
                        sub.ttl_keys.add(_keys_id(keys))
            if deleted:
                ran.append({"function": "dynamodb-ttl", "source": "ttl", "table": table.logical, "records": deleted, "ok": True})
        return ran

    # --- schedules ---------------------------------------------------------------

    def _fire(self, job: Job) -> dict[str, Any]:
        now = clock.now_ts()
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "000000000000",
            "time": clock.iso(now),
            "region": "us-east-1",
            "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{job.name}"],
            "detail": {},
        }
        ok, error = _invoke(job.handler, job.name, event)
        job.runs += 1
        job.last_run = now
        job.last_status = "ok" if ok else f"failed: {error}"
        job.next_run = job.expression.next_after(now)
        if not ok:
            self.failures.append({"function": job.name, "source": "schedule", "error": error, "at": clock.iso()})
        return {"function": job.name, "source": "schedule", "ok": ok}

    def run_due_schedules(self) -> list[dict[str, Any]]:
        with self.lock, acting_as(None):  # the event sources' own calls are AWS's, not a function's
            now = clock.now_ts()
            return [self._fire(job) for job in self.jobs.values() if job.next_run <= now]

    def run_job(self, name: str) -> dict[str, Any]:
        with self.lock, acting_as(None):  # the event sources' own calls are AWS's, not a function's
            return self._fire(self.jobs[name])

    def job_list(self) -> list[dict[str, Any]]:
        return [
            {
                "name": j.name,
                "schedule": j.expression.text,
                "next_run": clock.iso(j.next_run),
                "last_run": clock.iso(j.last_run) if j.last_run else None,
                "last_status": j.last_status,
                "runs": j.runs,
            }
            for j in self.jobs.values()
        ]

    def advance_clock(self, seconds: float) -> list[dict[str, Any]]:
        """Move the test clock. Stream records waiting are delivered first, as Lambda would
        have done in the time that passes: a jump past the streams' 24-hour retention
        must not trim records no function has seen."""
        with self.lock, acting_as(None):  # the event sources' own calls are AWS's, not a function's
            for _ in range(200):
                if not self.pump_streams():
                    break
            clock.advance(seconds)
            return self.run_due_schedules()

    # --- driving -------------------------------------------------------------------

    REAP_EVERY_SECONDS = 5.0  # the background reaper's pace (AWS's own TTL deletes within days)

    def tick(self, retry_now: bool = False) -> list[dict[str, Any]]:
        with self.lock, acting_as(None):  # the event sources' own calls are AWS's, not a function's
            reaped: list[dict[str, Any]] = []
            elapsed = time.monotonic() - self._last_reap
            clock_jumped = clock.now_ts() - (self._last_reap_clock + elapsed) > 1
            if elapsed >= self.REAP_EVERY_SECONDS or clock_jumped:
                reaped = self.reap_ttl()
            return reaped + self.pump_streams() + self.poll_queues(retry_now) + self.run_due_schedules()

    def drain(self, max_rounds: int = 200) -> dict[str, Any]:
        """Deliver until a full round finds nothing to do."""
        ran: list[dict[str, Any]] = []
        with self.lock, acting_as(None):  # the event sources' own calls are AWS's, not a function's
            ran += self.reap_ttl()  # once: the clock does not move during a drain
            for rounds in range(1, max_rounds + 1):
                step = self.pump_streams() + self.poll_queues(retry_now=True)
                ran += step
                if not step and not any(s.pending for s in self.streams) and self.queue_backlog() == 0:
                    return {"ran": ran, "rounds": rounds, "complete": True}
        return {"ran": ran, "rounds": max_rounds, "complete": False}

    def start(self, interval: float = 0.2) -> None:
        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.tick()
                except Exception:
                    traceback.print_exc()

        self._thread = threading.Thread(target=loop, name="local-event-sources", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

"""The local event sources deliver like AWS: streams in order with retries, queues
with redelivery and a DLQ, schedules on the test clock, TTL expiry as REMOVE records
from the DynamoDB service principal. Probe functions on a small Chalice app record
what they are given; the runtime and moto are the real ones.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from chalice import Chalice

from chalicelib.core import clock, resources
from local.runtime import STREAM_MAX_ATTEMPTS, LocalRuntime, as_the_api_function

TABLE = resources.MAIN_TABLE


@pytest.fixture
def ddb(cloud):
    return boto3.client("dynamodb")


def _put(ddb, pk: str, **extra):
    item = {"pk": {"S": pk}, "sk": {"S": "PROBE"}, "kind": {"S": "probe"}}
    item.update(extra)
    ddb.put_item(TableName=TABLE.name, Item=item)


def probe_stream_app(fail_times: int = 0):
    app = Chalice(app_name="probe")
    seen: list[dict] = []
    state = {"failures_left": fail_times, "calls": 0}

    @app.on_dynamodb_record(stream_arn=resources.stream_arn(TABLE), batch_size=100, starting_position="LATEST")
    def probe(event):
        state["calls"] += 1
        if state["failures_left"] > 0:
            state["failures_left"] -= 1
            raise RuntimeError("downstream unavailable")
        seen.extend(event.to_dict()["Records"])

    return app, seen, state


def test_stream_records_arrive_in_order_in_the_lambda_shape(ddb):
    app, seen, _ = probe_stream_app()
    runtime = LocalRuntime(app)
    runtime.pump_streams()  # opens the iterator at LATEST
    for n in range(5):
        _put(ddb, f"PROBE#order-{n}")
    runtime.drain()
    mine = [r for r in seen if r["dynamodb"]["Keys"]["pk"]["S"].startswith("PROBE#order-")]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in mine] == [f"PROBE#order-{n}" for n in range(5)]
    first = mine[0]
    assert first["eventName"] == "INSERT"
    assert first["eventSource"] == "aws:dynamodb"
    assert first["eventSourceARN"].startswith(f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE.name}/stream/")
    assert first["dynamodb"]["NewImage"]["kind"] == {"S": "probe"}
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], (int, float))


def test_a_failed_batch_is_retried_with_the_same_records(ddb):
    app, seen, state = probe_stream_app(fail_times=STREAM_MAX_ATTEMPTS - 1)
    runtime = LocalRuntime(app)
    runtime.pump_streams()
    _put(ddb, "PROBE#retry")
    result = runtime.drain()
    attempts = [r for r in result["ran"] if r["function"] == "probe"]
    assert [a["ok"] for a in attempts] == [False] * (STREAM_MAX_ATTEMPTS - 1) + [True]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in seen] == ["PROBE#retry"]
    assert state["calls"] == STREAM_MAX_ATTEMPTS


def test_a_batch_that_keeps_failing_is_reported_and_skipped(ddb):
    app, seen, _ = probe_stream_app(fail_times=STREAM_MAX_ATTEMPTS)
    runtime = LocalRuntime(app)
    runtime.pump_streams()
    _put(ddb, "PROBE#poison")
    _put(ddb, "PROBE#after-poison")
    result = runtime.drain()
    assert result["complete"]
    assert runtime.failures and runtime.failures[-1]["function"] == "probe"
    # both records were in the failed batch; the shard moved on and the next write flows
    _put(ddb, "PROBE#next")
    runtime.drain()
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in seen] == ["PROBE#next"]


def test_ttl_expiry_deletes_and_marks_the_remove_record(ddb):
    app, seen, _ = probe_stream_app()
    runtime = LocalRuntime(app)
    runtime.pump_streams()
    now = int(clock.now_ts())
    _put(ddb, "PROBE#ttl-soon", expires_at={"N": str(now + 60)})
    _put(ddb, "PROBE#ttl-later", expires_at={"N": str(now + 7200)})
    _put(ddb, "PROBE#user-delete")
    ddb.delete_item(TableName=TABLE.name, Key={"pk": {"S": "PROBE#user-delete"}, "sk": {"S": "PROBE"}})
    runtime.drain()
    assert "Item" in ddb.get_item(TableName=TABLE.name, Key={"pk": {"S": "PROBE#ttl-soon"}, "sk": {"S": "PROBE"}})
    clock.advance(120)
    runtime.drain()
    gone = ddb.get_item(TableName=TABLE.name, Key={"pk": {"S": "PROBE#ttl-soon"}, "sk": {"S": "PROBE"}})
    kept = ddb.get_item(TableName=TABLE.name, Key={"pk": {"S": "PROBE#ttl-later"}, "sk": {"S": "PROBE"}})
    assert "Item" not in gone and "Item" in kept
    removes = {r["dynamodb"]["Keys"]["pk"]["S"]: r for r in seen if r["eventName"] == "REMOVE"}
    assert removes["PROBE#ttl-soon"]["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert "userIdentity" not in removes["PROBE#user-delete"]


def test_queue_failures_are_redelivered_then_dead_lettered(cloud):
    sqs = boto3.client("sqs")
    queue = resources.Queue("probe-queue", visibility_timeout=30, max_receive_count=3)
    from local import provision

    provision.queue(queue)
    app = Chalice(app_name="probe")
    calls: list[str] = []

    @app.on_sqs_message(queue=queue.name, batch_size=1)
    def always_fails(event):
        for record in event:
            calls.append(record.body)
        raise RuntimeError("cannot handle")

    runtime = LocalRuntime(app)
    url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    result = runtime.drain()
    assert result["complete"]
    assert calls == ["poison"] * queue.max_receive_count
    dlq = sqs.get_queue_url(QueueName=queue.dlq_name)["QueueUrl"]
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == ["poison"]


def test_schedules_fire_when_the_clock_reaches_them():
    app = Chalice(app_name="probe")
    fired: list[str] = []

    @app.schedule("rate(1 hour)")
    def hourly(event):
        fired.append(event.to_dict()["time"])

    runtime = LocalRuntime(app)
    assert runtime.run_due_schedules() == []
    runtime.advance_clock(1800)
    assert fired == []
    runtime.advance_clock(1800)
    assert len(fired) == 1
    # a long jump fires once, like EventBridge, and the next run is a period later
    runtime.advance_clock(5 * 3600)
    assert len(fired) == 2
    job = runtime.job_list()[0]
    assert job["runs"] == 2 and job["last_status"] == "ok"
    assert job["next_run"] == clock.iso(clock.now_ts() + 3600)


def test_concurrent_requests_each_see_their_own_and_act_as_the_api_function():
    """The app's class keeps the current request per thread (the local API serves requests on
    threads of one process); the runtime makes each request the API function's."""
    from chalice.test import Client

    from chalicelib.core.application import Application
    from local import iam_check

    app = Application(app_name="probe")
    both_in = threading.Barrier(2)

    @app.route("/who/{name}")
    def who(name):
        both_in.wait(timeout=10)  # each request has set the app's current request by now
        return {"asked": app.current_request.uri_params["name"], "acting": iam_check.acting()}

    LocalRuntime(app)
    LocalRuntime(app)  # a second runtime on the same app adds nothing
    assert [f for f, _ in app.middleware_handlers].count(as_the_api_function) == 1
    with Client(app) as client, ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda n: client.http.get(f"/who/{n}").json_body, ["ann", "bob"]))
    assert answers == [{"asked": "ann", "acting": "api_handler"}, {"asked": "bob", "acting": "api_handler"}]
    assert iam_check.acting() is None

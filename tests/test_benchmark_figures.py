"""Benchmarks print figures only: the app's log and metric lines (its stdout in Lambda) go to
stderr, and the report keeps any that get onto stdout out of BENCHMARKS.md."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from benchmarks import figures

ROOT = Path(__file__).resolve().parent.parent
LOG = json.dumps({"level": "INFO", "location": "signup:98", "message": "account created", "timestamp": "2026-11-23 20:40:55,798+0000",
                  "service": "marketplace", "user_id": "u1"}, separators=(",", ":"))
METRIC = json.dumps({"_aws": {"Timestamp": 1, "CloudWatchMetrics": []}, "function": "api", "BidsPlaced": [1.0]}, separators=(",", ":"))
FIGURES = ["request                status  calls", "POST /auth/signup (cold)  201  5", "| job | removed |", "", '{"not": "a log line"}']


def test_the_report_keeps_the_figures_and_drops_the_apps_log_and_metric_lines():
    printed = "\n".join([FIGURES[0], LOG, FIGURES[1], METRIC, *FIGURES[2:]])
    assert figures.only_figures(printed) == "\n".join(FIGURES)


def test_the_existing_report_holds_figures_only():
    text = (ROOT / "BENCHMARKS.md").read_text()
    assert [line for line in text.split("\n") if figures.is_log_line(line)] == []


def test_stdout_diverted_sends_log_lines_to_stderr_a_line_at_a_time():
    shown, logged = io.StringIO(), io.StringIO()
    out = figures._Divert(shown, logged)
    out.write(FIGURES[0][:5])
    out.write(FIGURES[0][5:] + "\n" + LOG[:20])
    out.write(LOG[20:] + "\n" + METRIC + "\n" + FIGURES[1] + "\n...")
    out.flush()
    assert shown.getvalue() == FIGURES[0] + "\n" + FIGURES[1] + "\n..."
    assert logged.getvalue() == LOG + "\n" + METRIC + "\n"


def test_a_benchmark_prints_figures_on_stdout_and_the_app_logs_on_stderr():
    """The real logger and metrics, as a benchmark process has them."""
    script = (
        "from benchmarks.figures import app_logs_to_stderr\n"
        "app_logs_to_stderr()\n"
        "from chalicelib.core import observability\n"
        "print('figure 1')\n"
        "observability.logger.info('account created', extra={'user_id': 'u1'})\n"
        "observability.metrics.add_metric(name='BidsPlaced', unit='Count', value=1)\n"
        "observability.metrics.flush_metrics()\n"
        "print('figure 2', flush=True)\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert ran.stdout == "figure 1\nfigure 2\n"
    logged = [json.loads(line) for line in ran.stderr.splitlines() if figures.is_log_line(line)]
    assert [record.get("message") or next(iter(record["_aws"]["CloudWatchMetrics"][0]["Metrics"]))["Name"] for record in logged] == [
        "account created", "BidsPlaced"]


# --- benchmarks/costs.py: the pricing of what the meter saw, on small known cases -------------------

class _Client:
    def __init__(self, service: str):
        self.meta = type("Meta", (), {"service_model": type("Model", (), {"service_name": service})()})()


def _priced(service: str, operation: str, params: dict, response: dict | None = None, indexes: dict | None = None,
            probed: dict | None = None):
    from benchmarks.costs import Meter

    meter = Meter(indexes or {}, 1024, 512)

    def original(client, op, p):  # noqa: ANN001 - AWS's answer: the probe's item, or the call's
        return {"Item": probed} if op == "GetItem" and p.get("ConsistentRead") and probed is not None else (response or {})

    meter.call(_Client(service), operation, params, original)
    return meter.bill.units


def test_a_2_5_kb_put_item_costs_3_write_units_at_the_list_price():
    from benchmarks.costs import dollars, item_size, write_units
    from benchmarks.prices import PRICES

    item = {"pk": {"S": "x" * (2560 - 2)}}  # 2 bytes of name, 2,558 of value: 2.5 KB
    assert item_size(item) == 2560 and write_units(2560) == 3
    units = _priced("dynamodb", "PutItem", {"TableName": "t", "Item": item})
    assert units == {"dynamodb.wru": 3}
    assert PRICES["dynamodb.wru"].usd == 0.625 and abs(dollars(units) - 0.000001875) < 1e-15  # 3 x $0.625 per million
    # in a global secondary index as well: written there too; in a transaction: twice
    assert _priced("dynamodb", "PutItem", {"TableName": "t", "Item": {**item, "g": {"S": "k"}}},
                   indexes={"t": ["g"]})["dynamodb.wru"] == 3 + 3
    assert _priced("dynamodb", "TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "t", "Item": item}}]}) == {"dynamodb.wru": 6}
    # a delete is priced by the item it removes (read before it)
    assert _priced("dynamodb", "DeleteItem", {"TableName": "t", "Key": {"pk": {"S": "x"}}}, probed=item) == {"dynamodb.wru": 3}


def test_reads_sqs_chunks_and_the_other_services_are_priced_by_their_rules():
    big = {"pk": {"S": "x" * (4096 - 2 + 1)}}  # 4 KB and a byte
    assert _priced("dynamodb", "GetItem", {"TableName": "t", "Key": {}, "ConsistentRead": True}, {"Item": big}) == {"dynamodb.rru": 2}
    assert _priced("dynamodb", "GetItem", {"TableName": "t", "Key": {}}, {"Item": big}) == {"dynamodb.rru": 1}  # eventually consistent
    assert _priced("dynamodb", "GetItem", {"TableName": "t", "Key": {}}, {}) == {"dynamodb.rru": 0.5}  # a miss is still a read
    assert _priced("dynamodb", "Query", {"TableName": "t", "IndexName": "gsi1", "ConsistentRead": False},
                   {"Items": [{"a": {"S": "x" * 2999}}] * 3}) == {"dynamodb.rru": 1.5}  # 9 KB together: 3 units, halved
    # a batch read bills every key asked for: found ones by size, missing ones at the minimum, unprocessed ones not at all
    keys = [{"pk": {"S": str(n)}} for n in range(4)]
    assert _priced("dynamodb", "BatchGetItem", {"RequestItems": {"t": {"Keys": keys, "ConsistentRead": True}}},
                   {"Responses": {"t": [big]}, "UnprocessedKeys": {"t": {"Keys": keys[3:]}}}) == {"dynamodb.rru": 2 + 1 + 1}
    assert _priced("sqs", "SendMessageBatch", {"QueueUrl": "u/q", "Entries": [{"MessageBody": "x" * 40_000}] * 2}) == {"sqs.request": 2}
    assert _priced("sqs", "SendMessageBatch", {"QueueUrl": "u/q", "Entries": [{"MessageBody": "{}"}] * 10}) == {"sqs.request": 1}
    assert _priced("ses", "SendEmail", {"Destination": {"ToAddresses": ["a@example.com"]}}) == {"ses.email": 1}
    assert _priced("sns", "Publish", {"PhoneNumber": "+14155550100", "Message": "x"}) == {"sns.sms": 1}
    assert _priced("s3", "PutObject", {}) == {"s3.write": 1} and _priced("s3", "GetObject", {}) == {"s3.read": 1}
    assert _priced("s3", "DeleteObject", {}) == {} and _priced("dynamodbstreams", "GetRecords", {}) == {}


def test_lambda_is_priced_per_request_and_per_gb_second_at_the_functions_memory():
    from benchmarks.costs import Bill, gb_seconds
    from benchmarks.prices import each

    assert gb_seconds(0.2004, 512) == 0.201 * 0.5  # billed per 1 ms
    bill = Bill(invocations=[("api", 1.0, 1024), ("route_changes", 0.1, 512)])
    assert bill.total() == 2 * each("lambda.request") + (1.0 + 0.05) * each("lambda.gb_second")
    old = Bill(invocations=[("route_changes", 0.1, 512), ("bid_notices", 0.2, 512)]).seven_readers()
    assert old.lambda_units()["lambda.request"] == 7  # seven stream functions; the notice done inside one of them
    assert abs(old.lambda_units()["lambda.gb_second"] - (7 * 0.1 + 0.2) * 0.5) < 1e-9

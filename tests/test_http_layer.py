"""The shared HTTP layer: validation, error shapes, correlation ids, OpenAPI."""
from __future__ import annotations

import json
import logging

import pytest
from chalice import Blueprint, Chalice
from chalice.test import Client
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import Call, endpoint
from chalicelib.core import errors, observability


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=20)
    count: int


def probe_app() -> Chalice:
    """A small app built with the same layer, with a route that crashes on purpose."""
    app = Chalice(app_name="probe")
    observability.install(app)
    bp = Blueprint(__name__)

    @endpoint(bp, "/things", "POST", body=Thing, auth=None, status=201)
    def make_thing(call: Call) -> dict:
        if call.body.name == "taken":
            raise errors.Conflict("That name is taken", code="NameTaken")
        return {"name": call.body.name, "count": call.body.count}

    @endpoint(bp, "/boom", auth=None)
    def boom(call: Call) -> dict:
        raise RuntimeError("secret internal detail alice@example.com")

    app.register_blueprint(bp)
    return app


def post(client, path, body, headers=None):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post(path, body=raw, headers={"content-type": "application/json", **(headers or {})})


def test_valid_body_reaches_the_view():
    with Client(probe_app()) as client:
        reply = post(client, "/things", {"name": "a", "count": 2})
    assert reply.status_code == 201
    assert reply.json_body == {"name": "a", "count": 2}


def test_malformed_json_is_a_400_naming_the_body():
    with Client(probe_app()) as client:
        reply = post(client, "/things", "{not json")
    assert reply.status_code == 400
    assert reply.json_body["Code"] == "BadRequestError"
    assert reply.json_body["Details"]["field"] == "body"


def test_wrong_type_missing_and_unknown_fields_are_named():
    with Client(probe_app()) as client:
        wrong = post(client, "/things", {"name": "a", "count": "many"})
        missing = post(client, "/things", {"name": "a"})
        unknown = post(client, "/things", {"name": "a", "count": 1, "colour": "red"})
        too_long = post(client, "/things", {"name": "x" * 21, "count": 1})
    assert wrong.status_code == 400 and wrong.json_body["Details"]["field"] == "count"
    assert missing.status_code == 400 and "count" in missing.json_body["Message"]
    assert "required" in missing.json_body["Message"]
    assert unknown.status_code == 400 and unknown.json_body["Details"]["field"] == "colour"
    assert too_long.status_code == 400 and too_long.json_body["Details"]["field"] == "name"


def test_oversized_body_is_a_400():
    with Client(probe_app()) as client:
        reply = post(client, "/things", {"name": "a", "count": 1, "pad": "x" * 70000})
    assert reply.status_code == 400
    assert "larger than" in reply.json_body["Message"]


def test_domain_error_maps_to_status_and_code():
    with Client(probe_app()) as client:
        reply = post(client, "/things", {"name": "taken", "count": 1})
    assert reply.status_code == 409
    assert reply.json_body == {"Code": "NameTaken", "Message": "That name is taken"}


@pytest.fixture
def emitted():
    """The JSON lines the logger writes, formatted when and where each is emitted (as the
    Lambda runtime sends them to CloudWatch), collected in a list."""
    lines: list[dict] = []
    formatter = observability.logger.registered_formatter

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(formatter.format(record)))

    handler = Keep()
    observability.logger.addHandler(handler)
    yield lines
    observability.logger._logger.removeHandler(handler)


def test_unhandled_error_is_a_generic_500_with_the_correlation_id(emitted):
    with Client(probe_app()) as client:
        reply = client.http.get("/boom", headers={"x-correlation-id": "abc-123"})
    assert reply.status_code == 500
    body = reply.json_body
    assert body["Code"] == "InternalServerError"
    assert body["correlation_id"] == "abc-123"
    assert reply.headers["X-Correlation-Id"] == "abc-123"
    assert "secret" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    logged = emitted
    out = json.dumps(logged)
    errors_logged = [line for line in logged if line.get("level") == "ERROR"]
    assert errors_logged and errors_logged[0]["correlation_id"] == "abc-123"
    assert errors_logged[0]["exception_name"] == "RuntimeError"
    assert errors_logged[0]["frames"][-1]["function"] == "boom"
    assert "alice@example.com" not in out  # the exception's text may carry personal data


def test_health_and_openapi(client):
    assert client.get("/health").json_body == {"status": "ok"}
    from openapi_spec_validator import validate

    doc = client.get("/openapi.json").json_body
    validate(doc)
    assert "/health" in doc["paths"]
    advance = doc["paths"]["/_dev/clock"]["post"]
    schema_name = advance["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "advance_seconds" in doc["components"]["schemas"][schema_name]["properties"]
    assert "400" in advance["responses"]


def test_openapi_lists_every_route_the_app_serves(app, client):
    doc = client.get("/openapi.json").json_body
    from chalicelib.api.edge import EDGE_METHODS
    from chalicelib.api.http import ROUTES

    routes = {(path, method) for path, methods in app.routes.items() for method in methods}
    edge = {(path, method) for path, method in routes if (path, method) not in ROUTES}
    assert edge and {method for _, method in edge} <= EDGE_METHODS  # only the edge's preflights and 405s stay out
    served = {(path, method.lower()) for path, method in routes - edge}
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert served == documented


def test_dev_clock_rejects_bad_input_and_never_goes_back(client):
    reply = client.post("/_dev/clock", body=json.dumps({"advance_seconds": -5}), headers={"content-type": "application/json"})
    assert reply.status_code == 400
    assert reply.json_body["Details"]["field"] == "advance_seconds"


def test_a_cursor_dynamodb_refuses_is_the_callers_400():
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import QueryError

    from chalicelib.repos.cursors import refused as refused_cursor

    cause = ClientError({"Error": {"Code": "ValidationException", "Message": "The provided starting key is invalid"}}, "Query")
    refused = refused_cursor(QueryError("Failed to query items", cause), {"next_cursor": "abc"})
    assert refused is not None and refused.status == 400 and refused.details == {"field": "cursor"}
    assert refused_cursor(QueryError("Failed to query items", cause), {}) is None  # without a cursor it is our fault: 500
    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "Query")
    assert refused_cursor(QueryError("Failed to query items", throttled), {"next_cursor": "abc"}) is None


def test_each_thread_keeps_its_own_log_context(emitted):
    """Locally the API threads and the event-source runners share a process: a request's
    500 is logged with its own function and correlation id, not those of a queue delivery
    running at the same moment on another thread."""
    import threading

    app = probe_app()
    inside, release = threading.Event(), threading.Event()

    @app.on_sqs_message(queue="probe")
    def slow_delivery(event):
        observability.logger.info("delivering")
        inside.set()
        release.wait(10)
        observability.logger.info("delivered")

    event = {"Records": [{"messageId": "m1", "receiptHandle": "r", "body": "{}", "attributes": {}, "messageAttributes": {},
                          "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:probe",
                          "awsRegion": "us-east-1"}]}
    with Client(app) as client:
        worker = threading.Thread(target=lambda: client.lambda_.invoke("slow_delivery", event))
        worker.start()
        assert inside.wait(10)
        reply = client.http.get("/boom", headers={"x-correlation-id": "req-42"})
        release.set()
        worker.join(10)
    assert reply.status_code == 500
    logged = emitted
    failure = next(line for line in logged if line.get("message") == "unhandled error")
    assert failure["correlation_id"] == "req-42" and failure["function"] == "GET /boom"
    delivery = [line for line in logged if line.get("message") in ("delivering", "delivered")]
    assert len(delivery) == 2 and {line["function"] for line in delivery} == {"slow_delivery"}
    assert delivery[0]["correlation_id"] == delivery[1]["correlation_id"] != "req-42"

"""AWS's operations guidance, as checks over the synthesized prod template (`make package
STAGE=prod`): queues outlast their functions, every source of work bounds its concurrency,
the API keeps concurrency of its own, every timeout fits its trigger, scheduled runs are
retried and kept when undeliverable, the API has its one stage, and nothing depends on
itself."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.core import resources as r

ROOT = Path(__file__).resolve().parent.parent
API_GATEWAY_INTEGRATION_LIMIT = 29  # seconds
LAMBDA_LIMIT = 900
VISIBILITY_PER_TIMEOUT = 6  # AWS: a queue's visibility timeout at least six times its function's


@pytest.fixture(scope="module")
def prod(app, tmp_path_factory):
    """The synthesized prod template (as in test_deploy_stack)."""
    from infra import package

    out = package.package("prod", tmp_path_factory.mktemp("prod"), bytecode=False)
    return json.loads(out.read_text())


def _functions(doc: dict) -> dict[str, dict]:
    return {k: v["Properties"] for k, v in doc["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def _events(doc: dict, kind: str) -> list[tuple[str, dict, dict]]:
    """(function logical id, function properties, event properties) of every event of `kind`."""
    return [(logical, props, event["Properties"]) for logical, props in _functions(doc).items()
            for event in props.get("Events", {}).values() if event["Type"] == kind]


def _queues_by_name(doc: dict) -> dict[str, tuple[str, dict]]:
    return {v["Properties"]["QueueName"]: (k, v["Properties"]) for k, v in doc["Resources"].items() if v["Type"] == "AWS::SQS::Queue"}


def _queue_of(doc: dict, event: dict) -> dict:
    name = event["Queue"]["Fn::Sub"].rsplit(":", 1)[1]
    return _queues_by_name(doc)[name][1]


def _api_function(doc: dict) -> dict:
    return _functions(doc)["APIHandler"]


def _default(doc: dict, value):
    """A property's value with the stack's parameter defaults (Ref, and Fn::If on a parameter's emptiness)."""
    if isinstance(value, dict) and "Ref" in value and value["Ref"] in doc.get("Parameters", {}):
        return doc["Parameters"][value["Ref"]].get("Default")
    return value


def test_every_queue_hides_a_message_for_six_times_its_functions_timeout(prod):
    queue_events = _events(prod, "SQS")
    assert len(queue_events) >= 5
    for logical, props, event in queue_events:
        visibility = _queue_of(prod, event)["VisibilityTimeout"]
        assert visibility >= VISIBILITY_PER_TIMEOUT * props["Timeout"], (logical, visibility, props["Timeout"])


def test_every_queue_event_source_bounds_how_many_functions_run_at_once(prod):
    queue_events = _events(prod, "SQS")
    assert queue_events
    for logical, _, event in queue_events:
        maximum = event.get("ScalingConfig", {}).get("MaximumConcurrency")
        assert isinstance(maximum, int) and 2 <= maximum <= 1000, (logical, maximum)
    # a burst of every queue at once still leaves the API's reservation and more in a 1,000 pool
    assert sum(e["ScalingConfig"]["MaximumConcurrency"] for _, _, e in queue_events) <= 50


def test_the_api_function_reserves_concurrency_that_a_small_account_can_turn_off(prod):
    reserved = _api_function(prod).get("ReservedConcurrentExecutions")
    assert reserved is not None, "the API function reserves no concurrency: queue work can take the whole pool"
    condition, when, otherwise = reserved["Fn::If"]
    parameter = prod["Parameters"][when["Ref"]]
    assert parameter["Type"] == "Number" and int(parameter["Default"]) >= 10  # prod reserves by default
    assert otherwise == {"Ref": "AWS::NoValue"}  # 0 reserves nothing, never "throttle every call"
    assert prod["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": when["Ref"]}, "0"]}]}


def test_every_function_times_out_within_its_triggers_limit(prod):
    assert _api_function(prod)["Timeout"] <= API_GATEWAY_INTEGRATION_LIMIT
    for logical, props, event in _events(prod, "SQS"):
        assert props["Timeout"] * VISIBILITY_PER_TIMEOUT <= _queue_of(prod, event)["VisibilityTimeout"], logical
    for kind in ("Schedule", "DynamoDB"):
        for logical, props, _ in _events(prod, kind):
            assert props["Timeout"] <= LAMBDA_LIMIT, logical


def test_every_schedule_retries_and_keeps_the_runs_it_could_not_deliver(prod):
    schedules = _events(prod, "Schedule")
    assert len(schedules) == len(r.SCHEDULES)
    rules, dead_letter_queues = [], set()
    for logical, _, event in schedules:
        retry = event.get("RetryPolicy")
        assert retry and retry["MaximumRetryAttempts"] >= 1 and 60 <= retry["MaximumEventAgeInSeconds"] <= 86400, logical
        arn = event.get("DeadLetterConfig", {}).get("Arn")
        assert arn and arn["Fn::GetAtt"][1] == "Arn", logical
        dead_letter_queues.add(arn["Fn::GetAtt"][0])
        assert event.get("Name"), f"{logical}: an unnamed rule cannot be named in the queue's policy"
        rules.append(event["Name"])
    (queue,) = dead_letter_queues
    assert prod["Resources"][queue]["Type"] == "AWS::SQS::Queue"
    (policy,) = [v["Properties"]["PolicyDocument"] for v in prod["Resources"].values()
                 if v["Type"] == "AWS::SQS::QueuePolicy" and v["Properties"]["Queues"] == [{"Ref": queue}]]
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    allowed = [a["Fn::Sub"].rsplit("rule/", 1)[1] for a in statement["Condition"]["ArnEquals"]["aws:SourceArn"]]
    assert sorted(allowed) == sorted(rules)
    watched = [a for a in prod["Resources"].values() if a["Type"] == "AWS::CloudWatch::Alarm"
               and a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
               and a["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}]
    assert len(watched) == 1


def _transformed(doc: dict) -> dict | None:
    try:
        from samtranslator.translator.transform import transform
    except ImportError:
        return None
    import copy

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    doc = copy.deepcopy(doc)
    for props in _functions(doc).values():
        props["CodeUri"] = "s3://artifacts/code.zip"  # the transform takes S3 code only
    return transform(doc, {}, NoManagedPolicies())


def test_the_api_has_its_one_stage_and_no_implicit_stage_stage(prod, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    transformed = _transformed(prod)
    if transformed is None:  # without aws-sam-translator here: what keeps SAM from making it
        assert prod.get("Globals", {}).get("Api", {}).get("OpenApiVersion"), "SAM makes a 'Stage' stage beside 'api'"
        return
    stages = [v["Properties"].get("StageName") for v in transformed["Resources"].values()
              if v["Type"] in ("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment") and v["Properties"].get("StageName")]
    assert stages == ["api"]


def test_no_resource_depends_on_itself(prod):
    """E3004 on the transformed template: the API function once named the API, whose definition names the function.
    The rehearsal's own walk of every Ref, GetAtt, Sub and DependsOn (`infra.rehearse`)."""
    from infra import rehearse

    _, cycles = rehearse.topological_order(rehearse.dependencies(prod))
    assert cycles == [], [" -> ".join(c) for c in cycles]


def test_links_in_emails_have_an_address_in_every_function_that_writes_them(prod):
    """Every function but the API's gets the API's address; each takes PublicApiUrl (a custom domain) when given."""
    assert prod["Parameters"]["PublicApiUrl"]["Default"] == ""
    for logical, props in _functions(prod).items():
        condition, given, otherwise = props["Environment"]["Variables"]["PUBLIC_API_URL"]["Fn::If"]
        assert condition == "HasPublicApiUrl" and given == {"Ref": "PublicApiUrl"}
        if logical == "APIHandler":
            assert otherwise == {"Ref": "AWS::NoValue"}  # it answers from the request (settings.request_api_url)
        else:
            assert "${RestAPI}.execute-api." in otherwise["Fn::Sub"]


def test_the_api_function_builds_links_from_the_address_a_request_reached_it_by(monkeypatch):
    from chalicelib.core import settings

    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.delenv("PUBLIC_API_URL", raising=False)
    with pytest.raises(RuntimeError):
        settings.public_api_url()  # neither configured nor serving a request: no broken link
    try:
        settings.serving({"domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "stage": "api"})
        assert settings.public_api_url() == "https://abc123.execute-api.eu-west-1.amazonaws.com/api"
        settings.serving({"domainName": "api.example.com", "stage": "api"})
        assert settings.public_api_url() == "https://api.example.com"
        monkeypatch.setenv("PUBLIC_API_URL", "https://links.example.com/")
        assert settings.public_api_url() == "https://links.example.com"  # the configured address wins
        monkeypatch.setenv("STAGE", "local")
        monkeypatch.delenv("PUBLIC_API_URL")
        assert settings.public_api_url().startswith("http://127.0.0.1:")  # the local stack's own
    finally:
        settings.serving({})


def test_the_api_stage_sam_makes_carries_the_apis_checkov_skips(prod):
    """checkov reads the transformed template, where the stage is a resource of its own."""
    from infra.package import carry_checkov_skips

    transformed = {"Resources": {
        "RestAPI": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
        "RestAPIapiStage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "RestAPI"}, "StageName": "api"}},
    }}
    carried = carry_checkov_skips(prod, transformed)["Resources"]["RestAPIapiStage"]["Metadata"]["checkov"]["skip"]
    assert {s["id"] for s in carried} >= {"CKV_AWS_120"} and all(s["comment"] for s in carried)

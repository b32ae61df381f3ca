"""The deployable prod stack (`make package STAGE=prod`: `chalice package` merged with
`infra.stack`), read as CloudFormation: every function, resource and event source the
code uses is in it, with the production settings an operator relies on."""
from __future__ import annotations

import fnmatch
import json
import os
from pathlib import Path

import pytest

from chalicelib.core import resources as r
from infra import template

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def prod(app, tmp_path_factory):
    """The synthesized prod template (names are prod's: the stage is set while it is built).
    The app is imported first, under the tests' own stage (its decorators name resources)."""
    from infra import package

    out = package.package("prod", tmp_path_factory.mktemp("prod"), bytecode=False)
    doc = json.loads(out.read_text())
    before = os.environ.get("STAGE")
    os.environ["STAGE"] = "prod"  # the definition's names, as the prod functions compute them
    try:
        from infra.functions import functions as app_functions

        functions = app_functions()
        names = {
            "tables": {t.logical: t.name for t in r.TABLES}, "buckets": {b.logical: b.name for b in r.BUCKETS},
            "queues": {q.logical: q.name for q in r.QUEUES}, "dlqs": {q.logical: q.dlq_name for q in r.QUEUES if q.dead_letter},
            "prefix": r.settings.resource_prefix(), "physical": {f.name: f.physical for f in functions},
        }
    finally:
        os.environ.pop("STAGE") if before is None else os.environ.__setitem__("STAGE", before)
    return doc, functions, names


def _of_type(doc: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in doc["Resources"].items() if v["Type"] == kind}


def _by_name(doc: dict, kind: str, key: str) -> dict[str, dict]:
    return {v["Properties"][key]: v for v in _of_type(doc, kind).values()}


def test_every_function_the_app_has_is_deployed_with_its_own_role_policy_and_log_group(prod):
    doc, functions, names = prod
    deployed = _of_type(doc, "AWS::Serverless::Function")
    assert set(deployed) == {f.logical for f in functions}
    roles = set()
    for f in functions:
        props = deployed[f.logical]["Properties"]
        assert props["FunctionName"] == names["physical"][f.name]
        assert props["Role"] == {"Fn::GetAtt": [f"{f.logical}Role", "Arn"]} and f"{f.logical}Role" not in roles
        roles.add(f"{f.logical}Role")
        assert doc["Resources"][f"{f.logical}Policy"]["Properties"]["Roles"] == [{"Ref": f"{f.logical}Role"}]
        log_group = doc["Resources"][f"{f.logical}LogGroup"]["Properties"]
        assert log_group["LogGroupName"] == f"/aws/lambda/{props['FunctionName']}" and log_group["RetentionInDays"] == 90
        assert props["Tracing"] == "Active"
        env = props["Environment"]["Variables"]
        assert env["RESOURCE_PREFIX"] == names["prefix"] and env["STAGE"] == "prod"
        assert env["COGNITO_USER_POOL_ID"] == {"Ref": "UserPool"} and env["DATA_KEY_ARN"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert "DefaultRole" not in doc["Resources"]  # Chalice's one role for all is not made


def test_every_function_runs_on_the_one_runtime_and_architecture(prod):
    """Chalice takes the runtime from the Python it runs under: the package venv's 3.13."""
    from infra.package import ARCHITECTURE, RUNTIME

    doc, functions, _ = prod
    deployed = _of_type(doc, "AWS::Serverless::Function")
    assert len(deployed) == len(functions) > 1
    assert {(f["Properties"]["Runtime"], tuple(f["Properties"]["Architectures"])) for f in deployed.values()} == {
        (RUNTIME, (ARCHITECTURE,))}
    assert (RUNTIME, ARCHITECTURE) == ("python3.13", "x86_64")  # README "Runtime and bundle" says why


def test_the_template_has_every_table_bucket_queue_and_schedule_the_code_uses(prod):
    """Structural: the code's resources and the template's come from one definition, and
    every event source a decorator declares points at something the template creates."""
    doc, functions, names = prod
    tables = _by_name(doc, "AWS::DynamoDB::Table", "TableName")
    assert set(names["tables"].values()) <= set(tables)
    assert set(names["buckets"].values()) <= set(_by_name(doc, "AWS::S3::Bucket", "BucketName"))
    queues = _by_name(doc, "AWS::SQS::Queue", "QueueName")
    assert set(names["queues"].values()) | set(names["dlqs"].values()) <= set(queues)
    deployed = _of_type(doc, "AWS::Serverless::Function")
    for f in functions:
        events = deployed[f.logical]["Properties"].get("Events", {})
        if f.kind == "queue":
            (event,) = events.values()
            queue_name = event["Properties"]["Queue"]["Fn::Sub"].rsplit(":", 1)[1]
            assert queue_name in queues, f"{f.name} reads a queue the template lacks"
        elif f.kind == "stream":
            (event,) = events.values()
            stream = event["Properties"]["Stream"]
            assert stream["Fn::GetAtt"][1] == "StreamArn" and stream["Fn::GetAtt"][0] in doc["Resources"]
            assert event["Properties"]["BisectBatchOnFunctionError"] is True and event["Properties"]["MaximumRetryAttempts"] == 5
            assert event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["StreamFailuresQueue", "Arn"]}
        elif f.kind == "schedule":
            (event,) = events.values()
            assert event["Properties"]["Schedule"] == r.SCHEDULES[f.name].expression
    assert {f.name for f in functions if f.kind == "schedule"} == set(r.SCHEDULES)


def test_data_is_encrypted_under_our_key_streamed_expiring_and_backed_up_as_defined(prod):
    doc, _, names = prod
    tables = _by_name(doc, "AWS::DynamoDB::Table", "TableName")
    main, keys = tables[names["tables"]["main"]]["Properties"], tables[names["tables"]["keys"]]["Properties"]
    for props in (main, keys):
        assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Fn::GetAtt": ["DataKey", "Arn"]}}
        # on from the first update on (infra.deploy): a create that rolls back must be able to delete them
        assert props["DeletionProtectionEnabled"] == {"Fn::If": ["ProtectsTables", True, False]}
    assert main["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert main["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert main["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert keys["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is False  # crypto-shredding reaches backups
    buckets = _by_name(doc, "AWS::S3::Bucket", "BucketName")
    for logical, name in names["buckets"].items():
        props = buckets[name]["Properties"]
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms" and rule["BucketKeyEnabled"] is True
        assert props["VersioningConfiguration"]["Status"] == "Enabled" and all(props["PublicAccessBlockConfiguration"].values())
        assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
        policy = next(p["Properties"]["PolicyDocument"] for p in _of_type(doc, "AWS::S3::BucketPolicy").values()
                      if p["Properties"]["Bucket"] == {"Ref": template.logical_id(logical, "bucket")})
        assert {s["Sid"] for s in policy["Statement"]} >= {"DenyInsecureTransport", "DenyNonKmsPuts", "DenyOtherKmsKeys"}


def test_bucket_lifecycles_follow_the_stage_profile(prod):
    from chalicelib.core import privacy
    from chalicelib.services.exports import EXPORT_DAYS

    doc, _, names = prod
    profile = privacy.load(json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]["environment_variables"]["PRIVACY_PROFILE"])
    buckets = _by_name(doc, "AWS::S3::Bucket", "BucketName")

    def rules(logical: str) -> dict[str, dict]:
        return {rule["Id"]: rule for rule in buckets[names["buckets"][logical]]["Properties"]["LifecycleConfiguration"]["Rules"]}

    assert rules("documents")["identity-documents-keep-days"]["ExpirationInDays"] == profile.identity_documents_keep_days + 30
    assert rules("exports")["export-lifetime"]["ExpirationInDays"] == EXPORT_DAYS + 1


def test_the_key_rotates_and_its_administrators_cannot_use_it_nor_its_users_manage_it(prod):
    doc, functions, _ = prod
    key = doc["Resources"]["DataKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    statements = {s["Sid"]: s for s in key["KeyPolicy"]["Statement"]}
    admin = statements["Administrators"]["Action"]
    assert not any(a.startswith(("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncrypt")) for a in admin)
    assert "kms:CreateGrant" not in admin and "kms:Create*" not in admin  # a grant would be use
    users = statements["FunctionsUseIt"]  # the account, for the stack's function roles by name (tests/test_first_deploy.py)
    pattern = users["Condition"]["ArnLike"]["aws:PrincipalArn"]["Fn::Sub"]
    for f in functions:
        name = doc["Resources"][f"{f.logical}Role"]["Properties"]["RoleName"]
        assert fnmatch.fnmatchcase(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{name}", pattern)
    assert set(users["Action"]) == {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}
    # administrators encrypt only through Secrets Manager, to set the gateway's credentials
    assert "kms:ViaService" in json.dumps(statements["AdministratorsSetTheGatewaySecret"]["Condition"])


def test_no_iam_statement_uses_a_wildcard_where_a_name_is_known(prod):
    doc, _, _ = prod
    nameless = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "ses:GetSendQuota", "sns:Publish", "dynamodb:ListStreams"}
    policies = _of_type(doc, "AWS::IAM::Policy")
    assert policies
    for logical, policy in policies.items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any("*" in a for a in actions), (logical, actions)
            if statement["Resource"] == "*":
                assert set(actions) <= nameless, (logical, actions)


def test_no_secret_is_in_the_template_and_the_gateway_credentials_come_from_secrets_manager(prod):
    doc, _, _ = prod
    secret = doc["Resources"]["PaymentGatewaySecret"]["Properties"]
    assert "SecretString" not in secret and "GenerateSecretString" not in secret
    assert secret["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    for name, props in (("PaymentGatewaySecret", secret),):
        assert set(props) == {"Name", "Description", "KmsKeyId"}, name  # a value is put by the operator, never here
    env = doc["Resources"]["SettlePayments"]["Properties"]["Environment"]["Variables"]
    assert env["PAYMENT_GATEWAY_SECRET_ARN"] == {"Ref": "PaymentGatewaySecret"}


def test_operators_are_alarmed_on_errors_latency_dead_letters_lag_and_the_privacy_and_money_metrics(prod):
    doc, functions, names = prod
    alarms = _of_type(doc, "AWS::CloudWatch::Alarm")
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms.values())
    assert {"ApiServerErrorRateAlarm", "ApiLatencyP99Alarm", "ErasuresOverdueAlarm", "PaymentsStuckPendingAlarm",
            "FanoutBatchesFailedAlarm", "FanoutDeliveriesFailedAlarm"} <= set(alarms)
    watched_queues = {a["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in alarms.values()
                      if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"}
    assert watched_queues == {template.dead_letter_id(q) if q.dead_letter else template.logical_id(q, "queue") for q in r.QUEUES}
    lagging = {a["Properties"]["Dimensions"][0]["Value"] for a in alarms.values() if a["Properties"].get("MetricName") == "IteratorAge"}
    assert lagging == {names["physical"][f.name] for f in functions if f.kind == "stream"}
    assert doc["Resources"]["AlarmSubscription"]["Condition"] == "HasAlarmEmail"
    overdue = alarms["ErasuresOverdueAlarm"]["Properties"]
    assert {d["Name"]: d["Value"] for d in overdue["Dimensions"]} == {"function": "watch_erasures", "service": "marketplace"}
    body = json.loads(doc["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    assert len(body["widgets"]) >= 8


def test_the_api_stage_traces_and_logs_access_without_personal_data(prod):
    doc, _, _ = prod
    api = doc["Resources"]["RestAPI"]["Properties"]
    assert api["TracingEnabled"] is True
    access_format = json.loads(api["AccessLogSetting"]["Format"])
    assert not any(v in json.dumps(access_format) for v in ("sourceIp", "userAgent", "identity"))
    log_groups = _of_type(doc, "AWS::Logs::LogGroup")
    assert log_groups and all(g["Properties"]["RetentionInDays"] == 90 for g in log_groups.values())  # every one, prod
    assert {"ApiAccessLogGroup", "ApiExecutionLogGroup"} <= set(log_groups)


def test_diff_uploads_the_code_and_template_privately_and_shows_the_change_set(prod, tmp_path, capsys):
    """A dry run of `make diff STAGE=prod` against the embedded moto: the stack's change set
    lists every resource to create, nothing is executed, and the artifacts bucket is private."""
    import boto3

    from infra import deploy, package

    built = package.package("prod", tmp_path / "prod")
    params = {"MailDomain": "example.com", "MailFrom": "no-reply@example.com", "WebOrigin": "https://app.example.com"}
    changes = deploy.diff("prod", params, built)
    doc, _, _ = prod
    assert {c["ResourceChange"]["LogicalResourceId"] for c in changes} == set(doc["Resources"])
    assert "changes" in capsys.readouterr().out
    s3 = boto3.client("s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("marketplace-prod-artifacts-"))
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(k.startswith("prod/code/") for k in keys) and any(k.startswith("prod/templates/") for k in keys)
    cf = boto3.client("cloudformation")
    assert all(s["StackStatus"] == "REVIEW_IN_PROGRESS" for s in cf.list_stacks()["StackSummaries"]
               if s["StackName"] == deploy.stack_name("prod"))  # nothing was executed
    try:
        deploy.diff("prod", {"Nonsense": "1"}, built)
    except SystemExit as refused:
        assert "unknown parameters: Nonsense" in str(refused)
    else:
        raise AssertionError("an unknown parameter was accepted")


def test_every_iam_policy_document_resolves_to_arns_and_the_fan_out_sends_with_its_template(prod):
    """What `make check-infra`'s IAM lint reads (infra/iam_lint.py): each document with its
    intrinsics resolved; and a templated send is granted with every resource AWS's reference
    requires of it, in one statement (identity, configuration set, template)."""
    from infra import iam_lint

    doc, functions, names = prod
    documents = dict(iam_lint.documents(doc))
    assert {f"{f.logical}Policy" for f in functions} | {"DataKey"} <= set(documents)
    left = [where for where, d in documents.items() if "Fn::" in json.dumps(d) or '"Ref"' in json.dumps(d)]
    assert not left, left
    mail = next(s for s in documents["SendFanoutsPolicy"]["Statement"] if "ses:SendBulkTemplatedEmail" in s["Action"])
    assert mail["Action"] == ["ses:SendBulkTemplatedEmail"]
    kinds = sorted(arn.split(":", 5)[5].split("/", 1)[0] for arn in mail["Resource"])
    assert kinds == ["configuration-set", "identity", "template"], mail
    assert f"arn:aws:ses:{iam_lint.REGION}:{iam_lint.ACCOUNT}:template/{names['prefix']}-{r.NOTICE_TEMPLATE.logical}" in mail["Resource"]


def test_every_event_function_runs_from_app_so_its_middleware_is_set_up_first(prod):
    """Lambda imports the Handler's module: a blueprint's own module (Chalice's default for
    event functions) would run without the app's middleware and start-up checks."""
    import app as application

    doc, functions, _ = prod
    deployed = _of_type(doc, "AWS::Serverless::Function")
    for f in functions:
        handler = deployed[f.logical]["Properties"]["Handler"]
        module, _, name = handler.rpartition(".")
        assert module == "app", handler
        if f.kind != "api":
            assert getattr(application, name).func.__name__ == f.name, handler


def test_the_deployed_api_answers_cors_preflights_405s_and_unknown_paths_as_the_local_stack_does(prod):
    """The same code answers preflights and unknown methods behind API Gateway (each is a route of the
    API function); API Gateway's own answers carry the contract's shape and CORS; the stage's web
    origins reach the function and the buckets from the one `WebOrigin` list."""
    from chalicelib.api import edge

    doc, functions, names = prod
    assert doc["Parameters"]["WebOrigin"]["Type"] == "CommaDelimitedList"
    body = doc["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    for path, methods in body["paths"].items():
        uris = {json.dumps(op["x-amazon-apigateway-integration"]["uri"], sort_keys=True) for op in methods.values()
                if isinstance(op, dict) and "x-amazon-apigateway-integration" in op}
        assert {"options", "get", "post", "put", "patch", "delete"} <= set(methods), path
        assert len(uris) == 1, f"{path}: every method, the preflight included, goes to the API function"
    api = next(f for f in functions if f.kind == "api")
    env = _by_name(doc, "AWS::Serverless::Function", "FunctionName")[names["physical"][api.name]]["Properties"]["Environment"]["Variables"]
    assert env["WEB_ORIGINS"] == {"Fn::Join": [",", {"Ref": "WebOrigin"}]}
    responses = body["x-amazon-apigateway-gateway-responses"]  # in the definition: a body update keeps them
    assert set(responses) >= {"MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "QUOTA_EXCEEDED", "DEFAULT_4XX", "DEFAULT_5XX"}
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == 404 and json.loads(missing["responseTemplates"]["application/json"]) == edge.NOT_FOUND
    for kind in ("THROTTLED", "QUOTA_EXCEEDED"):
        assert responses[kind]["statusCode"] == 429 and responses[kind]["responseParameters"]["gatewayresponse.header.Retry-After"]
    for props in responses.values():
        assert props["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == "method.request.header.origin"
        assert "Retry-After" in props["responseParameters"]["gatewayresponse.header.Access-Control-Expose-Headers"]
        assert '"Code"' in props["responseTemplates"]["application/json"]
    exports = _by_name(doc, "AWS::S3::Bucket", "BucketName")[names["buckets"][r.EXPORTS_BUCKET.logical]]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert exports == [{"AllowedMethods": ["GET"], "AllowedOrigins": {"Ref": "WebOrigin"}, "AllowedHeaders": ["*"], "MaxAge": 3000}]

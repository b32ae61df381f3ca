"""What an operator watches: alarms to one SNS topic, a dashboard, the API's access logs.

Every alarm says in its description what it means and where to look. Metrics of our own
come from the functions' structured logs (Powertools EMF, namespace `Marketplace`,
dimensions `function` and `service`), so an alarm on one names the function that emits it.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.api import edge
from chalicelib.core import resources as r
from infra import template
from infra.functions import Function, log_retention_days

NAMESPACE = "Marketplace"
SERVICE = "marketplace"
API_STAGE = "api"
API_5XX_PERCENT = 1.0
API_P99_MS = 3000
ITERATOR_AGE_MS = 5 * 60 * 1000


def _alarm(description: str, **props: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "AlarmActions": [{"Ref": "AlarmTopic"}],
            "OKActions": [{"Ref": "AlarmTopic"}],
            "TreatMissingData": "notBreaching",
            **props,
        },
    }


def _ours(metric: str, function: str, description: str, period: int, evaluation: int = 1) -> dict[str, Any]:
    return _alarm(
        description, Namespace=NAMESPACE, MetricName=metric, Statistic="Maximum", Period=period,
        EvaluationPeriods=evaluation, Threshold=0, ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "function", "Value": function}, {"Name": "service", "Value": SERVICE}],
    )


def _api_name() -> str:
    return f"{r.settings.resource_prefix()}-api"


def alarms(functions: list[Function]) -> dict[str, Any]:
    api = [{"Name": "ApiName", "Value": _api_name()}, {"Name": "Stage", "Value": API_STAGE}]
    out: dict[str, Any] = {
        "ApiServerErrorRateAlarm": _alarm(
            f"More than {API_5XX_PERCENT}% of API requests answered 5xx in two of three 5-minute periods. "
            "Look: the API function's log group, level ERROR, by correlation_id.",
            Metrics=[
                {"Id": "errors", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": "AWS/ApiGateway", "MetricName": "5XXError",
                                                                                 "Dimensions": api}, "Period": 300, "Stat": "Sum"}},
                {"Id": "requests", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": "AWS/ApiGateway", "MetricName": "Count",
                                                                                   "Dimensions": api}, "Period": 300, "Stat": "Sum"}},
                {"Id": "rate", "Expression": "IF(requests > 0, 100 * errors / requests, 0)", "Label": "5xx %", "ReturnData": True},
            ],
            EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=API_5XX_PERCENT, ComparisonOperator="GreaterThanThreshold",
        ),
        "ApiLatencyP99Alarm": _alarm(
            f"The API's p99 latency is above {API_P99_MS} ms for 15 minutes. Look: X-Ray service map, the API function's Duration.",
            Namespace="AWS/ApiGateway", MetricName="Latency", ExtendedStatistic="p99", Dimensions=api, Period=300,
            EvaluationPeriods=3, Threshold=API_P99_MS, ComparisonOperator="GreaterThanThreshold",
        ),
        "ErasuresOverdueAlarm": _ours(
            "ErasuresOverdue", "watch_erasures",
            "An account's erasure is more than a day past its time (a privacy promise). Look: the erasure DLQ, "
            "`python -m ops erasure receipt`, the erase_accounts log group.", 3600),
        "PaymentsStuckPendingAlarm": _ours(
            "PaymentsStuckPending", "watch_payments",
            "Payouts or fundings pending with the gateway past the threshold, twice running. Look: the payments DLQ, "
            "the settle_payments log group, the gateway's status page.", 900, evaluation=2),
        "FanoutBatchesFailedAlarm": _ours(
            "FanoutBatchesFailed", "send_fanouts",
            "A fan-out batch (policy notice, announcement, campaign) failed and is retried with backoff. Look: the fanout DLQ, "
            "SES sending quota and reputation.", 300),
        "FanoutDeliveriesFailedAlarm": _ours(
            "FanoutDeliveriesFailed", "send_fanouts",
            "Recipients SES or SNS refused in a fan-out. Look: the SES configuration set's suppression list.", 300),
    }
    for queue in r.QUEUES:
        logical = template.dead_letter_id(queue) if queue.dead_letter else template.logical_id(queue, "queue")
        if queue is r.SCHEDULE_FAILURES_QUEUE:
            description = ("Scheduled runs EventBridge could not deliver to their function after every retry (the function "
                           "throttled or unavailable); each message names its rule. Run the job with "
                           "`python -m ops job run NAME` (or let the next run catch up), then purge the queue.")
        else:
            what = f"the {queue.logical} queue's dead letters" if queue.dead_letter else "stream batches that failed every retry"
            description = (f"Messages in {what}: work that failed every retry and waits for an operator. Re-drive with "
                           f"`python -m ops dlq redrive {queue.logical}` once the cause is fixed.")
        out[f"{logical}DepthAlarm"] = _alarm(
            description,
            Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible", Statistic="Maximum", Period=300,
            EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold",
            Dimensions=[{"Name": "QueueName", "Value": {"Fn::GetAtt": [logical, "QueueName"]}}],
        )
    for function in functions:
        dims = [{"Name": "FunctionName", "Value": function.physical}]
        if function.kind == "stream":
            out[f"{function.logical}IteratorAgeAlarm"] = _alarm(
                f"{function.name} is more than 5 minutes behind the table's stream for 15 minutes (records expire after 24 hours).",
                Namespace="AWS/Lambda", MetricName="IteratorAge", Statistic="Maximum", Period=300, Dimensions=dims,
                EvaluationPeriods=3, Threshold=ITERATOR_AGE_MS, ComparisonOperator="GreaterThanThreshold",
            )
        if function.kind == "schedule":
            out[f"{function.logical}ErrorsAlarm"] = _alarm(
                f"The scheduled job {function.name} failed. Run it again with `python -m ops job run {function.name}`.",
                Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum", Period=3600, Dimensions=dims,
                EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold",
            )
    return out


def dashboard(functions: list[Function]) -> dict[str, Any]:
    region = "${AWS::Region}"
    api = ["ApiName", _api_name(), "Stage", API_STAGE]

    def widget(title: str, metrics: list[Any], x: int, y: int, stat: str = "Sum", width: int = 12) -> dict[str, Any]:
        return {"type": "metric", "x": x, "y": y, "width": width, "height": 6,
                "properties": {"title": title, "region": region, "stat": stat, "period": 300, "metrics": metrics}}

    def ours(*names: str) -> list[Any]:
        return [[{"expression": f"SEARCH('{{{NAMESPACE},function,service}} MetricName=\"{n}\"', 'Sum', 300)", "id": f"m{i}",
                  "label": n}] for i, n in enumerate(names)]

    widgets = [
        widget("API requests and errors", [["AWS/ApiGateway", "Count", *api], [".", "4XXError", *api], [".", "5XXError", *api]], 0, 0),
        widget("API latency p50 / p99 (ms)", [["AWS/ApiGateway", "Latency", *api, {"stat": "p50"}],
                                              ["...", {"stat": "p99"}]], 12, 0),
        widget("Marketplace", ours("ProjectsPosted", "BidsPlaced", "ContractsCreated", "MessagesPosted"), 0, 6),
        widget("Money", ours("FundingsSettled", "PayoutsRequested", "PayoutsPaid", "PayoutsFailed", "PaymentsStuckPending"), 12, 6),
        widget("Privacy", ours("DeletionsScheduled", "AccountsErased", "ErasuresOverdue", "ExportsBuilt", "RetentionRemoved",
                               "DisclosuresRecorded"), 0, 12),
        widget("Notices", ours("NotificationsSent", "FanoutNoticesSent", "FanoutDeliveriesFailed", "FanoutBatchesFailed"), 12, 12),
        widget("Dead letters (messages waiting)", [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q.dlq_name if q.dead_letter else q.name]
            for q in r.QUEUES], 0, 18, stat="Maximum"),
        widget("Stream lag (iterator age, ms)", [
            ["AWS/Lambda", "IteratorAge", "FunctionName", f.physical] for f in functions if f.kind == "stream"], 12, 18, stat="Maximum"),
        widget("Function errors", [["AWS/Lambda", "Errors", "FunctionName", f.physical] for f in functions], 0, 24, width=24),
    ]
    return {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": f"{r.settings.resource_prefix()}-operations",
        "DashboardBody": {"Fn::Sub": json.dumps({"widgets": widgets}, separators=(",", ":"))},
    }}


def api_logging(stage: str) -> dict[str, Any]:
    """Access logs without the caller's IP address or user agent (personal data the
    product does not need in a log line), and X-Ray on the API stage."""
    access_format = {"requestId": "$context.requestId", "time": "$context.requestTimeEpoch", "method": "$context.httpMethod",
                     "resource": "$context.resourcePath", "status": "$context.status", "latencyMs": "$context.responseLatency",
                     "integrationLatencyMs": "$context.integrationLatency", "bytes": "$context.responseLength"}
    return {
        "ApiAccessLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_158", "comment": "access log lines carry no personal data (no IP, no user agent)"}]}},
            "Properties": {"LogGroupName": f"/aws/apigateway/{_api_name()}", "RetentionInDays": log_retention_days(stage)},
        },
        # API Gateway's own execution log group (errors only), made here so that it too has a retention
        "ApiExecutionLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_158", "comment": "errors of the API stage only, no request data (DataTraceEnabled is off)"}]}},
            "Properties": {"LogGroupName": {"Fn::Sub": f"API-Gateway-Execution-Logs_${{RestAPI}}/{API_STAGE}"},
                           "RetentionInDays": log_retention_days(stage)},
        },
        "ApiGatewayLoggingRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": "Lets API Gateway write the access logs (the account-wide API Gateway setting)",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}],
            },
        },
        "ApiGatewayAccount": {"Type": "AWS::ApiGateway::Account",
                              "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayLoggingRole", "Arn"]}}},
        "RestAPI": {
            "DependsOn": ["ApiGatewayAccount"],
            "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_120", "comment": "answers are per caller and personal: a cache could "
                                                                             "serve one user's data to another (and costs from $14/month)"}]}},
            "Properties": {
                "Name": _api_name(),
                "TracingEnabled": True,
                "DefinitionBody": {"x-amazon-apigateway-gateway-responses": gateway_responses()},
                "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]},
                                     "Format": json.dumps(access_format, separators=(",", ":"))},
                "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True, "LoggingLevel": "ERROR",
                                    "DataTraceEnabled": False, "ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100}],
            },
        },
    }


# API Gateway's own answers (no route matched, throttled, its 4xx/5xx before the function runs), in the
# contract's `{Code, Message}` shape with CORS. A path no route has reaches API Gateway as
# MISSING_AUTHENTICATION_TOKEN: it is 404 NotFoundError, the body the local stack answers (api/edge.py).
# API Gateway cannot check the origin against the stage's list here, so these answers echo the
# request's Origin: they carry no data, only the error's name.
GATEWAY_RESPONSES: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "MISSING_AUTHENTICATION_TOKEN": ("404", edge.NOT_FOUND, {}),
    "THROTTLED": ("429", {"Code": "TooManyRequests", "Message": "Too many requests; try again shortly"}, {"Retry-After": "1"}),
    "QUOTA_EXCEEDED": ("429", {"Code": "TooManyRequests", "Message": "Too many requests; try again later"}, {"Retry-After": "60"}),
    # the others keep API Gateway's status; their Code is its response type (e.g. REQUEST_TOO_LARGE), their
    # Message its own sentence (`messageString` is a JSON string already)
    "DEFAULT_4XX": ("", {}, {}),
    "DEFAULT_5XX": ("", {}, {}),
}
_OWN_ERROR = '{"Code":"$context.error.responseType","Message":$context.error.messageString}'


def gateway_responses() -> dict[str, Any]:
    """API Gateway's own answers as the API definition's `x-amazon-apigateway-gateway-responses`: in the
    body, not as GatewayResponse resources, which each update of the body would reset (cfn-lint W3660)."""
    out: dict[str, Any] = {}
    for kind, (status, body, headers) in GATEWAY_RESPONSES.items():
        parameters = {"gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.origin",
                      "gatewayresponse.header.Access-Control-Expose-Headers": f"'{edge.EXPOSE_HEADERS}'",
                      "gatewayresponse.header.Vary": "'Origin'",
                      **{f"gatewayresponse.header.{name}": f"'{value}'" for name, value in headers.items()}}
        response: dict[str, Any] = {"responseParameters": parameters,
                                    "responseTemplates": {"application/json": json.dumps(body, separators=(",", ":")) if body else _OWN_ERROR}}
        if status:
            response["statusCode"] = int(status)
        out[kind] = response
    return out


def resources(stage: str, functions: list[Function]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": f"{r.settings.resource_prefix()}-alarms",
                           "KmsMasterKeyId": template.key_arn()},
        },
        "AlarmSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}},
        },
        "Dashboard": dashboard(functions),
    }
    out.update(alarms(functions))
    out.update(api_logging(stage))
    return out

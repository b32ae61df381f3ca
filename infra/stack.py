"""The deployable stack of a stage: everything `chalice package` does not know about,
written as the template Chalice merges into its own (`--merge-template`).

Chalice packages the functions, the REST API and their event sources from the app's
decorators (whose queues, stream and schedules come from `chalicelib.core.resources`).
This module adds, from the same definition: the data resources (`infra.template`), one
IAM role and least-privilege policy per function (`infra.access`), the functions' names,
environment, log groups and event-source settings (bisect on error, retries, on-failure
destination), the KMS key policy that separates administrators from users, the payment
provider's secret, SES's configuration set, and (`infra.operations`) alarms to an SNS
topic and a dashboard. The functions themselves, as Chalice names them, are `infra.functions`.

`python -m infra.stack prod` prints the merge template; `make package STAGE=prod` runs
Chalice with it and writes the deployable template to `build/prod/sam.json`.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from chalicelib.core import resources as r
from infra import access, operations, template
from infra.functions import Function, functions, log_retention_days

ROOT = Path(__file__).resolve().parent.parent
STREAM_RETRIES = 5  # then the batch is bisected down to the failing record, whose position goes to stream-failures
STREAM_MAX_AGE_SECONDS = 6 * 3600  # older records are skipped to stream-failures rather than block the shard
API_MEMORY_MB = 1024  # cold start: import and TLS set-up scale with CPU, which scales with memory
FUNCTION_MEMORY_MB = 512
# API Gateway gives up on an integration after 29 s and answers 504: a longer-running API
# function would go on working (and billing) for a caller already gone. 28 s leaves a second
# for API Gateway's own part, so the function's own timeout (and its log line) comes first.
API_TIMEOUT_SECONDS = 28
SCHEDULE_TIMEOUT_SECONDS = 300  # a job does a bounded page of work per run; the next run takes the rest (Lambda allows 900)
# Concurrency reserved for the API function, so that no burst elsewhere (queue work,
# streams, schedules) can take the whole account pool: the stack parameter
# ApiReservedConcurrency. Its default is 100 for prod: an account at the usual limit of
# 1,000 keeps 900 unreserved, and 100 functions at once serve the stage's throttle
# (100 rps) at up to a second a request. Elsewhere it is 0, which reserves nothing (rather
# than Lambda's "0 = throttle every call"): Lambda refuses any reservation that leaves
# under 100 unreserved, so an account whose limit is under 200 (a new account's is 10) gets
# ApiReservedConcurrency=0 from `make deploy`'s first deploy (infra.deploy) until its limit
# is raised. The other functions are bounded by
# their event sources, not by reservations (which would come out of the same pool): queue
# functions by their mappings' MaximumConcurrency (the definition, 17 in all), streams by
# one batch per shard, schedules by one run per rule.
API_RESERVED_CONCURRENCY = {"prod": 100}
SKIP = "checkov"  # resources carry `Metadata.checkov.skip` with the reason for each check they do not meet


def _skip(*checks: tuple[str, str]) -> dict[str, Any]:
    return {SKIP: {"skip": [{"id": check, "comment": why} for check, why in checks]}}


# --- symbolic resources (infra.access) as CloudFormation ---------------------------------

def _arn(resource: str) -> Any:
    if resource == "*":
        return "*"
    kind, _, rest = resource.partition(":")
    if kind == "table":
        name, _, suffix = rest.partition("/")
        logical = template.logical_id(name, "table")
        return {"Fn::Sub": f"${{{logical}.Arn}}/{suffix}"} if suffix else {"Fn::GetAtt": [logical, "Arn"]}
    if kind == "stream":
        return {"Fn::GetAtt": [template.logical_id(rest, "table"), "StreamArn"]}
    if kind == "bucket":
        return {"Fn::GetAtt": [template.logical_id(rest, "bucket"), "Arn"]}
    if kind == "objects":
        return {"Fn::Sub": f"${{{template.logical_id(rest, 'bucket')}.Arn}}/*"}
    if kind == "queue":
        return {"Fn::GetAtt": [template.logical_id(rest, "queue"), "Arn"]}
    if kind == "dlq":
        return {"Fn::GetAtt": [template.dead_letter_id(rest), "Arn"]}
    if kind == "key":
        return template.key_arn()
    if resource == "userpool":
        return {"Fn::GetAtt": ["UserPool", "Arn"]}
    ses = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
    if resource == access.SENDER:
        return {"Fn::Sub": f"{ses}:identity/${{MailDomain}}"}
    if resource == access.CONFIGURATION_SET:
        return {"Fn::Sub": f"{ses}:configuration-set/${{MailConfigurationSet}}"}
    if kind == "ses" and rest.startswith("template/"):
        mail = next((t for t in r.MAIL_TEMPLATES if access.template(t) == resource), None)
        if mail is not None:  # an AWS::SES::Template's Ref is its name
            return {"Fn::Sub": f"{ses}:template/${{{template.logical_id(mail, 'template')}}}"}
    if resource == "secret:payment-gateway":
        return {"Ref": "PaymentGatewaySecret"}
    raise ValueError(f"infra.access names a resource the stack does not have: {resource}")


def _statements(function: Function) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = [
        {"Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": {"Fn::GetAtt": [function.logical + "LogGroup", "Arn"]}},
        # X-Ray has no resource to name (its API takes none)
        {"Sid": "Traces", "Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
    ]
    by_resource: dict[str, list[str]] = {}
    by_action: dict[str, list[str]] = {}  # SES: one send is authorized against several resources (identity, template, ...)
    for grant in access.ACCESS[function.name]:
        if grant.resource.startswith("ses:"):
            for action in grant.actions:
                by_action.setdefault(action, []).append(grant.resource)
            continue
        by_resource.setdefault(grant.resource, [])
        by_resource[grant.resource] += [a for a in grant.actions if a not in by_resource[grant.resource]]
    for resource, actions in sorted(by_resource.items()):
        # the Sid names the resource (GrantTableMain, GrantNoResource): stable across edits of other grants,
        # so that infra.iam_lint's explanations can name a statement
        sid = "Grant" + ("NoResource" if resource == "*" else "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", resource)))
        statements.append({"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": _arn(resource)})
    # each sending action in one statement with every resource AWS authorizes it against (AWS's reference:
    # SendBulkTemplatedEmail needs the identity and the template; a configuration set when one applies)
    together: dict[tuple[str, ...], list[str]] = {}
    for action, resources in sorted(by_action.items()):
        together.setdefault(tuple(sorted(set(resources))), []).append(action)
    for resources, actions in together.items():
        statements.append({"Sid": "Mail" + "".join(a.split(":", 1)[1] for a in actions), "Effect": "Allow", "Action": actions,
                           "Resource": [_arn(res) for res in resources]})
    return statements


# --- pieces --------------------------------------------------------------------------------

def _function_resources(function: Function, stage: str) -> dict[str, Any]:
    role, policy, logs = function.logical + "Role", function.logical + "Policy", function.logical + "LogGroup"
    why_wildcards = "X-Ray, SES's sending quota and SMS to a phone number have no resource ARN; every other statement names its resource"
    return {
        role: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": role_name(function),  # the key policy admits the functions by name (_key_policy)
                "Description": f"{function.name}: the only role this function runs with",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            },
        },
        policy: {
            "Type": "AWS::IAM::Policy",
            "Metadata": _skip(("CKV_AWS_111", why_wildcards), ("CKV_AWS_290", why_wildcards), ("CKV_AWS_355", why_wildcards)),
            "Properties": {
                "PolicyName": f"{function.name}-least-privilege",
                "Roles": [{"Ref": role}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": _statements(function)},
            },
        },
        logs: {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Metadata": _skip(("CKV_AWS_158", "log lines carry ids and no personal data (README, observability); CloudWatch's own encryption")),
            "Properties": {"LogGroupName": f"/aws/lambda/{function.physical}", "RetentionInDays": log_retention_days(stage)},
        },
    }


EXECUTE_API_URL = {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"}


def _public_api_url(function: Function) -> Any:
    """PUBLIC_API_URL, where links in emails point (`settings.public_api_url`).

    The PublicApiUrl parameter (a custom domain: links in emails live for months and must
    outlive the API's id) when given. Without it, the execute-api address, to every function
    but the API's own: RestAPI's definition names the API function (its integration), so
    the API function naming RestAPI would be a circular dependency. It needs no address
    from the stack: it takes it from each request it serves (requestContext domainName and
    stage). The other functions (the fan-out and stream functions that write the emails)
    depend on the API, which depends on nothing of theirs."""
    fallback = {"Ref": "AWS::NoValue"} if function.kind == "api" else EXECUTE_API_URL
    return {"Fn::If": ["HasPublicApiUrl", {"Ref": "PublicApiUrl"}, fallback]}


def _environment(function: Function) -> dict[str, Any]:
    return {
        "RESOURCE_PREFIX": r.settings.resource_prefix(),
        "PRIVACY_PROFILE": {"Ref": "PrivacyProfile"},
        "DATA_KEY_ARN": template.key_arn(),
        "COGNITO_USER_POOL_ID": {"Ref": "UserPool"},
        "COGNITO_CLIENT_ID": {"Ref": "UserPoolClient"},
        "MAIL_FROM": {"Ref": "MailFrom"},
        "PUBLIC_API_URL": _public_api_url(function),
        "PAYMENT_GATEWAY": {"Ref": "PaymentGateway"},
        "PAYMENT_GATEWAY_SECRET_ARN": {"Ref": "PaymentGatewaySecret"},
        **({"WEB_ORIGINS": {"Fn::Join": [",", {"Ref": "WebOrigin"}]}} if function.kind == "api" else {}),
    }


def _function_override(function: Function) -> dict[str, Any]:
    depends = [function.logical + "Policy", function.logical + "LogGroup"]
    props: dict[str, Any] = {
        "FunctionName": function.physical,
        # from app.py, which sets up the app's middleware first (Chalice names the blueprint's module)
        **({"Handler": f"app.{function.name}"} if function.kind != "api" else {}),
        "Role": {"Fn::GetAtt": [function.logical + "Role", "Arn"]},
        "MemorySize": API_MEMORY_MB if function.kind == "api" else FUNCTION_MEMORY_MB,
        "Environment": {"Variables": _environment(function)},
    }
    if function.kind == "api":
        props["Timeout"] = API_TIMEOUT_SECONDS
        props["ReservedConcurrentExecutions"] = {"Fn::If": ["ReservesApiConcurrency", {"Ref": "ApiReservedConcurrency"},
                                                            {"Ref": "AWS::NoValue"}]}
    elif function.kind == "queue":
        queue = next(q for q in r.QUEUES if q.name == function.source.queue)
        if queue.consumer_timeout is None or queue.max_concurrency is None:
            raise ValueError(f"{function.name} reads {queue.logical}, whose definition gives no consumer_timeout and max_concurrency")
        props["Timeout"] = queue.consumer_timeout  # the definition holds visibility >= 6 x this
        # Chalice's mapping has no MaximumConcurrency unless the decorator says so: the definition's, on every one
        props["Events"] = {f"{function.logical}SqsEventSource": {"Properties": {
            "ScalingConfig": {"MaximumConcurrency": queue.max_concurrency}}}}
        # the mapping's queue ARN is Chalice's own (built from the same definition's name): say the queue comes first
        depends.append(template.logical_id(queue, "queue"))
    elif function.kind == "stream":
        props["Events"] = {f"{function.logical}DynamodbEventSource": {"Properties": {
            "Stream": _arn(f"stream:{r.table_of_stream_arn(function.source.stream_arn).removeprefix(r.settings.resource_prefix() + '-')}"),
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": STREAM_RETRIES,
            "MaximumRecordAgeInSeconds": STREAM_MAX_AGE_SECONDS,
            "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": _arn(f"queue:{r.STREAM_FAILURES_QUEUE.logical}")}},
        }}}
    elif function.kind == "schedule":
        props["Timeout"] = SCHEDULE_TIMEOUT_SECONDS
        # a named rule, so that the failures queue's policy names exactly the rules that may send to it
        props["Events"] = {f"{function.logical}Event": {"Properties": {
            "Name": schedule_rule_name(function),
            "RetryPolicy": dict(r.SCHEDULE_RETRY),
            "DeadLetterConfig": {"Arn": _arn(f"queue:{r.SCHEDULE_FAILURES_QUEUE.logical}")},
        }}}
    skips = [
        ("CKV_AWS_116", "never invoked asynchronously with data worth keeping: queue and stream functions are invoked by "
                        "their mappings (failures go to the queue's DLQ or to stream-failures); a failed schedule run is redone by the next"),
        ("CKV_AWS_117", "reaches only AWS APIs, over TLS and with IAM; a VPC would add NAT or endpoint costs and cold-start "
                        "time with no private resource to reach"),
        ("CKV_AWS_173", "the environment holds resource names and ids, never a secret (the gateway's credentials are in "
                        "Secrets Manager)"),
    ]
    if function.kind != "api":  # the API function reserves its own (ApiReservedConcurrency)
        skips.append(("CKV_AWS_115", "bounded by its event source (one batch per shard, the queue mapping's MaximumConcurrency, "
                                     "one run per schedule); a reservation would come out of the pool the API needs, "
                                     "which new accounts have at 10"))
    return {"DependsOn": depends, "Metadata": _skip(*skips), "Properties": props}


def schedule_rule_name(function: Function) -> str:
    return function.physical  # <prefix>-<job>: at most 64 characters of [.-_A-Za-z0-9]


def _schedule_failures_policy(fns: list[Function]) -> dict[str, Any]:
    """EventBridge may put undeliverable scheduled events in the schedule-failures queue, for our rules only."""
    queue = template.logical_id(r.SCHEDULE_FAILURES_QUEUE, "queue")
    rules = [{"Fn::Sub": f"arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{schedule_rule_name(f)}"}
             for f in fns if f.kind == "schedule"]
    return {queue + "Policy": {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {"Queues": [{"Ref": queue}], "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Sid": "ScheduledRulesDeadLetters", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
             "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": [queue, "Arn"]},
             "Condition": {"ArnEquals": {"aws:SourceArn": rules}, "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}},
        ]}},
    }}


ACCOUNT = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
ADMINISTRATORS = {"Fn::If": ["HasKeyAdministrators", {"Ref": "KeyAdministrators"}, ACCOUNT]}
# Who runs `make deploy` (the `marketplace-deployer` role of `infra.deployer`), or, left empty,
# the account (IAM decides who). CloudFormation creates the key with the deployer's
# credentials, and KMS refuses a key policy that would not let its creator put the next one.
DEPLOYER = {"Fn::If": ["HasDeployer", {"Ref": "Deployer"}, ACCOUNT]}
# The services that use the key for the resources the deployer creates with it
THROUGH = ["dynamodb", "s3", "secretsmanager"]
# What CloudFormation does to the key on the deployer's behalf: create it, put its policy,
# rotate, tag, describe; it schedules the key's deletion only when the create rolls back
DEPLOYER_MANAGES = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:GetKeyRotationStatus",
                    "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription",
                    "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"]
USE = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]


def role_name(function: Function) -> str:
    """The function role's name: the key policy admits the functions by this pattern
    (`function_roles`), never by a role ARN the same stack creates."""
    return f"{r.settings.resource_prefix()}-fn-{function.name}"


def function_roles() -> str:
    """`aws:PrincipalArn` of every function's role, and of no other role (`infra.deployer` lets
    the deployer create only the stack's function roles under this name)."""
    return f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{r.settings.resource_prefix()}-fn-*"


def _via(services: list[str]) -> dict[str, Any]:
    return {"kms:ViaService": [{"Fn::Sub": f"{s}.${{AWS::Region}}.amazonaws.com"} for s in services]}


def _key_policy() -> dict[str, Any]:
    """Administrators manage the key and cannot use it; the functions' roles use it and cannot
    manage it; the deployer keeps the key's policy its own to put again, and uses the key only
    through the services that encrypt what it creates.

    No principal is a role of this stack: KMS checks each principal exists when the policy is
    put, and a role made moments earlier in the same deploy can still be unknown to it (IAM
    propagates in seconds), failing CreateKey with "invalid principals". The functions are
    admitted as the account, on condition that the caller is one of the stack's function roles,
    whose own IAM policies (`infra.access`) say which of them may use the key for what."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            # not kms:Create*: that would let them grant themselves the key's use (kms:CreateGrant)
            {"Sid": "Administrators", "Effect": "Allow", "Principal": {"AWS": ADMINISTRATORS},
             "Action": ["kms:CreateAlias", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
                        "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
                        "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand"],
             "Resource": "*"},
            {"Sid": "AdministratorsSetTheGatewaySecret", "Effect": "Allow", "Principal": {"AWS": ADMINISTRATORS},
             "Action": ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": _via(["secretsmanager"])}},
            {"Sid": "DeployerMaintainsTheKey", "Effect": "Allow", "Principal": {"AWS": DEPLOYER},
             "Action": DEPLOYER_MANAGES, "Resource": "*"},
            # the only deletion CloudFormation makes of this key: its create rolled back (DeletionPolicy
            # RetainExceptOnCreate); a deployer acting by itself cannot schedule it
            {"Sid": "DeployerRollsBackItsCreate", "Effect": "Allow", "Principal": {"AWS": DEPLOYER},
             "Action": "kms:ScheduleKeyDeletion", "Resource": "*",
             "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}}},
            # DynamoDB makes the tables' grant, S3 and Secrets Manager check the key, with the deployer's credentials
            {"Sid": "DeployerCreatesEncryptedResources", "Effect": "Allow", "Principal": {"AWS": DEPLOYER},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*",
             "Condition": {"StringEquals": _via(THROUGH)}},
            {"Sid": "DeployerGrantsTheServices", "Effect": "Allow", "Principal": {"AWS": DEPLOYER},
             "Action": "kms:CreateGrant", "Resource": "*",
             "Condition": {"StringEquals": _via(THROUGH), "Bool": {"kms:GrantIsForAWSResource": "true"}}},
            {"Sid": "FunctionsUseIt", "Effect": "Allow", "Principal": {"AWS": ACCOUNT},
             "Action": USE, "Resource": "*",
             "Condition": {"ArnLike": {"aws:PrincipalArn": {"Fn::Sub": function_roles()}}}},
            {"Sid": "AlarmsPublishToTheEncryptedTopic", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}},
        ],
    }


def _lifecycle(stage_profile: str) -> dict[str, list[dict[str, Any]]]:
    """Each bucket's lifecycle from the profile: a backstop behind the retention jobs, which
    delete on time; the rules catch whatever a job never reached."""
    from chalicelib.core import privacy
    from chalicelib.services import exports

    profile = privacy.load(stage_profile)
    common = [{"Id": "abort-incomplete-uploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]
    return {
        r.DOCUMENTS_BUCKET.logical: common + [
            # a document is deleted identity_documents_keep_days after the decision; a review takes at most 30 days
            {"Id": "identity-documents-keep-days", "Status": "Enabled", "ExpirationInDays": profile.identity_documents_keep_days + 30,
             "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
        ],
        r.EXPORTS_BUCKET.logical: common + [
            {"Id": "export-lifetime", "Status": "Enabled", "ExpirationInDays": exports.EXPORT_DAYS + 1,
             "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
        ],
        r.FILES_BUCKET.logical: common + [
            {"Id": "expire-noncurrent", "Status": "Enabled",
             "NoncurrentVersionExpiration": {"NoncurrentDays": r.FILES_BUCKET.noncurrent_version_days}},
        ],
    }


def _stage_profile(stage: str) -> str:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return config["stages"].get(stage, {}).get("environment_variables", {}).get("PRIVACY_PROFILE", "strict")


def _data(stage: str) -> dict[str, Any]:
    doc = template.build()
    res = doc["Resources"]
    prod = stage == "prod"
    for table in r.TABLES:
        props = res[template.logical_id(table, "table")]["Properties"]
        props["SSESpecification"] = {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": _arn("key:data")}
        # prod's tables refuse deletion, but not while the deploy that creates them may still roll
        # back: CloudFormation could not delete them and the retry would find them there.
        # `infra.deploy` creates the stack with TableDeletionProtection=false and turns it on as
        # soon as the create is complete (and on every later deploy).
        props["DeletionProtectionEnabled"] = {"Fn::If": ["ProtectsTables", True, False]} if prod else False
        res[template.logical_id(table, "table")]["UpdateReplacePolicy"] = "Retain"
    key = res[template.logical_id(r.DATA_KEY, "key")]
    key["Properties"]["KeyPolicy"] = _key_policy()
    key["UpdateReplacePolicy"] = "Retain"
    res["UserPool"]["UpdateReplacePolicy"] = "Retain"
    lifecycle = _lifecycle(_stage_profile(stage))
    for bucket in r.BUCKETS:
        logical = template.logical_id(bucket, "bucket")
        res[logical]["UpdateReplacePolicy"] = "Retain"
        props = res[logical]["Properties"]
        props["LifecycleConfiguration"] = {"Rules": lifecycle[bucket.logical]}
        props["LoggingConfiguration"] = {"DestinationBucketName": {"Ref": "AccessLogsBucket"}, "LogFilePrefix": f"{bucket.logical}/"}
        if bucket.cors:
            props["CorsConfiguration"]["CorsRules"][0]["AllowedOrigins"] = {"Ref": "WebOrigin"}
    res["AccessLogsBucket"] = {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": template.KEEP,
        "UpdateReplacePolicy": "Retain",
        "Metadata": _skip(("CKV_AWS_18", "this is the access-log bucket itself"),
                          ("CKV_AWS_145", "S3 server access logging delivers only to SSE-S3 buckets")),
        "Properties": {
            "BucketName": f"{r.settings.resource_prefix()}-access-logs",
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                                               "RestrictPublicBuckets": True},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {"Rules": [{"Id": "access-logs-keep-days", "Status": "Enabled", "ExpirationInDays": 365,
                                                  "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]},
        },
    }
    res["AccessLogsBucketPolicy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {"Bucket": {"Ref": "AccessLogsBucket"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [{"Fn::GetAtt": ["AccessLogsBucket", "Arn"]}, {"Fn::Sub": "${AccessLogsBucket.Arn}/*"}],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "S3LogDelivery", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
             "Resource": {"Fn::Sub": "${AccessLogsBucket.Arn}/*"},
             "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}},
        ]}},
    }
    return res


def _secrets_and_mail() -> dict[str, Any]:
    return {
        "PaymentGatewaySecret": {
            "Type": "AWS::SecretsManager::Secret",
            # its fixed name is what the operator puts the credentials under (README); a rolled-back
            # create deletes it without a recovery window, so the name is free for the retry
            "DeletionPolicy": template.KEEP,
            "UpdateReplacePolicy": "Retain",
            "Metadata": _skip(("CKV2_AWS_57", "the payment provider issues the credentials; they are rotated at the provider "
                                              "and put here with put-secret-value (README)")),
            "Properties": {
                "Name": f"{r.settings.resource_prefix()}/payment-gateway",
                "Description": "The payment provider's API credentials (JSON); set with put-secret-value, never in code or template",
                "KmsKeyId": _arn("key:data"),
            },
        },
        "MailConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {
                "Name": f"{r.settings.resource_prefix()}-mail",
                "DeliveryOptions": {"TlsPolicy": "REQUIRE"},
                "ReputationOptions": {"ReputationMetricsEnabled": True},
                "SendingOptions": {"SendingEnabled": True},
                "SuppressionOptions": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
            },
        },
        # one identity per domain in an account and region: the first stage sending from the domain
        # creates it, every other one says MailIdentityExists=true (`infra.deploy` finds out) and
        # sends through it; the functions' grants name it by domain, never by this resource. It
        # stays when its stack goes (its DKIM records are published, other stages may send with it).
        "MailIdentity": {
            "Type": "AWS::SES::EmailIdentity",
            "Condition": "CreatesMailIdentity",
            "DeletionPolicy": template.KEEP,
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "EmailIdentity": {"Ref": "MailDomain"},
                "ConfigurationSetAttributes": {"ConfigurationSetName": {"Ref": "MailConfigurationSet"}},
                "DkimAttributes": {"SigningEnabled": True},
            },
        },
    }


def _templates() -> dict[str, Any]:
    return {
        template.logical_id(t, "template"): {
            "Type": "AWS::SES::Template",
            "Properties": {"Template": {"TemplateName": t.name, "SubjectPart": t.subject, "TextPart": t.text}},
        }
        for t in r.MAIL_TEMPLATES
    }


def merge_template(stage: str) -> dict[str, Any]:
    fns = functions()
    resources: dict[str, Any] = {}
    resources.update(_data(stage))
    resources.update(_secrets_and_mail())
    resources.update(_templates())
    for function in fns:
        resources.update(_function_resources(function, stage))
        resources[function.logical] = _function_override(function)
    resources.update(_schedule_failures_policy(fns))
    resources.update(operations.resources(stage, fns))
    outputs = template.build()["Outputs"]
    outputs["AlarmTopicArn"] = {"Value": {"Ref": "AlarmTopic"}}
    outputs["DashboardName"] = {"Value": {"Ref": "Dashboard"}}
    return {
        "Description": f"Freelance marketplace, stage {stage} ({r.settings.resource_prefix()})",
        "Parameters": {
            "PrivacyProfile": {"Type": "String", "Default": _stage_profile(stage),
                               "AllowedValues": sorted(p.stem for p in (ROOT / "chalicelib" / "privacy_profiles").glob("*.json")),
                               "Description": "The privacy profile the functions obey (lifecycle rules were built for the default)"},
            "AlarmEmail": {"Type": "String", "Default": "", "Description": "Who receives alarms (empty: subscribe later)"},
            "MailDomain": {"Type": "String", "Description": "The domain mail is sent from (SES identity; DKIM records to publish)"},
            "MailFrom": {"Type": "String", "Description": "The sender address, in MailDomain"},
            "WebOrigin": {"Type": "CommaDelimitedList",
                          "Description": "The frontends' origins (comma-separated, e.g. https://app.example.com,https://admin.example.com): "
                                         "browsers there may call the API (CORS) and use the buckets' presigned links"},
            "PaymentGateway": {"Type": "String", "Default": "sandbox", "AllowedValues": ["sandbox"],
                               "Description": "The payment provider's adapter (its credentials are in PaymentGatewaySecret)"},
            "PublicApiUrl": {"Type": "String", "Default": "", "AllowedPattern": "^(https://[^/\\s]+(/[^\\s]*[^/\\s])?)?$",
                             "Description": "Where links in emails point, e.g. https://api.example.com (a custom domain mapped "
                                            "to the api stage; links live for months). Empty: the API's execute-api address"},
            "ApiReservedConcurrency": {"Type": "Number", "Default": API_RESERVED_CONCURRENCY.get(stage, 0), "MinValue": 0,
                                       "Description": "Concurrency reserved for the API function (0: none; an account whose "
                                                      "limit is 10 can reserve none)"},
            "KeyAdministrators": {"Type": "String", "Default": "",
                                  "Description": "ARN of the role that administers the KMS key (empty: the account root)"},
            "Deployer": {"Type": "String", "Default": "",
                         "Description": "ARN of the role that runs the deploys (infra/deployer.py's marketplace-deployer; "
                                        "empty: the account root, IAM decides)"},
            "MailIdentityExists": {"Type": "String", "Default": "false", "AllowedValues": ["false", "true"],
                                   "Description": "true where another stage of the account already has MailDomain's SES identity"},
            **({"TableDeletionProtection": {
                "Type": "String", "Default": "true", "AllowedValues": ["false", "true"],
                "Description": "The tables refuse deletion (infra.deploy: false while the stack is created, true from then on)"}}
               if stage == "prod" else {}),
        },
        "Conditions": {
            "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]},
            "HasKeyAdministrators": {"Fn::Not": [{"Fn::Equals": [{"Ref": "KeyAdministrators"}, ""]}]},
            "HasDeployer": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Deployer"}, ""]}]},
            "CreatesMailIdentity": {"Fn::Equals": [{"Ref": "MailIdentityExists"}, "false"]},
            **({"ProtectsTables": {"Fn::Equals": [{"Ref": "TableDeletionProtection"}, "true"]}} if stage == "prod" else {}),
            "HasPublicApiUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "PublicApiUrl"}, ""]}]},
            "ReservesApiConcurrency": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ApiReservedConcurrency"}, "0"]}]},
        },
        # SAM makes a stage named "Stage" beside ours (unthrottled, without logs or tracing)
        # unless an OpenApiVersion is given; it changes nothing else of Chalice's swagger 2.0 body
        "Globals": {"Api": {"OpenApiVersion": "3.0.1"}},
        "Resources": resources,
        "Outputs": outputs,
    }


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else "dev"
    os.environ["STAGE"] = stage
    json.dump(merge_template(stage), sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

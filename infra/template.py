"""CloudFormation for every resource of `chalicelib.core.resources`, the definition the local
stack provisions from, so the deployed and the local cloud cannot drift.

`python -m infra.template [stage]` prints the template (`make template` writes
`infra/template.json`). The functions themselves, with their event sources (the
stream, the queues and the schedules, whose expressions the decorators read from
the same definition), are packaged by `chalice package`; this stack's Outputs are the
environment those functions are deployed with.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Protocol

from chalicelib.core import resources as r


class Defined(Protocol):
    """A definition of `chalicelib.core.resources` (a table, bucket, queue, key, mail template)."""

    @property
    def logical(self) -> str: ...  # its name in the definition: main, schedule-failures, data, ...


def _camel(*parts: str) -> str:
    return "".join(p.replace("-", " ").title().replace(" ", "") for p in parts)


def logical_id(of: Defined | str, kind: str) -> str:
    """The template's logical id of a resource: `of` is its definition (or the definition's
    `logical` name), `kind` what it is (table, bucket, queue, key, template, group, policy).
    `logical_id(r.MAIN_TABLE, "table") == "MainTable"`. Every module and test that names a
    resource of the template names it through here."""
    return _camel(of if isinstance(of, str) else of.logical, kind)


def dead_letter_id(queue: Defined | str) -> str:
    """The logical id of a queue's dead-letter queue."""
    return logical_id(queue, "queue") + "Dlq"


def key_arn() -> dict[str, Any]:
    """The data key's ARN, as the template refers to it."""
    return {"Fn::GetAtt": [logical_id(r.DATA_KEY, "key"), "Arn"]}


# Data resources: kept when the stack is deleted or drops them (their data outlives a stage's
# code), deleted when the operation that created them rolls back (nothing is in them yet), so
# a failed first deploy leaves nothing whose fixed name blocks the next one.
KEEP = "RetainExceptOnCreate"


def _key(definition: r.Key) -> dict[str, Any]:
    name = logical_id(definition, "key")
    return {
        name: {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": KEEP,
            "Properties": {
                "Description": definition.description,
                "EnableKeyRotation": definition.rotation,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            "Sid": "S3UsesItForBuckets",
                            "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"},
                            "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                            "Resource": "*",
                        },
                    ],
                },
            },
        },
        name + "Alias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": definition.alias, "TargetKeyId": {"Ref": name}}},
    }


def _table(definition: r.Table) -> dict[str, Any]:
    props: dict[str, Any] = {
        "TableName": definition.name,
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
        **definition.key_spec(),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": definition.point_in_time_recovery},
    }
    if definition.stream_view:
        props["StreamSpecification"] = {"StreamViewType": definition.stream_view}
    if definition.ttl_attribute:
        props["TimeToLiveSpecification"] = {"AttributeName": definition.ttl_attribute, "Enabled": True}
    out: dict[str, Any] = {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": KEEP, "Properties": props}
    if not definition.point_in_time_recovery:
        out["Metadata"] = {"checkov": {"skip": [{"id": "CKV_AWS_28", "comment": "deliberately without backups: deleting a user's "
                                                "key here must make every copy of their ciphertext unreadable (crypto-shredding)"}]}}
    return {logical_id(definition, "table"): out}


def _bucket(definition: r.Bucket) -> dict[str, Any]:
    name = logical_id(definition, "bucket")
    props: dict[str, Any] = {
        "BucketName": definition.name,  # RESOURCE_PREFIX makes it globally unique per deployment
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn()}, "BucketKeyEnabled": True}
            ]
        },
        "VersioningConfiguration": {"Status": "Enabled"},
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "LifecycleConfiguration": {
            "Rules": [
                {"Id": "expire-noncurrent", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": definition.noncurrent_version_days}}
            ]
        },
    }
    if definition.cors:
        props["CorsConfiguration"] = {
            "CorsRules": [{"AllowedMethods": list(definition.cors), "AllowedOrigins": ["*"], "AllowedHeaders": ["*"], "MaxAge": 3000}]
        }
    policy = json.loads(json.dumps(r.bucket_policy(definition, "KEY_ARN")).replace(f"arn:aws:s3:::{definition.name}", "BUCKET_ARN"))
    policy = _substitute(policy, {"KEY_ARN": key_arn(), "BUCKET_ARN": {"Fn::GetAtt": [name, "Arn"]}})
    return {
        name: {"Type": "AWS::S3::Bucket", "DeletionPolicy": KEEP, "Properties": props},
        name + "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": name}, "PolicyDocument": policy}},
    }


def _substitute(value: Any, names: dict[str, Any]) -> Any:
    """Replace placeholder strings (whole, or as a prefix of an ARN path) with intrinsics."""
    if isinstance(value, dict):
        return {k: _substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, names) for v in value]
    if isinstance(value, str):
        for placeholder, intrinsic in names.items():
            if value == placeholder:
                return intrinsic
            if value.startswith(placeholder + "/"):
                return {"Fn::Join": ["", [intrinsic, value[len(placeholder):]]]}
    return value


def _queue(definition: r.Queue) -> dict[str, Any]:
    name = logical_id(definition, "queue")
    props: dict[str, Any] = {
        "QueueName": definition.name,
        "VisibilityTimeout": definition.visibility_timeout,
        "MessageRetentionPeriod": definition.retention_seconds,
        # messages are ids only (the data map's QUEUES): SQS's own keys, so that no sender
        # or consumer needs rights on the data key for them
        "SqsManagedSseEnabled": True,
    }
    out: dict[str, Any] = {}
    if definition.dead_letter:
        out[dead_letter_id(definition)] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": definition.dlq_name,
                "MessageRetentionPeriod": definition.dlq_retention_seconds,
                "SqsManagedSseEnabled": True,
            },
        }
        props["RedrivePolicy"] = {"deadLetterTargetArn": {"Fn::GetAtt": [dead_letter_id(definition), "Arn"]}, "maxReceiveCount": definition.max_receive_count}
    skip = {"checkov": {"skip": [{"id": "CKV_AWS_27", "comment": "encrypted at rest with SQS-managed keys (SqsManagedSseEnabled), "
                                                               "which this check does not recognise"}]}}
    out[name] = {"Type": "AWS::SQS::Queue", "Metadata": skip, "Properties": props}
    if definition.dead_letter:
        out[dead_letter_id(definition)]["Metadata"] = skip
    return out


def _user_pool(definition: r.UserPool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "UserPool": {
            "Type": "AWS::Cognito::UserPool",
            "DeletionPolicy": KEEP,
            "Properties": {
                "UserPoolName": definition.name,
                "Policies": {"PasswordPolicy": definition.password_policy},
                "UsernameAttributes": ["email"],
                "UsernameConfiguration": {"CaseSensitive": False},
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                "MfaConfiguration": "OFF",
            },
        },
        "UserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": {"Ref": "UserPool"},
                "ClientName": f"{definition.name}-api",
                "GenerateSecret": False,
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "AccessTokenValidity": definition.access_token_minutes,
                "IdTokenValidity": definition.access_token_minutes,
                "RefreshTokenValidity": definition.refresh_token_days,
                "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
                "EnableTokenRevocation": True,
            },
        },
    }
    for group in definition.groups:
        out[logical_id(group, "group")] = {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {"GroupName": group, "UserPoolId": {"Ref": "UserPool"}},
        }
    return out


def build() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for k in r.KEYS:
        resources.update(_key(k))
    for t in r.TABLES:
        resources.update(_table(t))
    for b in r.BUCKETS:
        resources.update(_bucket(b))
    for q in r.QUEUES:
        resources.update(_queue(q))
    resources.update(_user_pool(r.USER_POOL))
    outputs: dict[str, Any] = {
        "DataKeyArn": {"Value": key_arn()},
        "UserPoolId": {"Value": {"Ref": "UserPool"}},
        "UserPoolClientId": {"Value": {"Ref": "UserPoolClient"}},
    }
    for t in (t for t in r.TABLES if t.stream_view):
        outputs[f"StreamArn{_camel(t.logical)}"] = {"Value": {"Fn::GetAtt": [logical_id(t, "table"), "StreamArn"]}}
    for b in r.BUCKETS:
        outputs[logical_id(b, "bucket")] = {"Value": {"Ref": logical_id(b, "bucket")}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Marketplace data resources ({r.settings.resource_prefix()})",
        "Resources": resources,
        "Outputs": outputs,
    }


def main(argv: list[str]) -> int:
    if argv:
        os.environ["STAGE"] = argv[0]
    json.dump(build(), sys.stdout, indent=2, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

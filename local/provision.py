"""Creates every resource of `chalicelib.core.resources` in the emulated AWS, idempotently.

Used by the local stack and by the test fixtures; `infra/template.py` turns the same
definition into CloudFormation.
"""
from __future__ import annotations

import json
import os
from typing import Any

import boto3

from chalicelib.core import resources as r


def _client(service: str) -> Any:
    return boto3.session.Session().client(service, region_name=os.environ.get("AWS_REGION", "us-east-1"))


def table(definition: r.Table) -> None:
    ddb = _client("dynamodb")
    if definition.name in ddb.list_tables()["TableNames"]:
        return
    spec: dict[str, Any] = {
        "TableName": definition.name,
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"Enabled": True, "SSEType": "KMS"},
        **definition.key_spec(),
    }
    if definition.stream_view:
        spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": definition.stream_view}
    ddb.create_table(**spec)
    if definition.ttl_attribute:
        ddb.update_time_to_live(
            TableName=definition.name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": definition.ttl_attribute},
        )
    if definition.point_in_time_recovery:
        ddb.update_continuous_backups(
            TableName=definition.name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )


def key(definition: r.Key) -> str:
    kms = _client("kms")
    try:
        return kms.describe_key(KeyId=definition.alias)["KeyMetadata"]["Arn"]
    except kms.exceptions.NotFoundException:
        pass
    meta = kms.create_key(Description=definition.description, KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    if definition.rotation:
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    kms.create_alias(AliasName=definition.alias, TargetKeyId=meta["KeyId"])
    return meta["Arn"]


def bucket(definition: r.Bucket, key_arn: str) -> None:
    s3 = _client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if definition.name in existing:
        return
    s3.create_bucket(Bucket=definition.name)
    s3.put_public_access_block(
        Bucket=definition.name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=definition.name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=definition.name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_policy(Bucket=definition.name, Policy=json.dumps(r.bucket_policy(definition, key_arn, require_tls=False)))
    s3.put_bucket_lifecycle_configuration(
        Bucket=definition.name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-noncurrent",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": definition.noncurrent_version_days},
                }
            ]
        },
    )
    if definition.cors and r.settings.web_origins():  # none configured: no CORS, as the API
        s3.put_bucket_cors(
            Bucket=definition.name,
            CORSConfiguration={
                "CORSRules": [
                    # the stage's web origins; S3 reads a `*` in an origin as any text, so `http://localhost:*` is any port
                    {"AllowedMethods": list(definition.cors), "AllowedOrigins": list(r.settings.web_origins()),
                     "AllowedHeaders": ["*"], "MaxAgeSeconds": 3000}
                ]
            },
        )


def queue(definition: r.Queue) -> None:
    sqs = _client("sqs")
    if not definition.dead_letter:
        sqs.create_queue(QueueName=definition.name, Attributes={
            "MessageRetentionPeriod": str(definition.retention_seconds), "SqsManagedSseEnabled": "true"})
        return
    dlq_url = sqs.create_queue(
        QueueName=definition.dlq_name,
        Attributes={"MessageRetentionPeriod": str(definition.dlq_retention_seconds), "SqsManagedSseEnabled": "true"},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(
        QueueName=definition.name,
        Attributes={
            "VisibilityTimeout": str(definition.visibility_timeout),
            "MessageRetentionPeriod": str(definition.retention_seconds),
            "SqsManagedSseEnabled": "true",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": definition.max_receive_count}),
        },
    )


def user_pool(definition: r.UserPool) -> dict[str, str]:
    idp = _client("cognito-idp")
    pools = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == definition.name]
    if pools:
        pool_id = pools[0]["Id"]
    else:
        pool_id = idp.create_user_pool(
            PoolName=definition.name,
            Policies={"PasswordPolicy": definition.password_policy},
            UsernameAttributes=["email"],
            UsernameConfiguration={"CaseSensitive": False},
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
            MfaConfiguration="OFF",
        )["UserPool"]["Id"]
        for group in definition.groups:
            idp.create_group(GroupName=group, UserPoolId=pool_id)
    clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    if clients:
        client_id = clients[0]["ClientId"]
    else:
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=f"{definition.name}-api",
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            AccessTokenValidity=definition.access_token_minutes,
            IdTokenValidity=definition.access_token_minutes,
            RefreshTokenValidity=definition.refresh_token_days,
            TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
            EnableTokenRevocation=True,
        )["UserPoolClient"]["ClientId"]
    return {"COGNITO_USER_POOL_ID": pool_id, "COGNITO_CLIENT_ID": client_id}


def mail_template(definition: r.MailTemplate) -> None:
    ses = _client("ses")
    body = {"TemplateName": definition.name, "SubjectPart": definition.subject, "TextPart": definition.text,
            "HtmlPart": ""}
    try:
        ses.create_template(Template=body)
    except ses.exceptions.AlreadyExistsException:
        ses.update_template(Template=body)
    except Exception as exc:  # moto names it TemplateNameAlreadyExists
        if "AlreadyExists" not in type(exc).__name__ and "Duplicate" not in str(exc):
            raise
        ses.update_template(Template=body)


def everything() -> dict[str, str]:
    """Provision the whole definition; return the settings functions need, also
    exported into this process's environment."""
    outputs: dict[str, str] = {}
    for t in r.TABLES:
        table(t)
    key_arn = key(r.DATA_KEY)
    outputs["DATA_KEY_ARN"] = key_arn
    for b in r.BUCKETS:
        bucket(b, key_arn)
    for q in r.QUEUES:
        queue(q)
    _client("ses").verify_email_identity(EmailAddress=r.mail_sender())
    for template in r.MAIL_TEMPLATES:
        mail_template(template)
    outputs.update(user_pool(r.USER_POOL))
    os.environ.update(outputs)
    return outputs

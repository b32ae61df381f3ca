"""Each function's IAM policy (`infra.access`) against what the function really calls:
the check that runs under every test (`local.iam_check`) catches a call the policy lacks."""
from __future__ import annotations

import boto3

from chalicelib.core import resources as r
from infra import access
from local import iam_check


def test_every_function_of_the_app_has_a_policy_and_every_policy_a_function(app):
    functions = {"api_handler"} | {source.name for source in app.event_sources}
    assert functions == set(access.ACCESS)


def test_a_call_outside_the_functions_policy_is_caught_and_named(cloud):
    s3 = boto3.client("s3")
    with iam_check.acting_as("purge_usage_data"):  # a job that only deletes usage items
        s3.list_object_versions(Bucket=r.EXPORTS_BUCKET.name, Prefix="x")
    found = list(iam_check.violations)
    del iam_check.violations[:]
    assert found == [{"function": "purge_usage_data", "action": "s3:ListBucketVersions", "resource": "bucket:exports"}]


def test_calls_are_read_as_iam_reads_them():
    table, queue = r.MAIN_TABLE.name, f"http://127.0.0.1:4566/000000000000/{r.PAYMENTS_QUEUE.name}"
    transaction = {"TransactItems": [
        {"Put": {"TableName": table, "Item": {}}},
        {"ConditionCheck": {"TableName": r.KEYS_TABLE.name, "Key": {}, "ConditionExpression": "x"}},
    ]}
    assert iam_check.needs("dynamodb", "TransactWriteItems", transaction) == [
        ("dynamodb:PutItem", "table:main"), ("dynamodb:ConditionCheckItem", "table:keys")]
    assert iam_check.needs("dynamodb", "Query", {"TableName": table, "IndexName": "gsi2"}) == [("dynamodb:Query", "table:main/index/*")]
    assert iam_check.needs("s3", "HeadObject", {"Bucket": r.FILES_BUCKET.name, "Key": "k"}) == [("s3:GetObject", "objects:files")]
    assert iam_check.needs("s3", "DeleteObjects", {"Bucket": r.FILES_BUCKET.name, "Delete": {"Objects": [{"Key": "k", "VersionId": "v"}]}}) == [
        ("s3:DeleteObject", "objects:files"), ("s3:DeleteObjectVersion", "objects:files")]
    assert iam_check.needs("sqs", "SendMessageBatch", {"QueueUrl": queue, "Entries": []}) == [("sqs:SendMessage", "queue:payments")]
    assert iam_check.needs("cognito-idp", "InitiateAuth", {}) == []  # token-authenticated, no IAM
    # a resource the one definition lacks is never allowed, whatever the grants
    assert iam_check.needs("dynamodb", "GetItem", {"TableName": "someone-elses"}) == [("dynamodb:GetItem", "unknown-table:someone-elses")]
    assert not any(access.allows(f, "dynamodb:GetItem", "unknown-table:someone-elses") for f in access.ACCESS)


def test_wildcard_resources_are_only_where_aws_has_none_and_say_why():
    for function, grants in access.ACCESS.items():
        for grant in grants:
            if grant.resource == "*":
                assert grant.why, f"{function}: {grant.actions} on * without a reason"
                assert set(grant.actions) <= {"sns:Publish", "ses:GetSendQuota", "dynamodb:ListStreams"}, function
            assert not any(a.endswith("*") for a in grant.actions), function


def test_an_ses_send_needs_every_resource_aws_authorizes_it_against():
    """AWS's reference: a send is authorized against the identity and the configuration set
    (named, else the identity's default), and a templated send against the template too."""
    from chalicelib.core.resources import NOTICE_TEMPLATE, mail_sender

    bulk = {"Source": mail_sender(), "Template": NOTICE_TEMPLATE.name, "Destinations": []}
    assert iam_check.needs("ses", "SendBulkTemplatedEmail", bulk) == [
        ("ses:SendBulkTemplatedEmail", "ses:identity"), ("ses:SendBulkTemplatedEmail", "ses:configuration-set"),
        ("ses:SendBulkTemplatedEmail", "ses:template/notice")]
    assert iam_check.needs("ses", "SendEmail", {"Source": mail_sender(), "ConfigurationSetName": "someone-elses"}) == [
        ("ses:SendEmail", "ses:identity"), ("ses:SendEmail", "unknown-configuration-set:someone-elses")]
    assert iam_check.needs("ses", "SendTemplatedEmail", {"Source": "x@elsewhere.example", "Template": "other"}) == [
        ("ses:SendTemplatedEmail", "unknown-identity:elsewhere.example"), ("ses:SendTemplatedEmail", "ses:configuration-set"),
        ("ses:SendTemplatedEmail", "unknown-template:other")]
    raw = {"RawMessage": {"Data": f"From: Marketplace <{mail_sender()}>\nTo: a@b.c\n\nhi".encode()}}
    assert iam_check.needs("ses", "SendRawEmail", raw)[0] == ("ses:SendRawEmail", "ses:identity")  # From header, no Source
    v2 = {"FromEmailAddress": mail_sender(), "Content": {"Template": {"TemplateName": NOTICE_TEMPLATE.name}}}
    assert iam_check.needs("sesv2", "SendEmail", v2) == [
        ("ses:SendEmail", "ses:identity"), ("ses:SendEmail", "ses:configuration-set"), ("ses:SendEmail", "ses:template/notice")]
    assert iam_check.needs("ses", "GetSendQuota", {}) == [("ses:GetSendQuota", "*")]
    # the fan-out's policy allows each, and a grant on the identity alone would not do
    assert all(access.allows("send_fanouts", a, res) for a, res in iam_check.needs("ses", "SendBulkTemplatedEmail", bulk))
    assert not access.allows("deliver_notifications", "ses:SendBulkTemplatedEmail", "ses:template/notice")


def test_kms_behind_s3_and_secrets_manager_is_checked_with_the_callers_rights():
    assert iam_check.needs("s3", "PutObject", {"Bucket": r.EXPORTS_BUCKET.name, "Key": "k"}) == [
        ("s3:PutObject", "objects:exports"), ("kms:GenerateDataKey", "key:data")]
    assert iam_check.needs("s3", "GetObject", {"Bucket": r.FILES_BUCKET.name, "Key": "k"}) == [
        ("s3:GetObject", "objects:files"), ("kms:Decrypt", "key:data")]
    assert iam_check.needs("s3", "PutObject", {"Bucket": "someone-elses", "Key": "k"}) == [("s3:PutObject", "unknown-bucket:someone-elses")]
    assert iam_check.needs("secretsmanager", "GetSecretValue", {"SecretId": "payment-gateway"}) == [
        ("secretsmanager:GetSecretValue", "secret:payment-gateway"), ("kms:Decrypt", "key:data")]

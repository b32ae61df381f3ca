"""The IAM lint of the synthesized template (`infra/iam_lint.py`, `make check-infra`): its
reading of CloudFormation intrinsics as the ARNs they become, and its one list of
accepted findings. parliament itself runs in the infra venv; none of this needs it."""
from __future__ import annotations

import json

import pytest

from infra import iam_lint
from infra.iam_lint import Finding

ARN = f"{iam_lint.PARTITION}:{{}}:{iam_lint.REGION}:{iam_lint.ACCOUNT}"

TEMPLATE = {
    "Parameters": {"MailDomain": {"Type": "String"}, "Admins": {"Type": "String", "Default": ""}},
    "Conditions": {"HasAdmins": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Admins"}, ""]}]}},
    "Resources": {
        "MainTable": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "m-main"}},
        "Docs": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "m-docs"}},
        "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "m-jobs"}},
        "Unnamed": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [
            {"Sid": "Admins", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
             "Principal": {"AWS": {"Fn::If": ["HasAdmins", {"Ref": "Admins"}, {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}]}}},
        ]}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "m-role",
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "inline", "PolicyDocument": {"Statement": [
                {"Sid": "Stream", "Effect": "Allow", "Action": "dynamodb:GetRecords", "Resource": {"Fn::GetAtt": ["MainTable", "StreamArn"]}},
            ]}}],
        }},
        "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
            {"Sid": "Mail", "Effect": "Allow", "Action": "ses:SendEmail",
             "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${MailDomain}"},
                          {"Fn::Sub": ["arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:template/${Name}", {"Name": "notice"}]}]},
            {"Sid": "Objects", "Effect": "Allow", "Action": "s3:GetObject", "Resource": [
                {"Fn::Join": ["", [{"Fn::GetAtt": ["Docs", "Arn"]}, "/*"]]}, {"Fn::Sub": "${Docs.Arn}/${!aws:username}"},
                {"Fn::If": ["HasAdmins", "never", {"Ref": "AWS::NoValue"}]}]},
            {"Sid": "Queues", "Effect": "Allow", "Action": "sqs:SendMessage",
             "Resource": [{"Fn::GetAtt": "Jobs.Arn"}, {"Fn::GetAtt": ["Unnamed", "Arn"]}]},
        ]}}},
        "QueuePolicy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"PolicyDocument": {"Statement": []}}},
        "Skipped": {"Type": "AWS::SNS::TopicPolicy", "Condition": "HasAdmins", "Properties": {"PolicyDocument": {"Statement": []}}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmActions": [{"Fn::ImportValue": "x"}]}},
    },
}


def test_intrinsics_become_the_arns_they_would_be_in_an_account():
    docs = dict(iam_lint.documents(TEMPLATE))
    assert set(docs) == {"Key", "Role/inline", "Policy", "QueuePolicy"}  # no trust policy, no resource whose condition is false
    mail, objects, queues = docs["Policy"]["Statement"]
    assert mail["Resource"] == [f"arn:{ARN.format('ses')}:identity/example.com", f"arn:{ARN.format('ses')}:template/notice"]
    assert objects["Resource"] == ["arn:aws:s3:::m-docs/*", "arn:aws:s3:::m-docs/${aws:username}"]  # NoValue left out
    assert queues["Resource"][0] == f"arn:{ARN.format('sqs')}:m-jobs"
    assert queues["Resource"][1].startswith(f"arn:{ARN.format('sqs')}:marketplace-prod-Unnamed-")  # CloudFormation's own name
    stream = docs["Role/inline"]["Statement"][0]["Resource"]
    assert stream.startswith(f"arn:{ARN.format('dynamodb')}:table/m-main/stream/")
    # the condition is read from the parameter's default: no administrators given, so the account root
    assert docs["Key"]["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{iam_lint.ACCOUNT}:root"}


def test_what_the_lint_cannot_resolve_stops_it_rather_than_pass_unseen():
    resolver = iam_lint.Resolver(TEMPLATE)
    with pytest.raises(iam_lint.Unresolved):
        resolver.resolve(TEMPLATE["Resources"]["Alarm"]["Properties"])  # Fn::ImportValue
    with pytest.raises(iam_lint.Unresolved):
        resolver.resolve({"Fn::GetAtt": ["Jobs", "DeadLetterArn"]})
    with pytest.raises(iam_lint.Unresolved):
        resolver.resolve({"Ref": "NoSuchThing"})


def test_a_finding_is_accepted_only_where_the_one_list_explains_it():
    explained = {("RESOURCE_STAR", "SendPolicy/GrantNoResource"): "SMS", ("RESOURCE_MISMATCH", "*Policy/GrantStreamMain"): "labels",
                 ("UNKNOWN_ACTION", "OldPolicy/Gone"): "was once"}
    findings = [
        Finding("RESOURCE_STAR", "SendPolicy/GrantNoResource", ""),
        Finding("RESOURCE_MISMATCH", "APolicy/GrantStreamMain", ""), Finding("RESOURCE_MISMATCH", "BPolicy/GrantStreamMain", ""),
        Finding("RESOURCE_MISMATCH", "SendPolicy/MailSendBulkTemplatedEmail", "template"),  # the pattern names one statement only
        Finding("RESOURCE_STAR", "OtherPolicy/GrantNoResource", ""),  # explained for one policy, not for every one
        Finding("UNKNOWN_PREFIX", "SendPolicy/GrantNoResource", ""),  # another finding at an explained place
    ]
    open_, accepted, stale = iam_lint.judge(findings, explained)
    assert [f.where for f in accepted] == ["SendPolicy/GrantNoResource", "APolicy/GrantStreamMain", "BPolicy/GrantStreamMain"]
    assert [(f.issue, f.where) for f in open_] == [("RESOURCE_MISMATCH", "SendPolicy/MailSendBulkTemplatedEmail"),
                                                  ("RESOURCE_STAR", "OtherPolicy/GrantNoResource"),
                                                  ("UNKNOWN_PREFIX", "SendPolicy/GrantNoResource")]
    assert stale == [("UNKNOWN_ACTION", "OldPolicy/Gone")]  # an explanation nothing needs fails the lint too


def test_each_explanation_says_why_and_each_finding_is_placed_in_its_statement():
    assert all(len(why) > 20 for why in iam_lint.EXPLAINED.values())
    text, ranges = iam_lint._statement_lines({"Version": "2012-10-17", "Statement": [
        {"Sid": "First", "Effect": "Allow", "Action": ["a:B"], "Resource": "*"}, {"Effect": "Deny", "Action": "c:D", "Resource": "*"}]})
    lines = text.splitlines()
    assert [sid for _, _, sid in ranges] == ["First", "#1"]
    for first, last, _ in ranges:
        assert lines[first - 1].strip() == "{" and lines[last - 1].strip() in ("}", "},")  # parliament's lines count from 1
    assert '"First"' in "\n".join(lines[ranges[0][0] - 1:ranges[0][1]])
    assert json.loads(text)["Statement"][1]["Effect"] == "Deny"

"""The CloudFormation template, the local cloud and the PynamoDB models all come from
one definition: what the local stack provisioned is what the template declares."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig

from chalicelib.core import resources as r
from infra import template

ROOT = Path(__file__).resolve().parent.parent


def _resource(doc: dict, kind: str, **props) -> dict:
    found = [
        v["Properties"] for v in doc["Resources"].values()
        if v["Type"] == kind and all(v["Properties"].get(k) == want for k, want in props.items())
    ]
    assert len(found) == 1, f"{kind} {props}: {len(found)} found"
    return found[0]


def test_tables_in_the_template_match_the_provisioned_tables(cloud):
    doc = template.build()
    ddb = boto3.client("dynamodb")
    for table in r.TABLES:
        declared = _resource(doc, "AWS::DynamoDB::Table", TableName=table.name)
        live = ddb.describe_table(TableName=table.name)["Table"]
        assert declared["KeySchema"] == live["KeySchema"]
        assert {i["IndexName"]: i["KeySchema"] for i in declared.get("GlobalSecondaryIndexes", [])} == {
            i["IndexName"]: i["KeySchema"] for i in live.get("GlobalSecondaryIndexes", [])
        }
        declared_stream = declared.get("StreamSpecification", {}).get("StreamViewType")
        assert declared_stream == live.get("StreamSpecification", {}).get("StreamViewType") == table.stream_view
        ttl = ddb.describe_time_to_live(TableName=table.name)["TimeToLiveDescription"]
        if table.ttl_attribute:
            assert declared["TimeToLiveSpecification"]["AttributeName"] == ttl["AttributeName"] and ttl["TimeToLiveStatus"] == "ENABLED"
        else:
            assert "TimeToLiveSpecification" not in declared and ttl["TimeToLiveStatus"] == "DISABLED"
        backups = ddb.describe_continuous_backups(TableName=table.name)["ContinuousBackupsDescription"]
        pitr = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
        assert pitr == ("ENABLED" if table.point_in_time_recovery else "DISABLED")
        assert declared["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is table.point_in_time_recovery
    assert r.MAIN_TABLE.point_in_time_recovery and r.MAIN_TABLE.stream_view and r.MAIN_TABLE.ttl_attribute


def test_buckets_are_private_versioned_and_sse_kms_under_our_key_in_both(cloud):
    doc = template.build()
    s3 = boto3.client("s3")
    for bucket in r.BUCKETS:
        declared = _resource(doc, "AWS::S3::Bucket", BucketName=bucket.name)
        rule = declared["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        assert rule["SSEAlgorithm"] == "aws:kms" and rule["KMSMasterKeyID"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
        live = s3.get_bucket_encryption(Bucket=bucket.name)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert live["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": cloud["DATA_KEY_ARN"]}
        assert declared["VersioningConfiguration"]["Status"] == s3.get_bucket_versioning(Bucket=bucket.name)["Status"] == "Enabled"
        block = s3.get_public_access_block(Bucket=bucket.name)["PublicAccessBlockConfiguration"]
        assert block == declared["PublicAccessBlockConfiguration"] and all(block.values())
        live_policy = json.loads(s3.get_bucket_policy(Bucket=bucket.name)["Policy"])
        declared_policy = next(
            v["Properties"]["PolicyDocument"] for v in doc["Resources"].values()
            if v["Type"] == "AWS::S3::BucketPolicy" and v["Properties"]["Bucket"] == {"Ref": template.logical_id(bucket, "bucket")}
        )
        # the local cloud is plain HTTP, so it alone goes without the TLS statement
        assert [s["Sid"] for s in declared_policy["Statement"]] == ["DenyInsecureTransport"] + [s["Sid"] for s in live_policy["Statement"]]


def test_queues_have_their_dead_letter_queues_in_both(cloud):
    doc = template.build()
    sqs = boto3.client("sqs")
    for queue in r.QUEUES:
        declared = _resource(doc, "AWS::SQS::Queue", QueueName=queue.name)
        url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
        live = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if not queue.dead_letter:  # itself where failures go
            assert "RedrivePolicy" not in live and "RedrivePolicy" not in declared
            continue
        redrive = json.loads(live["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith(":" + queue.dlq_name)
        assert declared["RedrivePolicy"]["maxReceiveCount"] == int(redrive["maxReceiveCount"]) == queue.max_receive_count
        assert declared["VisibilityTimeout"] == int(live["VisibilityTimeout"])


def test_the_key_rotates_and_the_user_pool_has_the_defined_groups(cloud):
    doc = template.build()
    assert _resource(doc, "AWS::KMS::Key")["EnableKeyRotation"] is True
    assert boto3.client("kms").get_key_rotation_status(KeyId=cloud["DATA_KEY_ARN"])["KeyRotationEnabled"] is True
    declared = {p["GroupName"] for v in doc["Resources"].values() if v["Type"] == "AWS::Cognito::UserPoolGroup" for p in [v["Properties"]]}
    live = {g["GroupName"] for g in boto3.client("cognito-idp").list_groups(UserPoolId=cloud["COGNITO_USER_POOL_ID"])["Groups"]}
    assert declared == live == set(r.USER_POOL.groups)


def test_every_event_source_of_the_app_is_in_the_definition(app):
    schedules = {s.name: s.schedule_expression for s in app.event_sources if isinstance(s, ScheduledEventConfig)}
    assert schedules == {name: s.expression for name, s in r.SCHEDULES.items()}
    queues = {s.queue for s in app.event_sources if isinstance(s, SQSEventConfig)}
    assert queues <= {q.name for q in r.QUEUES}
    streams = {r.table_of_stream_arn(s.stream_arn) for s in app.event_sources if isinstance(s, DynamoDBEventConfig)}
    assert streams <= {t.name for t in r.TABLES if t.stream_view}


def test_the_pynamodb_models_sit_on_the_defined_table_and_indexes():
    from chalicelib.repos.db import Entity

    assert Entity.Meta.table_name == r.MAIN_TABLE.name
    assert Entity._hash_keyname == r.MAIN_TABLE.hash_key and Entity._range_keyname == r.MAIN_TABLE.range_key
    def keys(index) -> tuple[str, str]:
        attributes = index.Meta.attributes.values()
        return (next(a.attr_name for a in attributes if a.is_hash_key), next(a.attr_name for a in attributes if a.is_range_key))

    model_indexes = {index.Meta.index_name: keys(index) for index in Entity._indexes.values()}
    assert model_indexes == {i.name: (i.hash_key, i.range_key) for i in r.MAIN_TABLE.indexes}
    assert "expires_at" in Entity.get_attributes() and r.MAIN_TABLE.ttl_attribute == "expires_at"


def test_the_template_command_prints_json_for_a_stage():
    out = subprocess.run([sys.executable, "-m", "infra.template", "prod"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert "marketplace-prod-main" in json.dumps(doc["Resources"])


def test_every_resource_is_named_by_its_logical_id():
    """`template.logical_id` is the one spelling of the ids other modules refer to."""
    doc = template.build()["Resources"]
    assert template.logical_id(r.DATA_KEY, "key") == template.logical_id(r.DATA_KEY.logical, "key") == "DataKey"
    assert template.logical_id(r.SCHEDULE_FAILURES_QUEUE, "queue") == "ScheduleFailuresQueue"
    for table in r.TABLES:
        assert doc[template.logical_id(table, "table")]["Properties"]["TableName"] == table.name
    for bucket in r.BUCKETS:
        assert doc[template.logical_id(bucket, "bucket")]["Properties"]["BucketName"] == bucket.name
    for queue in r.QUEUES:
        assert doc[template.logical_id(queue, "queue")]["Properties"]["QueueName"] == queue.name
        if queue.dead_letter:
            assert doc[template.dead_letter_id(queue)]["Properties"]["QueueName"] == queue.dlq_name
    assert template.key_arn() == {"Fn::GetAtt": [template.logical_id(r.DATA_KEY, "key"), "Arn"]}
    assert template.key_arn()["Fn::GetAtt"][0] in doc

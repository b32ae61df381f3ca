"""Deploy, diff and destroy a stage with CloudFormation: `make deploy STAGE=dev PARAMS="..."`.

    python -m infra.deploy diff    dev MailDomain=example.com MailFrom=no-reply@example.com WebOrigin=https://app.example.com
    python -m infra.deploy deploy  dev ...same parameters (later runs keep the previous values of those not given)
    python -m infra.deploy destroy dev

`deploy` packages the stage (`infra.package`), uploads the code and the template to an
artifacts bucket of the account (`<prefix>-artifacts-<account>`, made on first use:
private, versioned, encrypted, TLS only), makes a change set, prints it, executes it and
waits; the stack's outputs (the API's URL among them) are printed at the end. `diff` stops
after printing the change set and deletes it. `destroy` deletes the stack: the tables,
buckets, key, user pool and secret are kept (DeletionPolicy Retain) and listed, because
deleting a stage must never delete its users' data by accident.

Credentials and region are the operator's usual AWS ones (environment, profile or SSO);
`AWS_ENDPOINT_URL` points every call elsewhere (the tests use the embedded moto).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # roles without names; the SAM transform


def stack_name(stage: str) -> str:
    return f"marketplace-{stage}"


def _client(service: str) -> Any:
    return boto3.client(service, region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")


def artifacts_bucket(stage: str) -> str:
    account = _client("sts").get_caller_identity()["Account"]
    name = f"marketplace-{stage}-artifacts-{account}"
    s3 = _client("s3")
    try:
        s3.head_bucket(Bucket=name)
        return name
    except s3.exceptions.ClientError:
        pass
    region = s3.meta.region_name
    s3.create_bucket(Bucket=name, **({} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    return name


def prepare(stage: str, built: Path | None = None) -> tuple[str, dict[str, Any]]:
    """Package the stage, upload its code and template; the template's S3 URL and its parameters."""
    from infra import package

    template_path = built or package.package(stage)
    template = json.loads(template_path.read_text())
    bucket = artifacts_bucket(stage)
    s3 = _client("s3")
    code = template_path.with_name("deployment.zip").read_bytes()
    code_key = f"{stage}/code/{hashlib.sha256(code).hexdigest()}.zip"
    s3.put_object(Bucket=bucket, Key=code_key, Body=code)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://{bucket}/{code_key}"
    body = json.dumps(template, sort_keys=True).encode()
    template_key = f"{stage}/templates/{hashlib.sha256(body).hexdigest()}.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=body)
    return f"https://{bucket}.s3.amazonaws.com/{template_key}", template["Parameters"]


def _exists(cf: Any, name: str) -> bool:
    try:
        status = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except cf.exceptions.ClientError:
        return False
    return status != "REVIEW_IN_PROGRESS"


def _parameters(given: dict[str, str], existing: bool, declared: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key in declared:
        if key in given:
            out.append({"ParameterKey": key, "ParameterValue": given[key]})
        elif existing:
            out.append({"ParameterKey": key, "UsePreviousValue": True})
    unknown = set(given) - set(declared)
    if unknown:
        raise SystemExit(f"unknown parameters: {', '.join(sorted(unknown))} (the stack takes {', '.join(declared)})")
    return out


def change_set(stage: str, url: str, given: dict[str, str], declared: dict[str, Any]) -> tuple[str, list[dict[str, Any]], bool]:
    cf = _client("cloudformation")
    name, existing = stack_name(stage), _exists(cf, stack_name(stage))
    change = f"deploy-{int(time.time())}"
    cf.create_change_set(
        StackName=name, ChangeSetName=change, ChangeSetType="UPDATE" if existing else "CREATE", TemplateURL=url,
        Capabilities=CAPABILITIES, Parameters=_parameters(given, existing, declared),
        Tags=[{"Key": "app", "Value": "marketplace"}, {"Key": "stage", "Value": stage}],
    )
    for _ in range(360):
        described = cf.describe_change_set(StackName=name, ChangeSetName=change)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            break
        time.sleep(5)
    if described["Status"] == "FAILED" and "didn't contain changes" not in described.get("StatusReason", ""):
        raise SystemExit(f"the change set failed: {described.get('StatusReason')}")
    return change, described.get("Changes", []), existing


def _print_changes(changes: list[dict[str, Any]]) -> None:
    for change in changes:
        rc = change.get("ResourceChange", {})
        print(f"  {rc.get('Action', '?'):8} {rc.get('ResourceType', ''):40} {rc.get('LogicalResourceId', '')}"
              f"{'  (replaced)' if rc.get('Replacement') == 'True' else ''}")
    print(f"{len(changes)} changes")


def diff(stage: str, given: dict[str, str], built: Path | None = None) -> list[dict[str, Any]]:
    url, declared = prepare(stage, built)
    change, changes, _ = change_set(stage, url, given, declared)
    _print_changes(changes)
    cf = _client("cloudformation")
    cf.delete_change_set(StackName=stack_name(stage), ChangeSetName=change)
    return changes


def deploy(stage: str, given: dict[str, str], built: Path | None = None) -> dict[str, str]:
    url, declared = prepare(stage, built)
    change, changes, existing = change_set(stage, url, given, declared)
    _print_changes(changes)
    cf = _client("cloudformation")
    name = stack_name(stage)
    if not changes:
        print("nothing to deploy")
    else:
        cf.execute_change_set(StackName=name, ChangeSetName=change)
        cf.get_waiter("stack_update_complete" if existing else "stack_create_complete").wait(
            StackName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName=name)["Stacks"][0].get("Outputs", [])}
    for key, value in sorted(outputs.items()):
        print(f"{key:24} {value}")
    return outputs


def destroy(stage: str) -> list[str]:
    """Delete the stack; the data resources it retains are listed (they are deleted by hand, on purpose)."""
    cf = _client("cloudformation")
    name = stack_name(stage)
    kept = [f"{r['ResourceType']} {r.get('PhysicalResourceId', '')}"
            for r in cf.describe_stack_resources(StackName=name)["StackResources"]
            if r["ResourceType"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Cognito::UserPool",
                                     "AWS::SecretsManager::Secret")]
    cf.delete_stack(StackName=name)
    cf.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    print("deleted; kept (DeletionPolicy Retain), delete by hand only if the stage's data is to go:")
    for line in kept:
        print(f"  {line}")
    return kept


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("diff", "deploy", "destroy"):
        print(__doc__)
        return 2
    command, stage, rest = argv[0], argv[1], argv[2:]
    given = dict(a.split("=", 1) for a in rest)
    if command == "diff":
        diff(stage, given)
    elif command == "deploy":
        deploy(stage, given)
    else:
        destroy(stage)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

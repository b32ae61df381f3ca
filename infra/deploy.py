"""Deploy, diff and destroy a stage with CloudFormation: `make deploy STAGE=dev PARAMS="..."`.

    python -m infra.deploy diff    dev MailDomain=example.com MailFrom=no-reply@example.com WebOrigin=https://app.example.com
    python -m infra.deploy deploy  dev ...same parameters (later runs keep the previous values of those not given)
    python -m infra.deploy destroy dev

`deploy` packages the stage (`infra.package`), uploads the code and the template to an
artifacts bucket of the account (`<prefix>-artifacts-<account>`, made on first use:
private, versioned, encrypted, TLS only), makes a change set, prints it, executes it and
waits; the stack's outputs (the API's URL among them) are printed at the end. `diff` stops
after printing the change set and deletes it. `destroy` deletes the stack: the tables,
buckets, key, user pool, secret and mail identity are kept (DeletionPolicy
RetainExceptOnCreate) and listed, because deleting a stage must never delete its users'
data by accident.

A first deploy that fails leaves nothing behind: CloudFormation rolls the create back and,
the data resources being RetainExceptOnCreate, deletes what it made, so the next `deploy`
removes the empty rolled-back stack and creates it again. What that needs of the first
deploy, `deploy` passes by itself unless given: the stack is created with
`TableDeletionProtection=false` (a protected table would make the rollback fail) and
updated to `true` as soon as the create is complete, and on every later deploy;
`MailIdentityExists=true` where the domain's SES identity is already in the account
(another stage sends from it).

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
CAPABILITIES = ["CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]  # the functions' roles have names; the SAM transform
DATA = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Cognito::UserPool", "AWS::SecretsManager::Secret",
        "AWS::SES::EmailIdentity")  # what the stack keeps when it is deleted (RetainExceptOnCreate)
ROLLED_BACK = "ROLLBACK_COMPLETE"  # a create that failed and was undone: the stack holds nothing and cannot be updated
STUCK = ("ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_ROLLBACK_FAILED")


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


def _status(cf: Any, name: str) -> str | None:
    try:
        return cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except cf.exceptions.ClientError:
        return None


def _exists(cf: Any, name: str) -> bool:
    return _status(cf, name) not in (None, "REVIEW_IN_PROGRESS")


def _mail_identity_exists(domain: str) -> bool:
    ses = _client("sesv2")
    try:
        ses.get_email_identity(EmailIdentity=domain)
    except ses.exceptions.NotFoundException:
        return False
    return True


# Lambda refuses a reservation that leaves fewer than this unreserved in the account
UNRESERVED_FLOOR = 100


def _api_reservation(want: int) -> int:
    """What a first deploy reserves for the API: the stage's default, or none (with the reason
    printed) where the account could not keep its 100 unreserved after it."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        unreserved = _client("lambda").get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    except (BotoCoreError, ClientError) as e:  # no lambda:GetAccountSettings, or a cloud without it (moto's server)
        print(f"could not read the account's concurrency ({e.__class__.__name__}): reserving {want} for the API")
        return want
    if unreserved - want >= UNRESERVED_FLOOR:
        return want
    print(f"the account has {unreserved} unreserved concurrency; reserving {want} for the API would leave under "
          f"{UNRESERVED_FLOOR} (Lambda refuses that): deploying with ApiReservedConcurrency=0. Ask AWS to raise the "
          "account's concurrency limit, then deploy with PARAMS=\"ApiReservedConcurrency=...\" (README)")
    return 0


def defaults(given: dict[str, str], existing: bool, declared: dict[str, Any]) -> dict[str, str]:
    """The parameters a deploy passes by itself where the operator gave none (module doc)."""
    out = dict(given)
    want = int(declared.get("ApiReservedConcurrency", {}).get("Default", 0) or 0)
    if not existing and want and "ApiReservedConcurrency" not in given:
        out["ApiReservedConcurrency"] = str(_api_reservation(want))
    if "TableDeletionProtection" in declared:
        out.setdefault("TableDeletionProtection", "true" if existing else "false")
    if not existing and "MailIdentityExists" in declared and "MailIdentityExists" not in given and given.get("MailDomain"):
        out["MailIdentityExists"] = "true" if _mail_identity_exists(given["MailDomain"]) else "false"
    return out


def _resources(cf: Any, name: str) -> list[dict[str, Any]]:
    """Every resource of the stack: ListStackResources pages (DescribeStackResources stops at 100,
    and a stage has about 190)."""
    out: list[dict[str, Any]] = []
    for page in cf.get_paginator("list_stack_resources").paginate(StackName=name):
        out += page["StackResourceSummaries"]
    return out


def _clear_rolled_back(cf: Any, name: str) -> None:
    """Make way for a create: remove a stack whose first create rolled back (it holds nothing),
    refuse one that is stuck (what it could not delete is named)."""
    status = _status(cf, name)
    if status == ROLLED_BACK:
        print(f"{name} is {status} (its first deploy failed and was undone): deleting the empty stack, then creating it again")
        cf.delete_stack(StackName=name)
        cf.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 5, "MaxAttempts": 360})
    elif status in STUCK:
        left = [f"{r['ResourceType']} {r.get('PhysicalResourceId', '')}: {r.get('ResourceStatusReason', '')}"
                for r in _resources(cf, name) if r["ResourceStatus"].endswith("_FAILED")]
        raise SystemExit(f"{name} is {status}; CloudFormation could not undo these (README, Deploying and operating):\n  "
                         + "\n  ".join(left or ["(none listed)"]))


def _failure(cf: Any, name: str) -> str:
    events = cf.describe_stack_events(StackName=name)["StackEvents"]
    return "\n  ".join(f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}" for e in events
                       if e.get("ResourceStatus", "").endswith("_FAILED"))[:4000]


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


def change_set(stage: str, url: str | None, given: dict[str, str], declared: dict[str, Any]) -> tuple[str, list[dict[str, Any]], bool]:
    """A change set to `url`'s template (None: the stack's current one) with `given` and the defaults."""
    cf = _client("cloudformation")
    name = stack_name(stage)
    if _status(cf, name) == ROLLED_BACK:
        existing = False  # deploy() removes it before executing; a diff shows the create it will be
    else:
        existing = _exists(cf, name)
    change = f"deploy-{int(time.time() * 1000)}"
    template: dict[str, Any] = {"TemplateURL": url} if url else {"UsePreviousTemplate": True}
    cf.create_change_set(
        StackName=name, ChangeSetName=change, ChangeSetType="UPDATE" if existing else "CREATE", **template,
        Capabilities=CAPABILITIES, Parameters=_parameters(defaults(given, existing, declared), existing, declared),
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
    cf = _client("cloudformation")
    if _status(cf, stack_name(stage)) == ROLLED_BACK:
        # a change set cannot be made on it: `deploy` deletes it first and creates the stack
        raise SystemExit(f"{stack_name(stage)} is {ROLLED_BACK} (its first deploy failed and was undone): "
                         "`make deploy` deletes the empty stack and creates it again")
    change, changes, _ = change_set(stage, url, given, declared)
    _print_changes(changes)
    cf = _client("cloudformation")
    cf.delete_change_set(StackName=stack_name(stage), ChangeSetName=change)
    return changes


def _execute(cf: Any, name: str, change: str, existing: bool) -> None:
    from botocore.exceptions import WaiterError

    cf.execute_change_set(StackName=name, ChangeSetName=change)
    try:
        cf.get_waiter("stack_update_complete" if existing else "stack_create_complete").wait(
            StackName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    except WaiterError as failed:
        undone = "the update was rolled back; the stack is as before" if existing else (
            "the create was rolled back and what it made deleted; `make deploy` again once the cause is fixed")
        raise SystemExit(f"{name}: {failed}\n  {_failure(cf, name)}\n{undone}") from None


def deploy(stage: str, given: dict[str, str], built: Path | None = None) -> dict[str, str]:
    url, declared = prepare(stage, built)
    cf = _client("cloudformation")
    name = stack_name(stage)
    _clear_rolled_back(cf, name)
    change, changes, existing = change_set(stage, url, given, declared)
    _print_changes(changes)
    if not changes:
        print("nothing to deploy")
    else:
        _execute(cf, name, change, existing)
    if not existing and "TableDeletionProtection" in declared and "TableDeletionProtection" not in given:
        # the create can no longer roll back: the tables refuse deletion from now on
        change, changes, _ = change_set(stage, None, {"TableDeletionProtection": "true"}, declared)
        print("protecting the tables against deletion:")
        _print_changes(changes)
        if changes:
            _execute(cf, name, change, True)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName=name)["Stacks"][0].get("Outputs", [])}
    for key, value in sorted(outputs.items()):
        print(f"{key:24} {value}")
    return outputs


def destroy(stage: str) -> list[str]:
    """Delete the stack; the data resources it retains are listed (they are deleted by hand, on purpose)."""
    cf = _client("cloudformation")
    name = stack_name(stage)
    kept = [f"{r['ResourceType']} {r.get('PhysicalResourceId', '')}"
            for r in _resources(cf, name) if r["ResourceType"] in DATA]
    cf.delete_stack(StackName=name)
    cf.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    print("deleted; kept (DeletionPolicy RetainExceptOnCreate), delete by hand only if the stage's data is to go "
          "(README, Deploying and operating):")
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

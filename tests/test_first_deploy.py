"""What a stage's first deploy needs of its template, read as CloudFormation and KMS read it:
a create that rolls back leaves nothing whose fixed name blocks the retry; the key policy
lets its creator put it again (KMS's lockout check) and use the key only through the
services that encrypt what it creates; no key-policy principal is a role the same stack
makes (IAM may not know it yet); two stages of one account can send from one domain."""
from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PSEUDO = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012", "AWS::Region": "eu-west-1", "AWS::URLSuffix": "amazonaws.com"}
ROOT_ARN = "arn:aws:iam::123456789012:root"
DEPLOYER = "arn:aws:iam::123456789012:role/marketplace-deployer"
ADMINS = "arn:aws:iam::123456789012:role/security-key-admins"
USE = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt", "kms:GenerateDataKey", "kms:CreateGrant")
MANAGE = ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateAlias", "kms:EnableKeyRotation")


def _merge(stage: str) -> dict:
    env = {**os.environ, "STAGE": stage}
    env.pop("RESOURCE_PREFIX", None)
    out = subprocess.run([sys.executable, "-m", "infra.stack", stage], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def prod() -> dict:
    return _merge("prod")


@pytest.fixture(scope="module")
def dev() -> dict:
    return _merge("dev")


def _resolve(value: Any, doc: dict, params: dict[str, str]) -> Any:
    """The template's value once CloudFormation has the parameters (defaults for those not given)."""
    values = {k: v.get("Default", "") for k, v in doc.get("Parameters", {}).items()} | params

    def condition(name: str) -> bool:
        return bool(_resolve(doc["Conditions"][name], doc, params))

    if isinstance(value, list):
        return [_resolve(v, doc, params) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref" and (arg in values or arg in PSEUDO):
            return values.get(arg, PSEUDO.get(arg))
        if fn == "Fn::Sub" and isinstance(arg, str):
            for name, v in (values | PSEUDO).items():
                arg = arg.replace("${" + name + "}", str(v))
            return arg
        if fn == "Fn::If":
            return _resolve(arg[1] if condition(arg[0]) else arg[2], doc, params)
        if fn == "Fn::Equals":
            return _resolve(arg[0], doc, params) == _resolve(arg[1], doc, params)
        if fn == "Fn::Not":
            return not _resolve(arg[0], doc, params)
        if fn == "Condition":
            return condition(arg)
    return {k: _resolve(v, doc, params) for k, v in value.items()}


def _key_statements(doc: dict, **params: str) -> list[dict]:
    return _resolve(doc["Resources"]["DataKey"]["Properties"]["KeyPolicy"], doc, params)["Statement"]


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _allows(statement: dict, action: str) -> bool:
    return statement["Effect"] == "Allow" and any(fnmatch.fnmatchcase(action, a) for a in _listed(statement["Action"]))


def _principals(statement: dict) -> list[str]:
    return _listed(statement["Principal"].get("AWS", []))


def test_a_rolled_back_first_deploy_leaves_no_resource_whose_fixed_name_blocks_the_retry(prod, dev):
    """CloudFormation keeps a `Retain` resource even when the create that made it rolls back, and
    the retry then fails with "already exists" on its name. Every data resource is
    `RetainExceptOnCreate` instead: kept when the stack is deleted, deleted with a rolled-back create."""
    data = {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Cognito::UserPool", "AWS::SecretsManager::Secret",
            "AWS::SES::EmailIdentity"}
    for doc in (prod, dev):
        retained = {k: v.get("Type") for k, v in doc["Resources"].items() if v.get("DeletionPolicy") == "Retain"}
        assert retained == {}, f"kept by a rolled-back create: {retained}"
        kept = {k for k, v in doc["Resources"].items() if v.get("Type") in data}
        assert kept and all(doc["Resources"][k]["DeletionPolicy"] == "RetainExceptOnCreate" for k in kept)
        assert all(doc["Resources"][k]["UpdateReplacePolicy"] == "Retain" for k in kept)  # (RetainExceptOnCreate is no option there)


def test_prods_tables_refuse_deletion_only_once_their_create_can_no_longer_roll_back(prod, dev):
    """A deletion-protected table makes CloudFormation's rollback fail (and the table stays): the
    stack is created without protection and `infra.deploy` turns it on when the create is complete."""
    from infra import deploy

    for table in (v for v in prod["Resources"].values() if v.get("Type") == "AWS::DynamoDB::Table"):
        assert _resolve(table["Properties"]["DeletionProtectionEnabled"], prod, {"TableDeletionProtection": "false"}) is False
        assert _resolve(table["Properties"]["DeletionProtectionEnabled"], prod, {}) is True  # the default: every later deploy
    for table in (v for v in dev["Resources"].values() if v.get("Type") == "AWS::DynamoDB::Table"):
        assert table["Properties"]["DeletionProtectionEnabled"] is False
    declared = prod["Parameters"]
    assert deploy.defaults({}, False, declared)["TableDeletionProtection"] == "false"  # the create
    assert deploy.defaults({}, True, declared)["TableDeletionProtection"] == "true"  # every update, the first one right after
    assert deploy.defaults({"TableDeletionProtection": "false"}, True, declared)["TableDeletionProtection"] == "false"  # on purpose
    assert "TableDeletionProtection" not in deploy.defaults({}, False, dev["Parameters"])


@pytest.mark.parametrize("admins", ["", ADMINS])
@pytest.mark.parametrize("deployer", ["", DEPLOYER])
def test_whoever_administers_the_key_its_creator_can_put_its_policy_again(prod, admins, deployer):
    """KMS's lockout check: CreateKey refuses a policy under which the principal creating the key
    (CloudFormation acts with the deployer's credentials) could not call PutKeyPolicy later."""
    creator = deployer or ROOT_ARN  # an empty Deployer: whoever the account's IAM lets deploy
    statements = _key_statements(prod, KeyAdministrators=admins, Deployer=deployer)
    unconditional = [s for s in statements if _allows(s, "kms:PutKeyPolicy") and "Condition" not in s]
    assert any(creator in _principals(s) for s in unconditional), (admins, deployer)
    if admins:  # and the administrators still administer
        assert any(admins in _principals(s) for s in unconditional)


@pytest.mark.parametrize("deployer", ["", DEPLOYER])
def test_the_deployer_uses_the_key_only_through_dynamodb_s3_and_secrets_manager(prod, deployer):
    """CloudFormation creates the tables (DynamoDB makes a grant on the key), buckets and secret
    with the deployer's credentials; that is all the use of the key the deployer has."""
    creator = deployer or ROOT_ARN
    through = {f"{s}.eu-west-1.amazonaws.com" for s in ("dynamodb", "s3", "secretsmanager")}
    # (the account is a principal for the functions too, on condition that the caller is a function role: not the deployer's)
    statements = [s for s in _key_statements(prod, KeyAdministrators=ADMINS, Deployer=deployer)
                  if creator in _principals(s) and "aws:PrincipalArn" not in json.dumps(s.get("Condition", {}))]
    using = [s for s in statements if any(_allows(s, a) for a in USE)]
    assert using, "the deployer cannot create the encrypted tables"
    for statement in using:
        assert set(_listed(statement["Condition"]["StringEquals"]["kms:ViaService"])) <= through, statement["Sid"]
    grants = [s for s in using if _allows(s, "kms:CreateGrant")]
    assert grants and all("dynamodb.eu-west-1.amazonaws.com" in s["Condition"]["StringEquals"]["kms:ViaService"]
                          and s["Condition"]["Bool"]["kms:GrantIsForAWSResource"] == "true" for s in grants)
    # and deletes the key only as the rollback of its create
    deleting = [s for s in statements if _allows(s, "kms:ScheduleKeyDeletion")]
    assert deleting and all(s["Condition"]["ForAnyValue:StringEquals"]["aws:CalledVia"] == "cloudformation.amazonaws.com"
                            for s in deleting)


def test_no_key_policy_principal_is_a_role_the_same_stack_creates(prod):
    """KMS checks every principal when the policy is put; a role made seconds earlier in the same
    deploy may not have reached it ("MalformedPolicyDocument: invalid principals")."""
    roles = {k for k, v in prod["Resources"].items() if v.get("Type") == "AWS::IAM::Role"}
    key = prod["Resources"]["DataKey"]
    named = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for fn, arg in value.items():
                if fn == "Ref":
                    named.add(arg)
                elif fn == "Fn::GetAtt":
                    named.add(arg[0] if isinstance(arg, list) else arg.split(".")[0])
                elif fn == "Fn::Sub":
                    text = arg if isinstance(arg, str) else arg[0]
                    named.update(part.split("}")[0].split(".")[0] for part in text.split("${")[1:])
                walk(arg)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(key)
    assert not named & roles, sorted(named & roles)
    assert not set(_listed(key.get("DependsOn", []))) & roles


def test_the_functions_use_the_key_as_both_their_iam_policy_and_the_key_policy_say_and_never_manage_it(prod):
    """The key policy admits the account on condition that the caller is one of the stack's
    function roles (by name); each role's IAM policy (`infra.access`) then says what it may do.
    Administrators manage and cannot use; functions use and cannot manage."""
    from infra import access

    statements = _key_statements(prod, KeyAdministrators=ADMINS, Deployer=DEPLOYER)
    functions_use = [s for s in statements if s["Sid"] == "FunctionsUseIt"]
    assert len(functions_use) == 1
    pattern = functions_use[0]["Condition"]["ArnLike"]["aws:PrincipalArn"]
    roles = {p["Properties"]["Roles"][0]["Ref"]: prod["Resources"][p["Properties"]["Roles"][0]["Ref"]]
             for p in prod["Resources"].values() if p.get("Type") == "AWS::IAM::Policy"}
    assert len(roles) == len(access.ACCESS)
    for logical, role in roles.items():
        arn = f"arn:aws:iam::123456789012:role/{role['Properties']['RoleName']}"
        assert fnmatch.fnmatchcase(arn, pattern), logical
        admitted = {a for s in statements if s["Effect"] == "Allow" and (
            arn in _principals(s) or (ROOT_ARN in _principals(s) and fnmatch.fnmatchcase(arn, s.get("Condition", {}).get("ArnLike", {}).get(
                "aws:PrincipalArn", "-"))) or (ROOT_ARN in _principals(s) and "Condition" not in s)) for a in _listed(s["Action"])}
        policy = prod["Resources"][logical.removesuffix("Role") + "Policy"]["Properties"]["PolicyDocument"]["Statement"]
        own = {a for s in policy for a in _listed(s["Action"]) if a.startswith("kms:")}
        assert all(any(fnmatch.fnmatchcase(a, k) for k in admitted) for a in own), (logical, own, admitted)
        assert not any(fnmatch.fnmatchcase(m, k) for m in MANAGE for k in admitted | own), logical
    for name, grants in access.ACCESS.items():  # the identity policies' key use is use only
        assert {a for g in grants if g.resource == "key:data" for a in g.actions} <= {"kms:Decrypt", "kms:GenerateDataKey"}, name
    for statement in (s for s in statements if ADMINS in _principals(s)):
        if "Condition" not in statement:
            assert not any(_allows(statement, a) for a in USE), statement["Sid"]
    assert not any(fnmatch.fnmatchcase(arn, pattern) for arn in (DEPLOYER, ADMINS))


def test_two_stages_of_one_account_can_send_from_one_mail_domain(prod, dev, cloud):
    """SES has one identity per domain in an account and region: the stage that comes second says
    MailIdentityExists=true (`infra.deploy` finds it out) and sends through the first one's."""
    import boto3

    from infra import deploy

    for doc in (prod, dev):
        identity = doc["Resources"]["MailIdentity"]
        assert identity["Condition"] == "CreatesMailIdentity" and identity["DeletionPolicy"] == "RetainExceptOnCreate"
        assert _resolve({"Condition": "CreatesMailIdentity"}, doc, {"MailIdentityExists": "true"}) is False
        assert _resolve({"Condition": "CreatesMailIdentity"}, doc, {}) is True
        rest = json.dumps({k: v for k, v in doc["Resources"].items() if k != "MailIdentity"} | {"o": doc.get("Outputs", {})})
        assert '"MailIdentity"' not in rest and "MailIdentity." not in rest  # nothing else needs it to be in this stack
        senders = [s for p in doc["Resources"].values() if p.get("Type") == "AWS::IAM::Policy"
                   for s in p["Properties"]["PolicyDocument"]["Statement"] if any(a.startswith("ses:Send") for a in _listed(s["Action"]))]
        assert senders and all({"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${MailDomain}"}
                               in s["Resource"] for s in senders)
    boto3.client("sesv2").create_email_identity(EmailIdentity="shared-by-two.example")
    given = {"MailDomain": "shared-by-two.example"}
    assert deploy.defaults(given, False, prod["Parameters"])["MailIdentityExists"] == "true"  # the second stage
    assert deploy.defaults({"MailDomain": "first.example"}, False, dev["Parameters"])["MailIdentityExists"] == "false"
    assert "MailIdentityExists" not in deploy.defaults(given, True, prod["Parameters"])  # an update keeps its value


class _Stack:
    """A CloudFormation client with one stack in `status`, for `infra.deploy`'s retry path."""

    class exceptions:  # noqa: N801 - as boto3 names it
        ClientError = Exception

    def __init__(self, status: str) -> None:
        self.status, self.calls = status, []

    def describe_stacks(self, StackName: str) -> dict:  # noqa: N803
        return {"Stacks": [{"StackStatus": self.status}]}

    def delete_stack(self, StackName: str) -> None:  # noqa: N803
        self.calls.append(("delete_stack", StackName))

    def get_waiter(self, name: str) -> Any:
        calls = self.calls

        class Waiter:
            def wait(self, **kwargs: Any) -> None:
                calls.append((name, kwargs["StackName"]))
        return Waiter()

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_stack_resources"  # DescribeStackResources stops at 100 resources

        class Pages:
            def paginate(self, StackName: str) -> list[dict]:  # noqa: N803
                first = [{"ResourceType": "AWS::SQS::Queue", "PhysicalResourceId": f"q{n}", "ResourceStatus": "DELETE_COMPLETE"}
                         for n in range(100)]
                return [{"StackResourceSummaries": first},
                        {"StackResourceSummaries": [{"ResourceType": "AWS::DynamoDB::Table", "PhysicalResourceId": "marketplace-prod-main",
                                                     "ResourceStatus": "DELETE_FAILED", "ResourceStatusReason": "protected against deletion"}]}]
        return Pages()


def test_the_retry_of_a_rolled_back_first_deploy_removes_the_empty_stack_and_a_stuck_one_is_named():
    """A create that rolled back leaves the stack in ROLLBACK_COMPLETE, which cannot be updated:
    the next deploy deletes it (it holds nothing) and creates it again."""
    from infra import deploy

    rolled_back = _Stack("ROLLBACK_COMPLETE")
    deploy._clear_rolled_back(rolled_back, "marketplace-prod")
    assert rolled_back.calls == [("delete_stack", "marketplace-prod"), ("stack_delete_complete", "marketplace-prod")]
    for fine in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "REVIEW_IN_PROGRESS"):
        untouched = _Stack(fine)
        deploy._clear_rolled_back(untouched, "marketplace-prod")
        assert untouched.calls == []
    with pytest.raises(SystemExit, match="marketplace-prod-main: protected against deletion"):
        deploy._clear_rolled_back(_Stack("ROLLBACK_FAILED"), "marketplace-prod")
    assert "CAPABILITY_NAMED_IAM" in deploy.CAPABILITIES  # the function roles have names


def test_the_deployer_role_covers_every_kind_of_resource_the_stage_has(prod):
    """`infra.deployer` writes the role `make deploy` runs as: each resource type of the stack has
    its entry (a new kind without one fails here, not half-way through a deploy)."""
    from infra import deployer

    built = deployer.build()
    kinds = {v["Type"] for v in prod["Resources"].values() if "Type" in v} | {"AWS::Serverless::Api", "AWS::Lambda::Permission"}
    assert kinds <= set(deployer.ACTIONS), sorted(kinds - set(deployer.ACTIONS))
    assert {t for group in deployer.GROUPS.values() for t in group} == set(deployer.ACTIONS)
    assert built["Resources"]["DeployerRole"]["Properties"]["RoleName"] == DEPLOYER.rsplit("/", 1)[1]
    for policy in (v for v in built["Resources"].values() if v.get("Type") == "AWS::IAM::ManagedPolicy"):
        document = policy["Properties"]["PolicyDocument"]
        assert len(json.dumps(document, separators=(",", ":"))) < 5500  # IAM's 6,144 once the ARNs are filled in
        for statement in document["Statement"]:
            actions = _listed(statement["Action"])
            reads_data = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "secretsmanager:GetSecretValue", "kms:*", "s3:*"}
            assert not reads_data & set(actions), statement["Sid"]
            if any(a.split(":")[1] in ("Encrypt", "Decrypt", "CreateGrant") for a in actions):
                assert "kms:ViaService" in statement["Condition"]["StringEquals"], statement["Sid"]
            if "iam:PassRole" in actions:
                assert "iam:PassedToService" in statement["Condition"]["StringEquals"]


# The calls CloudFormation makes for a property beyond the type's create call: the resource type
# alone does not say them (CreateFunction takes no concurrency, CreateRole no managed policies).
BY_PROPERTY = {
    ("AWS::Serverless::Function", "ReservedConcurrentExecutions"): {"lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"},
    ("AWS::IAM::Role", "ManagedPolicyArns"): {"iam:AttachRolePolicy", "iam:DetachRolePolicy"},
    ("AWS::SQS::Queue", "RedrivePolicy"): {"sqs:SetQueueAttributes"},
    ("AWS::Serverless::Function", "Events"): {"lambda:CreateEventSourceMapping", "events:PutTargets"},
}


def test_the_deployer_role_may_make_the_calls_the_stacks_properties_need_beyond_creating_each_resource(prod):
    """The merge template's resources (a function's override carries no Type: Chalice's
    AWS::Serverless::Function takes it)."""
    from infra import deployer

    granted = {a for kind in deployer.ACTIONS for actions, _ in deployer.ACTIONS[kind] for a in actions}
    granted |= {a for s in deployer.DEPLOY for a in _listed(s["Action"])}
    seen = set()
    for resource in prod["Resources"].values():
        kind = resource.get("Type", "AWS::Serverless::Function")
        for prop in resource.get("Properties", {}):
            if (kind, prop) in BY_PROPERTY:
                seen.add((kind, prop))
                missing = BY_PROPERTY[(kind, prop)] - granted
                assert not missing, (kind, prop, sorted(missing))
    assert seen == set(BY_PROPERTY)  # each property is in the stack, so the check above ran for it
    assert "cloudformation:ListStackResources" in granted  # destroy and a stuck stack page through every resource


class _Lambda:
    def __init__(self, unreserved: int) -> None:
        self.unreserved = unreserved

    def get_account_settings(self) -> dict:
        return {"AccountLimit": {"ConcurrentExecutions": self.unreserved, "UnreservedConcurrentExecutions": self.unreserved}}


@pytest.mark.parametrize(("unreserved", "reserved"), [(1000, "100"), (200, "100"), (199, "0"), (10, "0")])
def test_a_first_deploy_reserves_the_apis_concurrency_only_where_the_account_keeps_100_unreserved(prod, monkeypatch, unreserved, reserved):
    """Lambda refuses a reservation that leaves under 100 unreserved (a new account's limit is 10)."""
    from infra import deploy

    monkeypatch.setattr(deploy, "_client", lambda service: _Lambda(unreserved))
    declared = prod["Parameters"]
    assert deploy.defaults({}, False, declared)["ApiReservedConcurrency"] == reserved
    assert "ApiReservedConcurrency" not in deploy.defaults({}, True, declared)  # an update keeps the previous value
    assert deploy.defaults({"ApiReservedConcurrency": "50"}, False, declared)["ApiReservedConcurrency"] == "50"

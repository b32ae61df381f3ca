"""Every IAM policy document of a synthesized template, linted against AWS's own IAM
reference (the actions, resource types and condition keys of the Service Authorization
Reference, as parliament ships them): `python -m infra.iam_lint build/prod/sam.json`,
run by `make check-infra`.

The template's documents name their resources with CloudFormation intrinsics (`Ref`,
`Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::If`), which a linter cannot read; each is
resolved first to the ARN it would be in an account (`ACCOUNT`, `REGION`), so that
parliament matches each resource to the resource types its actions take. An intrinsic,
resource type or attribute it cannot resolve stops the lint rather than pass unseen.

parliament's RESOURCE_MISMATCH is the check that matters most here: every resource type
an allowed action *requires* (`identity*` and `template*` for ses:SendBulkTemplatedEmail)
must be named by a resource of its statement, since AWS authorizes the call against each
of them and refuses it when one is missing.

The result must be no finding, except those in `EXPLAINED`: the one place a finding is
accepted, with its reason. An explanation no finding uses any more fails the lint too.
"""
from __future__ import annotations

import fnmatch
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PARTITION, REGION, ACCOUNT = "aws", "us-east-1", "123456789012"
PSEUDO = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": "amazonaws.com",
          "AWS::StackName": "marketplace-prod", "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/marketplace-prod/1"}
# parameters without a default, as an operator would give them (README "Deploying")
SAMPLE_PARAMETERS = {"MailDomain": "example.com", "MailFrom": "no-reply@example.com", "WebOrigin": "https://app.example.com"}
NO_VALUE = object()  # AWS::NoValue: the element is left out

# (finding id, "Resource/Sid") -> why it is accepted: the only place a finding is. "Resource/Sid" may
# be an fnmatch pattern ("*Policy/GrantStreamMain": that statement in every function's policy).
EXPLAINED: dict[tuple[str, str], str] = {
    ("RESOURCE_MISMATCH", "*Policy/GrantStreamMain"):
        "parliament's strict ARN check refuses a ':' after the resource type, and a stream's label has them "
        "(table/NAME/stream/2026-01-01T00:00:00.000, set at deploy): the statement names the table's StreamArn, "
        "the one resource type DescribeStream, GetRecords and GetShardIterator take",
    # the deployer role (infra/deployer.py)
    ("INVALID_ARN", "StacksAndDataPolicy/TheSamTransform"):
        "the SAM transform's ARN has the account `aws` (arn:aws:cloudformation:REGION:aws:transform/Serverless-2016-10-31), "
        "as CloudFormation authorizes CreateChangeSet on it; parliament expects a 12-digit account",
    ("RESOURCE_STAR", "FunctionsPolicy/ServerlessFunction2"):
        "an event-source mapping has no ARN before CloudFormation makes it (its UUID is AWS's), and the statement's "
        "lambda:FunctionArn condition keeps it to our functions' mappings",
    ("RESOURCE_STAR", "FunctionsPolicy/ServerlessFunction3"):
        "reading mappings (GetEventSourceMapping, ListEventSourceMappings) names no mapping until CloudFormation knows its UUID",
    ("RESOURCE_STAR", "DeliverNotificationsPolicy/GrantNoResource"):
        "sns:Publish straight to a phone number (SMS) has no topic to name; AWS authorizes it on *",
    ("RESOURCE_STAR", "SendFanoutsPolicy/GrantNoResource"):
        "sns:Publish straight to a phone number (SMS) has no topic to name; AWS authorizes it on *",
    ("RESOURCE_STAR", "DataKey/*"):
        "in a key policy, Resource * is the key the policy is attached to, and nothing else",
    ("MISMATCHED_TYPE_BUT_USABLE", "*BucketPolicy/DenyOtherKmsKeys"):
        "the key-id condition is compared as the exact ARN string (StringNotEqualsIfExists), as S3 documents it; "
        "an ARN is a string, and exact comparison is what the deny needs",
}

# the property that names a resource of each type (else CloudFormation makes one from the logical id)
_NAME = {"AWS::DynamoDB::Table": "TableName", "AWS::S3::Bucket": "BucketName", "AWS::SQS::Queue": "QueueName",
         "AWS::IAM::Role": "RoleName", "AWS::Logs::LogGroup": "LogGroupName", "AWS::SNS::Topic": "TopicName",
         "AWS::Serverless::Function": "FunctionName", "AWS::Lambda::Function": "FunctionName",
         "AWS::SecretsManager::Secret": "Name", "AWS::SES::ConfigurationSet": "Name", "AWS::SES::EmailIdentity": "EmailIdentity",
         "AWS::Cognito::UserPool": "UserPoolName", "AWS::KMS::Alias": "AliasName"}
# what `Fn::GetAtt` gives (`{name}` is the physical name or id)
_ATTRIBUTES = {
    ("AWS::DynamoDB::Table", "Arn"): "arn:{p}:dynamodb:{r}:{a}:table/{name}",
    ("AWS::DynamoDB::Table", "StreamArn"): "arn:{p}:dynamodb:{r}:{a}:table/{name}/stream/2026-01-01T00:00:00.000",
    ("AWS::S3::Bucket", "Arn"): "arn:{p}:s3:::{name}",
    ("AWS::SQS::Queue", "Arn"): "arn:{p}:sqs:{r}:{a}:{name}",
    ("AWS::SQS::Queue", "QueueName"): "{name}",
    ("AWS::KMS::Key", "Arn"): "arn:{p}:kms:{r}:{a}:key/{name}",
    ("AWS::KMS::Key", "KeyId"): "{name}",
    ("AWS::Cognito::UserPool", "Arn"): "arn:{p}:cognito-idp:{r}:{a}:userpool/{r}_{name}",
    ("AWS::IAM::Role", "Arn"): "arn:{p}:iam::{a}:role/{name}",
    ("AWS::Logs::LogGroup", "Arn"): "arn:{p}:logs:{r}:{a}:log-group:{name}:*",
    ("AWS::Serverless::Function", "Arn"): "arn:{p}:lambda:{r}:{a}:function:{name}",
    ("AWS::Lambda::Function", "Arn"): "arn:{p}:lambda:{r}:{a}:function:{name}",
    ("AWS::SNS::Topic", "TopicArn"): "arn:{p}:sns:{r}:{a}:{name}",
}
# what `Ref` gives, where it is not the physical name
_REF = {
    "AWS::SNS::Topic": "arn:{p}:sns:{r}:{a}:{name}",
    "AWS::SecretsManager::Secret": "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-AbCdEf",
    "AWS::SQS::Queue": "https://sqs.{r}.amazonaws.com/{a}/{name}",
    "AWS::Cognito::UserPool": "{r}_{name}",
}
POLICY_DOCUMENTS = {  # resource type -> where its IAM policy documents are (a trust policy is not linted)
    "AWS::IAM::Policy": "PolicyDocument", "AWS::IAM::ManagedPolicy": "PolicyDocument", "AWS::IAM::Role": "Policies",
    "AWS::KMS::Key": "KeyPolicy", "AWS::S3::BucketPolicy": "PolicyDocument", "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
}


class Unresolved(ValueError):
    """An intrinsic, resource type or attribute the lint does not know: teach it, never skip it."""


@dataclass
class Resolver:
    template: dict[str, Any]

    def parameter(self, name: str) -> str:
        spec = self.template.get("Parameters", {}).get(name)
        if spec is None:
            raise Unresolved(f"no parameter {name}")
        if spec.get("Default", "") != "" or name not in SAMPLE_PARAMETERS:
            return str(spec.get("Default", ""))
        return SAMPLE_PARAMETERS[name]

    def physical(self, logical: str) -> tuple[str, str]:
        resource = self.template.get("Resources", {}).get(logical)
        if resource is None:
            raise Unresolved(f"no resource {logical}")
        kind = resource["Type"]
        if kind == "AWS::KMS::Key":
            return kind, "1234abcd-12ab-34cd-56ef-1234567890ab"
        if kind == "AWS::Cognito::UserPool":
            return kind, "AbCdEfGhI"
        if kind == "AWS::SES::Template":  # its Ref is the template's name
            return kind, self.resolve(resource.get("Properties", {}).get("Template", {}).get("TemplateName", logical))
        name = resource.get("Properties", {}).get(_NAME.get(kind, ""))
        return kind, (self.resolve(name) if name is not None else f"marketplace-prod-{logical}-1A2B3C4D5E6F")

    def _format(self, pattern: str, name: str) -> str:
        return pattern.format(p=PARTITION, r=REGION, a=ACCOUNT, name=name)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.template.get("Parameters", {}):
            return self.parameter(name)
        kind, physical = self.physical(name)
        return self._format(_REF[kind], physical) if kind in _REF else physical

    def get_att(self, logical: str, attribute: str) -> str:
        kind, physical = self.physical(logical)
        if (kind, attribute) not in _ATTRIBUTES:
            raise Unresolved(f"Fn::GetAtt {logical}.{attribute} ({kind})")
        return self._format(_ATTRIBUTES[(kind, attribute)], physical)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def sub(self, text: str, variables: dict[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if inner in variables:
                return str(self.resolve(variables[inner]))
            if "." in inner and inner.split(".", 1)[0] not in PSEUDO:
                logical, attribute = inner.split(".", 1)
                return self.get_att(logical, attribute)
            return str(self.ref(inner))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic replaced by what CloudFormation would make of it."""
        if isinstance(value, list):
            return [v for v in (self.resolve(v) for v in value) if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(logical, attribute)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                return self.sub(text, variables)
            if key == "Fn::Join":
                return str(arg[0]).join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                left, right = self.resolve(arg)
                return left == right
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(arg))
            if key == "Fn::Or":
                return any(self.resolve(arg))
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(arg[0])
            if key.startswith("Fn::"):
                raise Unresolved(f"intrinsic {key}")
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}


def documents(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(`Resource` or `Resource/PolicyName`, the resolved document) for every IAM policy document."""
    resolver = Resolver(template)
    for logical, resource in sorted(template.get("Resources", {}).items()):
        where = POLICY_DOCUMENTS.get(resource.get("Type", ""))
        if where is None or where not in resource.get("Properties", {}):
            continue
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        found = resource["Properties"][where]
        if where == "Policies":
            for inline in found:
                yield f"{logical}/{resolver.resolve(inline['PolicyName'])}", resolver.resolve(inline["PolicyDocument"])
        else:
            yield logical, resolver.resolve(found)


@dataclass(frozen=True)
class Finding:
    issue: str  # parliament's id: RESOURCE_MISMATCH, RESOURCE_STAR, UNKNOWN_ACTION, ...
    where: str  # "Resource/Sid" ("Resource/*" when the finding is the whole document's)
    detail: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.issue, self.where)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statement_lines(document: dict[str, Any]) -> tuple[str, list[tuple[int, int, str]]]:
    """The document as text for parliament, and the line range of each statement (to name a finding's Sid)."""
    head = {k: v for k, v in document.items() if k != "Statement"}
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()] + ['  "Statement": [']
    ranges = []
    statements = _as_list(document.get("Statement", []))
    for n, statement in enumerate(statements):
        text = json.dumps(statement, indent=2).splitlines()
        if n < len(statements) - 1:
            text[-1] += ","
        ranges.append((len(lines) + 1, len(lines) + len(text), str(statement.get("Sid", f"#{n}"))))
        lines += ["    " + line for line in text]
    lines += ["  ]", "}"]
    return "\n".join(lines), ranges


def _parliament() -> Any:
    import warnings

    with warnings.catch_warnings():  # parliament 1.6.4 imports pkg_resources (setuptools < 81, pinned with it)
        warnings.simplefilter("ignore", UserWarning)
        import parliament
    return parliament


def lint_document(where: str, document: dict[str, Any]) -> list[Finding]:
    parliament = _parliament()

    text, ranges = _statement_lines(document)
    policy = parliament.analyze_policy_string(text, filepath=where)
    out = []
    for finding in policy.findings:
        found = finding.location if isinstance(finding.location, dict) else {}
        line = found.get("line", found.get("lineno"))  # a statement's findings say `line`, the document's `lineno`
        sid = next((s for first, last, s in ranges if line is not None and first <= line <= last), "*")
        location = {k: v for k, v in found.items() if k in ("string", "actions")}
        out.append(Finding(finding.issue, f"{where}/{sid}", f"{finding.detail or ''} {location or ''}".strip()))
    return sorted(set(out), key=lambda f: (f.where, f.issue, f.detail))


def explanation(finding: Finding, explained: dict[tuple[str, str], str]) -> tuple[str, str] | None:
    """The key of `explained` that accepts `finding`: its id, and its "Resource/Sid" or a pattern of it."""
    return next((key for key in explained if key[0] == finding.issue and fnmatch.fnmatchcase(finding.where, key[1])), None)


def judge(findings: list[Finding], explained: dict[tuple[str, str], str]) -> tuple[list[Finding], list[Finding], list[tuple[str, str]]]:
    """(findings not explained, findings explained, explanations no finding uses)."""
    open_ = [f for f in findings if explanation(f, explained) is None]
    accepted = [f for f in findings if explanation(f, explained) is not None]
    used = {explanation(f, explained) for f in accepted}
    return open_, accepted, sorted(k for k in explained if k not in used)


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [Path("build/prod/sam.json")]  # the stage's template, the deployer role's
    started = time.monotonic()
    findings: list[Finding] = []
    count = 0
    for path in paths:
        for where, document in documents(json.loads(path.read_text())):
            count += 1
            findings += lint_document(where, document)
    open_, accepted, stale = judge(findings, EXPLAINED)
    for f in accepted:
        print(f"explained  {f.issue:28} {f.where}: {EXPLAINED[explanation(f, EXPLAINED) or f.key]}")
    for f in open_:
        print(f"FINDING    {f.issue:28} {f.where}: {f.detail}")
    for issue, where in stale:
        print(f"STALE      {issue:28} {where}: explained in infra/iam_lint.py EXPLAINED, but no longer found")
    print(f"iam-lint: {count} policy documents, {len(open_)} findings, {len(accepted)} explained, {len(stale)} stale "
          f"explanations ({time.monotonic() - started:.1f} s)")
    return 1 if open_ or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

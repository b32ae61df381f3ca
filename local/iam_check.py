"""Every AWS call a function makes, checked against the IAM policy the deployed stack
gives that function (`infra.access`), while the tests and the local stack run.

moto does not enforce IAM, so a function whose policy lacks a permission would pass
every test here and fail in AWS with AccessDenied. This module closes that gap: each
botocore call (seen through `local.aws_calls`) made while a function runs (the local
runtime and the API mark which one, with `acting_as`) is turned into the IAM actions
it needs and the resource each acts on, both named as `infra.access` names them
(`table:main`, `objects:exports`, `queue:payments`, `key:data`, ...), and checked
against that function's grants. A call outside every grant is a violation, and so is
a call on a resource the one definition (`chalicelib.core.resources`) does not have.

What it knows of IAM is what the product uses: the action each operation needs
(TransactWriteItems needs the item actions of its parts, HeadObject needs
s3:GetObject, SendMessageBatch needs sqs:SendMessage, ...), exact or `*`-suffixed
resources, and every resource AWS authorizes one call against (AWS's Service
Authorization Reference): an SES send against the sending identity, the configuration
set (the one it names, else the identity's default, which the stack sets) and, for a
templated send, the template; an object written to or read from an SSE-KMS bucket also
needs kms:GenerateDataKey or kms:Decrypt on the bucket's key, and so does reading a
secret on its key. Calls made outside any function (test set-up, the local stack's own
provisioning and event-source polling) are not checked: in AWS those are not the
function's role either (event-source mappings poll with the role, and `infra.access`
grants that separately)."""
from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Iterator
from typing import Any

_acting: contextvars.ContextVar[str | None] = contextvars.ContextVar("acting_function", default=None)
_lock = threading.Lock()
violations: list[dict[str, str]] = []  # appended to while installed; tests read and clear it
seen: dict[str, set[tuple[str, str]]] = {}  # function -> {(action, resource)}, for `python -m infra.access --observed`
_stop = None

# botocore service name -> IAM service prefix
_PREFIX = {"dynamodb": "dynamodb", "dynamodbstreams": "dynamodb", "s3": "s3", "sqs": "sqs", "kms": "kms",
           "ses": "ses", "sesv2": "ses", "sns": "sns", "cognito-idp": "cognito-idp", "secretsmanager": "secretsmanager",
           "lambda": "lambda", "cloudwatch": "cloudwatch", "logs": "logs"}
# operations that need no IAM permission at all (Cognito's user-facing, token-authenticated API)
_UNSIGNED = {"cognito-idp": {"InitiateAuth", "RespondToAuthChallenge", "SignUp", "ConfirmSignUp", "GetUser",
                             "GlobalSignOut", "ChangePassword", "ForgotPassword", "ConfirmForgotPassword",
                             "RevokeToken", "UpdateUserAttributes", "VerifyUserAttribute", "DeleteUser"}}
_S3_ACTIONS = {"HeadObject": "GetObject", "ListObjectVersions": "ListBucketVersions", "ListObjectsV2": "ListBucket",
               "ListObjects": "ListBucket", "HeadBucket": "ListBucket", "DeleteObjects": "DeleteObject"}
_BATCH = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
          "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}


@contextlib.contextmanager
def acting_as(function: str | None) -> Iterator[None]:
    """Calls made inside are made by `function` (its Chalice name: `api_handler`, `settle_payments`, ...);
    None for the calls of AWS itself (the event sources the local runtime plays), not checked."""
    token = _acting.set(function)
    try:
        yield
    finally:
        _acting.reset(token)


def acting() -> str | None:
    """The function the calls made here and now are made by (`acting_as`), None for AWS's own."""
    return _acting.get()


def _names() -> dict[tuple[str, str], str]:
    """Physical name -> the name `infra.access` uses; built once per resource prefix (every call reads it)."""
    from chalicelib.core import resources as r

    return _names_for(r.settings.resource_prefix())


@functools.lru_cache(maxsize=8)
def _names_for(prefix: str) -> dict[tuple[str, str], str]:
    from chalicelib.core import resources as r

    names: dict[tuple[str, str], str] = {}
    for t in r.TABLES:
        names[("table", t.name)] = f"table:{t.logical}"
    for b in r.BUCKETS:
        names[("bucket", b.name)] = b.logical
    for q in r.QUEUES:
        names[("queue", q.name)] = f"queue:{q.logical}"
        names[("queue", q.dlq_name)] = f"dlq:{q.logical}"
    for t in r.MAIL_TEMPLATES:
        names[("template", t.name)] = f"ses:template/{t.logical}"
    names[("configuration-set", f"{prefix}-mail")] = "ses:configuration-set"  # infra.stack's MailConfigurationSet
    return names


def _table(name: str, index: str | None = None) -> str:
    found = _names().get(("table", name), f"unknown-table:{name}")
    return f"{found}/index/*" if index and not found.startswith("unknown") else found


def _queue(url_or_name: str) -> str:
    name = url_or_name.rstrip("/").rsplit("/", 1)[-1]
    return _names().get(("queue", name), f"unknown-queue:{name}")


def _bucket(name: str, objects: bool) -> str:
    logical = _names().get(("bucket", name))
    if logical is None:
        return f"unknown-bucket:{name}"
    return f"objects:{logical}" if objects else f"bucket:{logical}"


def _identity(address: str) -> str:
    """The SES identity a send from `address` is authorized against: our sender's domain
    (the stack verifies the domain, not the address), or an identity we do not have."""
    from chalicelib.core.resources import mail_sender

    address = address.rsplit("<", 1)[-1].rstrip(">").strip()
    domain = address.rsplit("/", 1)[-1].rsplit("@", 1)[-1].lower()  # an address, a domain or an identity ARN
    return "ses:identity" if domain == mail_sender().rsplit("@", 1)[-1].lower() else f"unknown-identity:{domain}"


def _raw_from(params: dict[str, Any]) -> str:
    """SendRawEmail without Source sends from the message's own From header."""
    from email import message_from_bytes

    data = params.get("RawMessage", {}).get("Data", b"")
    return str(message_from_bytes(data if isinstance(data, bytes) else str(data).encode()).get("From", ""))


# SES operations that send, and where each names its sender, template and configuration set (v1 `ses`, v2 `sesv2`)
_SES_SENDS = {
    ("ses", "SendEmail"): ("Source", None), ("ses", "SendRawEmail"): ("Source", None),
    ("ses", "SendTemplatedEmail"): ("Source", "Template"), ("ses", "SendBulkTemplatedEmail"): ("Source", "Template"),
    ("sesv2", "SendEmail"): ("FromEmailAddress", "Content.Template.TemplateName"),
    ("sesv2", "SendBulkEmail"): ("FromEmailAddress", "DefaultContent.Template.TemplateName"),
}


def _dig(params: dict[str, Any], path: str) -> Any:
    found: Any = params
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


def _ses(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """Every resource AWS authorizes an SES send against: the identity, the configuration
    set (named, else the identity's default one: the stack gives MailIdentity one), and
    the template of a templated send (by name, or by ARN)."""
    action = f"ses:{operation}"
    if (service, operation) not in _SES_SENDS:
        return [(action, "*")]  # GetSendQuota and the account's other calls name no resource
    sender_at, template_at = _SES_SENDS[(service, operation)]
    sender = params.get("SourceArn") or params.get("FromEmailAddressIdentityArn") or params.get(sender_at) or ""
    if not sender and operation == "SendRawEmail":
        sender = _raw_from(params)
    out = [(action, _identity(str(sender)))]
    configuration_set = params.get("ConfigurationSetName")
    out.append((action, _names().get(("configuration-set", configuration_set), f"unknown-configuration-set:{configuration_set}")
                if configuration_set else "ses:configuration-set"))
    name = params.get("TemplateArn") or (_dig(params, "Content.Template.TemplateArn") if service == "sesv2" else None) \
        or (_dig(params, template_at) if template_at else None)
    if name:
        name = str(name).rsplit(":template/", 1)[-1]
        out.append((action, _names().get(("template", name), f"unknown-template:{name}")))
    return out


def needs(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The (IAM action, resource) pairs one call needs, resources named as `infra.access` names them."""
    prefix = _PREFIX.get(service, service)
    if operation in _UNSIGNED.get(service, set()):
        return []
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
            return [(f"dynamodb:{kinds[kind]}", _table(body["TableName"])) for item in params["TransactItems"] for kind, body in item.items()]
        if operation == "TransactGetItems":
            return [("dynamodb:GetItem", _table(item["Get"]["TableName"])) for item in params["TransactItems"]]
        if operation in ("BatchWriteItem", "BatchGetItem"):
            return [(f"dynamodb:{operation}", _table(name)) for name in params["RequestItems"]]
        return [(f"dynamodb:{operation}", _table(params["TableName"], params.get("IndexName")))]
    if service == "s3":
        action = _S3_ACTIONS.get(operation, operation)
        if operation in ("DeleteObject", "GetObject") and params.get("VersionId"):
            action += "Version"
        out = [(f"s3:{action}", _bucket(params["Bucket"], objects="Key" in params or operation == "DeleteObjects"))]
        if operation == "DeleteObjects" and any("VersionId" in o for o in params.get("Delete", {}).get("Objects", [])):
            out.append(("s3:DeleteObjectVersion", _bucket(params["Bucket"], objects=True)))
        # every bucket is SSE-KMS under the data key (infra.template): S3 asks KMS with the caller's rights
        if operation in ("PutObject", "CreateMultipartUpload", "CopyObject", "UploadPart") and not out[0][1].startswith("unknown"):
            out.append(("kms:GenerateDataKey", "key:data"))
        if operation == "GetObject" and not out[0][1].startswith("unknown"):
            out.append(("kms:Decrypt", "key:data"))
        return out
    if service == "sqs":
        target = _queue(params.get("QueueUrl") or params.get("QueueName", ""))
        return [(f"sqs:{_BATCH.get(operation, operation)}", target)]
    if service == "kms":
        return [(f"kms:{operation}", "key:data")]  # the only key; an alias names it too (IAM checks the key)
    if service in ("ses", "sesv2"):
        return _ses(service, operation, params)
    if service == "sns":
        return [("sns:Publish", "*" if "PhoneNumber" in params else f"topic:{params.get('TopicArn')}")]
    if service == "cognito-idp":
        return [(f"cognito-idp:{operation}", "userpool")]
    if service == "secretsmanager":
        out = [(f"secretsmanager:{operation}", f"secret:{str(params.get('SecretId', '')).rsplit(':', 1)[-1]}")]
        # the secret is encrypted under the data key (infra.stack): reading it decrypts with the caller's rights
        return out + [("kms:Decrypt", "key:data")] if operation == "GetSecretValue" else out
    return [(f"{prefix}:{operation}", "*")]


def _observe(service: str, operation: str, params: dict[str, Any]) -> None:
    function = acting()
    if function is None:
        return
    from infra import access

    for action, resource in needs(service, operation, params):
        with _lock:
            seen.setdefault(function, set()).add((action, resource))
        if not access.allows(function, action, resource):
            with _lock:
                violations.append({"function": function, "action": action, "resource": resource})


def install() -> None:
    """Check every call from now on in this process (idempotent)."""
    global _stop
    from local import aws_calls

    if _stop is None:
        _stop = aws_calls.observe(_observe)

"""What each function may do in AWS: the one list every function's IAM policy is built
from (`infra.stack`), and what the local cloud checks each call against while the tests
run (`local.iam_check`), so a permission the code needs and the policy lacks fails a
test here instead of an AccessDenied in AWS.

Resources are named by what they are in the one definition (`chalicelib.core.resources`):
`table:main`, `table:main/index/*`, `stream:main`, `bucket:exports` (the bucket itself),
`objects:exports` (its objects), `queue:payments`, `dlq:payments`, `key:data`,
`userpool`, `ses:identity` (the sender's domain), `ses:configuration-set` (the one
the identity sends through by default), `ses:template/notice` (a mail template, by its
logical name), `secret:payment-gateway`. A sending action is authorized against every
resource AWS's reference lists for it: the identity and the configuration set, and for
a templated send the template too, so each is granted. `*` appears only where AWS has
no resource to name (X-Ray, SES's quota, SMS to a phone number, DynamoDB's
ListStreams), each with its reason.

How the list was made: the tests record every call each function makes
(`build/iam/observed-*.json`, `python -m infra.access --observed` prints them), and
this list is that record plus what the tests cannot see (presigned uploads and
downloads, which the browser makes with the API function's credentials, and the
event-source mappings' own reads), and nothing else.
"""
from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass

from chalicelib.core import resources as r


@dataclass(frozen=True)
class Grant:
    actions: tuple[str, ...]
    resource: str
    why: str = ""  # said wherever the resource is `*`


READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
MAIN, KEYS = f"table:{r.MAIN_TABLE.logical}", f"table:{r.KEYS_TABLE.logical}"
INDEXES = Grant(("dynamodb:Query",), f"{MAIN}/index/*")
UNWRAP = Grant(("kms:Decrypt",), "key:data")
SENDER = "ses:identity"
CONFIGURATION_SET = "ses:configuration-set"


def template(t: r.MailTemplate) -> str:
    return f"ses:template/{t.logical}"


def _mail(*actions: str, templates: tuple[r.MailTemplate, ...] = ()) -> tuple[Grant, ...]:
    """Sending from our identity, through its default configuration set (AWS authorizes
    a send against both), and with templated actions, against each template used."""
    templated = tuple(a for a in actions if "Templated" in a)
    return (Grant(actions, SENDER), Grant(actions, CONFIGURATION_SET), *(Grant(templated, template(t)) for t in templates))


def _stream(table: r.Table) -> Grant:
    """What the event-source mapping reads the stream with (the function's role)."""
    return Grant(("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"), f"stream:{table.logical}")


LIST_STREAMS = Grant(("dynamodb:ListStreams",), "*", "ListStreams takes no resource (AWS's reference): the mapping lists streams account-wide")


def _consume(queue: r.Queue) -> Grant:
    """What the event-source mapping receives and deletes the queue's messages with."""
    return Grant(("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"), f"queue:{queue.logical}")


def _send(queue: r.Queue) -> Grant:
    return Grant(("sqs:GetQueueUrl", "sqs:SendMessage"), f"queue:{queue.logical}")


def _objects(bucket: r.Bucket, *actions: str) -> Grant:
    return Grant(tuple(f"s3:{a}" for a in actions), f"objects:{bucket.logical}")


def _versions(bucket: r.Bucket) -> Grant:
    return Grant(("s3:ListBucketVersions",), f"bucket:{bucket.logical}")


def _on_stream(*grants: Grant) -> tuple[Grant, ...]:
    """A stream-triggered function: it reads the stream, and the mapping sends the
    positions of a batch that failed every retry to the stream-failures queue."""
    return (_stream(r.MAIN_TABLE), LIST_STREAMS, Grant(("sqs:SendMessage",), f"queue:{r.STREAM_FAILURES_QUEUE.logical}"), *grants)


def _on_queue(queue: r.Queue, *grants: Grant) -> tuple[Grant, ...]:
    return (_consume(queue), *grants)


D, F, E = r.DOCUMENTS_BUCKET, r.FILES_BUCKET, r.EXPORTS_BUCKET

ACCESS: dict[str, tuple[Grant, ...]] = {
    "api_handler": (
        Grant(READ + WRITE, MAIN), INDEXES,
        Grant(("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"), KEYS),
        Grant(("kms:GenerateDataKey", "kms:Decrypt"), "key:data"),
        # uploads and downloads are presigned with the API's credentials: the browser's
        # PutObject (POST) and GetObject are checked against this role
        _objects(D, "GetObject", "PutObject", "DeleteObject", "DeleteObjectVersion"), _versions(D),
        _objects(F, "GetObject", "PutObject", "DeleteObject", "DeleteObjectVersion"), _versions(F),
        _objects(E, "GetObject"),
        Grant(("cognito-idp:AdminCreateUser", "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminAddUserToGroup",
               "cognito-idp:AdminDeleteUser"), "userpool"),
    ),
    # the table's stream: its one reader hands each concern its messages, and a change a
    # concern could not select straight to that concern's DLQ
    "route_changes": _on_stream(*(g for q in r.STREAM_CONCERNS.values()
                                  for g in (_send(q), Grant(("sqs:GetQueueUrl", "sqs:SendMessage"), f"dlq:{q.logical}")))),
    # notifications
    "deliver_notifications": _on_queue(
        r.NOTIFICATIONS_QUEUE,
        Grant(("dynamodb:GetItem", "dynamodb:UpdateItem"), MAIN),
        Grant(("dynamodb:GetItem", "dynamodb:BatchGetItem"), KEYS), UNWRAP,
        *_mail("ses:SendEmail", "ses:SendRawEmail"),
        Grant(("sns:Publish",), "*", "SMS straight to a phone number has no topic to name"),
    ),
    "release_due_notifications": (Grant(("dynamodb:UpdateItem",), MAIN), INDEXES),
    "bid_notices": _on_queue(
        r.NOTICES_QUEUE,
        Grant(("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"), MAIN),
        Grant(("dynamodb:GetItem", "dynamodb:BatchGetItem"), KEYS), UNWRAP,
    ),
    # money
    "settle_payments": _on_queue(
        r.PAYMENTS_QUEUE,
        Grant(("sqs:ChangeMessageVisibility",), f"queue:{r.PAYMENTS_QUEUE.logical}"),
        Grant(("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"), MAIN),
        Grant(("dynamodb:GetItem",), KEYS), UNWRAP,
        Grant(("secretsmanager:GetSecretValue",), "secret:payment-gateway"),
    ),
    "watch_payments": (INDEXES, _send(r.PAYMENTS_QUEUE)),
    # erasure
    "erase_accounts": _on_queue(
        r.ERASURE_QUEUE,
        Grant(("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
               "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"), MAIN), INDEXES,
        Grant(("dynamodb:GetItem", "dynamodb:DeleteItem"), KEYS), UNWRAP,
        *(g for b in (D, F, E) for g in (_objects(b, "DeleteObject", "DeleteObjectVersion"), _versions(b))),
        Grant(("cognito-idp:AdminDeleteUser", "cognito-idp:AdminDisableUser"), "userpool"),
    ),
    "watch_erasures": (INDEXES, _send(r.ERASURE_QUEUE)),
    # fan-out
    "send_fanouts": _on_queue(
        r.FANOUT_QUEUE,
        _send(r.FANOUT_QUEUE), Grant(("sqs:ChangeMessageVisibility",), f"queue:{r.FANOUT_QUEUE.logical}"),
        Grant(("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:BatchWriteItem",
               "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"), MAIN), INDEXES,
        Grant(("dynamodb:GetItem", "dynamodb:BatchGetItem"), KEYS), UNWRAP,
        *_mail("ses:SendBulkTemplatedEmail", "ses:SendRawEmail", templates=(r.NOTICE_TEMPLATE,)),
        Grant(("ses:GetSendQuota",), "*", "SES's sending quota is the account's, with no resource to name"),
        Grant(("sns:Publish",), "*", "SMS straight to a phone number has no topic to name"),
    ),
    # policies
    # and, for members who joined since a version was published, its fan-out's batches
    "announce_policy_versions": _on_queue(r.POLICIES_QUEUE, Grant(("dynamodb:GetItem", "dynamodb:PutItem"), MAIN), _send(r.FANOUT_QUEUE)),
    "apply_policy_versions": (Grant(("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"), MAIN), INDEXES),
    # exports
    "build_exports": _on_queue(
        r.EXPORTS_QUEUE,
        Grant(("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"), MAIN),
        INDEXES, Grant(("dynamodb:GetItem", "dynamodb:BatchGetItem"), KEYS), UNWRAP,
        Grant(("kms:GenerateDataKey",), "key:data"),  # the export file is SSE-KMS under the data key
        _objects(E, "PutObject"),
        # the end of an export's lifetime (its expiry marker removed by TTL): every version of its objects
        _objects(E, "DeleteObject", "DeleteObjectVersion"), _versions(E),
    ),
    # retention
    "purge_identity_documents": (
        Grant(("dynamodb:PutItem", "dynamodb:UpdateItem"), MAIN), INDEXES,
        _objects(D, "DeleteObject", "DeleteObjectVersion"), _versions(D),
    ),
    "purge_usage_data": (Grant(("dynamodb:BatchWriteItem",), MAIN), INDEXES),
    "expire_exports": (
        Grant(("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"), MAIN), INDEXES,
        _objects(E, "DeleteObject", "DeleteObjectVersion"), _versions(E),
    ),
    "erase_closed_accounts": (INDEXES, _send(r.ERASURE_QUEUE)),
    "remove_abandoned_signups": (
        Grant(("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
               "dynamodb:ConditionCheckItem"), MAIN), INDEXES,
        Grant(("dynamodb:GetItem", "dynamodb:DeleteItem"), KEYS), UNWRAP,
        Grant(("cognito-idp:AdminDeleteUser",), "userpool"),
    ),
}


def allows(function: str, action: str, resource: str) -> bool:
    """Whether `function`'s policy allows `action` on `resource` (exact, or a `*` pattern)."""
    for grant in ACCESS.get(function, ()):
        if action in grant.actions and (grant.resource == "*" or fnmatch.fnmatchcase(resource, grant.resource)):
            return True
    return False


def observed() -> dict[str, set[tuple[str, str]]]:
    """What the last test run saw each function call (`build/iam/observed-*.json`)."""
    import json
    from pathlib import Path

    found: dict[str, set[tuple[str, str]]] = {}
    for path in sorted((Path(__file__).resolve().parent.parent / "build" / "iam").glob("observed-*.json")):
        for function, pairs in json.loads(path.read_text()).items():
            found.setdefault(function, set()).update((a, res) for a, res in pairs)
    return found


def main(argv: list[str]) -> int:
    """`python -m infra.access --observed`: what each function called in the last test run,
    and what its grants allow that no test used (a candidate to remove, or a path to test)."""
    seen = observed()
    for function in sorted(ACCESS):
        print(function)
        calls = seen.get(function, set())
        for action, resource in sorted(calls):
            print(f"  used     {action:40} {resource}{'' if allows(function, action, resource) else '   <- NOT ALLOWED'}")
        for grant in ACCESS[function]:
            for action in grant.actions:
                if not any(a == action and fnmatch.fnmatchcase(res, grant.resource) for a, res in calls):
                    print(f"  unused   {action:40} {grant.resource}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

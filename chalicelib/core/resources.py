"""The one definition of every AWS resource the product uses.

The local stack (`local/provision.py`), the test fixtures and the CloudFormation
template (`infra/template.py`) are all built from the objects below, so they cannot
drift. Functions read physical names from here too. Pure data: no AWS imports.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from chalicelib.core import settings


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str


@dataclass(frozen=True)
class Table:
    logical: str
    hash_key: str
    range_key: str
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    stream_view: str | None = "NEW_AND_OLD_IMAGES"
    point_in_time_recovery: bool = True

    @property
    def name(self) -> str:
        return f"{settings.resource_prefix()}-{self.logical}"

    @property
    def key_attributes(self) -> list[str]:
        names = [self.hash_key, self.range_key]
        for index in self.indexes:
            names += [index.hash_key, index.range_key]
        return list(dict.fromkeys(names))

    def key_spec(self) -> dict:
        """Attributes, key schema and indexes, in the shape both the DynamoDB API and
        CloudFormation take."""
        def schema(hash_key: str, range_key: str) -> list[dict]:
            return [{"AttributeName": hash_key, "KeyType": "HASH"}, {"AttributeName": range_key, "KeyType": "RANGE"}]

        spec: dict = {
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in self.key_attributes],
            "KeySchema": schema(self.hash_key, self.range_key),
        }
        if self.indexes:
            spec["GlobalSecondaryIndexes"] = [
                {"IndexName": i.name, "KeySchema": schema(i.hash_key, i.range_key), "Projection": {"ProjectionType": "ALL"}}
                for i in self.indexes
            ]
        return spec


@dataclass(frozen=True)
class Key:
    """The KMS customer key that wraps every per-user data key and encrypts buckets."""

    logical: str
    description: str
    rotation: bool = True

    @property
    def alias(self) -> str:
        return f"alias/{settings.resource_prefix()}-{self.logical}"


@dataclass(frozen=True)
class Bucket:
    """Private, versioned, SSE-KMS by default; the policy refuses plain HTTP and non-KMS puts."""

    logical: str
    purpose: str
    noncurrent_version_days: int = 30
    # the methods browsers on the stage's web origins use on it: presigned POST uploads, GETs of presigned links
    cors: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{settings.resource_prefix()}-{self.logical}".lower()


# AWS's guidance for a queue that triggers a function: a visibility timeout of at least six
# times the function's timeout, so that a message is not delivered again while a run (and
# Lambda's own retries of a throttled batch) may still hold it.
VISIBILITY_PER_TIMEOUT = 6


@dataclass(frozen=True)
class Queue:
    logical: str
    visibility_timeout: int = 60
    max_receive_count: int = 3  # after this many failed deliveries a message goes to the DLQ
    retention_seconds: int = 4 * 24 * 3600
    dlq_retention_seconds: int = 14 * 24 * 3600
    dead_letter: bool = True  # False for a queue that is itself where failures go
    # the function the queue triggers: its timeout (seconds) and how many run at once at most
    # (the mapping's ScalingConfig.MaximumConcurrency, 2 to 1000), so that a burst of queued
    # work takes a bounded share of the account's concurrency and cannot starve the API
    consumer_timeout: int | None = None
    max_concurrency: int | None = None

    def __post_init__(self) -> None:
        if self.consumer_timeout is not None and self.visibility_timeout < VISIBILITY_PER_TIMEOUT * self.consumer_timeout:
            raise ValueError(f"queue {self.logical}: visibility {self.visibility_timeout}s is under "
                             f"{VISIBILITY_PER_TIMEOUT} x its function's timeout {self.consumer_timeout}s")
        if self.max_concurrency is not None and not 2 <= self.max_concurrency <= 1000:
            raise ValueError(f"queue {self.logical}: MaximumConcurrency is 2 to 1000")

    @property
    def name(self) -> str:
        return f"{settings.resource_prefix()}-{self.logical}"

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class Schedule:
    """A scheduled function: `expression` is EventBridge's rate(...) or cron(...)."""

    function: str
    expression: str
    description: str


@dataclass(frozen=True)
class UserPool:
    logical: str
    groups: tuple[str, ...]
    password_min_length: int = 10
    access_token_minutes: int = 60
    refresh_token_days: int = 30
    password_policy: dict = field(
        default_factory=lambda: {
            "MinimumLength": 10,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": False,
        }
    )

    @property
    def name(self) -> str:
        return f"{settings.resource_prefix()}-{self.logical}"


# --- the definition -------------------------------------------------------------

MAIN_TABLE = Table(
    logical="main",
    hash_key="pk",
    range_key="sk",
    indexes=(
        # lookups by a keyed hash (email, phone), and lists owned by one entity
        Index("gsi1", "gsi1pk", "gsi1sk"),
        # work queues and public lists (open projects, submitted identities, due jobs)
        Index("gsi2", "gsi2pk", "gsi2sk"),
    ),
    ttl_attribute="expires_at",
)

# Wrapped per-user data keys, apart from the data and deliberately WITHOUT backups:
# deleting a user's key here makes every copy of their ciphertext unreadable, the
# main table's point-in-time backups included (crypto-shredding).
KEYS_TABLE = Table(logical="keys", hash_key="pk", range_key="sk", stream_view=None, point_in_time_recovery=False)

TABLES: tuple[Table, ...] = (MAIN_TABLE, KEYS_TABLE)

DATA_KEY = Key("data", "Wraps per-user data keys and encrypts every bucket")
KEYS: tuple[Key, ...] = (DATA_KEY,)

DOCUMENTS_BUCKET = Bucket("documents", "identity documents and selfies", cors=("GET", "POST"))
FILES_BUCKET = Bucket("files", "project files", cors=("GET", "POST"))
EXPORTS_BUCKET = Bucket("exports", "personal data exports", cors=("GET",))  # a fetch() of an export's json_url
BUCKETS: tuple[Bucket, ...] = (DOCUMENTS_BUCKET, FILES_BUCKET, EXPORTS_BUCKET)

NOTIFICATIONS_QUEUE = Queue("notifications", visibility_timeout=90, max_receive_count=3, consumer_timeout=15, max_concurrency=5)
# Charges and payouts to settle with the gateway (ids only). A failed attempt comes back
# after a backoff that grows with each receive; after `max_receive_count` it goes to the DLQ.
# Two at once: the gateway's rate limits, and settlements of one contract never race.
PAYMENTS_QUEUE = Queue("payments", visibility_timeout=90, max_receive_count=8, consumer_timeout=15, max_concurrency=2)
# Accounts whose grace period ended, to erase (ids only); a failed erasure is retried,
# then waits in the DLQ (the `ErasuresFailed` metric and the DLQ depth are what an alarm watches).
ERASURE_QUEUE = Queue("erasure", visibility_timeout=900, max_receive_count=5, consumer_timeout=150, max_concurrency=2)
# Fan-out (policy notices, announcements, marketing campaigns): a message is either one page
# of the audience to split (its cursor) or one batch of at most 50 user ids to send to;
# ids only, never an address. A failed batch comes back after a growing backoff, then
# waits in the DLQ. At most `FANOUT_CONCURRENCY` functions send at once, so the pace
# each keeps (`services.fanout`) adds up to the account's SES sending quota.
FANOUT_CONCURRENCY = 2
FANOUT_QUEUE = Queue("fanout", visibility_timeout=360, max_receive_count=5, consumer_timeout=60, max_concurrency=FANOUT_CONCURRENCY)
# Exports to build (ids only)
EXPORTS_QUEUE = Queue("exports", visibility_timeout=900, max_receive_count=3, consumer_timeout=150, max_concurrency=2)
# Bid notices to write (ids and statuses only: the bid, its project, who to tell); the
# consumer reads the account and project and records the notification (its id is made of
# the bid and status, so a redelivered message writes nothing twice).
NOTICES_QUEUE = Queue("notices", visibility_timeout=90, max_receive_count=3, consumer_timeout=15, max_concurrency=2)
# Policy versions to announce and members who joined since a version was published (ids
# only); the consumer creates the version's fan-out (its id is made of the version) or
# sends it to the newcomers alone (whoever it reached already is skipped).
POLICIES_QUEUE = Queue("policies", visibility_timeout=180, max_receive_count=5, consumer_timeout=30, max_concurrency=2)
# Where the stream's event-source mappings put a batch that failed every retry (bisected
# down to the failing record): Lambda's on-failure record, the shard and the sequence
# numbers only, never the records themselves. An alarm watches its depth; an operator
# reads the records again from the stream (24 hours) or the table.
STREAM_FAILURES_QUEUE = Queue("stream-failures", retention_seconds=14 * 24 * 3600, dead_letter=False)
# Where EventBridge puts a scheduled run it could not deliver to its function after
# `SCHEDULE_RETRY` (the function throttled or unavailable): the event only (rule, time),
# no data. An alarm watches its depth; the operator runs the job again
# (`python -m ops job run NAME`); the next scheduled run catches up anyway.
SCHEDULE_FAILURES_QUEUE = Queue("schedule-failures", retention_seconds=14 * 24 * 3600, dead_letter=False)
SCHEDULE_RETRY = {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}  # every job is idempotent: late is harmless
QUEUES: tuple[Queue, ...] = (NOTIFICATIONS_QUEUE, PAYMENTS_QUEUE, ERASURE_QUEUE, FANOUT_QUEUE, EXPORTS_QUEUE, NOTICES_QUEUE,
                             POLICIES_QUEUE, STREAM_FAILURES_QUEUE, SCHEDULE_FAILURES_QUEUE)

# The table stream's one reader (`handlers.changes.route_changes`) decodes each record once
# and hands each concern what it selects to the concern's own queue: a concern that fails
# (its selection or its consumer) fills its own DLQ and never stalls or replays the others.
# Concern -> its queue; the selection is `chalicelib.services.<concern module>.select`.
STREAM_CONCERNS: dict[str, Queue] = {
    "notifications": NOTIFICATIONS_QUEUE,
    "notices": NOTICES_QUEUE,
    "payments": PAYMENTS_QUEUE,
    "erasure": ERASURE_QUEUE,
    "exports": EXPORTS_QUEUE,
    "fanout": FANOUT_QUEUE,
    "policies": POLICIES_QUEUE,
}

SCHEDULES: dict[str, Schedule] = {
    s.function: s
    for s in (
        Schedule(
            "release_due_notifications",
            "rate(5 minutes)",
            "Queues notifications whose send time has come",
        ),
        Schedule(
            "purge_identity_documents",
            "rate(1 day)",
            "Deletes identity documents (every version) once the profile's keep period after the decision has passed",
        ),
        Schedule(
            "watch_erasures",
            "rate(1 hour)",
            "Counts scheduled deletions a day past their time and not erased (metric ErasuresOverdue) and queues them",
        ),
        Schedule(
            "apply_policy_versions",
            "rate(15 minutes)",
            "Makes a published policy version current on its effective date and announces the restriction that follows",
        ),
        Schedule(
            "purge_usage_data",
            "rate(1 day)",
            "Deletes usage data (sign-in time, IP address, device) older than the profile's usage_data_keep_days",
        ),
        Schedule(
            "expire_exports",
            "rate(1 hour)",
            "Deletes the files of personal data exports past their lifetime and marks them expired",
        ),
        Schedule(
            "erase_closed_accounts",
            "rate(1 hour)",
            "Queues for erasure every account whose deletion grace period (the reactivation window) has ended",
        ),
        Schedule(
            "remove_abandoned_signups",
            "rate(1 day)",
            "Removes signups whose phone was never verified within 7 days, so the address can sign up again",
        ),
        Schedule(
            "watch_payments",
            "rate(15 minutes)",
            "Counts charges and payouts pending past the threshold (metric PaymentsStuckPending) and queues them again",
        ),
    )
}

USER_POOL = UserPool("users", groups=("admin", "employer", "freelancer"))


@dataclass(frozen=True)
class MailTemplate:
    """An SES email template; `{{name}}` marks a value given per message or per recipient."""

    logical: str
    subject: str
    text: str

    @property
    def name(self) -> str:
        return f"{settings.resource_prefix()}-{self.logical}"


# Policy notices and announcements: the subject and body are the notice's own, the
# footer is per recipient (the signed accept/reject links where a decision is asked).
NOTICE_TEMPLATE = MailTemplate("notice", "{{subject}}", "{{body}}\n\n{{footer}}")
MAIL_TEMPLATES: tuple[MailTemplate, ...] = (NOTICE_TEMPLATE,)


def stream_arn(table: Table) -> str:
    """The stream a handler subscribes to.

    Deployed stages get the real ARN from the environment (the template exports it);
    elsewhere a pattern naming the table, which the local stream pump matches on.
    """
    env_name = f"STREAM_ARN_{table.logical.upper()}"
    return os.environ.get(env_name) or (
        f"arn:aws:dynamodb:{settings.region()}:000000000000:table/{table.name}/stream/*"
    )


def table_of_stream_arn(arn: str) -> str:
    """The table name inside a stream ARN."""
    return arn.split(":table/", 1)[1].split("/", 1)[0]


def bucket_policy(bucket: Bucket, key_arn: str, require_tls: bool = True) -> dict:
    """Refuse plain HTTP, and refuse puts that are not SSE-KMS under our key.

    The local cloud serves plain HTTP on 127.0.0.1, so it provisions the policy
    without the TLS statement (moto would otherwise refuse every request)."""
    arn = f"arn:aws:s3:::{bucket.name}"
    tls = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ] if require_tls else []
    return {
        "Version": "2012-10-17",
        "Statement": tls + [
            {
                "Sid": "DenyNonKmsPuts",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
            {
                "Sid": "DenyOtherKmsKeys",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
            },
        ],
    }


def mail_sender() -> str:
    return os.environ.get("MAIL_FROM", "no-reply@marketplace.local")

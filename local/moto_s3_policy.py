"""Bucket policies in moto: conditional statements are left to real S3.

What moto does: `FakeBucket.get_permission` evaluates a bucket policy's statements
without their `Condition` blocks (moto's `put_bucket_policy` says so). Our buckets deny
`s3:PutObject` unless the request is SSE-KMS under our key, and deny plain HTTP; without
their conditions those statements deny every put. Presigned POSTs happen not to be
checked, so uploads worked, but any put through the API (an export) was refused.

What this module changes: statements that carry a `Condition` are skipped when moto
evaluates a bucket policy; unconditional ones still apply. The policy stays on the
bucket as provisioned (a test compares it with the template). What the conditions
would enforce holds locally anyway: every bucket's default encryption is SSE-KMS under
our key, `storage.put` asks for it explicitly, and tests check each object's encryption.
"""
from __future__ import annotations

import json
from typing import Any

_installed = False


class MotoChanged(RuntimeError):
    """moto's S3 bucket no longer has the shape this module was written for."""


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    if not callable(getattr(FakeBucket, "get_permission", None)):
        raise MotoChanged("moto's FakeBucket.get_permission is gone: review local/moto_s3_policy.py")

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode() if isinstance(self.policy, bytes) else self.policy)
        statements = document.get("Statement", [])
        statements = [s for s in (statements if isinstance(statements, list) else [statements]) if "Condition" not in s]
        if not statements:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**document, "Statement": statements})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission
    _installed = True

"""S3: presigned uploads that must be SSE-KMS under our key, short-lived downloads,
and the checks the backend makes on what was really uploaded."""
from __future__ import annotations

from typing import Any

from chalicelib.adapters.keys import key_arn
from chalicelib.core import aws


def presigned_post(bucket: str, key: str, content_type_prefix: str, max_bytes: int, expires: int) -> dict[str, Any]:
    arn = key_arn()
    fields = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": arn}
    conditions: list[Any] = [
        {"x-amz-server-side-encryption": "aws:kms"},
        {"x-amz-server-side-encryption-aws-kms-key-id": arn},
        ["starts-with", "$Content-Type", content_type_prefix],
        ["content-length-range", 1, max_bytes],
    ]
    post = aws.client("s3").generate_presigned_post(Bucket=bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires)
    return {"url": post["url"], "fields": post["fields"]}


def presigned_get(bucket: str, key: str, expires: int) -> str:
    return aws.client("s3").generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires)


def head(bucket: str, key: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        return aws.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


MISSING = "has not been uploaded yet"


def problem_with(bucket: str, key: str, max_bytes: int) -> str | None:
    """What is wrong with an uploaded object, or None: `MISSING`, not SSE-KMS under the
    platform key, or larger than allowed. S3 enforces a presigned POST's conditions in
    AWS and moto does not, so the backend checks what really arrived."""
    meta = head(bucket, key)
    if meta is None:
        return MISSING
    if meta.get("ServerSideEncryption") != "aws:kms" or meta.get("SSEKMSKeyId") not in (key_arn(), key_arn().split("/")[-1]):
        return "is not encrypted with the platform key"
    if meta.get("ContentLength", 0) > max_bytes:
        return f"is larger than {max_bytes} bytes"
    return None


def first_bytes(bucket: str, key: str, count: int) -> bytes:
    return aws.client("s3").get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{count - 1}")["Body"].read()


def delete_every_version(bucket: str, key: str) -> int:
    """Delete an object and all its versions (the buckets are versioned)."""
    s3 = aws.client("s3")
    listing = s3.list_object_versions(Bucket=bucket, Prefix=key)
    doomed = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in listing.get("Versions", []) + listing.get("DeleteMarkers", [])
        if v["Key"] == key
    ]
    if doomed:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
    return len(doomed)


def delete_prefix_every_version(bucket: str, prefix: str) -> int:
    """Delete every object under `prefix`, every version and delete marker: what erasure
    does to a user's folder. Returns how many versions went."""
    s3 = aws.client("s3")
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for start in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start:start + 1000], "Quiet": True})
        deleted += len(doomed)
    return deleted


def put(bucket: str, key: str, body: bytes, content_type: str) -> None:
    """Write an object encrypted with our KMS key (the bucket policy refuses anything else)."""
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type,
                                ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn())

"""Presigned S3 URLs and POST policies expire locally as they do in S3.

moto checks neither the `X-Amz-Expires` of a presigned URL nor the `expiration` of a
presigned POST's policy, so a link the API handed out would work forever. S3 refuses
both once expired (403 AccessDenied, "Request has expired" / "Invalid according to
Policy: Policy expired"). This module makes moto do the same, by S3's own clock: the
real time, which is also what the signer used (the local test clock moves the app's
time, not the signature's)."""
from __future__ import annotations

import base64
import calendar
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

_installed = False


def _denied(message: str) -> tuple[int, dict[str, str], str]:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>{message}</Message></Error>'
    return 403, {"Content-Type": "application/xml"}, body


def url_expired(full_url: str, now: float | None = None) -> bool:
    query = parse_qs(urlparse(full_url).query)
    signed, expires = query.get("X-Amz-Date"), query.get("X-Amz-Expires")
    if not signed or not expires:
        return False
    start = calendar.timegm(time.strptime(signed[0], "%Y%m%dT%H%M%SZ"))
    return (now if now is not None else time.time()) > start + int(expires[0])


def policy_expired(policy_b64: str, now: float | None = None) -> bool:
    try:
        expiration = json.loads(base64.b64decode(policy_b64))["expiration"]
    except (ValueError, KeyError, TypeError):
        return False
    end = calendar.timegm(time.strptime(expiration.replace("Z", "").split(".")[0], "%Y-%m-%dT%H:%M:%S"))
    return (now if now is not None else time.time()) > end


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.s3.responses import S3Response

    key_response, bucket_response = S3Response.key_response, S3Response.bucket_response

    def checked_key_response(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        if url_expired(full_url):
            return _denied("Request has expired")
        return key_response(self, request, full_url, headers)

    def checked_bucket_response(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        if url_expired(full_url):
            return _denied("Request has expired")
        if request.method == "POST":
            form = getattr(request, "form", None) or {}
            policy = form.get("policy") or form.get("Policy")
            if policy and policy_expired(policy):
                return _denied("Invalid according to Policy: Policy expired.")
        return bucket_response(self, request, full_url, headers)

    S3Response.key_response = checked_key_response
    S3Response.bucket_response = checked_bucket_response
    _installed = True

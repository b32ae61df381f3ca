"""KMS: per-user data keys wrapped under the platform's customer key."""
from __future__ import annotations

import functools
import os

from chalicelib.core import aws
from chalicelib.core.resources import DATA_KEY


def _context(owner: str) -> dict[str, str]:
    return {"purpose": "data-key", "owner": owner}


def new_data_key(owner: str) -> tuple[bytes, bytes]:
    """A fresh AES-256 key: (plaintext, wrapped). Only the wrapped form is ever stored."""
    reply = aws.client("kms").generate_data_key(KeyId=DATA_KEY.alias, KeySpec="AES_256", EncryptionContext=_context(owner))
    return reply["Plaintext"], reply["CiphertextBlob"]


def unwrap(owner: str, wrapped: bytes) -> bytes:
    return aws.client("kms").decrypt(CiphertextBlob=wrapped, EncryptionContext=_context(owner))["Plaintext"]


@functools.lru_cache(maxsize=1)
def key_arn() -> str:
    """The platform key's ARN: from the stack outputs, else looked up once per container."""
    arn = os.environ.get("DATA_KEY_ARN")
    if arn:
        return arn
    return aws.client("kms").describe_key(KeyId=DATA_KEY.alias)["KeyMetadata"]["Arn"]

"""Personal data is sealed with a per-user key from KMS; deleting that key makes every
copy of the user's ciphertext unreadable, backups included (crypto-shredding)."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.core.cache import TtlCache
from chalicelib.core.resources import KEYS_TABLE, MAIN_TABLE
from chalicelib.repos import users
from chalicelib.security import crypto, vault
from local.aws_calls import counting
from tests.helpers import call, register


def _raw_account(table: str, user_id: str) -> dict:
    return boto3.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": f"USER#{user_id}"}, "sk": {"S": "ACCOUNT"}})["Item"]


def test_deleting_the_key_shreds_every_copy_backups_included(client, runtime):
    user = register(client, runtime, date_of_birth="1985-03-03")
    uid = user["user_id"]
    ddb = boto3.client("dynamodb")
    backup = ddb.create_backup(TableName=MAIN_TABLE.name, BackupName=f"before-{uid[:8]}")["BackupDetails"]["BackupArn"]
    copy = _raw_account(MAIN_TABLE.name, uid)
    assert vault.unseal(uid, "phone", copy["phone_enc"]["S"]) == user["phone"]

    vault.shred(uid)
    vault.forget_cache()  # as in any other container

    restored = f"restored-{uid[:8]}"
    ddb.restore_table_from_backup(TargetTableName=restored, BackupArn=backup)
    from_backup = _raw_account(restored, uid)
    assert from_backup["phone_enc"] == copy["phone_enc"]  # the backup still holds the ciphertext...
    for item in (copy, from_backup):
        for field in ("phone", "date_of_birth", "email", "full_name"):
            with pytest.raises(vault.KeyErased):  # ...and nobody can read it
                vault.unseal(uid, field, item[f"{field}_enc"]["S"])
    # the keys table keeps no backups from which the key could come back
    backups = ddb.describe_continuous_backups(TableName=KEYS_TABLE.name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    ddb.delete_table(TableName=restored)


def test_ciphertext_is_bound_to_its_user_and_field(client, runtime):
    a, b = register(client, runtime), register(client, runtime)
    phone_of_a = _raw_account(MAIN_TABLE.name, a["user_id"])["phone_enc"]["S"]
    with pytest.raises(crypto.Unreadable):
        vault.unseal(a["user_id"], "date_of_birth", phone_of_a)
    with pytest.raises(crypto.Unreadable):
        vault.unseal(b["user_id"], "phone", phone_of_a)


def test_each_user_has_an_own_wrapped_key_and_lookups_use_keyed_hashes(client, runtime):
    user = register(client, runtime)
    item = _raw_account(MAIN_TABLE.name, user["user_id"])
    assert item["gsi1pk"]["S"].startswith("PHONE#") and user["phone"][1:] not in item["gsi1pk"]["S"]
    key = boto3.client("dynamodb").get_item(
        TableName=KEYS_TABLE.name, Key={"pk": {"S": f"OWNER#{user['user_id']}"}, "sk": {"S": "DATA_KEY"}}
    )["Item"]
    assert len(key["wrapped"]["B"]) > 32  # a KMS ciphertext blob, never the plain 32-byte key
    assert users.get(user["user_id"]).email_hash == vault.lookup_hash("email", user["email"])


def test_get_me_costs_at_most_two_dynamodb_calls_and_one_kms_call_per_key(client, runtime):
    from chalicelib.services import policy_versions

    user = register(client, runtime)
    vault.forget_cache()
    policy_versions.forget_index()  # a cold container: nothing cached
    with counting() as first:
        assert call(client, "GET", "/me", token=user["token"])[0] == 200
    with counting() as second:
        assert call(client, "GET", "/me", token=user["token"])[0] == 200
    assert first.of("dynamodb") <= 2 and second.of("dynamodb") <= 2, (first, second)
    assert first["kms:Decrypt"] == 1, first  # the user's key, unwrapped once
    assert second.of("kms") == 0, second  # then served from the container's cache


def test_the_key_cache_is_bounded_and_expires():
    now = [0.0]
    cache = TtlCache(maxsize=2, ttl=10, now=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert cache.get("a") is None and cache.get("c") == 3 and len(cache) == 2
    now[0] = 11
    assert cache.get("c") is None

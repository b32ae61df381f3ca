"""The idempotency engine's rules (`repos/idempotency.py`), on records held in memory: what
a stored record answers for a request, and what counts as the same request. The engine
against DynamoDB (one transaction with the money, retries, concurrency) is
tests/test_money.py's."""
from __future__ import annotations

import json

import pytest

from chalicelib.core import errors
from chalicelib.repos import idempotency


def _record(body_hash: str, expires_at: float, result: dict) -> idempotency.IdempotencyRecord:
    return idempotency.IdempotencyRecord("USER#u1", "IDEM#x", operation="payout", body_hash=body_hash,
                                         result=json.dumps(result), created_at=expires_at - idempotency.SECONDS,
                                         expires_at=expires_at)


def test_the_same_request_is_the_same_whatever_its_key_order_and_another_operation_or_body_is_not():
    digest = idempotency.request_hash("payout", {"amount": 100, "currency": "USD"})
    assert idempotency.request_hash("payout", {"currency": "USD", "amount": 100}) == digest
    assert idempotency.request_hash("fund", {"amount": 100, "currency": "USD"}) != digest
    assert idempotency.request_hash("payout", {"amount": 101, "currency": "USD"}) != digest


def test_a_live_record_of_the_same_request_answers_its_first_answer():
    first = {"payout_id": "p1", "status": "pending"}
    assert idempotency.answer(_record("h", 2000.0, first), "h", now=1000.0) == first


def test_no_record_or_an_expired_one_answers_nothing_so_the_key_is_claimed_afresh():
    assert idempotency.answer(None, "h", now=1000.0) is None
    assert idempotency.answer(_record("h", 999.0, {"payout_id": "p1"}), "h", now=1000.0) is None
    assert idempotency.answer(_record("other", 999.0, {"payout_id": "p1"}), "h", now=1000.0) is None  # expired: reusable


def test_a_live_record_of_another_request_refuses_the_key():
    with pytest.raises(errors.Conflict) as refused:
        idempotency.answer(_record("other", 2000.0, {"payout_id": "p1"}), "h", now=1000.0)
    assert refused.value.code == "IdempotencyKeyReused"


def test_a_key_is_stored_hashed_in_its_users_partition_and_kept_a_day():
    pk, sk = idempotency.idempotency_key("u1", "my-key-0001")
    assert pk == "USER#u1" and sk.startswith("IDEM#") and "my-key-0001" not in sk
    assert idempotency.idempotency_key("u2", "my-key-0001")[1] == sk and idempotency.idempotency_key("u1", "my-key-0002")[1] != sk
    assert idempotency.SECONDS == 24 * 3600

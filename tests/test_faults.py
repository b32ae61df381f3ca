"""Faults in AWS (throttling, 5xx, timeouts; tests/faults.py injects them below botocore's
retries) and in the payment gateway, during signup, payout, export and erasure.

Afterwards: the ledger balances, money moved exactly once, no personal data is left
after an erasure (the sweep), nothing is half-written (a signup that failed can be
made again), and work that kept failing waits in its queue's DLQ."""
from __future__ import annotations

import pytest

from tests.faults import Fault, inject, meanwhile
from tests.helpers import assert_books_balance, call, register, signup_payload, sweep, text_tag


@pytest.fixture(autouse=True)
def books_balance_afterwards(cloud):
    yield
    assert_books_balance()


# --- signup ---------------------------------------------------------------------------------------

def test_a_signup_rides_out_throttling_5xx_and_timeouts_of_each_service_it_calls(http, runtime):
    with inject(Fault("kms", "GenerateDataKey", "throttle", 2), Fault("dynamodb", "TransactWriteItems", "5xx", 1),
                Fault("dynamodb", "PutItem", "timeout", 1), Fault("cognito-idp", "*", "throttle", 1)) as log:
        user = register(http, runtime, "freelancer")
    assert {"throttle kms:GenerateDataKey", "5xx dynamodb:TransactWriteItems"} <= set(log), log
    assert any(entry.startswith("throttle cognito-idp:") for entry in log), log
    assert call(http, "GET", "/me", token=user["token"])[1]["email"] == user["email"]


@pytest.mark.parametrize("fault", [Fault("kms", "GenerateDataKey", "5xx", None), Fault("dynamodb", "TransactWriteItems", "throttle", None),
                                   Fault("cognito-idp", "*", "5xx", None)], ids=["kms down", "dynamodb throttling", "cognito down"])
def test_a_signup_during_an_outage_fails_cleanly_and_succeeds_once_it_is_over(http, runtime, fault):
    payload = signup_payload("employer")
    with inject(fault) as log:
        status, error = call(http, "POST", "/auth/signup", payload)
    assert log and status >= 500 and error["Code"] in ("InternalServerError", "ServiceUnavailable"), error
    assert payload["email"] not in str(error) and payload["phone"] not in str(error)
    status, created = call(http, "POST", "/auth/signup", payload)  # nothing of the first try stands in the way
    assert status == 201, created


# --- payouts --------------------------------------------------------------------------------------

@pytest.fixture
def world(http, runtime, admin):  # per test: another test here moves the clock past the admin token's life
    from types import SimpleNamespace

    from tests.helpers import admin_token, verified

    tok = admin_token(http, admin)
    return SimpleNamespace(admin=tok, employer=verified(http, runtime, tok, "employer"), runtime=runtime, http=http)


def test_payouts_through_throttled_tables_and_a_timing_out_gateway_move_money_exactly_once(http, runtime, world):
    from chalicelib.adapters import gateway
    from tests.helpers import BANK, earn, idempotency_key

    freelancer = earn(http, runtime, world.admin, world.employer, 10000)
    assert call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])[0] == 200
    sandbox = gateway.sandbox()
    moved_before = len(sandbox.effects)
    headers, amount = idempotency_key(), {"amount": {"amount": 4000, "currency": "USD"}}
    with inject(Fault("dynamodb", "TransactWriteItems", "throttle", 3), Fault("kms", "Decrypt", "5xx", 1)) as log:
        sandbox.steer("timeout", "unavailable")
        first = call(http, "POST", "/me/payouts", amount, token=freelancer["token"], headers=headers)
        retry = call(http, "POST", "/me/payouts", amount, token=freelancer["token"], headers=headers)
        for _ in range(6):
            runtime.poll_queues(retry_now=True)
    sandbox.reset()
    runtime.drain()
    assert log, "no fault was injected"
    assert first[0] == 202 and retry[1]["payout_id"] == first[1]["payout_id"], (first, retry)
    payouts = call(http, "GET", "/me/payouts", token=freelancer["token"])[1]["items"]
    assert [p["status"] for p in payouts] == ["paid"]
    transfers = [e for e in sandbox.effects[moved_before:] if e[0] == "transfer"]
    assert len(transfers) == 1 and transfers[0][2] == 4000
    assert call(http, "GET", "/me/wallet?currency=USD", token=freelancer["token"])[1]["balance"]["amount"] == 9000 - 4000


# --- settlement cancelled by a conflict, or finding the payment settled already ------------------

def _settlements(ran: list[dict]) -> list[bool]:
    return [r["ok"] for r in ran if r["function"] == "settle_payments"]


def test_a_payout_settlement_cancelled_by_a_transaction_conflict_is_redelivered_and_pays_once(http, runtime, world):
    from chalicelib.adapters import gateway
    from tests.helpers import BANK, earn, idempotency_key

    freelancer = earn(http, runtime, world.admin, world.employer, 10000)  # 9,000 in the wallet
    assert call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])[0] == 200
    status, payout = call(http, "POST", "/me/payouts", {"amount": {"amount": 4000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())
    assert status == 202, payout
    runtime.pump_streams()  # the payout's ids are on the payments queue
    with inject(Fault("dynamodb", "TransactWriteItems", "conflict", 1, matching=payout["payout_id"])) as log:
        ran = runtime.poll_queues(retry_now=True)  # no clock moves: no watch job, no hour's wait
    assert log == ["conflict dynamodb:TransactWriteItems"]
    assert [p["status"] for p in call(http, "GET", "/me/payouts", token=freelancer["token"])[1]["items"]] == ["paid"]
    assert _settlements(ran) == [False, True]  # the conflicted delivery failed and its redelivery settled
    assert gateway.sandbox().moved(payout["payout_id"]) == 1
    mine = call(http, "GET", "/me/wallet?currency=USD", token=freelancer["token"])[1]
    assert (mine["balance"]["amount"], mine["held"]["amount"]) == (5000, 0)


def test_a_funding_settlement_cancelled_by_a_transaction_conflict_is_redelivered_and_funds_once(http, runtime, world):
    from chalicelib.adapters import gateway
    from tests.helpers import contract, idempotency_key, verified

    freelancer = verified(http, runtime, world.admin, "freelancer")
    cid = contract(http, world.employer, freelancer, 7000)
    status, funding = call(http, "POST", f"/contracts/{cid}/fund", token=world.employer["token"], headers=idempotency_key())
    assert status == 202, funding
    runtime.pump_streams()
    with inject(Fault("dynamodb", "TransactWriteItems", "conflict", 1, matching=funding["charge_id"])) as log:
        ran = runtime.poll_queues(retry_now=True)
    assert log == ["conflict dynamodb:TransactWriteItems"]
    assert call(http, "GET", f"/contracts/{cid}", token=world.employer["token"])[1]["escrow_status"] == "funded"
    assert _settlements(ran) == [False, True]
    assert gateway.sandbox().moved(funding["charge_id"]) == 1
    receipts = call(http, "GET", "/me/receipts?limit=100", token=world.employer["token"])[1]["items"]
    assert [r["gross"]["amount"] for r in receipts if r["kind"] == "funding" and r["ref"] == cid] == [7000]


def test_a_delivery_that_finds_the_payout_settled_meanwhile_is_dropped_without_error(http, runtime, world):
    """Two deliveries of one message at once: the second commits first, so the first's
    transaction fails on the payout's own status. That one is done, not retried."""
    from chalicelib.adapters import gateway
    from chalicelib.core.resources import PAYMENTS_QUEUE
    from chalicelib.services import settlement
    from local.iam_check import acting_as
    from tests.helpers import BANK, earn, idempotency_key

    freelancer = earn(http, runtime, world.admin, world.employer, 10000)
    assert call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])[0] == 200
    status, payout = call(http, "POST", "/me/payouts", {"amount": {"amount": 9000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())
    assert status == 202, payout
    message = {"what": "payout", "user_id": freelancer["user_id"], "id": payout["payout_id"]}

    def the_other_delivery() -> str:
        with acting_as("settle_payments"):
            return settlement.settle(message)

    runtime.pump_streams()
    dead_before = _dead_count(PAYMENTS_QUEUE)
    with meanwhile("dynamodb", "TransactWriteItems", the_other_delivery, matching=payout["payout_id"]) as other:
        ran = runtime.poll_queues(retry_now=True)
    assert other == ["paid"]
    assert _settlements(ran) == [True]  # no error, no redelivery
    assert runtime.queue_backlog() == 0 and _dead_count(PAYMENTS_QUEUE) == dead_before
    assert [p["status"] for p in call(http, "GET", "/me/payouts", token=freelancer["token"])[1]["items"]] == ["paid"]
    assert gateway.sandbox().moved(payout["payout_id"]) == 1
    mine = call(http, "GET", "/me/wallet?currency=USD", token=freelancer["token"])[1]
    assert (mine["balance"]["amount"], mine["held"]["amount"]) == (0, 0)


# --- exports --------------------------------------------------------------------------------------

def test_an_export_rides_out_s3_and_kms_faults(http, runtime):
    user = register(http, runtime, "freelancer")
    with inject(Fault("s3", "PutObject", "5xx", 2), Fault("kms", "Decrypt", "throttle", 1), Fault("dynamodb", "Query", "timeout", 1)) as log:
        status, started = call(http, "POST", "/me/exports", token=user["token"])
        assert status == 202
        for _ in range(4):
            runtime.poll_queues(retry_now=True)
        runtime.drain()
    assert any("s3:PutObject" in entry for entry in log), log
    found = call(http, "GET", f"/me/exports/{started['export_id']}", token=user["token"])[1]
    assert found["status"] == "ready" and found["json_url"] and found["pdf_url"]


def test_an_export_that_keeps_failing_waits_in_the_dlq_and_is_never_shown_ready(http, runtime):
    from chalicelib.core.resources import EXPORTS_QUEUE

    user = register(http, runtime, "freelancer")
    with inject(Fault("s3", "PutObject", "5xx", None)):
        status, started = call(http, "POST", "/me/exports", token=user["token"])
        assert status == 202
        runtime.drain()  # the table's stream puts the job on the exports queue
        for _ in range(EXPORTS_QUEUE.max_receive_count + 2):
            runtime.poll_queues(retry_now=True)
    found = call(http, "GET", f"/me/exports/{started['export_id']}", token=user["token"])[1]
    assert found["status"] == "pending" and found["json_url"] is None
    assert started["export_id"] in _dead_letters(EXPORTS_QUEUE)


def _dead_letters(queue) -> str:
    import boto3

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue.dlq_name)["QueueUrl"]
    return str(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", []))


# --- erasure --------------------------------------------------------------------------------------

def test_an_erasure_through_faults_in_every_service_it_touches_leaves_nothing(http, runtime):
    user = register(http, runtime, "freelancer")
    call(http, "PUT", "/me/profile", {"headline": f"Leaving {text_tag(4)}"}, token=user["token"])
    assert call(http, "POST", "/me/exports", token=user["token"])[0] == 202
    runtime.drain()
    status, scheduled = call(http, "POST", "/me/deletion", token=user["token"])
    assert status == 202
    with inject(Fault("s3", "*", "5xx", 3), Fault("kms", "*", "throttle", 2), Fault("cognito-idp", "*", "timeout", 1),
                Fault("dynamodb", "DeleteItem", "throttle", 2), Fault("dynamodb", "UpdateItem", "5xx", 1)) as log:
        runtime.advance_clock(15 * 86400)
        for _ in range(6):
            runtime.poll_queues(retry_now=True)
        runtime.drain()
    assert len(log) >= 5, log
    runtime.drain()
    receipt = call(http, "GET", f"/me/deletion-receipt?token={scheduled['receipt_token']}")[1]
    assert receipt["status"] == "erased", receipt
    assert sweep([user["email"], user["phone"], user["phone"].lstrip("+"), user["full_name"]]) == []


# --- notifications (SES) --------------------------------------------------------------------------

@pytest.mark.parametrize(("fault", "delivered"), [(Fault("ses", "*", "throttle", 2), 1), (Fault("ses", "*", "5xx", None), 0)],
                         ids=["ses throttling", "ses down"])
def test_a_bid_notice_through_ses_faults_goes_out_once_or_waits_in_the_dlq(http, runtime, world, fault, delivered):
    from chalicelib.core.resources import NOTIFICATIONS_QUEUE
    from tests.helpers import verified

    employer = verified(http, runtime, world.admin, "employer")
    freelancer = verified(http, runtime, world.admin, "freelancer")
    title = f"Faulty logo {text_tag()}"
    dead_before = _dead_count(NOTIFICATIONS_QUEUE)
    status, project = call(http, "POST", "/projects", {"title": title, "description": "x", "budget": {"amount": 900, "currency": "USD"}},
                           token=employer["token"])
    assert status == 201
    with inject(fault) as log:
        status, _ = call(http, "POST", f"/projects/{project['project_id']}/bids",
                         {"amount": {"amount": 900, "currency": "USD"}, "cover_letter": "Me", "delivery_days": 2}, token=freelancer["token"])
        assert status == 201
        runtime.drain()
        for _ in range(NOTIFICATIONS_QUEUE.max_receive_count + 2):
            runtime.poll_queues(retry_now=True)
    runtime.drain()
    assert log, "no fault was injected"
    mails = [m for m in call(http, "GET", f"/_dev/outbox?to={employer['email']}")[1]["items"] if title in m["body"]]
    assert len(mails) == delivered
    assert _dead_count(NOTIFICATIONS_QUEUE) == dead_before + (1 - delivered)  # the notice waits there for a redrive


def _dead_count(queue) -> int:
    import boto3

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue.dlq_name)["QueueUrl"]
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
               ["ApproximateNumberOfMessages"])


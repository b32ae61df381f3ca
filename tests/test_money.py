"""Money over HTTP: escrow funding through the gateway sandbox, release less the fee,
refunds on disputes, payout methods (sealed, shown masked), payouts with idempotency
keys, gateway faults, concurrency, and after every scenario the books balance."""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import boto3
import pytest

from tests.helpers import (
    BANK,
    FAILING_BANK,
    admin_token,
    assert_books_balance,
    call,
    contract,
    earn,
    funded,
    idempotency_key,
    verified,
    wallet,
)


@pytest.fixture(scope="module")
def world(http, runtime, admin):
    tok = admin_token(http, admin)
    return SimpleNamespace(admin=tok, employer=verified(http, runtime, tok, "employer"), runtime=runtime, http=http, admin_creds=admin)


@pytest.fixture(autouse=True)
def books_balance_after_each_scenario(cloud):
    from chalicelib.adapters import gateway

    gateway.sandbox().reset()
    yield
    assert_books_balance()


@pytest.fixture
def sandbox():
    from chalicelib.adapters import gateway

    return gateway.sandbox()


# --- rules ------------------------------------------------------------------------------------

def test_the_fee_rate_is_published_with_the_privacy_profile(http):
    status, profile = call(http, "GET", "/policies/profile")
    assert status == 200 and profile["platform_fee_bps"] == 1000


# --- escrow -------------------------------------------------------------------------------------

def test_funding_is_charged_through_the_gateway_once_and_completion_releases_less_the_fee(http, runtime, world, sandbox):
    freelancer = verified(http, runtime, world.admin, "freelancer")
    cid = contract(http, world.employer, freelancer, 12345)
    path = f"/contracts/{cid}/fund"
    assert call(http, "POST", path, token=world.employer["token"])[0] == 400  # no Idempotency-Key
    assert call(http, "POST", path, token=world.employer["token"], headers={"Idempotency-Key": "short"})[0] == 400
    assert call(http, "POST", path, token=freelancer["token"], headers=idempotency_key())[0] == 403
    status, error = call(http, "POST", f"/contracts/{cid}/complete", token=world.employer["token"])
    assert (status, error["Code"]) == (409, "EscrowNotFunded")

    fund_key = idempotency_key()
    status, first = call(http, "POST", path, token=world.employer["token"], headers=fund_key)
    assert status == 202 and first["escrow_status"] == "pending"
    assert call(http, "POST", path, token=world.employer["token"], headers=fund_key) == (202, first)  # a retry
    assert call(http, "POST", path, token=world.employer["token"], headers=idempotency_key())[0] == 409  # a second funding
    runtime.drain()
    assert sandbox.moved(first["charge_id"]) == 1
    assert call(http, "GET", f"/contracts/{cid}", token=freelancer["token"])[1]["escrow_status"] == "funded"
    assert call(http, "POST", path, token=world.employer["token"], headers=idempotency_key())[0] == 409

    status, done = call(http, "POST", f"/contracts/{cid}/complete", token=world.employer["token"])
    assert status == 200 and (done["status"], done["escrow_status"]) == ("completed", "released")
    mine = wallet(http, freelancer)
    assert mine["balance"] == {"amount": 12345 - 1235, "currency": "USD"} and mine["held"]["amount"] == 0
    assert sorted((e["kind"], e["amount"]["amount"]) for e in mine["ledger"]) == [("fee", -1235), ("release", 12345)]
    assert {e["ref"] for e in mine["ledger"]} == {cid}
    status, receipts = call(http, "GET", "/me/receipts", token=freelancer["token"])
    assert status == 200 and receipts["items"][0]["kind"] == "release"
    assert (receipts["items"][0]["gross"]["amount"], receipts["items"][0]["fee"]["amount"], receipts["items"][0]["net"]["amount"]) == (12345, 1235, 11110)
    employer_receipts = call(http, "GET", "/me/receipts?limit=100", token=world.employer["token"])[1]["items"]
    assert any(r["kind"] == "funding" and r["ref"] == cid and r["gross"]["amount"] == 12345 for r in employer_receipts)


def test_a_declined_charge_leaves_the_escrow_unfunded_and_a_new_key_may_try_again(http, runtime, world, sandbox):
    freelancer = verified(http, runtime, world.admin, "freelancer")
    cid = contract(http, world.employer, freelancer, 5000)
    sandbox.steer("decline")
    assert call(http, "POST", f"/contracts/{cid}/fund", token=world.employer["token"], headers=idempotency_key())[0] == 202
    runtime.drain()
    assert call(http, "GET", f"/contracts/{cid}", token=world.employer["token"])[1]["escrow_status"] == "unfunded"
    assert call(http, "POST", f"/contracts/{cid}/fund", token=world.employer["token"], headers=idempotency_key())[0] == 202
    runtime.drain()
    assert call(http, "GET", f"/contracts/{cid}", token=world.employer["token"])[1]["escrow_status"] == "funded"


@pytest.mark.parametrize(("release_to", "status", "escrow"), [("employer", "cancelled", "refunded"), ("freelancer", "completed", "released")])
def test_a_dispute_resolution_refunds_or_releases_the_escrow(http, runtime, world, release_to, status, escrow):
    freelancer = verified(http, runtime, world.admin, "freelancer")
    before = wallet(http, world.employer)["balances"]
    cid = funded(http, runtime, world.employer, freelancer, 20000)
    assert call(http, "POST", f"/contracts/{cid}/dispute", {"reason": "Not delivered"}, token=freelancer["token"])[0] == 200
    answer = call(http, "POST", f"/admin/disputes/{cid}/resolve", {"release_to": release_to}, token=world.admin)
    assert answer[0] == 200 and (answer[1]["status"], answer[1]["escrow_status"]) == (status, escrow)
    employer_usd = next((b["balance"]["amount"] for b in wallet(http, world.employer)["balances"] if b["balance"]["currency"] == "USD"), 0)
    before_usd = next((b["balance"]["amount"] for b in before if b["balance"]["currency"] == "USD"), 0)
    if release_to == "employer":
        assert employer_usd - before_usd == 20000 and wallet(http, freelancer)["balance"]["amount"] == 0
        assert [e["kind"] for e in wallet(http, world.employer)["ledger"]][0] == "refund"
    else:
        assert employer_usd == before_usd and wallet(http, freelancer)["balance"]["amount"] == 18000


# --- payout methods -------------------------------------------------------------------------------

def test_payout_methods_are_stored_sealed_and_shown_masked(http, runtime, world):
    freelancer = verified(http, runtime, world.admin, "freelancer")
    assert call(http, "GET", "/me/payout-method", token=freelancer["token"])[0] == 404
    status, masked = call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])
    assert status == 200 and masked["type"] == "bank" and masked["account_number_last4"] == "0001"
    assert BANK["account_number"] not in json.dumps(masked)
    assert call(http, "GET", "/me/payout-method", token=freelancer["token"])[1] == masked
    raw = json.dumps(boto3.client("dynamodb").query(
        TableName="marketplace-local-main", KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"USER#{freelancer['user_id']}"}})["Items"])
    for secret in (BANK["account_number"], BANK["account_holder"], BANK["ifsc"], BANK["branch_name"]):
        assert secret not in raw
    status, upi = call(http, "PUT", "/me/payout-method", {"type": "upi", "upi_id": "adafree@okaxis"}, token=freelancer["token"])
    assert status == 200 and upi["upi_id_masked"] == "ad***@okaxis"
    pakistani = {"type": "bank", "account_holder": "Ali Khan", "account_number": "PK36SCBL0000001123456702"}
    assert call(http, "PUT", "/me/payout-method", pakistani, token=freelancer["token"])[0] == 200


@pytest.mark.parametrize(("payload", "field"), [
    ({**BANK, "ifsc": "HDFC1234"}, "ifsc"),
    ({**BANK, "account_number": "12ab"}, "account_number"),
    ({k: v for k, v in BANK.items() if k != "ifsc"}, "bank"),
    ({"type": "upi", "upi_id": "no-handle"}, "upi_id"),
    ({"type": "cheque"}, "type"),
    ({**BANK, "swift": "X"}, "swift"),
])
def test_bad_payout_methods_are_a_400_naming_the_field(http, world, payload, field):
    status, error = call(http, "PUT", "/me/payout-method", payload, token=world.employer["token"])
    assert status == 400 and error["Code"] == "BadRequestError" and field in json.dumps(error["Details"])


# --- payouts -------------------------------------------------------------------------------------

def test_a_bank_payout_is_paid_and_one_to_an_account_ending_0002_fails_with_the_money_back(http, runtime, world, sandbox):
    freelancer = earn(http, runtime, world.admin, world.employer, 100000)  # 90,000 after the fee
    assert call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])[0] == 200
    status, payout = call(http, "POST", "/me/payouts", {"amount": {"amount": 30000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())
    assert status == 202 and payout["status"] == "pending"
    mine = wallet(http, freelancer)
    assert (mine["balance"]["amount"], mine["held"]["amount"]) == (60000, 30000)
    runtime.drain()
    assert sandbox.moved(payout["payout_id"]) == 1
    mine = wallet(http, freelancer)
    assert (mine["balance"]["amount"], mine["held"]["amount"]) == (60000, 0)
    listed = call(http, "GET", "/me/payouts", token=freelancer["token"])[1]["items"]
    assert listed[0]["payout_id"] == payout["payout_id"] and listed[0]["status"] == "paid" and listed[0]["destination"] == "bank ****0001"

    assert call(http, "PUT", "/me/payout-method", FAILING_BANK, token=freelancer["token"])[0] == 200
    status, failing = call(http, "POST", "/me/payouts", {"amount": {"amount": 25000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())
    assert status == 202
    assert wallet(http, freelancer)["balance"]["amount"] == 35000
    runtime.drain()
    mine = wallet(http, freelancer)
    assert (mine["balance"]["amount"], mine["held"]["amount"]) == (60000, 0)
    assert mine["ledger"][0]["kind"] == "payout_reversal" and mine["ledger"][0]["ref"] == failing["payout_id"]
    listed = call(http, "GET", "/me/payouts", token=freelancer["token"])[1]["items"]
    assert listed[0]["status"] == "failed" and listed[0]["failure_reason"] == "account_closed"
    assert sandbox.moved(failing["payout_id"]) == 0


def test_a_upi_payout_to_an_id_starting_with_fail_fails_and_the_money_is_back(http, runtime, world):
    freelancer = earn(http, runtime, world.admin, world.employer, 10000)
    assert call(http, "PUT", "/me/payout-method", {"type": "upi", "upi_id": "failme@okaxis"}, token=freelancer["token"])[0] == 200
    assert call(http, "POST", "/me/payouts", {"amount": {"amount": 9000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())[0] == 202
    runtime.drain()
    assert wallet(http, freelancer)["balance"]["amount"] == 9000
    assert call(http, "GET", "/me/payouts", token=freelancer["token"])[1]["items"][0]["status"] == "failed"


@pytest.fixture(scope="module")
def earner(http, runtime, world):
    """A freelancer with 9,000 USD in the wallet and a bank account to pay it to."""
    freelancer = earn(http, runtime, world.admin, world.employer, 10000)
    assert call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])[0] == 200
    return freelancer


@pytest.mark.parametrize(("amount", "status", "code"), [
    ({"amount": 0, "currency": "USD"}, 400, "BadRequestError"),
    ({"amount": -100, "currency": "USD"}, 400, "BadRequestError"),
    ({"amount": 10.5, "currency": "USD"}, 400, "BadRequestError"),
    ({"amount": "100", "currency": "USD"}, 400, "BadRequestError"),
    ({"amount": 100, "currency": "XYZ"}, 400, "BadRequestError"),
    ({"amount": 100}, 400, "BadRequestError"),
    ({"amount": 100, "currency": "INR"}, 409, "InsufficientFunds"),  # no INR in this wallet
    ({"amount": 9001, "currency": "USD"}, 409, "InsufficientFunds"),
])
def test_bad_payout_amounts_are_refused_and_no_money_moves(http, runtime, world, amount, status, code, earner):
    freelancer = earner
    before = wallet(http, freelancer)
    answer = call(http, "POST", "/me/payouts", {"amount": amount}, token=freelancer["token"], headers=idempotency_key())
    assert (answer[0], answer[1]["Code"]) == (status, code), answer
    assert wallet(http, freelancer) == before


def test_payout_preconditions_key_method_and_reuse(http, runtime, world):
    freelancer = earn(http, runtime, world.admin, world.employer, 10000)
    body = {"amount": {"amount": 1000, "currency": "USD"}}
    status, error = call(http, "POST", "/me/payouts", body, token=freelancer["token"])
    assert status == 400 and "Idempotency-Key" in error["Message"]
    status, error = call(http, "POST", "/me/payouts", body, token=freelancer["token"], headers=idempotency_key())
    assert (status, error["Code"]) == (409, "PayoutMethodMissing")
    call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])
    same = idempotency_key()
    status, first = call(http, "POST", "/me/payouts", body, token=freelancer["token"], headers=same)
    assert status == 202
    assert call(http, "POST", "/me/payouts", json.dumps(body, indent=2), token=freelancer["token"], headers=same) == (202, first)
    status, error = call(http, "POST", "/me/payouts", {"amount": {"amount": 2000, "currency": "USD"}}, token=freelancer["token"], headers=same)
    assert (status, error["Code"]) == (409, "IdempotencyKeyReused")
    assert wallet(http, freelancer)["balance"]["amount"] == 8000
    assert len(call(http, "GET", "/me/payouts", token=freelancer["token"])[1]["items"]) == 1
    world.runtime.drain()


# --- gateway faults -----------------------------------------------------------------------------

@pytest.mark.parametrize("behaviour", ["timeout", "late", "unavailable"])
def test_a_gateway_that_times_out_answers_late_or_refuses_moves_money_exactly_once(http, runtime, world, sandbox, behaviour):
    freelancer = earn(http, runtime, world.admin, world.employer, 10000)
    call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])
    sandbox.steer(behaviour)
    payout = call(http, "POST", "/me/payouts", {"amount": {"amount": 9000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())[1]
    runtime.drain()
    assert sandbox.moved(payout["payout_id"]) == 1
    assert call(http, "GET", "/me/payouts", token=freelancer["token"])[1]["items"][0]["status"] == "paid"
    mine = wallet(http, freelancer)
    assert (mine["balance"]["amount"], mine["held"]["amount"]) == (0, 0)


def test_a_crash_after_the_gateway_call_is_recovered_by_the_retry(http, runtime, world, sandbox, monkeypatch):
    """The handler raises right after the gateway paid (before the booking): the retry
    asks the gateway again with the same key, is told it is paid, and books it once."""
    freelancer = earn(http, runtime, world.admin, world.employer, 10000)
    call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])
    real_transfer, crashes = type(sandbox).transfer, []

    def transfer_then_crash(self, *args, **kwargs):
        outcome = real_transfer(self, *args, **kwargs)
        if not crashes:
            crashes.append(outcome)
            raise RuntimeError("the function died after the gateway call")
        return outcome

    monkeypatch.setattr(type(sandbox), "transfer", transfer_then_crash)
    payout = call(http, "POST", "/me/payouts", {"amount": {"amount": 9000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())[1]
    runtime.drain()
    assert crashes and sandbox.moved(payout["payout_id"]) == 1
    assert call(http, "GET", "/me/payouts", token=freelancer["token"])[1]["items"][0]["status"] == "paid"


def test_a_gateway_answer_delivered_twice_books_once(http, runtime, world, sandbox):
    freelancer = earn(http, runtime, world.admin, world.employer, 10000)
    call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])
    payout = call(http, "POST", "/me/payouts", {"amount": {"amount": 9000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())[1]
    runtime.drain()
    before = wallet(http, freelancer)
    # the gateway's outcome reaches settlement twice more (a provider that answers twice,
    # or SQS delivering a message again): nothing moves
    from chalicelib.adapters import queues
    from chalicelib.core.resources import PAYMENTS_QUEUE

    message = {"what": "payout", "user_id": freelancer["user_id"], "id": payout["payout_id"]}
    queues.send_batch(PAYMENTS_QUEUE, [message, message])
    runtime.drain()
    assert wallet(http, freelancer) == before and sandbox.moved(payout["payout_id"]) == 1


# --- concurrency --------------------------------------------------------------------------------

def test_fifty_identical_payout_requests_with_one_key_make_one_payout(http, runtime, world):
    freelancer = earn(http, runtime, world.admin, world.employer, 100000)
    call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])
    same, body = idempotency_key(), {"amount": {"amount": 1000, "currency": "USD"}}
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: call(http, "POST", "/me/payouts", body, token=freelancer["token"], headers=same), range(50)))
    assert {status for status, _ in answers} == {202}
    assert len({a["payout_id"] for _, a in answers}) == 1
    assert wallet(http, freelancer)["balance"]["amount"] == 90000 - 1000
    runtime.drain()


def test_fifty_payouts_against_a_balance_for_ten_pay_exactly_ten(http, runtime, world):
    freelancer = earn(http, runtime, world.admin, world.employer, 100000)  # 90,000: ten payouts of 9,000
    call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])
    body = {"amount": {"amount": 9000, "currency": "USD"}}
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: call(http, "POST", "/me/payouts", body, token=freelancer["token"], headers=idempotency_key()), range(50)))
    accepted = [a for s, a in answers if s == 202]
    refused = [a for s, a in answers if s == 409]
    assert len(accepted) == 10 and len(refused) == 40 and {a["Code"] for a in refused} == {"InsufficientFunds"}
    mine = wallet(http, freelancer)
    assert (mine["balance"]["amount"], mine["held"]["amount"]) == (0, 90000)
    runtime.drain()
    mine = wallet(http, freelancer)
    assert (mine["balance"]["amount"], mine["held"]["amount"]) == (0, 0)
    assert sum(1 for p in call(http, "GET", "/me/payouts?limit=100", token=freelancer["token"])[1]["items"] if p["status"] == "paid") == 10


# --- no account number or UPI id in clear anywhere ---------------------------------------------------

def test_no_account_number_or_upi_id_is_in_any_table_queue_message_or_log_line(http, runtime, world, capfd):
    freelancer = earn(http, runtime, world.admin, world.employer, 20000)
    number, upi = "55501234" + str(uuid.uuid4().int)[:6], f"secret{uuid.uuid4().hex[:6]}@okhdfc"
    call(http, "PUT", "/me/payout-method", {**BANK, "account_number": number}, token=freelancer["token"])
    call(http, "POST", "/me/payouts", {"amount": {"amount": 5000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="marketplace-local-payments")["QueueUrl"]
    runtime.pump_streams()  # the payout's message is on the queue now, not yet delivered
    queued = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    call(http, "PUT", "/me/payout-method", {"type": "upi", "upi_id": upi}, token=freelancer["token"])
    call(http, "POST", "/me/payouts", {"amount": {"amount": 5000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())
    runtime.drain()
    dlq = sqs.receive_message(QueueUrl=sqs.get_queue_url(QueueName="marketplace-local-payments-dlq")["QueueUrl"],
                              MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName="marketplace-local-main")
    table = json.dumps([page["Items"] for page in pages])
    logged = capfd.readouterr()
    everything = "\n".join([table, json.dumps(queued), json.dumps(dlq), logged.out, logged.err])
    assert queued and freelancer["user_id"] in json.dumps(queued)
    for secret in (number, number[1:], upi, upi.split("@")[0]):
        assert secret not in everything
    assert number[-4:] in table  # the masked form is what is kept in clear


# --- retries, the DLQ and the stuck-payment watch ---------------------------------------------------

def test_a_payout_the_gateway_keeps_refusing_goes_to_the_dlq_and_the_watch_counts_and_requeues_it(http, runtime, world, sandbox, capfd):
    from chalicelib.adapters import queues
    from chalicelib.core import clock
    from chalicelib.core.resources import PAYMENTS_QUEUE
    from chalicelib.services import settlement

    assert [queues.backoff_seconds(n) for n in (1, 2, 3, 6, 8)] == [30, 60, 120, 900, 900]
    freelancer = earn(http, runtime, world.admin, world.employer, 10000)
    call(http, "PUT", "/me/payout-method", BANK, token=freelancer["token"])
    sandbox.steer(*["unavailable"] * PAYMENTS_QUEUE.max_receive_count)
    payout = call(http, "POST", "/me/payouts", {"amount": {"amount": 9000, "currency": "USD"}}, token=freelancer["token"], headers=idempotency_key())[1]
    runtime.drain()
    sqs = boto3.client("sqs")
    dlq = sqs.get_queue_url(QueueName=PAYMENTS_QUEUE.dlq_name)["QueueUrl"]
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    assert any(json.loads(m["Body"])["id"] == payout["payout_id"] for m in dead)
    for m in dead:
        sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
    assert call(http, "GET", "/me/payouts", token=freelancer["token"])[1]["items"][0]["status"] == "pending"
    assert wallet(http, freelancer)["held"]["amount"] == 9000

    capfd.readouterr()
    runtime.run_job("watch_payments")  # not yet past the threshold
    assert '"PaymentsStuckPending":[0.0]' in capfd.readouterr().out
    clock.advance(settlement.STUCK_AFTER_SECONDS + 60)
    runtime.run_job("watch_payments")
    out = capfd.readouterr().out
    assert '"PaymentsStuckPending":[' in out and '"PaymentsStuckPending":[0.0]' not in out
    runtime.drain()
    token = call(http, "POST", "/auth/login", {"email": freelancer["email"], "password": freelancer["password"]})[1]["token"]
    assert call(http, "GET", "/me/payouts", token=token)[1]["items"][0]["status"] == "paid"
    assert sandbox.moved(payout["payout_id"]) == 1


def test_a_user_who_has_not_accepted_the_policy_in_effect_cannot_pay_out_but_sees_the_wallet(http, runtime, world, earner):
    from chalicelib.repos import users
    from tests.helpers import login

    earner = {**earner, "token": login(http, earner)[1]["token"]}  # earlier tests may have moved the clock past the token's hour
    account = users.UserItem(users.user_pk(earner["user_id"]), "ACCOUNT")
    account.update(actions=[users.UserItem.policy_version.set("0.9")])
    try:
        status, error = call(http, "POST", "/me/payouts", {"amount": {"amount": 100, "currency": "USD"}}, token=earner["token"], headers=idempotency_key())
        assert (status, error["Code"]) == (403, "PolicyNotAccepted")
        assert wallet(http, earner)["balance"]["amount"] == 9000
        assert call(http, "GET", "/me/payout-method", token=earner["token"])[0] == 200
    finally:
        account.update(actions=[users.UserItem.policy_version.set("1.0")])

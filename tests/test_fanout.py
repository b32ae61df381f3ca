"""The fan-out behind policy notices, announcements and campaigns: every member is
reached once even when SQS delivers a batch twice or SES refuses a call; a batch SES
keeps refusing ends in the DLQ with nobody marked as told; sending keeps to the pace
of the account's SES quota; the in-app list shows notices and announcements only."""
from __future__ import annotations

import json

import boto3
import pytest

from tests.helpers import admin_token, call, register


@pytest.fixture(scope="module")
def people(http, runtime, admin):
    return {"a": register(http, runtime, "freelancer"), "b": register(http, runtime, "employer"), "admin": admin_token(http, admin)}


def _mail(user, subject):
    from local import outbox

    return [m for m in outbox.messages(user["email"]) if m["subject"] == subject]


def _announce(http, people, subject):
    status, accepted = call(http, "POST", "/admin/announcements", {"kind": "service", "subject": subject, "body": "Maintenance on Sunday."},
                            token=people["admin"])
    assert status == 202
    return accepted["announcement_id"]


@pytest.fixture
def ses_refuses():
    """SES (the emulator, not our code) refusing the next `n` bulk sends as throttled."""
    from moto.ses.exceptions import MessageRejectedError
    from moto.ses.models import SESBackend

    original = SESBackend.send_bulk_templated_email
    left = {"n": 0}

    def refusing(self, *args, **kwargs):
        if left["n"] > 0:
            left["n"] -= 1
            raise MessageRejectedError("Maximum sending rate exceeded.")
        return original(self, *args, **kwargs)

    SESBackend.send_bulk_templated_email = refusing
    yield left
    SESBackend.send_bulk_templated_email = original


def test_an_announcement_reaches_each_member_once_even_when_sqs_delivers_a_batch_twice(http, runtime, people):
    from chalicelib.adapters import queues
    from chalicelib.core.resources import FANOUT_QUEUE

    fanout_id = _announce(http, people, "Maintenance window")
    runtime.drain()
    for who in ("a", "b"):
        got = _mail(people[who], "Maintenance window")
        assert len(got) == 1 and "Maintenance on Sunday." in got[0]["body"] and "service message" in got[0]["body"]
        notices = call(http, "GET", "/me/notices", token=people[who]["token"])[1]["items"]
        assert (notices[0]["notice_id"], notices[0]["purpose"], notices[0]["topic"]) == (fanout_id, "announcement", "service")
    assert _mail({"email": "admin@local.test"}, "Maintenance window") == []  # staff accounts are not members
    queues.send_batch(FANOUT_QUEUE, [{"fanout_id": fanout_id, "users": [people["a"]["user_id"], people["b"]["user_id"]]}])
    runtime.drain()
    assert len(_mail(people["a"], "Maintenance window")) == 1 and len(_mail(people["b"], "Maintenance window")) == 1


def test_a_batch_ses_refuses_is_sent_on_a_later_delivery_and_one_it_always_refuses_ends_in_the_dlq(http, runtime, people, ses_refuses):
    from chalicelib.core.resources import FANOUT_QUEUE

    ses_refuses["n"] = 2
    _announce(http, people, "Refused twice")
    runtime.drain()
    assert len(_mail(people["a"], "Refused twice")) == 1 and len(_mail(people["b"], "Refused twice")) == 1

    ses_refuses["n"] = 10**6
    fanout_id = _announce(http, people, "Always refused")
    runtime.drain()
    ses_refuses["n"] = 0
    assert _mail(people["a"], "Always refused") == []
    subjects = [n["subject"] for n in call(http, "GET", "/me/notices", token=people["a"]["token"])[1]["items"]]
    assert "Always refused" not in subjects  # nobody is marked as told what they were not sent
    sqs = boto3.client("sqs")
    dlq = sqs.get_queue_url(QueueName=FANOUT_QUEUE.dlq_name)["QueueUrl"]
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    bodies = [json.loads(m["Body"]) for m in dead]
    assert any(b["fanout_id"] == fanout_id and people["a"]["user_id"] in b.get("users", []) for b in bodies)
    assert all("@" not in m["Body"] for m in dead)  # ids only: no address waits in the DLQ
    for m in dead:
        sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])


def test_campaign_email_is_not_listed_in_app(http, runtime, people):
    call(http, "PUT", "/me/consents", {"marketing": True}, token=people["a"]["token"])
    call(http, "POST", "/admin/campaigns", {"subject": "Offer of the week", "body": "Half price."}, token=people["admin"])
    runtime.drain()
    assert len(_mail(people["a"], "Offer of the week")) == 1
    subjects = [n["subject"] for n in call(http, "GET", "/me/notices", token=people["a"]["token"])[1]["items"]]
    assert "Offer of the week" not in subjects and "Maintenance window" in subjects


def test_sending_keeps_to_the_share_of_the_ses_quota(cloud):
    from chalicelib.adapters import messaging

    rate = messaging.send_rate()
    assert rate == 500  # what the local cloud reports (LOCAL_SES_MAX_SEND_RATE), as an account reports its quota
    pacer = messaging.Pacer(share=0.1)  # 50 recipients a second
    assert pacer.wait(25) == 0  # the first send goes at once
    waited = pacer.wait(25)  # the next waits until the first 25 fit in the rate
    assert 0.4 < waited <= 0.5


def test_announcement_input_and_who_may_send(http, people):
    too_long = {"kind": "service", "subject": "x" * 201, "body": "y"}
    assert call(http, "POST", "/admin/announcements", too_long, token=people["admin"])[0] == 400
    header = {"kind": "service", "subject": "Hi\r\nBcc: all@example.com", "body": "y"}
    assert call(http, "POST", "/admin/announcements", header, token=people["admin"])[0] == 400
    assert call(http, "POST", "/admin/announcements", {"kind": "service", "subject": "Hi", "body": "y"}, token=people["a"]["token"])[0] == 403
    assert call(http, "GET", "/me/notices")[0] == 401

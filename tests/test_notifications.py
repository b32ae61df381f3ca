"""A notification written to the table is delivered through stream -> queue -> SES/SNS,
and nothing personal outlives its purpose."""
from __future__ import annotations

import json
import uuid

import boto3

from chalicelib.core import clock
from chalicelib.repos import notifications as repo
from chalicelib.services import notifications
from local import outbox


def test_email_goes_out_once_and_the_item_keeps_no_contents(runtime):
    to = f"n-{uuid.uuid4().hex[:8]}@example.com"
    nid = notifications.send("email", to, "Welcome", "Hello there", user_id="u-1", purpose="welcome")
    runtime.drain()
    runtime.drain()  # a second drain finds nothing more to send
    sent = outbox.messages(to)
    assert [(m["channel"], m["subject"], m["body"]) for m in sent] == [("email", "Welcome", "Hello there")]
    item = repo.get(nid)
    assert item.status == repo.SENT
    assert item.to is None and item.body is None and item.subject is None
    assert item.expires_at > clock.now_ts()


def test_queue_payload_carries_only_the_id(runtime, cloud):
    to = "+1555" + str(uuid.uuid4().int)[:7]
    nid = notifications.send("sms", to, "", "Your code is 123456")
    # run only the stream side, then look at what sits on the queue
    runtime.pump_streams()
    sqs = boto3.client("sqs")
    from chalicelib.core.resources import NOTIFICATIONS_QUEUE

    url = sqs.get_queue_url(QueueName=NOTIFICATIONS_QUEUE.name)["QueueUrl"]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])]
    assert json.dumps({"notification_id": nid}) in bodies
    assert all(to not in b and "123456" not in b for b in bodies)
    runtime.drain()
    assert [m["body"] for m in outbox.messages(to)] == ["Your code is 123456"]


def test_scheduled_notification_waits_for_its_time(runtime):
    to = f"later-{uuid.uuid4().hex[:8]}@example.com"
    notifications.send("email", to, "Reminder", "Your account will be erased in 3 days", send_at=clock.now_ts() + 3600)
    runtime.drain()
    assert outbox.messages(to) == []
    fired = runtime.advance_clock(3600 + 301)
    assert any(f["function"] == "release_due_notifications" and f["ok"] for f in fired)
    runtime.drain()
    assert [m["subject"] for m in outbox.messages(to)] == ["Reminder"]


def test_undeliverable_notification_ends_in_the_dead_letter_queue(runtime):
    nid = notifications.send("email", "not-an-address", "x", "y")
    runtime.drain()
    sqs = boto3.client("sqs")
    from chalicelib.core.resources import NOTIFICATIONS_QUEUE

    dlq = sqs.get_queue_url(QueueName=NOTIFICATIONS_QUEUE.dlq_name)["QueueUrl"]
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert json.dumps({"notification_id": nid}) in [m["Body"] for m in dead]
    assert repo.get(nid).status == repo.QUEUED  # never marked sent

"""A notification written to the table is delivered through stream -> queue -> SES/SNS,
and nothing personal outlives its purpose."""
from __future__ import annotations

import json
import uuid

import boto3
import pytest

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


# --- two copies of one message at once: a lease, so that only one sends ------------------------

def _queued_email() -> tuple[str, str]:
    to = f"lease-{uuid.uuid4().hex[:8]}@example.com"
    return notifications.send("email", to, "Lease", "Sent once"), to


def test_two_copies_delivered_at_the_same_moment_send_one_email(runtime):
    """The second copy runs in the window between the first's claim and its send (just
    before its SES request goes out), and again on threads started together."""
    from tests.faults import meanwhile

    nid, to = _queued_email()
    def second_copy() -> str:
        try:
            notifications.deliver(nid)
        except notifications.StillSending:
            return "comes back later"
        return "went on"

    with meanwhile("ses", "SendEmail", second_copy, matching="Lease") as second:
        assert notifications.deliver(nid) is True
    assert second == ["comes back later"]  # it saw the lease and failed without sending, for the queue to retry
    assert notifications.deliver(nid) is False  # that retry: sent already
    assert len(outbox.messages(to)) == 1 and repo.get(nid).status == repo.SENT

    import threading

    nid, to = _queued_email()
    start, results = threading.Barrier(4), []

    def copy() -> None:
        start.wait()
        try:
            results.append(notifications.deliver(nid))
        except notifications.StillSending:
            results.append(False)  # its retry finds it sent

    workers = [threading.Thread(target=copy) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    runtime.drain()  # and the stream's own message for it, later: sent already
    assert sorted(results) == [False, False, False, True]
    assert len(outbox.messages(to)) == 1


def test_a_failed_send_gives_the_lease_back_and_the_retry_sends_once(runtime):
    import pytest
    from botocore.exceptions import ClientError

    from tests.faults import Fault, inject

    nid, to = _queued_email()
    with inject(Fault("ses", "SendEmail", "5xx", times=None)), pytest.raises(ClientError):
        notifications.deliver(nid)
    item = repo.get(nid)
    assert item.status == repo.QUEUED and item.claimed_at is None and item.to == to  # retryable, contents kept
    assert outbox.messages(to) == []
    assert notifications.deliver(nid) is True
    assert notifications.deliver(nid) is False  # a late copy
    assert len(outbox.messages(to)) == 1


def test_a_lease_older_than_the_queue_visibility_is_taken_over(runtime):
    from chalicelib.core.resources import NOTIFICATIONS_QUEUE

    nid, to = _queued_email()
    assert repo.claim(repo.get(nid), notifications.LEASE_SECONDS) is not None  # a delivery that died mid-send
    with pytest.raises(notifications.StillSending):
        notifications.deliver(nid)  # its lease is live: this copy fails, for the queue to bring it back
    assert outbox.messages(to) == []
    clock.advance(NOTIFICATIONS_QUEUE.visibility_timeout + 1)  # its message is back on the queue by now
    assert notifications.deliver(nid) is True
    assert len(outbox.messages(to)) == 1 and repo.get(nid).claimed_at is None


def test_the_copy_redelivered_after_a_crash_mid_send_sends_it(runtime):
    """SQS counts the visibility timeout from the receive; the lease is counted from the
    claim, seconds later (a cold start). The copy that comes back after the holder died
    must still send: it is the message's last copy."""
    from chalicelib.core.resources import NOTIFICATIONS_QUEUE

    nid, to = _queued_email()
    clock.advance(NOTIFICATIONS_QUEUE.consumer_timeout)  # the function started late: a slow cold start
    assert repo.claim(repo.get(nid), notifications.LEASE_SECONDS) is not None  # claims, and dies mid-send
    clock.advance(NOTIFICATIONS_QUEUE.visibility_timeout - NOTIFICATIONS_QUEUE.consumer_timeout + 0.5)  # visible again
    assert notifications.deliver(nid) is True
    runtime.drain()
    assert len(outbox.messages(to)) == 1 and repo.get(nid).status == repo.SENT


def test_a_notification_erased_while_it_is_being_sent_is_not_written_back(runtime):
    nid, to = _queued_email()
    item = repo.get(nid)
    claimed = repo.claim(item, notifications.LEASE_SECONDS)
    assert claimed is not None
    item.delete()  # the erasure deletes the user's notifications meanwhile
    assert repo.mark_sent(item, claimed) is False and repo.unclaim(item, claimed) is False
    assert repo.get(nid) is None  # not resurrected by the update


def test_a_lease_and_its_release_do_not_queue_the_notification_again():
    from chalicelib.core.changes import Change

    def change(old: str, new: str) -> Change:
        return Change(table="t", keys={}, kind="MODIFY", old={"kind": "notification", "notification_id": "n", "status": old},
                      new={"kind": "notification", "notification_id": "n", "status": new}, by_ttl=False, sequence="1")

    assert notifications.select([change(repo.SCHEDULED, repo.QUEUED)]) == [{"notification_id": "n"}]
    for old, new in [(repo.QUEUED, repo.SENDING), (repo.SENDING, repo.QUEUED), (repo.SENDING, repo.SENT)]:
        assert notifications.select([change(old, new)]) == [], (old, new)  # counted (NotificationsQueued) once

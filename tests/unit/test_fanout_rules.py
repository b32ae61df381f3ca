"""Fan-out (`chalicelib.services.fanout`) with fakes of its repository and the queue:
how an audience is split into pages and batches, ids only."""
from __future__ import annotations

import json

from chalicelib.core.changes import Change
from chalicelib.core.resources import FANOUT_QUEUE
from chalicelib.services import fanout


def change(kind: str, old: dict | None, new: dict | None, by_ttl: bool = False) -> Change:
    return Change(table="main", keys={"pk": "x", "sk": "y"}, kind=kind, old=old, new=new, by_ttl=by_ttl, sequence="1")


def test_only_a_new_fan_out_starts_one():
    changes = [
        change("INSERT", None, {"kind": "fanout", "fanout_id": "f1"}),
        change("MODIFY", {"kind": "fanout", "fanout_id": "f2"}, {"kind": "fanout", "fanout_id": "f2"}),
        change("INSERT", None, {"kind": "notice", "fanout_id": "f3"}),
        change("REMOVE", {"kind": "fanout", "fanout_id": "f4"}, None),
    ]
    assert fanout.select(changes) == [{"fanout_id": "f1", "cursor": None}]


def test_a_page_is_split_into_batches_of_ids_and_the_next_page_is_queued(fakes, monkeypatch):
    monkeypatch.setattr(fanout, "PAGE_SIZE", 120)
    fakes.fanouts.add("f1")
    fakes.fanouts.audiences["members"] = [f"u{i:03d}" for i in range(300)]
    assert fanout.page("f1", None) == 120
    sent = fakes.queues.of(FANOUT_QUEUE)
    batches, rest = [m for m in sent if "users" in m], [m for m in sent if "cursor" in m]
    assert [len(m["users"]) for m in batches] == [fanout.BATCH_SIZE, fanout.BATCH_SIZE, 20]
    assert all(set(m) == {"fanout_id", "users"} for m in batches)  # ids only: no address is queued
    assert rest == [{"fanout_id": "f1", "cursor": json.dumps({"after": "u119"}, sort_keys=True)}]


def test_following_the_cursors_reaches_every_member_once(fakes, monkeypatch):
    monkeypatch.setattr(fanout, "PAGE_SIZE", 70)
    fakes.fanouts.add("f1")
    members = [f"u{i:03d}" for i in range(230)]
    fakes.fanouts.audiences["members"] = members
    fakes.queues.send_batch(FANOUT_QUEUE, fanout.select([change("INSERT", None, {"kind": "fanout", "fanout_id": "f1"})]))
    reached: list[str] = []
    handled = 0
    while handled < len(fakes.queues.of(FANOUT_QUEUE)):
        message = fakes.queues.of(FANOUT_QUEUE)[handled]
        handled += 1
        if "users" in message:
            reached += message["users"]
        else:
            fanout.handle(message)
    assert sorted(reached) == members and len(reached) == len(set(reached))


def test_the_last_page_queues_no_cursor(fakes):
    fakes.fanouts.add("f1", audience="marketing")
    fakes.fanouts.audiences["marketing"] = ["u1", "u2"]
    assert fanout.page("f1", None) == 2
    assert fakes.queues.of(FANOUT_QUEUE) == [{"fanout_id": "f1", "users": ["u1", "u2"]}]


def test_a_fan_out_that_is_gone_sends_nothing(fakes):
    assert fanout.page("missing", None) == 0
    assert fanout.batch("missing", ["u1"]) == 0
    assert fakes.queues.sent == {}


def test_an_empty_audience_sends_nothing(fakes):
    fakes.fanouts.add("f1")
    assert fanout.page("f1", None) == 0
    assert fakes.queues.sent == {}


def test_members_who_joined_late_get_the_same_batches(fakes):
    users = [f"late{i}" for i in range(fanout.BATCH_SIZE + 1)]
    assert fanout.send_to("f1", users) == len(users)
    assert [m["users"] for m in fakes.queues.of(FANOUT_QUEUE)] == [users[:fanout.BATCH_SIZE], users[fanout.BATCH_SIZE:]]
    assert fanout.send_to("f1", []) == 0
    assert len(fakes.queues.of(FANOUT_QUEUE)) == 2


def test_a_failed_message_backs_off_on_the_fanout_queue(fakes):
    fanout.back_off("receipt-1", 3)
    assert fakes.queues.backoffs == [(FANOUT_QUEUE.name, "receipt-1", 3)]

"""The table's stream has one reader, `route_changes`: it decodes each record once and
hands each concern what it selects to the concern's own queue. A concern that keeps
failing (its selection or its consumer) leaves the others' work flowing and its own
records in its own DLQ; a hand-off SQS refuses fails the batch after the others have
been handed theirs."""
from __future__ import annotations

import json

import pytest

from chalicelib.core import resources as r
from tests.helpers import admin_token, call, register, text_tag, verified

ARN = f"arn:aws:dynamodb:us-east-1:000000000000:table/{r.MAIN_TABLE.name}/stream/2026-01-01T00:00:00.000"
TTL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def _s(**values):
    return {k: ({"N": str(v)} if isinstance(v, (int, float)) else {"BOOL": v} if isinstance(v, bool) else {"S": v})
            for k, v in values.items()}


def _record(n: int, name: str, old: dict | None = None, new: dict | None = None, ttl: bool = False) -> dict:
    body = {"ApproximateCreationDateTime": 1795000000, "Keys": _s(pk=f"PK#{n}", sk=f"SK#{n}"), "SequenceNumber": str(1000 + n), "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if old:
        body["OldImage"] = _s(pk=f"PK#{n}", sk=f"SK#{n}", **old)
    if new:
        body["NewImage"] = _s(pk=f"PK#{n}", sk=f"SK#{n}", **new)
    return {"eventID": str(n), "eventName": name, "eventSource": "aws:dynamodb", "eventSourceARN": ARN, "dynamodb": body,
            **({"userIdentity": TTL} if ttl else {})}


MIXED = [
    _record(1, "INSERT", new={"kind": "notification", "notification_id": "n1", "status": "queued", "to": "someone@example.com"}),
    _record(2, "INSERT", new={"kind": "bid", "bid_id": "b1", "project_id": "p1", "owner_id": "u-owner", "freelancer_id": "u-free",
                              "status": "live"}),
    _record(3, "MODIFY", old={"kind": "payout", "status": "requested", "user_id": "u1", "payout_id": "po1"},
            new={"kind": "payout", "status": "pending", "user_id": "u1", "payout_id": "po1"}),
    _record(4, "REMOVE", old={"kind": "deletion", "user_id": "u2", "token_hash": "h", "outcome": "erase"}, ttl=True),
    _record(5, "REMOVE", old={"kind": "deletion", "user_id": "u3", "token_hash": "h", "outcome": "erase"}),  # cancelled: nothing
    _record(6, "INSERT", new={"kind": "export", "user_id": "u4", "export_id": "e1", "status": "pending"}),
    _record(7, "REMOVE", old={"kind": "export_expiry", "user_id": "u4", "export_id": "e0"}, ttl=True),
    _record(8, "INSERT", new={"kind": "fanout", "fanout_id": "f1"}),
    _record(9, "INSERT", new={"kind": "policy", "version": "2.0", "effective_at": 1800000000.5, "summary": "S"}),
    _record(10, "MODIFY", old={"kind": "user", "user_id": "u5", "status": "pending", "role": "freelancer"},
            new={"kind": "user", "user_id": "u5", "status": "active", "role": "freelancer", "policy_version": "1.0"}),
    _record(11, "INSERT", new={"kind": "audit", "action": "x"}),  # nobody's concern
]


@pytest.fixture
def handed(monkeypatch):
    """What the router hands each queue (and each DLQ), instead of sending it."""
    from chalicelib.adapters import queues

    sent: dict[str, list[dict]] = {}
    monkeypatch.setattr(queues, "send_batch", lambda q, payloads: sent.setdefault(q.logical, []).extend(payloads))
    monkeypatch.setattr(queues, "send_dead_letters", lambda q, payloads: sent.setdefault(f"dlq:{q.logical}", []).extend(payloads))
    return sent


def _route(app, records: list[dict]) -> None:
    from chalice.local import LambdaContext

    app.handler_map["route_changes"]({"Records": records}, LambdaContext("route_changes", 512, 60000))


def test_the_stream_has_one_reader_and_every_stream_concern_a_queue_with_a_dead_letter_queue(app):
    from chalice.app import DynamoDBEventConfig

    readers = [s.name for s in app.event_sources if isinstance(s, DynamoDBEventConfig)]
    assert readers == ["route_changes"]  # DynamoDB Streams throttles more than two readers of a shard
    from chalicelib.services import changes

    assert set(changes.concerns()) == set(r.STREAM_CONCERNS)
    consumed = {s.queue for s in app.event_sources if getattr(s, "queue", None)}
    for queue in r.STREAM_CONCERNS.values():
        assert queue.dead_letter and queue.name in consumed, queue.logical


def test_the_router_decodes_each_record_once_and_hands_each_change_to_the_queue_of_its_concern(app, handed, monkeypatch):
    from chalicelib.core import changes

    decoded = []
    real = changes.decode
    monkeypatch.setattr(changes, "decode", lambda record: decoded.append(record["eventID"]) or real(record))
    _route(app, MIXED)
    assert decoded == [str(n) for n in range(1, 12)]  # once each, for all seven concerns
    assert handed == {
        "notifications": [{"notification_id": "n1"}],
        "notices": [{"bid_id": "b1", "project_id": "p1", "recipient": "u-owner", "was": None, "status": "live"}],
        "payments": [{"what": "payout", "user_id": "u1", "id": "po1"}],
        "erasure": [{"user_id": "u2", "token_hash": "h", "outcome": "erase"}],
        "exports": [{"user_id": "u4", "export_id": "e1"}, {"user_id": "u4", "export_id": "e0", "expire": True}],
        "fanout": [{"fanout_id": "f1", "cursor": None}],
        "policies": [{"version": "2.0", "effective_at": 1800000000.5}, {"joined": [["u5", "1.0"]]}],
    }
    assert "someone@example.com" not in json.dumps(handed)  # ids only, never an address


def test_a_change_is_plain_python(app):
    from decimal import Decimal

    from chalicelib.core.changes import decode

    change = decode(MIXED[8])
    assert change.kind == "INSERT" and change.table == r.MAIN_TABLE.name and change.keys == {"pk": "PK#9", "sk": "SK#9"}
    assert change.new["effective_at"] == Decimal("1800000000.5") and change.old is None and change.sequence == "1009"
    assert decode(MIXED[3]).by_ttl and not decode(MIXED[4]).by_ttl and decode(MIXED[3]).item_kind == "deletion"


def test_a_concern_whose_selection_fails_on_a_record_sends_its_keys_to_its_own_dlq_and_the_others_flow(app, handed, monkeypatch):
    from chalicelib.services import settlement

    real = settlement.select

    def broken(changes):
        if any(c.new and c.new.get("kind") == "payout" for c in changes):
            raise KeyError("a bug")
        return real(changes)

    monkeypatch.setattr(settlement, "select", broken)
    _route(app, MIXED)  # no exception: the batch is not retried, nobody else's work replayed
    assert "payments" not in handed or handed["payments"] == []
    (dead,) = handed["dlq:payments"]
    assert dead == {"concern": "payments", "unselected": {"table": r.MAIN_TABLE.name, "keys": {"pk": "PK#3", "sk": "SK#3"},
                                                          "event": "MODIFY", "sequence": "1003", "by_ttl": False}}
    for concern in ("notifications", "notices", "erasure", "exports", "fanout", "policies"):
        assert handed[concern], concern


def test_a_hand_off_sqs_refuses_fails_the_batch_after_every_other_concern_was_handed_its_messages(app, monkeypatch):
    from chalicelib.adapters import queues
    from chalicelib.services.changes import HandOffFailed

    sent = []

    def send(queue, payloads):
        if queue is r.PAYMENTS_QUEUE:
            raise RuntimeError("SQS unavailable")
        sent.append(queue.logical)

    monkeypatch.setattr(queues, "send_batch", send)
    with pytest.raises(HandOffFailed):
        _route(app, MIXED)  # Lambda retries the batch; every hand-off is idempotent
    assert sorted(sent) == sorted(set(r.STREAM_CONCERNS) - {"payments"})


def test_a_record_that_does_not_decode_goes_to_every_concerns_dlq_as_its_position_and_the_batch_flows(app, handed):
    import base64

    malformed = _record(12, "INSERT", new={"kind": "notification", "notification_id": "n9", "status": "queued",
                                           "to": "secret@example.com"})
    malformed["dynamodb"]["NewImage"]["body"] = {"XS": "not a DynamoDB type"}  # a malformed image
    binary = _record(13, "INSERT", new={"kind": "audit", "action": "y"})
    binary["dynamodb"]["NewImage"]["blob"] = {"B": base64.b64encode(b"\x00\xffbytes").decode()}  # as the stream gives it
    binary["dynamodb"]["NewImage"]["blobs"] = {"BS": [base64.b64encode(b"a").decode(), base64.b64encode(b"b").decode()]}
    binary["dynamodb"]["NewImage"]["nested"] = {"M": {"inner": {"L": [{"B": base64.b64encode(b"c").decode()}]}}}
    _route(app, [*MIXED[:5], malformed, *MIXED[5:], binary])  # no exception: the batch is not retried
    for concern in r.STREAM_CONCERNS:  # everyone's work arrived
        assert handed[concern], concern
    assert handed["notifications"] == [{"notification_id": "n1"}]  # the malformed one is not queued...
    for concern in r.STREAM_CONCERNS:  # ...its position is in every concern's DLQ, and only its position
        (dead,) = handed[f"dlq:{concern}"]
        assert dead["concern"] == concern and set(dead["unselected"]) == {"event_id", "sequence", "keys_hash", "undecodable"}
        assert dead["unselected"]["event_id"] == "12" and dead["unselected"]["sequence"] == "1012"
    dumped = json.dumps(handed)
    assert "secret@example.com" not in dumped and "n9" not in dumped and "PK#12" not in dumped


def test_binary_attributes_decode_to_bytes():
    import base64

    from chalicelib.core.changes import decode

    record = _record(1, "INSERT", new={"kind": "file"})
    record["dynamodb"]["NewImage"]["blob"] = {"B": base64.b64encode(b"\x00\xff").decode()}
    record["dynamodb"]["NewImage"]["blobs"] = {"BS": [base64.b64encode(b"a").decode()]}
    record["dynamodb"]["NewImage"]["nested"] = {"M": {"l": {"L": [{"B": base64.b64encode(b"c").decode()}, {"S": "s"}]}}}
    new = decode(record).new
    assert bytes(new["blob"]) == b"\x00\xff" and {bytes(b) for b in new["blobs"]} == {b"a"}
    assert bytes(new["nested"]["l"][0]) == b"c" and new["nested"]["l"][1] == "s"


def test_an_email_claims_key_in_a_dead_letter_is_a_keyed_hash_not_a_hash_of_the_address(cloud):
    """`EMAIL#<hash>` keys reach DLQs (a concern that cannot select a change): the hash is
    an HMAC under the platform's key, so the address cannot be found from it by hashing guesses."""
    import hashlib
    import hmac

    from chalicelib.security import vault
    from chalicelib.services import accounts

    address = "someone@example.com"
    assert accounts.email_hash(address) == hmac.new(vault.platform_key(), f"email:{address}".encode(), hashlib.sha256).hexdigest()
    assert accounts.email_hash(address) not in {hashlib.sha256(address.encode()).hexdigest(), hashlib.md5(address.encode()).hexdigest()}


@pytest.mark.parametrize("effective_at", [1800000000.5, 1800000000.0005, 1800000000.9995, 1800000000.123456, 1800000000.1 + 0.2, 1800000000])
def test_the_policies_consumer_looks_a_version_up_by_the_key_it_was_stored_under(effective_at):
    """The stream gives `effective_at` as the number DynamoDB stored, the router hands it as a
    float through JSON, and the consumer builds the sort key from it: the same key the
    version was written under, whatever its decimals."""
    from decimal import Decimal

    from pynamodb.attributes import NumberAttribute

    from chalicelib.core.changes import Change
    from chalicelib.repos import policies as repo
    from chalicelib.services import policy_notices as policies

    item = repo.build("9.9", effective_at, "S", "T")
    stored = NumberAttribute().serialize(item.effective_at)  # what the table (and so the stream) holds
    change = Change(table="t", keys={}, kind="INSERT", old=None, by_ttl=False, sequence="1",
                    new={"kind": "policy", "version": "9.9", "effective_at": Decimal(stored)})
    (message,) = json.loads(json.dumps(policies.select([change])))
    assert repo._sk(float(message["effective_at"]), message["version"]) == item.sk

# --- end to end on the local stack ---------------------------------------------------------------

def _dead_letters(queue: r.Queue) -> list[dict]:
    import boto3

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue.dlq_name)["QueueUrl"]
    found: dict[str, dict] = {}
    handles = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", []):
        for m in batch:
            found[m["MessageId"]] = json.loads(m["Body"])
            handles.append(m["ReceiptHandle"])
    for handle in handles:  # left as they were, for whoever reads them next
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return list(found.values())


@pytest.fixture(scope="module")
def people(http, runtime, admin):
    tok = admin_token(http, admin)
    return verified(http, runtime, tok, "employer"), verified(http, runtime, tok, "freelancer")


def _bid_and_export(http, runtime, employer, freelancer) -> tuple[str, str, dict]:
    """A bid (a bid notice for the employer) and, meanwhile, a new user's signup (an SMS)
    and an export (a file and an email)."""
    title = f"Router {text_tag()}"
    status, project = call(http, "POST", "/projects", {"title": title, "description": "x", "budget": {"amount": 900, "currency": "USD"}},
                           token=employer["token"])
    assert status == 201
    status, bid = call(http, "POST", f"/projects/{project['project_id']}/bids",
                       {"amount": {"amount": 900, "currency": "USD"}, "cover_letter": "Me", "delivery_days": 2}, token=freelancer["token"])
    assert status == 201
    status, export = call(http, "POST", "/me/exports", token=freelancer["token"])
    assert status == 202
    newcomer = register(http, runtime, "freelancer")  # its code comes by SMS: the notifications concern
    runtime.drain()
    found = call(http, "GET", f"/me/exports/{export['export_id']}", token=freelancer["token"])[1]
    assert found["status"] == "ready", found  # the exports concern flowed
    assert call(http, "GET", "/me", token=newcomer["token"])[0] == 200
    return title, bid["bid_id"], found


def _recording_stream_runs(runtime, monkeypatch) -> list[dict]:
    """Every stream function run the local runtime makes from here on, as it reports them."""
    ran: list[dict] = []
    original = runtime.pump_streams
    monkeypatch.setattr(runtime, "pump_streams", lambda: ran.extend(step := original()) or step)
    return ran


def _mails_about(http, to: str, title: str) -> list[dict]:
    return [m for m in call(http, "GET", f"/_dev/outbox?to={to}")[1]["items"] if title in m["body"]]


def _stream_ran_once_each(ran: list[dict]) -> None:
    routed = [x for x in ran if x["function"] == "route_changes"]
    assert routed and all(x["ok"] and x["attempt"] == 1 for x in routed), routed  # never retried: nothing replayed


def test_a_concern_whose_selection_keeps_failing_leaves_the_others_flowing_and_its_records_in_its_dlq(http, runtime, people,
                                                                                                      monkeypatch):
    from chalicelib.services import notices

    employer, freelancer = people
    runtime.drain()
    before = len(_dead_letters(r.NOTICES_QUEUE))

    def broken(changes):
        raise RuntimeError("a bug in the bid notices' selection")

    monkeypatch.setattr(notices, "select", broken)
    ran = _recording_stream_runs(runtime, monkeypatch)
    title, bid_id, _ = _bid_and_export(http, runtime, employer, freelancer)
    _stream_ran_once_each(ran)
    assert _mails_about(http, employer["email"], title) == []  # the broken concern's work did not happen...
    dead = _dead_letters(r.NOTICES_QUEUE)
    ours = [d for d in dead if d.get("concern") == "notices" and bid_id in json.dumps(d)]
    assert len(dead) > before and ours, dead  # ...its record waits in its own DLQ, as keys and a position
    assert all(set(d["unselected"]) == {"table", "keys", "event", "sequence", "by_ttl"} for d in ours)
    assert employer["email"] not in json.dumps(dead) and freelancer["email"] not in json.dumps(dead)
    for other in set(r.STREAM_CONCERNS.values()) - {r.NOTICES_QUEUE}:
        assert not any(bid_id in json.dumps(d) for d in _dead_letters(other)), other.logical


def test_a_concern_whose_consumer_keeps_failing_leaves_the_others_flowing_and_its_messages_in_its_dlq(http, runtime, people,
                                                                                                     monkeypatch):
    from chalicelib.services import notices

    employer, freelancer = people
    runtime.drain()

    def broken(messages):
        raise RuntimeError("the bid notices' consumer is down")

    monkeypatch.setattr(notices, "write", broken)
    ran = _recording_stream_runs(runtime, monkeypatch)
    title, bid_id, _ = _bid_and_export(http, runtime, employer, freelancer)
    _stream_ran_once_each(ran)
    assert _mails_about(http, employer["email"], title) == []
    dead = [d for d in _dead_letters(r.NOTICES_QUEUE) if d.get("bid_id") == bid_id]
    assert dead == [{"bid_id": bid_id, "project_id": dead[0]["project_id"], "recipient": employer["user_id"], "was": None,
                     "status": "live"}], dead
    # once the consumer is fixed, the operator's redrive delivers it (once)
    monkeypatch.undo()
    from ops import cli

    cli.dlq_redrive(None, r.NOTICES_QUEUE.logical)
    runtime.drain()
    assert len(_mails_about(http, employer["email"], title)) == 1

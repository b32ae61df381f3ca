"""Bounds on what the embedded moto keeps per request, so a local stack left running
(or a soak benchmark) stays flat in memory and time. Each bound says what AWS does.

- **Instance tracking.** moto registers every model object it ever creates (each
  DynamoDB item version, stream record, shard iterator, SES message, ...) in its
  class's `instances_tracked` list, used only by `reset()` and moto's dashboard, so
  nothing moto creates is ever freed. Here the lists hold weak references: live
  objects are still listed, replaced ones are freed.
- **Stream retention.** DynamoDB Streams keeps records 24 hours. moto keeps them all;
  here records older than 24 hours of the local clock are trimmed from the shard's
  start (its starting sequence number moves on, as the trim horizon does), and an
  iterator or sequence number behind the horizon gets `TrimmedDataAccessException`,
  as in AWS (the local stream pump then starts again at the horizon, as Lambda does).
  Records are held as compressed compact JSON until read (moto's nested dicts are
  several times larger; zlib at its fastest level halves the JSON again), since a day
  of them is most of what the stack holds.
- **Shard iterators** expire after 15 minutes in AWS; moto keeps every one it hands
  out (the stream pump takes a new one per read). The newest `MAX_ITERATORS` are kept.
- **Sent email and SMS**: moto keeps every message SES and SNS accepted; the newest
  `MAX_SENT` are kept (the local outbox keeps its own bounded list).

Cognito's issued-token maps grow by about 3 KB a sign-in; left as they are (20,000
sign-ins are about 60 MB, and moto needs them to answer token calls).
"""
from __future__ import annotations

import json
import weakref
import zlib
from collections.abc import Iterator
from typing import Any

from chalicelib.core import clock

STREAM_RETENTION_SECONDS = 24 * 3600
MAX_ITERATORS = 100
MAX_SENT = 1000
_installed = False


class WeakInstances(list):
    """A stand-in for moto's `instances_tracked` list that does not keep objects alive."""

    def __init__(self) -> None:
        super().__init__()
        self._refs: weakref.WeakSet = weakref.WeakSet()

    def append(self, instance: Any) -> None:
        try:
            self._refs.add(instance)
        except TypeError:  # an object that cannot be weakly referenced: not tracked
            pass

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._refs))

    def __len__(self) -> int:
        return len(self._refs)

    def __bool__(self) -> bool:
        return len(self._refs) > 0


def _weak_tracking() -> None:
    from moto.core import base_backend
    from moto.core.model_instances import model_data

    meta = base_backend.InstanceTrackerMeta
    original_new = meta.__new__

    def new(mcs: Any, name: str, bases: Any, dct: dict[str, Any]) -> type:
        cls = original_new(mcs, name, bases, dct)
        if name != "BaseModel":
            cls.instances_tracked = WeakInstances()  # type: ignore[attr-defined]
        return cls

    meta.__new__ = staticmethod(new)  # type: ignore[method-assign,assignment]
    for models in model_data.values():  # classes already defined
        for cls in models.values():
            cls.instances_tracked = WeakInstances()  # type: ignore[attr-defined]


def trim(shard: Any, now: float | None = None) -> int:
    """Drop records older than the retention period from the front of `shard`."""
    now = clock.now_ts() if now is None else now
    records, cut = shard.items, 0
    while cut < len(records) and now - getattr(records[cut], "local_created_at", now) > STREAM_RETENTION_SECONDS:
        cut += 1
    if cut:
        del records[:cut]
        shard.starting_sequence_number += cut
    return cut


class PackedRecord:
    """A stream record as moto would hand it out, kept as compressed compact JSON until
    read: moto holds each one as nested dicts of DynamoDB JSON in an object of its own,
    several times the size, for the 24 hours it is kept."""

    __slots__ = ("packed", "created", "local_created_at")

    def __init__(self, record: dict[str, Any], local_created_at: float) -> None:
        dynamodb = dict(record["dynamodb"])  # a copy: a reader in another thread may hold the original
        self.created = dynamodb.pop("ApproximateCreationDateTime", None)
        self.packed = zlib.compress(json.dumps({**record, "dynamodb": dynamodb}, separators=(",", ":")).encode(), 1)
        self.local_created_at = local_created_at

    def to_json(self) -> dict[str, Any]:
        out = json.loads(zlib.decompress(self.packed))
        if self.created is not None:
            out["dynamodb"]["ApproximateCreationDateTime"] = self.created
        return out


def _stream_retention() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.models.table import StreamShard

    original_add, original_get = StreamShard.add, StreamShard.get

    def add(self: Any, old: Any, new: Any) -> None:
        trim(self)
        original_add(self, old, new)
        if self.items and not isinstance(self.items[-1], PackedRecord):
            self.items[-1] = PackedRecord(self.items[-1].record, clock.now_ts())

    def get(self: Any, start: int, quantity: int) -> list[dict[str, Any]]:
        if start < self.starting_sequence_number:
            raise JsonRESTError(
                "TrimmedDataAccessException",
                "The operation attempted to read past the oldest stream record in a shard.",
            )
        return original_get(self, start, quantity)

    StreamShard.add, StreamShard.get = add, get  # type: ignore[method-assign]


def _bounded_iterators() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    original_iterator, original_records = DynamoDBStreamsBackend.get_shard_iterator, DynamoDBStreamsBackend.get_records

    def forget_old(self: Any) -> None:
        while len(self.shard_iterators) > MAX_ITERATORS:
            self.shard_iterators.pop(next(iter(self.shard_iterators)))

    def get_shard_iterator(self: Any, arn: str, shard_id: str, kind: str, sequence_number: Any = None) -> Any:
        if sequence_number is not None and kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            shard = self._get_table_from_arn(arn).stream_shard
            if shard is not None and int(sequence_number) < shard.starting_sequence_number - (kind == "AFTER_SEQUENCE_NUMBER"):
                raise JsonRESTError("TrimmedDataAccessException", "The sequence number is behind the trim horizon.")
        iterator = original_iterator(self, arn, shard_id, kind, sequence_number)
        forget_old(self)
        return iterator

    def get_records(self: Any, iterator_arn: str, limit: int) -> Any:
        if iterator_arn not in self.shard_iterators:
            raise JsonRESTError("ExpiredIteratorException", "Iterator expired.")
        reply = original_records(self, iterator_arn, limit)
        forget_old(self)
        return reply

    DynamoDBStreamsBackend.get_shard_iterator = get_shard_iterator  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_records = get_records  # type: ignore[method-assign]


def _bounded_sent_messages() -> None:
    from moto.ses.models import SESBackend
    from moto.sns.models import SNSBackend

    for cls, method in ((SESBackend, "send_email"), (SESBackend, "send_raw_email"), (SESBackend, "send_templated_email")):
        original = getattr(cls, method, None)
        if original is None:
            continue

        def bounded(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            result = _original(self, *args, **kwargs)
            del self.sent_messages[:-MAX_SENT]
            return result

        setattr(cls, method, bounded)
    original_publish = SNSBackend.publish

    def publish(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original_publish(self, *args, **kwargs)
        while len(self.sms_messages) > MAX_SENT:
            self.sms_messages.popitem(last=False)
        return result

    SNSBackend.publish = publish  # type: ignore[method-assign]


def install() -> None:
    """Apply every bound in this process (idempotent). Call before moto serves requests."""
    global _installed
    if _installed:
        return
    _weak_tracking()
    _stream_retention()
    _bounded_iterators()
    _bounded_sent_messages()
    _installed = True

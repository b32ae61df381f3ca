"""PynamoDB models on the main table (single-table design, see `resources.MAIN_TABLE`).

Every entity is an `Entity` subclass told apart by the `kind` discriminator. Keys:
- `pk`/`sk`: the owner's partition (`USER#<id>`, `PROJECT#<id>`, ...) and the item;
- `gsi1pk`/`gsi1sk`: lookups by keyed hash and lists owned by one entity;
- `gsi2pk`/`gsi2sk`: sparse work queues and lists (due notifications, review queues).
`expires_at` is the table's TTL attribute (epoch seconds, set from `clock`).
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import Any, cast

from pynamodb.attributes import DiscriminatorAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core import settings
from chalicelib.core.resources import MAIN_TABLE


class _Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


def strings(**options: Any) -> ListAttribute[str]:
    """A list of strings. (PynamoDB types `ListAttribute(of=UnicodeAttribute)` as a list of
    attribute objects; what it stores and reads back is a list of `str`.)"""
    return cast("ListAttribute[str]", ListAttribute(of=UnicodeAttribute, **options))


def numbers(**options: Any) -> ListAttribute[float]:
    """A list of numbers, read back as floats."""
    return cast("ListAttribute[float]", ListAttribute(of=NumberAttribute, **options))


def maps(**options: Any) -> ListAttribute[Any]:
    """A list of free-form maps: written as dicts, read back as `MapAttribute`s (`.as_dict()`)."""
    return cast("ListAttribute[Any]", ListAttribute(of=MapAttribute, **options))


def plain_map(**options: Any) -> MapAttribute[str, Any]:
    """A map of free-form keys (no declared attributes)."""
    return MapAttribute(**options)


class Entity(Model):
    class Meta:
        table_name = MAIN_TABLE.name
        region = settings.region()
        max_retry_attempts = 3

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL, epoch seconds from the clock module

    gsi1 = _Gsi1()
    gsi2 = _Gsi2()


def set_or_remove(attribute: Any, value: Any) -> Action:
    """An update action that sets a nullable attribute, or removes it when the value is None
    (rather than storing a NULL)."""
    return attribute.remove() if value is None else attribute.set(value)


def kind_of(item: Entity) -> str:
    """The `kind` an item was stored under (every model of the table declares one)."""
    found = Entity.kind.get_discriminator(type(item))
    if not isinstance(found, str):
        raise TypeError(f"{type(item).__name__} declares no kind")
    return found


_connection = None


class Transaction(TransactWrite):
    """PynamoDB's TransactWrite that remembers the key of each item in the order it is sent
    (PynamoDB sends the condition checks, then the deletes, the puts and the updates, each
    in the order added), so that a cancellation reason is told apart by its item
    (`failed_on`), not by a position that shifts when a condition is added."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._keys: dict[str, list[tuple[str, str | None]]] = {"check": [], "delete": [], "put": [], "update": []}

    def condition_check(self, model_cls: Any, hash_key: Any, range_key: Any = None, condition: Any = None) -> None:
        super().condition_check(model_cls, hash_key, range_key, condition)
        self._keys["check"].append((hash_key, range_key))

    def delete(self, model: Any, condition: Any = None, *, add_version_condition: bool = True) -> None:
        super().delete(model, condition, add_version_condition=add_version_condition)
        self._keys["delete"].append((model.pk, model.sk))

    def save(self, model: Any, condition: Any = None, return_values: str | None = None) -> None:
        super().save(model, condition, return_values)
        self._keys["put"].append((model.pk, model.sk))

    def update(self, model: Any, actions: Any, condition: Any = None, return_values: str | None = None, *,
               add_version_condition: bool = True) -> None:
        super().update(model, actions, condition, return_values, add_version_condition=add_version_condition)
        self._keys["update"].append((model.pk, model.sk))

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> Any:
        try:
            return super().__exit__(exc_type, exc_val, exc_tb)
        except TransactWriteError as exc:
            exc.sent_keys = [k for kind in ("check", "delete", "put", "update") for k in self._keys[kind]]  # type: ignore[attr-defined]
            raise


def transaction(token: str | None = None) -> Transaction:
    """A DynamoDB transaction (`with transaction() as tx: tx.save(...)`), across tables.
    `token` makes a retried transaction idempotent for ten minutes."""
    global _connection
    from pynamodb.connection import Connection

    if _connection is None:
        _connection = Connection(region=settings.region(), max_retry_attempts=3)
    return Transaction(connection=_connection, client_request_token=token)


def conflicted(exc: Exception) -> bool:
    """Whether a transaction was cancelled because another one touched its items meanwhile."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return any((getattr(r, "code", None) or (r.get("Code") if isinstance(r, dict) else None)) == "TransactionConflict" for r in reasons)


def commit(write: Callable[[Any], None], attempts: int = 5) -> None:
    """Run `write(tx)` as a transaction, again after a short jittered pause when DynamoDB
    cancelled it only because another transaction touched the same items meanwhile."""
    for attempt in range(attempts):
        try:
            with transaction() as tx:
                write(tx)
            return
        except TransactWriteError as exc:
            if not conflicted(exc) or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))


def save_together(items: list[Any]) -> None:
    """Save the items in one transaction (all or none), with no condition."""
    with transaction() as tx:
        for item in items:
            tx.save(item)


def remove_fields(item: Entity, names: list[str]) -> None:
    """The attributes `names` removed from the stored item."""
    item.update(actions=[getattr(type(item), name).remove() for name in names])


def delete_all(items: Iterable[Entity]) -> int:
    """Delete the items in batches (plain deletes, no condition); returns how many."""
    count = 0
    with Entity.batch_write() as batch:
        for item in items:
            batch.delete(item)
            count += 1
    return count


class Conflict(Exception):
    """A conditional write refused: an item was not as the write required (or, for a
    transaction, another one touched its items meanwhile). `on` is the repository's name
    for the item whose condition failed ("project", "bid", a user id, ...), told apart
    with `failed_on`; None where the repository does not tell."""

    def __init__(self, on: str | None = None) -> None:
        super().__init__(f"condition failed on {on}" if on else "condition failed")
        self.on = on


class NotFound(Exception):
    """The item a write or read needs is not stored."""


def conflict(exc: Exception, named: dict[str, tuple[str, str]] | None = None) -> Conflict:
    """The `Conflict` of a cancelled transaction, naming the first of `named` (name -> key)
    whose condition cancelled it."""
    for name, (pk, sk) in (named or {}).items():
        if failed_on(exc, pk, sk):
            return Conflict(name)
    return Conflict()


def condition_failed(exc: Exception) -> bool:
    """Whether a single-item write failed on its condition (not on throttling or the like)."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def failed_on(exc: Exception, pk: str, sk: str) -> bool:
    """Whether the condition on the item `pk`/`sk` is what cancelled a transaction (one
    made by `transaction`); False for any other reason (a conflict, throttling)."""
    keys = getattr(exc, "sent_keys", None) or []
    return (pk, sk) in keys and failed_at(exc, keys.index((pk, sk)))


def failed_at(exc: Exception, index: int) -> bool:
    """Whether the `index`-th operation's condition is what cancelled a transaction."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    reason = reasons[index] if index < len(reasons) else None
    code = reason.get("Code") if isinstance(reason, dict) else getattr(reason, "code", None)
    return code == "ConditionalCheckFailed"


def time_key(at: float) -> str:
    """The sortable text of a time in a key: seconds since the epoch, zero-padded, to the microsecond."""
    return f"{at:017.6f}"

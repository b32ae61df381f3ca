"""PynamoDB models on the main table (single-table design, see `resources.MAIN_TABLE`).

Every entity is an `Entity` subclass told apart by the `kind` discriminator. Keys:
- `pk`/`sk`: the owner's partition (`USER#<id>`, `PROJECT#<id>`, ...) and the item;
- `gsi1pk`/`gsi1sk`: lookups by keyed hash and lists owned by one entity;
- `gsi2pk`/`gsi2sk`: sparse work queues and lists (due notifications, review queues).
`expires_at` is the table's TTL attribute (epoch seconds, set from `clock`).
"""
from __future__ import annotations

from typing import Any, cast

from pynamodb.attributes import DiscriminatorAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

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


def transaction(token: str | None = None):
    """A DynamoDB transaction (`with transaction() as tx: tx.save(...)`), across tables.
    `token` makes a retried transaction idempotent for ten minutes."""
    global _connection
    from pynamodb.connection import Connection
    from pynamodb.transactions import TransactWrite

    if _connection is None:
        _connection = Connection(region=settings.region(), max_retry_attempts=3)
    return TransactWrite(connection=_connection, client_request_token=token)


def failed_at(exc: Exception, index: int) -> bool:
    """Whether the `index`-th operation's condition is what cancelled a transaction."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    reason = reasons[index] if index < len(reasons) else None
    code = reason.get("Code") if isinstance(reason, dict) else getattr(reason, "code", None)
    return code == "ConditionalCheckFailed"


def failed_on(exc: Exception, tx: Any, key: tuple[str, str]) -> bool:
    """Whether the operation on the item `key` (pk, sk) is what cancelled transaction `tx`.
    PynamoDB sends a transaction's operations grouped by kind (condition checks, deletes,
    puts, updates), not in the order they were added, so an operation's index depends on
    the others: this finds it by the item's key."""
    operations = [*tx._condition_check_items, *tx._delete_items, *tx._put_items, *tx._update_items]
    for index, operation in enumerate(operations):
        item = operation.get("Key") or operation.get("Item") or {}
        if (item.get("pk", {}).get("S"), item.get("sk", {}).get("S")) == key:
            return failed_at(exc, index)
    return False

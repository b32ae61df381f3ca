"""DynamoDB transactions in moto with an undo log instead of a copy of every table.

What moto does (5.2.5, `DynamoDBBackend.transact_write_items`): before applying a
transaction it `copy.deepcopy`s every table the transaction names, once per item of
the transaction, and on cancellation puts the copies back in place of the tables.
So each transaction costs time and memory proportional to the size of the tables it
touches, not to the items it writes; and because every moto model registers itself
in its class's `instances_tracked` list (kept for `reset()`), every copied table,
item and stream record stays reachable forever. A 4-item transaction took 32 ms after
250 of them and 221 ms after 1,000 on a small table, with gigabytes resident.
Replacing the table object on rollback also swapped its stream shard, so a reader
holding an iterator went on reading a dead shard.

What this module does instead: before each write of the transaction, remember the
previous version of just that item (a copy, as an update changes the item in place)
and, for each table touched, the sequence number its stream shard would give next.
On cancellation the items are put back as they were (an item the transaction created
is removed again) and the stream records the cancelled writes appended are dropped.
Everything else (validation, conditions, the order of checks, the errors and their
cancellation reasons) is moto's own code, unchanged. The cost of a transaction is now
that of its items, whatever the size of the table.

`install()` replaces the method once per process; it refuses to run (with a message
saying what to check) if moto is not the version this was written against or its
function no longer has the shape this replaces, so an upgrade cannot silently keep a
patch that no longer fits. Written to be offered upstream as a change to moto itself.
"""
from __future__ import annotations

import copy
import hashlib
import inspect
from typing import Any

MOTO_VERSION = "5.2.5"
# sha256 of the source of moto's DynamoDBBackend.transact_write_items in MOTO_VERSION
REPLACED_SHAPE = "81db2cb7d94e39c90b3a2077e1f4bb41a449c558ef9b1b1e2910fdaa39978ad4"


class MotoChanged(RuntimeError):
    """The installed moto is not the one the undo log was written for."""


def _check_shape(original: Any) -> None:
    import moto

    shape = hashlib.sha256(inspect.getsource(original).encode()).hexdigest()
    if moto.__version__ != MOTO_VERSION or shape != REPLACED_SHAPE:
        raise MotoChanged(
            f"local/moto_transactions.py replaces moto {MOTO_VERSION}'s DynamoDBBackend.transact_write_items, "
            f"but moto {moto.__version__} is installed (source hash {shape[:12]}, expected {REPLACED_SHAPE[:12]}). "
            "Check whether moto still snapshots whole tables; then update the patch and both pins, or drop it."
        )


class UndoLog:
    """The items and stream positions a transaction changed, to put back on cancellation."""

    def __init__(self) -> None:
        self.items: dict[tuple[int, Any, Any], tuple[Any, Any, Any, Any]] = {}  # first previous version only
        self.streams: dict[int, tuple[Any, int]] = {}  # table id -> (shard, next sequence number)

    def remember(self, table: Any, key: dict[str, Any]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
        slot = (id(table), hash_value, range_value)
        if slot not in self.items:
            previous = table.get_item(hash_value, range_value)
            self.items[slot] = (table, hash_value, range_value, copy.deepcopy(previous))
        shard = table.stream_shard
        if shard is not None and id(table) not in self.streams:
            self.streams[id(table)] = (shard, shard.starting_sequence_number + len(shard.items))

    def undo(self) -> None:
        for table, hash_value, range_value, previous in reversed(list(self.items.values())):
            if table.range_key_attr is not None:
                partition = table.items[hash_value]
                if previous is None:
                    partition.pop(range_value, None)
                    if not partition:
                        table.items.pop(hash_value, None)
                else:
                    partition[range_value] = previous
            elif previous is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = previous
        for shard, next_sequence in self.streams.values():
            del shard.items[max(0, next_sequence - shard.starting_sequence_number):]


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto's `transact_write_items` with the table snapshot replaced by an `UndoLog`."""
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import get_filter_expression

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo = UndoLog()  # moto: a deepcopy of every table named, per item

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException

        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")

            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")

            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]

            check_unicity(table_name, key)

            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, expression_attribute_names, expression_attribute_values,
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type != "ConditionCheck":
                undo.remember(self.get_table(table_name), key)  # moto: nothing (the snapshot covers it)
            if op_type == "Put":
                self.put_item(
                    table_name, op["Item"], condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name, key, condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name, key, update_expression=op["UpdateExpression"], condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            undo.undo()  # moto: put the table copies back
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:  # noqa: BLE001 - as moto: any other failure cancels with its name
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

    if any(code is not None for code, _, _ in errors):
        undo.undo()  # moto: put the table copies back
        raise TransactionCanceledException(errors)


def install() -> None:
    """Replace moto's method in this process (idempotent); raises `MotoChanged` first if
    moto is not what this was written against."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend.transact_write_items, "_undo_log", False):
        return
    _check_shape(DynamoDBBackend.transact_write_items)
    transact_write_items._undo_log = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]

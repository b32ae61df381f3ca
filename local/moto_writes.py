"""One hook on moto's item writes for the local cloud's indexes (`ttl_index`, `moto_gsi`).

moto writes every item through `Table.put_item` (puts, batch writes, transactions) or
`DynamoDBBackend.update_item`; both are wrapped once here, and each registered callback
is told the table and the item as written."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

_callbacks: list[Callable[[Any, Any], None]] = []
_installed = False


def on_item_written(callback: Callable[[Any, Any], None]) -> None:
    """Call `callback(table, item)` after every item moto writes in this process."""
    if callback not in _callbacks:
        _callbacks.append(callback)
    _install()


def _tell(table: Any, item: Any) -> None:
    if item is not None:
        for callback in _callbacks:
            callback(table, item)


def _install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original_put, original_update = Table.put_item, DynamoDBBackend.update_item

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        _tell(self, item)
        return item

    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = original_update(self, table_name, *args, **kwargs)
        _tell(self.get_table(table_name), item)
        return item

    Table.put_item = put_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]
    _installed = True

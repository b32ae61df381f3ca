"""Queries in moto that cost what they find, not the whole table.

What moto does: `Table.query` walks `Table.all_items()`, which lists and sorts every
item of the table, then keeps those whose hash key matches: on a secondary index, and
on the table itself too (moto 5.2.5 lists the whole table even though it holds the
items by hash key). So every Query (a phone lookup at signup, a user's contracts, a
project's bids at accept) costs the size of the table: with a day's data (20,000 users,
about 200,000 items) a single Query walks and sorts them all. The soak run showed it:
accepting a bid (a Query of the project's bids) took seconds once the table was full,
91 % of the stack's CPU in `Table.all_items` (py-spy).

A Query on the table itself is handed the one partition moto already keeps
(`Table.items[hash key]`), which holds exactly the items moto would have kept.

What this module changes: for each table and each index hash attribute, a map from the
attribute's value to the keys of the items written with it, fed from moto's writes in
this process (`local/moto_writes.py`). A Query on an index with one hash condition hands moto's own
query code just those items, in moto's order, so its answer is the same (a test
compares the two). An entry is a promise to look, not a verdict: each candidate is read
again from the table and kept only if it still holds the value, and entries that no
longer match are dropped then. Written against moto 5.2.x; `install()` fails loudly if
the functions it wraps are not where it expects them, or `Table.query` no longer takes the
arguments it reads (by name: their order does not matter).
"""
from __future__ import annotations

import inspect
import threading
from collections import defaultdict
from typing import Any

_lock = threading.Lock()
# (table name, attribute) -> attribute value (type, value) -> {(hash key, range key)}
_index: dict[tuple[str, str], dict[tuple[str, str], set[tuple[Any, Any]]]] = defaultdict(lambda: defaultdict(set))
_local = threading.local()
_installed = False


class MotoChanged(RuntimeError):
    """moto's DynamoDB table no longer has the shape this module was written for."""


def _value(v: Any) -> tuple[str, str]:
    return v.type, str(v.value)


def _hash_attributes(table: Any) -> set[str]:
    names = set()
    for index in table.all_indexes():
        names |= {k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"}
    return names


def _note(table: Any, item: Any) -> None:
    if item is None:
        return
    key = (item.hash_key, item.range_key)
    with _lock:
        for attr in _hash_attributes(table):
            value = item.attrs.get(attr)
            if value is not None:
                _index[(table.name, attr)][_value(value)].add(key)


def _candidates(table: Any, attr: str, value: Any) -> list[Any]:
    wanted = _value(value)
    with _lock:
        keys = list(_index[(table.name, attr)].get(wanted, ()))
    found, stale = [], []
    for hash_key, range_key in keys:
        bucket = table.items.get(hash_key)
        item = bucket.get(range_key) if (bucket is not None and table.range_key_attr) else bucket
        current = item.attrs.get(attr) if item is not None else None
        if current is not None and _value(current) == wanted:
            found.append(item)
        else:
            stale.append((hash_key, range_key))
    if stale:
        with _lock:
            holders = _index[(table.name, attr)].get(wanted)
            if holders is not None:
                holders.difference_update(stale)
    return sorted(found, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def install() -> None:
    """Index moto's writes and answer index queries from the index (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.table import Table

    from local import moto_writes

    for name in ("query", "all_items", "all_indexes"):
        if not callable(getattr(Table, name, None)):
            raise MotoChanged(f"moto's Table.{name} is gone: review local/moto_gsi.py")
    original_query, original_all_items = Table.query, Table.all_items
    # the query's arguments are read by name, against moto's own signature: a moto that reorders
    # them changes nothing here, one that renames or drops one of these fails now
    signature = inspect.signature(original_query)
    missing = {"hash_key", "index_name", "hash_key_conditions"} - set(signature.parameters)
    if missing:
        raise MotoChanged(f"moto's Table.query no longer takes {', '.join(sorted(missing))}: review local/moto_gsi.py")

    def all_items(self: Any) -> Any:
        override = getattr(_local, "items", None)
        if override is not None and override[0] is self:
            return list(override[1])
        return original_all_items(self)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        given = signature.bind(self, *args, **kwargs).arguments  # a call moto's own query would refuse fails here
        index_name, hash_key = given.get("index_name"), given.get("hash_key")
        conditions = list(given.get("hash_key_conditions") or [])
        if index_name and len(conditions) == 1 and conditions[0][0] in _hash_attributes(self):
            attr, value = conditions[0]
            candidates = _candidates(self, attr, value)
        elif not index_name and hash_key is not None and self.range_key_attr:
            candidates = list(self.items.get(hash_key, {}).values())  # the partition: moto keeps items by hash key
        else:
            return original_query(self, *args, **kwargs)
        _local.items = (self, candidates)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _local.items = None

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    moto_writes.on_item_written(_note)
    _installed = True

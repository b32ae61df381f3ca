"""When DynamoDB's TTL would delete what, without scanning the table.

DynamoDB deletes an item some time after the epoch second in its TTL attribute has
passed. The local stack plays that process (`LocalRuntime.reap_ttl`). Finding expired
items with a Scan made each reap cost the whole table, every 5 seconds, whatever was
due: the idle stack's CPU grew with the data. Instead, the embedded moto (same
process) tells this index of every item written with a TTL attribute, and the reaper
pops only what is due: a reap costs the items that expire, and nothing when none do.

An entry is a promise to look, not a verdict: the reaper deletes with the condition
that the attribute still holds the value indexed, so an item changed, deleted or
rolled back since is left alone (its new value has an entry of its own). Entries stay
until their time comes: about 150 bytes for each TTL write still in the future.
"""
from __future__ import annotations

import heapq
import itertools
import threading
from typing import Any

_lock = threading.Lock()
_due: dict[str, list[tuple[float, int, dict[str, Any], str]]] = {}
_order = itertools.count()


def _note(table: Any, item: Any) -> None:
    if item is None or table.ttl.get("TimeToLiveStatus") != "ENABLED":
        return
    value = item.attrs.get(table.ttl.get("AttributeName"))
    if value is None or value.type != "N":
        return
    key = {table.hash_key_attr: item.hash_key.to_json()}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = item.range_key.to_json()
    try:
        when = float(value.value)
    except ValueError:
        return
    with _lock:
        heapq.heappush(_due.setdefault(table.name, []), (when, next(_order), key, value.value))


def due(table_name: str, now: float) -> list[tuple[dict[str, Any], str]]:
    """Keys (DynamoDB JSON) and indexed TTL values of the items of `table_name` whose time
    has passed, removed from the index."""
    found = []
    with _lock:
        heap = _due.get(table_name, [])
        while heap and heap[0][0] < now:
            _, _, key, value = heapq.heappop(heap)
            found.append((key, value))
    return found


def pending() -> int:
    with _lock:
        return sum(len(h) for h in _due.values())


def install() -> None:
    """Hook moto's writes in this process (idempotent)."""
    from local import moto_writes

    moto_writes.on_item_written(_note)

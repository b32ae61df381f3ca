"""A bounded in-memory cache whose entries expire, per container (warm Lambda).

Used for unwrapped data keys (`security.vault`) and the policy index
(`services.policy_versions`); time is read through the `now` it is given, so the test clock
moves it."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class TtlCache:
    """At most `maxsize` entries, each kept at most `ttl` seconds (by `now()`)."""

    def __init__(self, maxsize: int, ttl: float, now: Callable[[], float]):
        self.maxsize, self.ttl, self.now = maxsize, ttl, now
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            stored_at, value = found
            if self.now() - stored_at > self.ttl:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = (self.now(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def evict(self, key: Any) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

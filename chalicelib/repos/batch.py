"""One read of several items of the main table, each named once with its type.

    batch = Batch()
    account = batch.want(users.account_key(uid), users.UserItem)   # a Ref[UserItem]
    method = batch.want(ledger.payout_method_key(uid), ledger.PayoutMethod)
    batch.run()                     # one GetItem for one key, else one BatchGetItem
    account.item                    # UserItem | None

This is how a request reads the caller's account together with the items its route
declares (its load, `services.loads`): whoever names an item gets back a typed `Ref`,
so nobody fishes items out of a dict by re-deriving their keys. A key named twice is
read once. An item of another kind than the one asked for is `None`, as if absent.
BatchGetItem takes 100 keys a call: PynamoDB splits a larger batch (a page of 100 bids
and their bidders' profiles) into as many calls as it needs.
"""
from __future__ import annotations

from typing import Any, Generic, TypeVar

from chalicelib.repos.db import Entity

T = TypeVar("T")
Key = tuple[str, str]


class Ref(Generic[T]):
    """An item named in a `Batch`: `item` once the batch has run."""

    def __init__(self, batch: Batch, key: Key, model: type[T]) -> None:
        self._batch, self.key, self._model = batch, key, model

    @property
    def item(self) -> T | None:
        found = self._batch.read(self.key)
        return found if isinstance(found, self._model) else None

    @property
    def found(self) -> bool:
        return self.item is not None


class Batch:
    def __init__(self) -> None:
        self._keys: dict[Key, None] = {}
        self._items: dict[Key, Any] | None = None

    def want(self, key: Key, model: type[T]) -> Ref[T]:
        if self._items is not None:
            raise RuntimeError("The batch has run: name its items before")
        self._keys[key] = None
        return Ref(self, key, model)

    def run(self) -> None:
        keys = list(self._keys)
        self._items = {}
        if len(keys) == 1:
            try:
                item = Entity.get(*keys[0])
            except Entity.DoesNotExist:
                return
            self._items[(item.pk, item.sk)] = item
        elif keys:
            self._items = {(item.pk, item.sk): item for item in Entity.batch_get(keys)}

    def read(self, key: Key) -> Any:
        if self._items is None:
            raise RuntimeError("The batch has not run yet")
        return self._items.get(key)

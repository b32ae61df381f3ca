"""What a route reads before its view runs, by name and type: its load.

A route declares its load with a function of the request (`endpoint(..., load=...)`),
which calls the service that owns it, e.g. `projects.load_project(project_id)`, and gets
a `Load[ProjectLoad]`. The service names the items in the request's `Batch` (the one
that reads the caller's account: one DynamoDB call for both) and turns what was read
into its own typed dataclass, which the view hands back to the service
(`call.loaded.project`). Only the service that owns a load knows its keys.

A load may have a page step (`GET /projects/{id}/bids`: the page of bids, a Query,
whose bidders' profiles then go into the batch). The HTTP layer runs it as a step of
its own: after the token's signature is verified and before the batch, never inside the
authenticator, which only verifies the token and admits the account. Nothing read,
page or item, reaches the view or the caller before the account is admitted: the
result is built only after.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from chalicelib.repos.batch import Batch

L = TypeVar("L")

# names the load's items in the batch (the caller's id, or None for no caller) and
# returns what builds the load once the batch has run
Want = Callable[[Batch, "str | None"], Callable[[], L]]


class Load(Generic[L]):
    def __init__(self, want: Want[L], page: Callable[[str], None] | None = None) -> None:
        self._want, self._page = want, page
        self._build: Callable[[], L] | None = None

    def prepare(self, caller_id: str) -> None:
        """The page step, if the load has one (a Query): the token's signature is verified,
        the account not yet read."""
        if self._page is not None:
            self._page(caller_id)

    def add_to(self, batch: Batch, caller_id: str | None) -> None:
        self._build = self._want(batch, caller_id)

    def result(self) -> L:
        if self._build is None:
            raise RuntimeError("The load was not read")
        return self._build()


def read(load: Load[L]) -> L:
    """A load read on its own (no caller), in one call."""
    batch = Batch()
    load.add_to(batch, None)
    batch.run()
    return load.result()

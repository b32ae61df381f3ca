"""Everything a user did on the marketplace, found from their id alone: the entry point
for export and erasure. Each kind of activity has its own index partition keyed by
the user id, so the cost grows with that user's activity, never with the table.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.repos.db import Entity, kind_of

# kind -> (index, partition prefix); the partition is prefix + user id
ACTIVITY = {
    "projects_posted": ("gsi1", "PROJECTS#"),
    "project_files_uploaded": ("gsi1", "FILES#"),
    "bids_placed": ("gsi1", "BIDS#"),
    "contracts_as_employer": ("gsi1", "CONTRACTS#"),
    "contracts_as_freelancer": ("gsi2", "CONTRACTS#"),
    "messages_sent": ("gsi1", "MESSAGES#"),
    "reviews_given": ("gsi1", "REVIEWS_BY#"),
    "reviews_received": ("gsi2", "REVIEWS#"),
}


def of_user(user_id: str, kind: str) -> Iterator[Any]:
    """Every item of one kind of the user's activity, oldest first, page by page (items of
    the models the kind lists: typed `Any`, the caller knows which)."""
    index, prefix = ACTIVITY[kind]
    yield from getattr(Entity, index).query(f"{prefix}{user_id}", page_size=100)


def everything(user_id: str) -> dict[str, list[Any]]:
    return {kind: list(of_user(user_id, kind)) for kind in ACTIVITY}


def _held(item: Entity, name: str, attribute: Any) -> bool:
    """Whether the item stores the attribute (a model fills a missing one with its default)."""
    value: Any = getattr(item, name, None)
    if hasattr(value, "as_dict"):  # a map attribute
        value = value.as_dict()
    default = attribute.default() if callable(attribute.default) else attribute.default
    return value not in (None, "", [], {}) and not (default is not None and value == default)


def remaining(user_id: str) -> list[tuple[str, list[str]]]:
    """Every item still kept that is the user's or names them, found from their id (their
    partition, each activity index, reviews they received included, and the audit entries
    about them), as its kind and the attributes it still holds: what an erasure's receipt
    must account for."""
    def items() -> Iterator[Any]:
        yield from Entity.query(f"USER#{user_id}", page_size=500)
        for kind in ACTIVITY:
            yield from of_user(user_id, kind)
        yield from Entity.gsi1.query(f"AUDIT#USER#{user_id}", page_size=500)

    return [(kind_of(item), [n for n, a in type(item).get_attributes().items() if _held(item, n, a)]) for item in items()]

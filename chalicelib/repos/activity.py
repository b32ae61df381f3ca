"""Everything a user did on the marketplace, found from their id alone: the entry point
for export and erasure. Each kind of activity has its own index partition keyed by
the user id, so the cost grows with that user's activity, never with the table.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.repos.db import Entity

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

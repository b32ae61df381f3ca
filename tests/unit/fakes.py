"""In-memory stand-ins for the repository and adapter functions the services call, for
unit tests of the services' rules (`tests/unit/`). Each fake keeps what it holds in plain
lists and dicts and records what was asked of it, so a test can give a service its data
and read what it wrote or sent, in microseconds and without AWS.

A fake does what the real function promises (its docstring), no more: `usage_before`
gives the sign-ins older than a moment, oldest first, at most `limit`; a queue keeps the
messages sent to it in order. Install them with the `fakes` fixture
(`tests/unit/conftest.py`), which monkeypatches the repository modules' functions for
one test: services import their repositories as modules (`from chalicelib.repos import
users as repo`), so the service sees the fake through the module.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any


@dataclass
class Queues:
    """`adapters.queues`: what each queue was sent, and the backoffs asked for."""

    sent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    backoffs: list[tuple[str, str, int]] = field(default_factory=list)

    def send_batch(self, queue: Any, messages: list[dict[str, Any]]) -> None:
        self.sent.setdefault(getattr(queue, "name", queue), []).extend(messages)

    def back_off(self, queue: Any, receipt_handle: str, attempt: int) -> None:
        self.backoffs.append((getattr(queue, "name", queue), receipt_handle, attempt))

    def of(self, queue: Any) -> list[dict[str, Any]]:
        return self.sent.get(getattr(queue, "name", queue), [])


@dataclass
class Table:
    """The items the fakes hold, and the batch writes and transactions made on them
    (`repos.db`: `Entity.batch_write`, `db.transaction`)."""

    items: list[Any] = field(default_factory=list)
    deleted: list[Any] = field(default_factory=list)
    transactions: list[list[tuple[str, Any, dict[str, Any]]]] = field(default_factory=list)

    def add(self, *items: Any) -> None:
        self.items.extend(items)

    def delete(self, item: Any) -> None:
        self.items = [i for i in self.items if i is not item]
        self.deleted.append(item)

    def batch_write(self) -> Batch:
        return Batch(self)

    def transaction(self, token: str | None = None) -> Transaction:
        return Transaction(self)


@dataclass
class Batch:
    table: Table

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def delete(self, item: Any) -> None:
        self.table.delete(item)

    def save(self, item: Any) -> None:
        self.table.add(item)


@dataclass
class Transaction:
    """Records its operations; they count as written only if the block ends without error."""

    table: Table
    ops: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.table.transactions.append(self.ops)
            self.table.add(*[item for op, item, _ in self.ops if op == "save"])

    def save(self, item: Any, **kw: Any) -> None:
        self.ops.append(("save", item, kw))

    def update(self, item: Any, **kw: Any) -> None:
        self.ops.append(("update", item, kw))

    def delete(self, item: Any, **kw: Any) -> None:
        self.ops.append(("delete", item, kw))

    def condition_check(self, model: Any, hash_key: Any, range_key: Any = None, **kw: Any) -> None:
        self.ops.append(("check", (model, hash_key, range_key), kw))


@dataclass
class SignIns:
    """`repos.users.usage_before`: sign-in records by when they happened."""

    table: Table

    def usage_before(self, moment: float, limit: int = 100) -> list[Any]:
        due = sorted((i for i in self.table.items if getattr(i, "kind", None) == "signin" and i.at < moment), key=lambda i: i.at)
        return due[:limit]


def sign_in(user_id: str, at: float) -> SimpleNamespace:
    return SimpleNamespace(kind="signin", user_id=user_id, at=at)


@dataclass
class Deletions:
    """`repos.deletion.due_before`: deletion requests whose grace period ends before a moment."""

    requests: list[SimpleNamespace] = field(default_factory=list)

    def add(self, user_id: str, due_at: float, outcome: str = "erase") -> None:
        self.requests.append(SimpleNamespace(user_id=user_id, token_hash=f"hash-of-{user_id}", outcome=outcome, due_at=due_at))

    def due_before(self, moment: float, limit: int = 100) -> list[SimpleNamespace]:
        return sorted((r for r in self.requests if r.due_at < moment), key=lambda r: r.due_at)[:limit]


@dataclass
class Fanouts:
    """`repos.fanout`: stored fan-outs, and an audience's sparse index paged by cursor."""

    stored: dict[str, SimpleNamespace] = field(default_factory=dict)
    audiences: dict[str, list[str]] = field(default_factory=dict)

    def add(self, fanout_id: str, audience: str = "members", **over: Any) -> SimpleNamespace:
        item = SimpleNamespace(fanout_id=fanout_id, audience=audience, purpose="announcement", channels=["email", "in_app"],
                               subject="News", body="Something changed", **over)
        self.stored[fanout_id] = item
        return item

    def get(self, fanout_id: str) -> SimpleNamespace | None:
        return self.stored.get(fanout_id)

    def audience_page(self, audience: str, limit: int, start: dict | None) -> tuple[list[str], dict | None]:
        members = sorted(self.audiences.get(audience, []))
        at = members.index(start["after"]) + 1 if start else 0
        page = members[at:at + limit]
        more = at + limit < len(members)
        return page, ({"after": page[-1]} if more else None)


@dataclass
class Exports:
    """`repos.exports` and `adapters.storage` as the exports service uses them."""

    stored: dict[tuple[str, str], SimpleNamespace] = field(default_factory=dict)
    links: list[tuple[str, str, int]] = field(default_factory=list)

    def add(self, user_id: str, export_id: str, status: str, requested_at: float, ready_until: float | None = None) -> None:
        self.stored[(user_id, export_id)] = SimpleNamespace(user_id=user_id, export_id=export_id, status=status,
                                                            requested_at=requested_at, ready_until=ready_until)

    def get(self, user_id: str, export_id: str) -> SimpleNamespace | None:
        return self.stored.get((user_id, export_id))

    def presigned_get(self, bucket: str, key: str, seconds: int) -> str:
        self.links.append((bucket, key, seconds))
        return f"https://{bucket}.example/{key}?expires={seconds}"


@dataclass
class Policies:
    """`services.policies` as far as another service asks it: the version in effect."""

    version: str = "1.0"

    def current_version(self) -> str:
        return self.version


@dataclass
class Fakes:
    table: Table = field(default_factory=Table)
    queues: Queues = field(default_factory=Queues)
    deletions: Deletions = field(default_factory=Deletions)
    fanouts: Fanouts = field(default_factory=Fanouts)
    exports: Exports = field(default_factory=Exports)
    policies: Policies = field(default_factory=Policies)

    @property
    def sign_ins(self) -> SignIns:
        return SignIns(self.table)


def install(monkeypatch: Any) -> Fakes:
    """Put the fakes in place of the repository and adapter functions, for one test."""
    from chalicelib.adapters import queues, storage
    from chalicelib.repos import db, deletion, users
    from chalicelib.repos import exports as export_repo
    from chalicelib.repos import fanout as fanout_repo
    from chalicelib.services import policy_versions as policies

    fakes = Fakes()
    monkeypatch.setattr(queues, "send_batch", fakes.queues.send_batch)
    monkeypatch.setattr(queues, "back_off", fakes.queues.back_off)
    monkeypatch.setattr(db.Entity, "batch_write", classmethod(lambda cls: fakes.table.batch_write()))
    monkeypatch.setattr(db, "transaction", fakes.table.transaction)
    monkeypatch.setattr(users, "usage_before", fakes.sign_ins.usage_before)
    monkeypatch.setattr(deletion, "due_before", fakes.deletions.due_before)
    monkeypatch.setattr(fanout_repo, "get", fakes.fanouts.get)
    monkeypatch.setattr(fanout_repo, "audience_page", fakes.fanouts.audience_page)
    monkeypatch.setattr(export_repo, "get", fakes.exports.get)
    monkeypatch.setattr(storage, "presigned_get", fakes.exports.presigned_get)
    monkeypatch.setattr(policies, "current_version", fakes.policies.current_version)
    return fakes


def account(user_id: str = "u1", role: str = "freelancer", **over: Any) -> Any:
    """A user's account item as the authenticator hands it over (not stored anywhere)."""
    from chalicelib.repos import users

    values: dict[str, Any] = {"user_id": user_id, "role": role, "status": users.ACTIVE, "email_enc": "sealed", "email_hash": "h",
                              "full_name_enc": "sealed", "policy_version": "1.0", "created_at": 1_700_000_000.0,
                              "updated_at": 1_700_000_000.0, **over}
    return users.UserItem(users.user_pk(user_id), "ACCOUNT", **values)


def caller(user: Any) -> Any:
    from chalicelib.services.caller import Caller

    return Caller(user_id=user.user_id, role=user.role, claims=None, token="t", user=user)  # type: ignore[arg-type]

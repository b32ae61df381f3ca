"""Exports (`chalicelib.services.exports`), the parts that are rules, with fakes of its
repository and of storage: what the stream starts, what a user may read, when links end."""
from __future__ import annotations

import pytest

from chalicelib.core import clock, errors
from chalicelib.core.changes import Change
from chalicelib.core.resources import EXPORTS_BUCKET
from chalicelib.services import exports
from tests.unit.fakes import account, caller


def change(kind: str, old: dict | None, new: dict | None, by_ttl: bool = False) -> Change:
    return Change(table="main", keys={"pk": "x", "sk": "y"}, kind=kind, old=old, new=new, by_ttl=by_ttl, sequence="1")


def test_a_new_export_is_built_and_an_expiry_removed_by_ttl_ends_one():
    changes = [
        change("INSERT", None, {"kind": "export", "user_id": "u1", "export_id": "e1"}),
        change("REMOVE", {"kind": "export_expiry", "user_id": "u1", "export_id": "e0"}, None, by_ttl=True),
    ]
    assert exports.select(changes) == [{"user_id": "u1", "export_id": "e1"},
                                       {"user_id": "u1", "export_id": "e0", "expire": True}]


def test_an_expiry_marker_deleted_by_a_function_ends_nothing_twice():
    """The retention job deletes expired markers itself (after ending the export): not TTL's."""
    assert exports.select([change("REMOVE", {"kind": "export_expiry", "user_id": "u1", "export_id": "e0"}, None)]) == []


def test_an_export_marked_ready_starts_no_second_build():
    assert exports.select([change("MODIFY", {"kind": "export", "user_id": "u1", "export_id": "e1", "status": "pending"},
                                  {"kind": "export", "user_id": "u1", "export_id": "e1", "status": "ready"})]) == []


def test_a_ready_export_gives_short_lived_links_to_both_copies(fakes):
    now = clock.now_ts()
    fakes.exports.add("u1", "e1", "ready", now - 60, ready_until=now + 3600)
    answer = exports.status(caller(account("u1")), "e1")
    assert answer["status"] == "ready" and answer["json_url"] and answer["pdf_url"]
    assert [(b, k.rsplit(".", 1)[-1], s) for b, k, s in fakes.exports.links] == [
        (EXPORTS_BUCKET.name, "json", exports.LINK_SECONDS), (EXPORTS_BUCKET.name, "pdf", exports.LINK_SECONDS)]
    assert all(k.startswith("exports/u1/e1/") for _, k, _ in fakes.exports.links)


def test_an_export_past_its_lifetime_is_expired_at_once_without_links(fakes):
    """Before the job or TTL catch up with it, the lifetime is what counts."""
    now = clock.now_ts()
    fakes.exports.add("u1", "e1", "ready", now - 8 * 86400, ready_until=now - 1)
    answer = exports.status(caller(account("u1")), "e1")
    assert answer["status"] == "expired" and answer["json_url"] is None and answer["pdf_url"] is None
    assert fakes.exports.links == []


def test_a_pending_export_has_no_links_yet(fakes):
    fakes.exports.add("u1", "e1", "pending", clock.now_ts())
    answer = exports.status(caller(account("u1")), "e1")
    assert answer["status"] == "pending" and answer["json_url"] is None and answer["expires_at"] is None


def test_another_users_export_is_not_found(fakes):
    fakes.exports.add("u1", "e1", "ready", clock.now_ts(), ready_until=clock.now_ts() + 60)
    with pytest.raises(errors.NotFound):
        exports.status(caller(account("u2")), "e1")


def test_a_build_of_an_export_that_is_not_pending_does_nothing(fakes, monkeypatch):
    fakes.exports.add("u1", "e1", "ready", clock.now_ts())
    monkeypatch.setattr(exports, "gather", lambda user_id: pytest.fail("gathered again"))
    assert exports.build("u1", "e1") == "already built"
    assert exports.build("u1", "missing") == "already built"


@pytest.mark.parametrize("action, details, told", [
    ("disclosure.recorded", {"told": False}, False),  # the law forbids telling the user
    ("disclosure.recorded", {"told": True}, True),
    ("disclosure.recorded", {}, True),
    ("contract.completed", {"told": False}, True),
])
def test_which_audit_entries_the_user_may_read(action, details, told):
    assert exports._may_be_told(action, details) is told

"""Retention jobs (`chalicelib.services.retention`) with fakes of the repositories: what
each removes, how far a run goes, what waits for the next run."""
from __future__ import annotations

import pytest

from chalicelib.core import clock, privacy
from chalicelib.core.resources import ERASURE_QUEUE
from chalicelib.services import retention
from tests.unit.fakes import sign_in

DAY = 86400


def test_sign_ins_older_than_the_profiles_keep_period_are_removed_and_newer_ones_stay(fakes):
    keep = privacy.active().usage_data_keep_days * DAY
    now = clock.now_ts()
    old, recent = sign_in("u1", now - keep - 60), sign_in("u1", now - keep + 3600)
    fakes.table.add(old, recent)
    assert retention.purge_usage_data() == {"removed": 1}
    assert fakes.table.deleted == [old] and fakes.table.items == [recent]


def test_a_run_removes_at_most_max_per_run_and_leaves_the_rest_to_the_next(fakes):
    now = clock.now_ts()
    fakes.table.add(*[sign_in(f"u{i}", now - 10_000 * DAY + i) for i in range(retention.MAX_PER_RUN + 250)])
    assert retention.purge_usage_data() == {"removed": retention.MAX_PER_RUN}
    assert len(fakes.table.items) == 250
    assert retention.purge_usage_data() == {"removed": 250}
    assert fakes.table.items == []


def test_a_run_with_nothing_due_removes_nothing(fakes):
    fakes.table.add(sign_in("u1", clock.now_ts()))
    assert retention.purge_usage_data() == {"removed": 0}
    assert fakes.table.deleted == []


def test_a_run_stops_when_a_page_makes_no_progress():
    """Items that stay due although removed (a removal that skips them): one page, not a loop."""
    calls = []

    def due():
        calls.append(1)
        return ["x"] * retention.PAGE

    assert retention._run("stuck", due, lambda page: 0) == {"removed": 0}
    assert len(calls) == 1


def test_a_run_stops_at_a_short_page():
    pages = [["a"] * retention.PAGE, ["b"] * 3, ["c"] * retention.PAGE]
    assert retention._run("short", lambda: pages.pop(0), len) == {"removed": retention.PAGE + 3}
    assert len(pages) == 1  # the third page was never asked for


def test_closed_accounts_past_their_grace_period_are_queued_for_erasure_by_id(fakes):
    now = clock.now_ts()
    fakes.deletions.add("due-1", now - DAY)
    fakes.deletions.add("due-2", now - 60, outcome="archive")
    fakes.deletions.add("later", now + DAY)
    assert retention.erase_closed_accounts() == {"removed": 2}
    jobs = fakes.queues.of(ERASURE_QUEUE)
    assert [j["user_id"] for j in jobs] == ["due-1", "due-2"]
    assert jobs[1] == {"user_id": "due-2", "token_hash": "hash-of-due-2", "outcome": "archive"}  # ids only, no address


def test_no_closed_account_due_sends_nothing(fakes):
    fakes.deletions.add("later", clock.now_ts() + DAY)
    assert retention.erase_closed_accounts() == {"removed": 0}
    assert fakes.queues.sent == {}


@pytest.mark.parametrize("name", privacy.available())
def test_every_profile_keeps_usage_data_for_a_while(name, monkeypatch, fakes):
    monkeypatch.setenv("PRIVACY_PROFILE", name)
    now = clock.now_ts()
    fakes.table.add(sign_in("u1", now - 60))  # a sign-in a minute ago is never purged
    assert retention.purge_usage_data() == {"removed": 0}

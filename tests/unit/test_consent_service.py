"""Consent changes (`chalicelib.services.consents.update`) with a fake transaction: one
ledger entry per purpose changed, the marketing index moved with it, nothing written
when nothing changes."""
from __future__ import annotations

from chalicelib.repos import users
from chalicelib.services import consents
from tests.unit.fakes import account


def test_nothing_changed_writes_nothing(fakes):
    user = account(marketing=True)
    state = consents.update(user, {"marketing": True, "analytics": None}, "settings")
    assert state["marketing"] is True and fakes.table.transactions == []


def test_one_ledger_entry_per_purpose_changed_with_its_source_and_version(fakes):
    fakes.policies.version = "2.1"
    user = account(analytics=True)
    state = consents.update(user, {"marketing": True, "analytics": True, "promotions": True}, "settings")
    assert state["marketing"] is True and state["promotions"] is True and state["analytics"] is True
    [ops] = fakes.table.transactions
    entries = [item for op, item, _ in ops if op == "save"]
    assert sorted((e.subject, e.decision, e.source, e.version) for e in entries) == [
        ("marketing", "on", "settings", "2.1"), ("promotions", "on", "settings", "2.1")]
    assert all(e.user_id == user.user_id for e in entries)


def test_the_account_is_updated_only_if_it_still_exists(fakes):
    consents.update(account(), {"promotions": True}, "settings")
    [ops] = fakes.table.transactions
    [(op, _, kw)] = [o for o in ops if o[0] == "update"]
    assert kw["condition"] is not None


def test_turning_marketing_on_puts_the_account_in_the_campaigns_index_and_off_takes_it_out(fakes):
    def index_actions(ops) -> dict[str, tuple[str, str | None]]:
        """{attribute: (SET or REMOVE, the value set)} of the update's index attributes."""
        [(_, _, kw)] = [o for o in ops if o[0] == "update"]
        out = {}
        for action in kw["actions"]:
            names: dict[str, str] = {}
            values: dict[str, dict[str, str]] = {}
            action.serialize(names, values)
            [name] = names
            if name.startswith("gsi2"):
                verb = "REMOVE" if "Remove" in type(action).__name__ else "SET"
                out[name] = (verb, next(iter(values.values()), {}).get("S"))
        return out

    user = account()
    consents.update(user, {"marketing": True}, "signup")
    assert index_actions(fakes.table.transactions[-1]) == {"gsi2pk": ("SET", users.MARKETING_ON), "gsi2sk": ("SET", "u1")}
    consents.update(user, {"marketing": False}, "unsubscribe_link")
    assert index_actions(fakes.table.transactions[-1]) == {"gsi2pk": ("REMOVE", None), "gsi2sk": ("REMOVE", None)}
    assert user.marketing is False


def test_a_change_of_analytics_leaves_the_campaigns_index_alone(fakes):
    consents.update(account(), {"analytics": True}, "settings")
    [ops] = fakes.table.transactions
    [(_, _, kw)] = [o for o in ops if o[0] == "update"]
    assert len(kw["actions"]) == 2  # the purpose and the time of the change

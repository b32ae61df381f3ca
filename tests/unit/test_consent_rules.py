"""Consent purposes (`chalicelib.domain.consent`): their defaults and what a change changes."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import consent
from tests.unit.properties import rule


def test_opt_in_starts_with_everything_off():
    assert consent.defaults("opt_in") == dict.fromkeys(consent.PURPOSES, False)


def test_opt_out_turns_on_marketing_and_analytics_only():
    assert consent.defaults("opt_out") == {"marketing": True, "analytics": True, "promotions": False, "third_party_sharing": False}


def test_promotions_and_sharing_are_never_assumed():
    for default in ("opt_in", "opt_out"):
        assert not consent.defaults(default)["promotions"] and not consent.defaults(default)["third_party_sharing"]


def test_only_real_changes_are_recorded():
    current = {"marketing": False, "analytics": True}
    wanted = {"marketing": True, "analytics": True, "promotions": None, "not_a_purpose": True}
    assert consent.changes(current, wanted) == {"marketing": True}


states = st.dictionaries(st.sampled_from(consent.PURPOSES), st.booleans())


@rule
@given(current=states, wanted=st.dictionaries(st.sampled_from([*consent.PURPOSES, "other"]), st.none() | st.booleans()))
def test_applying_the_changes_gives_what_was_wanted_and_asking_again_changes_nothing(current, wanted):
    changed = consent.changes(current, wanted)
    after = {**current, **changed}
    assert all(after.get(p) == v for p, v in wanted.items() if p in consent.PURPOSES and v is not None)
    assert consent.changes(after, wanted) == {}

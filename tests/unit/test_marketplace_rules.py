"""Marketplace rules (`chalicelib.domain.marketplace`): who sees which profile field,
who sees projects, the contract's state machine, who is told about a bid."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import marketplace as rules
from tests.unit.properties import rule

# --- profiles ------------------------------------------------------------------------

def test_relation_of_a_viewer_to_a_profile():
    assert rules.relation(None, "owner", hired_together=True) == rules.ANONYMOUS
    assert rules.relation("owner", "owner", hired_together=False) == rules.OWNER
    assert rules.relation("other", "owner", hired_together=True) == rules.HIRED
    assert rules.relation("other", "owner", hired_together=False) == rules.REGISTERED


def test_a_field_without_a_choice_is_shown_to_signed_in_users_only():
    assert "bio" not in rules.visible_fields({}, rules.ANONYMOUS)
    assert "bio" in rules.visible_fields({}, rules.REGISTERED)


def test_a_private_field_is_seen_by_its_owner_alone():
    visibility = {"location": "private"}
    assert [v for v in (rules.ANONYMOUS, rules.REGISTERED, rules.HIRED, rules.OWNER)
            if "location" in rules.visible_fields(visibility, v)] == [rules.OWNER]


def test_a_hired_only_field_is_seen_once_hired():
    visibility = {"company": "hired"}
    assert "company" not in rules.visible_fields(visibility, rules.REGISTERED)
    assert "company" in rules.visible_fields(visibility, rules.HIRED)


levels = st.sampled_from(rules.LEVELS)
viewers = [rules.ANONYMOUS, rules.REGISTERED, rules.HIRED, rules.OWNER]


@rule
@given(visibility=st.dictionaries(st.sampled_from(rules.PROFILE_FIELDS), levels))
def test_each_closer_relation_sees_at_least_what_a_farther_one_sees(visibility):
    seen = [set(rules.visible_fields(visibility, v)) for v in viewers]
    assert all(a <= b for a, b in zip(seen, seen[1:], strict=False))
    assert seen[-1] == set(rules.PROFILE_FIELDS)  # the owner sees everything


def test_a_pseudonym_names_the_role_and_not_the_person():
    name = rules.new_pseudonym("freelancer")
    assert name.startswith("Freelancer ") and len(name.split()[1]) == 6


# --- projects --------------------------------------------------------------------------

@pytest.mark.parametrize("visibility, registered, sees", [
    ("owner_and_freelancers", False, True),
    ("owner_and_freelancers", True, True),
    ("owner_and_registered_freelancers", False, False),
    ("owner_and_registered_freelancers", True, True),
])
def test_which_freelancers_see_projects(visibility, registered, sees):
    assert rules.freelancer_sees_projects(visibility, registered) is sees


@pytest.mark.parametrize("identity_required, identity, phone_required, phone, done", [
    (True, "approved", True, False, True),  # identity is what counts where it is required
    (True, "pending", True, True, False),
    (False, "none", True, True, True),
    (False, "none", True, False, False),
    (False, "none", False, False, True),  # an account is registration enough
])
def test_registration_complete(identity_required, identity, phone_required, phone, done):
    assert rules.registration_complete(identity_required, identity, phone_required, phone) is done


def test_who_hears_of_a_bid():
    assert rules.bid_notice(None, rules.LIVE)[0] == "owner"
    assert rules.bid_notice(rules.LIVE, rules.ACCEPTED)[0] == "freelancer"
    assert rules.bid_notice(rules.LIVE, rules.REJECTED)[0] == "freelancer"
    assert rules.bid_notice(rules.LIVE, rules.WITHDRAWN) is None  # the freelancer withdrew it: nobody is told
    assert rules.bid_notice(rules.LIVE, rules.LIVE) is None  # an edit is no news


# --- contracts -------------------------------------------------------------------------

@pytest.mark.parametrize("state, action, actor, after", [
    (rules.ACTIVE, "complete", rules.EMPLOYER, rules.COMPLETED),
    (rules.ACTIVE, "dispute", rules.EMPLOYER, rules.DISPUTED),
    (rules.ACTIVE, "dispute", rules.FREELANCER, rules.DISPUTED),
    (rules.DISPUTED, "resolve_freelancer", "admin", rules.COMPLETED),
    (rules.DISPUTED, "resolve_employer", "admin", rules.CANCELLED),
    (rules.ACTIVE, "cancel", "erasure", rules.CANCELLED),
])
def test_contract_transitions(state, action, actor, after):
    assert rules.next_state(state, action, actor) == after


def test_only_the_employer_completes_a_contract():
    with pytest.raises(rules.TransitionRefused) as refused:
        rules.next_state(rules.ACTIVE, "complete", rules.FREELANCER)
    assert refused.value.forbidden and "employer" in str(refused.value)


def test_a_party_cannot_resolve_its_own_dispute():
    for actor in (rules.EMPLOYER, rules.FREELANCER):
        with pytest.raises(rules.TransitionRefused) as refused:
            rules.next_state(rules.DISPUTED, "resolve_freelancer", actor)
        assert refused.value.forbidden


@pytest.mark.parametrize("state", [rules.COMPLETED, rules.CANCELLED])
def test_a_finished_contract_moves_no_more(state):
    for action in ("complete", "dispute", "cancel"):
        with pytest.raises(rules.TransitionRefused) as refused:
            rules.next_state(state, action, rules.EMPLOYER)
        assert not refused.value.forbidden and state in str(refused.value)  # a 409 naming the state, not a 403


def test_a_disputed_contract_cannot_be_completed_by_the_employer():
    with pytest.raises(rules.TransitionRefused):
        rules.next_state(rules.DISPUTED, "complete", rules.EMPLOYER)


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        rules.next_state(rules.ACTIVE, "teleport", rules.EMPLOYER)


def test_reviews_only_after_completion():
    assert rules.can_review(rules.COMPLETED)
    assert not any(rules.can_review(s) for s in (rules.ACTIVE, rules.DISPUTED, rules.CANCELLED))

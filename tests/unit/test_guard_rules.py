"""Who may act (`chalicelib.services.guards`), under each privacy profile: the caller's
account is what the authenticator read; no repository is called."""
from __future__ import annotations

import pytest

from chalicelib.core import errors, privacy
from chalicelib.services import guards
from tests.unit.fakes import account, caller


@pytest.fixture
def profile(monkeypatch):
    def use(name: str) -> privacy.Profile:
        monkeypatch.setenv("PRIVACY_PROFILE", name)
        return privacy.active()

    return use


def test_the_wrong_role_is_forbidden_and_told_which_role_may():
    with pytest.raises(errors.Forbidden, match="Only employers can post projects"):
        guards.role(caller(account(role="freelancer")), "employer", "post projects")
    guards.role(caller(account(role="employer")), "employer", "post projects")


def test_admins_act_only_through_the_admin_routes():
    with pytest.raises(errors.Forbidden):
        guards.member(caller(account(role="admin")), "bid")
    for role in ("freelancer", "employer"):
        guards.member(caller(account(role=role)), "bid")


def test_under_strict_an_unverified_identity_may_not_act(profile):
    assert profile("strict").identity_verification_required
    with pytest.raises(errors.AppError) as refused:
        guards.verified(caller(account(identity_status="pending")))
    assert refused.value.status == 403 and refused.value.code == "IdentityNotVerified"
    guards.verified(caller(account(identity_status="approved")))


@pytest.mark.parametrize("name", [n for n in privacy.available() if not privacy.load(n).identity_verification_required])
def test_where_the_profile_asks_no_identity_none_is_needed(name, profile):
    profile(name)
    guards.verified(caller(account(identity_status="none")))


@pytest.mark.parametrize("name", privacy.available())
def test_registration_follows_the_profile(name, profile):
    p = profile(name)
    approved = caller(account(identity_status="approved", phone_verified=True))
    bare = caller(account(identity_status="none", phone_verified=False))
    assert guards.registered(approved)
    assert guards.registered(bare) is not (p.identity_verification_required or p.phone_otp_required)


def test_only_registered_freelancers_see_projects_under_strict(profile):
    assert profile("strict").project_visibility == "owner_and_registered_freelancers"
    assert guards.sees_projects(caller(account(identity_status="approved", phone_verified=True)))
    assert not guards.sees_projects(caller(account(identity_status="pending", phone_verified=True)))
    assert not guards.sees_projects(caller(account(role="employer", identity_status="approved", phone_verified=True)))


def test_a_user_whose_deletion_is_scheduled_enters_nothing_new():
    with pytest.raises(errors.AppError) as refused:
        guards.no_deletion_scheduled(caller(account(deletion_token_hash="h")), "bid")
    assert refused.value.status == 409 and refused.value.code == "DeletionScheduled" and "bid" in refused.value.message
    guards.no_deletion_scheduled(caller(account()), "bid")

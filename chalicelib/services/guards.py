"""Who may act: checks the marketplace services share. They read the caller's account
(already loaded by the authenticator) and the active privacy profile: no AWS calls."""
from __future__ import annotations

from chalicelib.core import errors, privacy
from chalicelib.domain import marketplace as rules
from chalicelib.repos import identity
from chalicelib.services import policy_versions
from chalicelib.services.caller import Caller


def role(caller: Caller, wanted: str, doing: str) -> None:
    if caller.role != wanted:
        raise errors.Forbidden(f"Only {wanted}s can {doing}")


def member(caller: Caller, doing: str) -> None:
    """Freelancers and employers; admins act through the admin routes."""
    if caller.role not in ("freelancer", "employer"):
        raise errors.Forbidden(f"Only freelancers and employers can {doing}")


def policy_accepted(caller: Caller) -> None:
    """Where the profile wants explicit acceptance, a user who has not accepted the
    version in effect may read, correct and delete, but not create (API.md)."""
    if policy_versions.restricted(caller.user):
        raise errors.policy_not_accepted(policy_versions.current_version())


def registered(caller: Caller) -> bool:
    profile = privacy.active()
    return rules.registration_complete(
        profile.identity_verification_required, caller.user.identity_status, profile.phone_otp_required, caller.user.phone_verified,
    )


def sees_projects(caller: Caller) -> bool:
    """Whether a freelancer may see other people's projects under the active profile."""
    return caller.role == "freelancer" and rules.freelancer_sees_projects(privacy.active().project_visibility, registered(caller))


def verified(caller: Caller) -> None:
    if privacy.active().identity_verification_required and caller.user.identity_status != identity.APPROVED:
        raise errors.identity_not_verified()


def no_deletion_scheduled(caller: Caller, doing: str) -> None:
    """A user whose deletion is scheduled enters no new bids, projects, contracts or
    fundings (their transactions hold the account to the same, `users.check_dealing`)."""
    if caller.user.deletion_token_hash:
        raise errors.deletion_scheduled(doing)


def may_create(caller: Caller, wanted_role: str, doing: str) -> None:
    """Creating marketplace content: the right role and the policy accepted."""
    role(caller, wanted_role, doing)
    policy_accepted(caller)

"""Marketplace rules: who sees which profile field, project and bid states, the
contract state machine. Plain Python, no AWS.
"""
from __future__ import annotations

import secrets

# --- profiles -----------------------------------------------------------------------

PROFILE_FIELDS = ("full_name", "headline", "bio", "skills", "experience", "education", "portfolio", "location", "company")
LEVELS = ("public", "registered", "hired", "private")  # each level sees itself and every level before it
# Decided here (API.md leaves it open): a field without a visibility of its own is shown
# to signed-in users only; the owner widens or narrows it field by field.
DEFAULT_VISIBILITY = "registered"

ANONYMOUS, REGISTERED, HIRED, OWNER = "anonymous", "registered", "hired", "owner"
_SEES = {
    ANONYMOUS: {"public"},
    REGISTERED: {"public", "registered"},
    HIRED: {"public", "registered", "hired"},
    OWNER: set(LEVELS),
}


def relation(viewer_id: str | None, owner_id: str, hired_together: bool) -> str:
    """The viewer's standing towards a profile's owner."""
    if viewer_id is None:
        return ANONYMOUS
    if viewer_id == owner_id:
        return OWNER
    return HIRED if hired_together else REGISTERED


def visible_fields(visibility: dict[str, str], viewer: str) -> list[str]:
    """The profile fields `viewer` (a relation) may see, given the owner's choices."""
    sees = _SEES[viewer]
    return [f for f in PROFILE_FIELDS if visibility.get(f, DEFAULT_VISIBILITY) in sees]


def new_pseudonym(role: str) -> str:
    """A stable stand-in for the name while anonymous: made once, kept on the account."""
    return f"{role.capitalize()} {secrets.token_hex(3).upper()}"


# --- projects and bids ---------------------------------------------------------------

def freelancer_sees_projects(visibility: str, registered: bool) -> bool:
    """The profile's `project_visibility`: `owner_and_freelancers` shows projects to any
    signed-in freelancer; `owner_and_registered_freelancers` only to those who finished
    registration (see `registration_complete`). Other employers and the public: never."""
    return visibility == "owner_and_freelancers" or registered


def registration_complete(identity_required: bool, identity_status: str, phone_required: bool, phone_verified: bool) -> bool:
    """Identity approved where the profile requires it, else the phone verified where it
    requires that; else having an account is registration enough."""
    if identity_required:
        return identity_status == "approved"
    return phone_verified or not phone_required


OPEN, IN_PROGRESS, CLOSED = "open", "in_progress", "closed"
LIVE, WITHDRAWN, REJECTED, ACCEPTED = "live", "withdrawn", "rejected", "accepted"
MAX_FILE_BYTES = 25 * 1024 * 1024  # one project file
MAX_REJECTED_IN_ACCEPT = 90  # other bids rejected inside the accept transaction (DynamoDB: 100 items)


# (bid status before, after) -> (who is told, subject, body); {title} is the project's
BID_NOTICES: dict[tuple[str | None, str], tuple[str, str, str]] = {
    (None, LIVE): ("owner", "New bid on your project", "A freelancer bid on \u201c{title}\u201d. Sign in to compare the bids."),
    (LIVE, ACCEPTED): ("freelancer", "Your bid was accepted", "Your bid on \u201c{title}\u201d was accepted; the contract is ready."),
    (LIVE, REJECTED): ("freelancer", "Your bid was not selected",
                       "The project \u201c{title}\u201d went to another bid or was closed. Thank you for bidding."),
}


def bid_notice(before: str | None, after: str) -> tuple[str, str, str] | None:
    return BID_NOTICES.get((before, after))


# --- contracts ---------------------------------------------------------------------

ACTIVE, COMPLETED, DISPUTED, CANCELLED = "active", "completed", "disputed", "cancelled"
EMPLOYER, FREELANCER = "employer", "freelancer"

# (state, action) -> (new state, who may do it)
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (ACTIVE, "complete"): (COMPLETED, frozenset({EMPLOYER})),
    (ACTIVE, "dispute"): (DISPUTED, frozenset({EMPLOYER, FREELANCER})),
    (DISPUTED, "resolve_freelancer"): (COMPLETED, frozenset({"admin"})),
    (DISPUTED, "resolve_employer"): (CANCELLED, frozenset({"admin"})),
    # a party's account is erased while the contract was never funded (a funded one blocks the erasure)
    (ACTIVE, "cancel"): (CANCELLED, frozenset({"erasure"})),
}


class TransitionRefused(Exception):
    def __init__(self, message: str, forbidden: bool = False):
        super().__init__(message)
        self.forbidden = forbidden


def next_state(state: str, action: str, actor: str) -> str:
    """The contract's state after `actor` (employer, freelancer, admin) does `action`."""
    allowed = [(s, a) for (s, a) in TRANSITIONS if a == action]
    if not allowed:
        raise ValueError(action)
    rule = TRANSITIONS.get((state, action))
    if rule is None:
        raise TransitionRefused(f"The contract is {state}; it cannot {action.split('_')[0]} now")
    new_state, actors = rule
    if actor not in actors:
        raise TransitionRefused(f"Only the {' or '.join(sorted(actors))} may {action.split('_')[0]} a contract", forbidden=True)
    return new_state


def can_review(state: str) -> bool:
    return state == COMPLETED

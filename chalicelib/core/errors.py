"""Domain errors. Plain Python: services raise these, the HTTP layer maps them.

`code` is the API's error `Code`; `details` never carries personal data.
"""
from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "BadRequestError"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def headers(self) -> dict[str, str | list[str]]:
        """Response headers the error carries besides its body."""
        return {}


class BadRequest(AppError):
    status, code = 400, "BadRequestError"


class Unauthorized(AppError):
    status, code = 401, "UnauthorizedError"


class Forbidden(AppError):
    status, code = 403, "ForbiddenError"


class NotFound(AppError):
    status, code = 404, "NotFoundError"


class Conflict(AppError):
    status, code = 409, "ConflictError"


class Unprocessable(AppError):
    status, code = 422, "UnprocessableEntityError"


class TooManyRequests(AppError):
    status, code = 429, "TooManyRequests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None,
                 details: dict[str, Any] | None = None):
        """`retry_after`: the seconds to wait, sent as `Retry-After` (API.md: every 429 carries it)."""
        super().__init__(message, code=code, details=details)
        self.retry_after = max(1, int(retry_after))

    def headers(self) -> dict[str, str | list[str]]:
        return {"Retry-After": str(self.retry_after)}


class ServiceUnavailable(AppError):
    status, code = 503, "ServiceUnavailable"


# --- named codes of the API contract ---------------------------------------------------

def age_requirement_not_met(message: str) -> Forbidden:
    return Forbidden(message, code="AgeRequirementNotMet")


def policy_version_mismatch(current: str) -> Conflict:
    return Conflict(f"The current policy version is {current}; read and accept it to sign up", code="PolicyVersionMismatch")


def phone_not_verified() -> Forbidden:
    return Forbidden("Verify your phone number with the code we sent before signing in", code="PhoneNotVerified")


def identity_not_verified() -> Forbidden:
    return Forbidden("Your identity must be verified first", code="IdentityNotVerified")


def contact_info_not_allowed(field: str, what: str) -> Unprocessable:
    return Unprocessable(
        f"Field '{field}' contains {what}; contact details are shared only once you are hired",
        code="ContactInfoNotAllowed", details={"field": field},
    )


def policy_not_accepted(current: str) -> Forbidden:
    return Forbidden(
        f"Accept the privacy policy version {current} (POST /me/policy-decisions) to do this", code="PolicyNotAccepted",
    )


def notice_period_too_short(days: int, earliest: str) -> Unprocessable:
    return Unprocessable(
        f"The privacy profile promises {days} days' notice of a policy change: effective_at must be {earliest} or later",
        code="NoticePeriodTooShort", details={"field": "effective_at", "earliest": earliest},
    )


def phone_in_use() -> Conflict:
    """One verified phone number, one account: the number is what the one-time code proves."""
    return Conflict("This phone number is already verified on another account", code="PhoneInUse", details={"field": "phone"})


def deletion_scheduled(doing: str) -> Conflict:
    """The caller's own deletion is scheduled: nothing new that money could follow."""
    return Conflict(f"Your account is scheduled for deletion, so you cannot {doing}; cancel the deletion "
                    "(DELETE /me/deletion) to go on using it", code="DeletionScheduled")


def account_unavailable(who: str, doing: str) -> Conflict:
    """The other party's account is closed, erased or scheduled for deletion."""
    return Conflict(f"The {who}'s account is closed or being deleted; {doing}", code="AccountUnavailable")


# --- money: errors of the API contract (services/payouts.py, escrow.py; repos/idempotency.py) ---

def insufficient_funds(currency: str) -> Conflict:
    return Conflict(f"The amount is more than your available {currency} balance", code="InsufficientFunds")


def key_reused() -> Conflict:
    return Conflict("This Idempotency-Key was used with another request; use a new key", code="IdempotencyKeyReused")


def method_missing() -> Conflict:
    return Conflict("Add a payout method first (PUT /me/payout-method)", code="PayoutMethodMissing")

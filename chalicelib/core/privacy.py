"""Privacy profiles: the platform's privacy policy as data the code obeys.

Each profile is a JSON file in `chalicelib/privacy_profiles/` (one per seed policy, and
`strict`, the default), selected by `PRIVACY_PROFILE`. It is validated when the app
starts: a bad file stops start-up with `ProfileError` naming the file and the field.
Every rule reads a parameter of `active()`; no code asks which platform this is.
Plain Python: no AWS imports.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PROFILE_DIR = Path(os.environ.get("PRIVACY_PROFILE_DIR") or Path(__file__).resolve().parent.parent / "privacy_profiles")
DEFAULT_PROFILE = "strict"

Role = Literal["employer", "freelancer"]
DocumentType = Literal["cnic", "passport", "driving_license", "voter_id", "tax_id"]
Blocker = Literal["pending_payout", "open_dispute", "active_contract", "legal_hold", "wallet_balance"]


class ProfileError(RuntimeError):
    """A privacy profile is missing or invalid: the app must not start."""


class PerRole(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    freelancer: int | None = Field(default=None, ge=0, le=120)
    employer: int | None = Field(default=None, ge=0, le=120)

    def of(self, role: str) -> int | None:
        return getattr(self, role)


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,40}$")
    description: str
    source: str | None
    roles: dict[Role, list[str]]
    minimum_age: PerRole
    guardian_consent_minimum_age: PerRole
    identity_verification_required: bool
    identity_document_types: list[DocumentType] = Field(min_length=1)
    phone_otp_required: bool
    profile_review_required: bool
    contact_details_in_profile: Literal["refused"]
    project_visibility: Literal["owner_and_freelancers", "owner_and_registered_freelancers"]
    contact_details_between_parties: Literal["once_hired"]
    anonymity_allowed: bool
    self_service_deletion: Literal["erase", "request_only", "correction_only"]
    deletion_blockers: list[Blocker]
    erasure_grace_days: int = Field(ge=0, le=3650)
    after_erasure: Literal["pseudonymise_ledger", "archive"]
    identity_documents_keep_days: int | None = Field(ge=0, le=3650)
    usage_data_keep_days: int = Field(ge=1, le=3650)
    marketing_default: Literal["opt_in", "opt_out"]
    promotions_use_profile: Literal["with_consent", "contest_entrants", "not_addressed"]
    testimonials: Literal["with_permission", "not_addressed"]
    export_formats: list[Literal["json", "pdf"]] = Field(min_length=1)
    policy_notice_days: int = Field(ge=0, le=365)
    policy_explicit_acceptance: bool
    policy_change_channels: list[Literal["email", "sms", "in_app", "site_notice"]] = Field(min_length=1)
    # "material changes by email" (Al Ujrat): other changes are told in-app only
    policy_change_email: Literal["always", "material_only"] = "always"
    legal_disclosures_told: bool
    business_transfer_announced: bool
    phishing_reports_accepted: bool
    data_sold: Literal[False]
    # The platform's fee on each release of escrow, in basis points (1000 = 10%), rounded
    # half up to a whole minor unit (`domain.ledger.fee_of`). Part of what the platform
    # promises, so it is published with the profile (`GET /policies/profile`).
    platform_fee_bps: int = Field(ge=0, le=5000)

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        for role in ("freelancer", "employer"):
            minimum, guarded = self.minimum_age.of(role), self.guardian_consent_minimum_age.of(role)
            if minimum is None:
                raise ValueError(f"minimum_age.{role} is required")
            if guarded is not None and guarded >= minimum:
                raise ValueError(f"guardian_consent_minimum_age.{role} must be below minimum_age.{role}")
        return self

    # --- rules that read the parameters ----------------------------------------------

    def age_decision(self, role: str, age: int, guardian_consent: bool) -> str:
        """'adult' (admitted), 'supervised' (admitted as a minor with guardian consent),
        'guardian_required' or 'refused'."""
        if age >= (self.minimum_age.of(role) or 0):
            return "adult"
        guarded = self.guardian_consent_minimum_age.of(role)
        if guarded is not None and age >= guarded:
            return "supervised" if guardian_consent else "guardian_required"
        return "refused"


def load(name: str) -> Profile:
    if not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ProfileError(f"PRIVACY_PROFILE '{name}' is not a profile name")
    path = PROFILE_DIR / f"{name}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.json")))
        raise ProfileError(f"PRIVACY_PROFILE '{name}' has no file {path.name} in {PROFILE_DIR} (known: {known})")
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise ProfileError(f"privacy profile {path.name} is not valid JSON: {exc}") from None
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(profile)'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ProfileError(f"privacy profile {path.name} is invalid: {problems}") from None
    if profile.name != name:
        raise ProfileError(f"privacy profile {path.name} names itself '{profile.name}'")
    return profile


@lru_cache(maxsize=8)
def _cached(name: str) -> Profile:
    return load(name)


def active() -> Profile:
    """The profile the platform runs under (`PRIVACY_PROFILE`, default `strict`)."""
    return _cached(os.environ.get("PRIVACY_PROFILE") or DEFAULT_PROFILE)


def available() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.json"))

"""The text of a privacy policy, rendered from a privacy profile: the policy users accept
says what the code enforces (the first version's text, `policy_versions.ensure_first_version`)."""
from __future__ import annotations

from chalicelib.core import privacy
from chalicelib.services import deletion


def render(profile: privacy.Profile) -> tuple[str, str]:
    summary = (
        "We collect what running the marketplace needs, encrypt your personal details, never sell your data, "
        "and let you see, correct, export and delete it."
    )
    blockers = ", ".join(b.replace("_", " ") for b in deletion.named(profile)) or "none"  # money under every profile
    lines = [
        "Privacy policy",
        "",
        f"Who may join: freelancers from age {profile.minimum_age.freelancer}, employers from age {profile.minimum_age.employer}"
        + (
            f" (from {profile.guardian_consent_minimum_age.employer} with a guardian's consent, supervised)."
            if profile.guardian_consent_minimum_age.employer is not None else "."
        ),
        "Your phone number is verified with a one-time code." if profile.phone_otp_required else "",
        "Identity is verified before you post projects or bid." if profile.identity_verification_required else "",
        "Your phone, date of birth, address and identity numbers are encrypted with a key of your own.",
        f"Sign-in records (time, IP address, device) are kept {profile.usage_data_keep_days} days.",
        f"Identity documents are kept {profile.identity_documents_keep_days} days after the decision."
        if profile.identity_documents_keep_days is not None else "",
        "Contact details are shared with the other party only once you are hired.",
        f"Marketing messages: {'only if you opt in' if profile.marketing_default == 'opt_in' else 'on unless you opt out'}.",
        f"Deletion: {profile.self_service_deletion.replace('_', ' ')}; blocked while any of these is open: {blockers}; "
        f"grace period {profile.erasure_grace_days} days.",
        f"Changes to this policy are announced {profile.policy_notice_days} days before they take effect.",
        "You accept or reject each new version; until you accept the version in effect you can still read, correct, export and "
        "delete your data, but not post projects, bid, send messages or request payouts."
        if profile.policy_explicit_acceptance else "Using the platform once a new version is in effect means you accept it.",
        "If we must disclose your data to an authority, we tell you, unless the law forbids it." if profile.legal_disclosures_told else "",
        "If the business changes hands, every user is told by email and in the app." if profile.business_transfer_announced else "",
        f"You can download everything we keep about you ({' and '.join(f.upper() for f in profile.export_formats)})."
        if profile.export_formats else "",
        "We never sell your data." if profile.data_sold is False else "",
    ]
    return summary, "\n".join(lines[:2] + [line for line in lines[2:] if line])

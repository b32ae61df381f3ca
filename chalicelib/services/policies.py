"""Privacy policy versions and the privacy profile, as the platform publishes them.

The first version is written with the stack (`ensure_first_version`, idempotent;
the local stack and tests call it when they provision, deployed stages on first
read). Its text is rendered from the active privacy profile, so the policy users
accept says what the code enforces. The index of versions is cached per container
(`cached_index`), so knowing the version in effect usually costs no AWS call.
"""
from __future__ import annotations

import json

from chalicelib.core import clock, privacy
from chalicelib.core.cache import TtlCache
from chalicelib.repos import policies as repo

FIRST_VERSION = "1.0"
FIRST_EFFECTIVE_AT = 1767225600.0  # 2026-01-01T00:00:00Z
_index = TtlCache(4, 60, clock.now_ts)  # per container; a new version shows within a minute


def render(profile: privacy.Profile) -> tuple[str, str]:
    summary = (
        "We collect what running the marketplace needs, encrypt your personal details, never sell your data, "
        "and let you see, correct, export and delete it."
    )
    blockers = ", ".join(b.replace("_", " ") for b in profile.deletion_blockers) or "none"
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
        "We never sell your data.",
    ]
    return summary, "\n".join(lines[:2] + [line for line in lines[2:] if line])


def ensure_first_version() -> None:
    summary, text = render(privacy.active())
    repo.put_first(repo.build(FIRST_VERSION, FIRST_EFFECTIVE_AT, summary, text))


def cached_index() -> repo.PolicyIndex | None:
    return _index.get("index")


def remember_index(index: repo.PolicyIndex) -> None:
    _index.put("index", index)


def index() -> repo.PolicyIndex:
    found = cached_index()
    if found is None:
        found = repo.get_index()
        if found is None:
            ensure_first_version()
            found = repo.get_index()
        remember_index(found)
    return found


def current_version() -> str:
    """The version in effect now (from the cached index: usually no AWS call)."""
    return index().in_effect(clock.now_ts()) or FIRST_VERSION


def current() -> repo.PolicyVersion:
    versions = dict((v, e) for v, e in json.loads(index().versions))
    version = current_version()
    found = repo.get_version(version, versions[version])
    if found is None:
        raise RuntimeError("the policy index names a version that is not stored")
    return found


def all_versions() -> list[repo.PolicyVersion]:
    index()  # writes the first version if the stack has none yet
    return repo.all_versions()


def profile() -> dict:
    return privacy.active().model_dump(mode="json")


def _says(field) -> str:
    if field.rule == "erase":
        return "erased when the account is erased"
    if field.rule == "pseudonymise":
        return f"kept without the link to the person: {field.reason}"
    return f"kept: {field.reason}"


def data_map() -> dict:
    """The data map (`domain.datamap`) in plain words: every store and field, its data
    category, whether the export holds it, and what erasure does with it."""
    from chalicelib.domain import datamap

    def fields(mapping: dict) -> list[dict]:
        return [{"name": name, "category": f.category, "rule": f.rule, "exported": f.export, "says": _says(f)}
                for name, f in mapping.items()]

    stores = [{"store": f"table item '{kind}'", "fields": fields({**attrs, **datamap.KEYS})} for kind, attrs in sorted(datamap.ENTITIES.items())]
    stores.append({"store": "keys table (no backups)", "fields": fields(datamap.WRAPPED_KEY)})
    stores += [{"store": f"bucket '{bucket}'", "fields": fields({prefix: f})} for (bucket, prefix), f in datamap.OBJECTS.items()]
    stores.append({"store": "Cognito user pool", "fields": fields(datamap.COGNITO)})
    stores += [{"store": f"queue '{name}'", "fields": fields(payload)} for name, payload in datamap.QUEUES.items()]
    return {"items": stores}

"""Privacy policy versions and the privacy profile, as the platform publishes them.

The first version is written with the stack (`ensure_first_version`, idempotent;
the local stack and tests call it when they provision, deployed stages on first
read). Its text is rendered from the active privacy profile, so the policy users
accept says what the code enforces. The index of versions is cached per container
(`cached_index`), so knowing the version in effect usually costs no AWS call.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.core import clock, privacy, settings
from chalicelib.core.cache import TtlCache
from chalicelib.core.changes import Change
from chalicelib.core.observability import logger
from chalicelib.repos import policies as repo
from chalicelib.services import deletion

FIRST_VERSION = "1.0"
FIRST_EFFECTIVE_AT = 1767225600.0  # 2026-01-01T00:00:00Z
_index = TtlCache(4, 60, clock.now_ts)  # per container; a new version shows within a minute


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
        found = _stored_index()
        remember_index(found)
    return found


def _stored_index() -> repo.PolicyIndex:
    """The policy index item, created with the first version on a fresh deployment."""
    found = repo.get_index()
    if found is None:
        ensure_first_version()
        found = repo.get_index()
    if found is None:
        raise RuntimeError("the policy index is missing right after it was created")
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


# --- versions in order, and who has accepted the one in effect -------------------------

def _order() -> dict[str, int]:
    return {v: n for n, (v, _) in enumerate(repo.versions_of(index()))}


def covers_current(accepted: str | None) -> bool:
    """Whether having accepted `accepted` means having accepted the version in effect
    (the same or a later one: a user may accept an upcoming version early)."""
    order = _order()
    return order.get(accepted or "", -1) >= order.get(current_version(), 0)


def binds(user: Any) -> bool:
    """Whether the version in effect binds the user yet: from its effective date, and for
    someone who joined after it was published (and was told then, `tell_newcomers`) not
    before the profile's notice period has run from when they joined. Members from before
    the publication were told at least that long before the effective date (`publish`)."""
    effective = dict(repo.versions_of(index())).get(current_version(), 0.0)
    joined = getattr(user, "member_since", None) or 0.0
    if joined >= effective:  # it was in effect when they joined: they were shown it then
        return clock.now_ts() >= effective
    return clock.now_ts() >= max(effective, joined + privacy.active().policy_notice_days * 86400)


def restricted(user: Any) -> bool:
    """Where the profile asks for explicit acceptance, a member who has not accepted the
    version in effect may read, correct, export, consent and delete, but not create.
    Worked out on every request from the version in effect, so it begins the moment a
    version takes effect (and ends the moment the user accepts), between job runs too;
    for a member who joined during its notice period, once their own notice ran (`binds`)."""
    return (privacy.active().policy_explicit_acceptance and user.role != "admin" and not covers_current(user.policy_version)
            and binds(user))


def status_of(version: str, effective_at: float) -> str:
    current = current_version()
    if version == current:
        return "in_effect"
    return "upcoming" if effective_at > clock.now_ts() else "superseded"


# --- publishing ------------------------------------------------------------------------

def publish(admin_id: str, version: str, summary: str, text: str, effective_at: float, material: bool) -> repo.PolicyVersion:
    """A new version, in one write; the stream then notifies every user (`announce`)."""
    from chalicelib.core import errors
    from chalicelib.repos import audit

    profile = privacy.active()
    earliest = clock.now_ts() + profile.policy_notice_days * 86400
    if effective_at < earliest - 60:  # a minute's grace for the clock of the admin's browser
        raise errors.notice_period_too_short(profile.policy_notice_days, clock.iso(earliest))
    found = _stored_index()
    versions = repo.versions_of(found)
    if any(v == version for v, _ in versions):
        raise errors.Conflict(f"Version {version} exists already; publish a new version number", details={"field": "version"})
    if versions and effective_at <= versions[-1][1]:
        raise errors.Conflict(f"Version {versions[-1][0]} takes effect {clock.iso(versions[-1][1])}; a new version must take effect later",
                              details={"field": "effective_at"})
    item = repo.build(version, effective_at, summary, text, material)
    item.published_by = admin_id
    try:
        repo.publish(item, found, [audit.build(admin_id, "policy.published", None, {"version": version})])
    except Exception as exc:
        if "TransactionCanceled" in str(exc) or getattr(exc, "cause_response_code", "") == "TransactionCanceledException":
            raise errors.Conflict("Another version was published meanwhile; reload and try again") from None
        raise
    _index.clear()
    logger.info("policy version published", extra={"version": version, "effective_at": effective_at})
    return item


def notice_channels(profile: privacy.Profile, material: bool) -> list[str]:
    """Where the profile says a policy change is told to each user: email (for some
    profiles only material changes), SMS, in-app. A site notice is the policy page."""
    channels: list[str] = [c for c in profile.policy_change_channels if c in ("email", "sms", "in_app")]
    if not material and profile.policy_change_email == "material_only":
        channels = [c for c in channels if c not in ("email", "sms")]
    return channels


NEWCOMERS_PER_MESSAGE = 50  # a fan-out batch's size (`services.fanout.BATCH_SIZE`)


def select(changes: list[Change]) -> list[dict[str, Any]]:
    """The stream's concern, for the `policies` queue (ids only): each newly published
    version to announce, and the members who joined (an account that became active),
    in messages of at most `NEWCOMERS_PER_MESSAGE`, to tell of versions they missed."""
    out: list[dict[str, Any]] = []
    joined: list[list[str]] = []
    for c in changes:
        old, new = c.old, c.new
        if new and new.get("kind") == "user" and _became_member(old, new):
            joined.append([str(new["user_id"]), str(new.get("policy_version") or "")])
        if old or not new or new.get("kind") != "policy" or new["version"] == FIRST_VERSION:
            continue
        out.append({"version": str(new["version"]), "effective_at": float(new["effective_at"])})
    out += [{"joined": joined[i:i + NEWCOMERS_PER_MESSAGE]} for i in range(0, len(joined), NEWCOMERS_PER_MESSAGE)]
    return out


def handle(message: dict[str, Any]) -> int:
    """One message of the policies queue. A version: a fan-out to every member on the
    channels the profile names (idempotent: its id is made of the version). Newcomers: the
    same fan-out for each version later than the one they accepted, for them only."""
    if "joined" in message:
        return tell_newcomers([(u, v) for u, v in message["joined"]])
    item = repo.get_version(message["version"], float(message["effective_at"]))
    if item is None:
        logger.warning("policy version to announce not found", extra={"version": message["version"]})
        return 0
    return int(_policy_fanout(item.version, item.effective_at, item.summary, item.material,
                              item.published_at or item.effective_at) is not None)


def _became_member(old: dict | None, new: dict) -> bool:
    from chalicelib.services.fanout import MEMBER_ROLES

    active = "active"  # users.ACTIVE, as the stream image spells it
    return (new.get("status") == active and new.get("role") in MEMBER_ROLES
            and (not old or old.get("status") != active))


def _policy_fanout(version: str, effective: float, summary: str, material: bool, published: float) -> str | None:
    """The notice fan-out of a version (created once: its id is made of the version and
    its publication), or None where the profile tells nobody individually."""
    import hashlib

    from chalicelib.services import fanout

    profile = privacy.active()
    channels = notice_channels(profile, material)
    if not channels:
        return None
    when = clock.iso(effective)[:10]
    body = (f"{summary}\n\nThe full text: {settings.public_api_url()}/policies\n"
            f"It takes effect on {when}.")
    if profile.policy_explicit_acceptance:
        body += (" Please accept or reject it. Until you accept it, from that day you can still read, correct and"
                 " export your data, change your consents and delete your account, but not post projects, bid,"
                 " send messages or request payouts.")
    fanout_id = f"{int(published * 1000):012x}{hashlib.sha256(version.encode()).hexdigest()[:12]}"
    return fanout.create("policy", f"Our privacy policy changes on {when} (version {version})", body, "system",
                         channels=channels, topic=version, decision=profile.policy_explicit_acceptance, fanout_id=fanout_id)


def tell_newcomers(joined: list[tuple[str, str]]) -> int:
    """Members who joined (became active) after a version was published missed its
    fan-out: each gets the notice of every version later than the one they accepted at
    signup, in the same fan-out (so nobody it reached already is told twice). Their
    notice period runs from when they joined (`binds`)."""
    from chalicelib.services import fanout

    _index.clear()  # a version published a moment ago must not be missed
    versions = repo.versions_of(index())
    order = {v: n for n, (v, _) in enumerate(versions)}
    told = 0
    for version, effective_at in versions:
        if version == FIRST_VERSION:
            continue
        users = [u for u, accepted in joined if order[version] > order.get(accepted, -1)]
        if not users:
            continue
        item = repo.get_version(version, effective_at)
        if item is None:
            continue
        fanout_id = _policy_fanout(version, effective_at, item.summary, item.material, item.published_at)
        if fanout_id is not None:
            told += fanout.send_to(fanout_id, users)
    if told:
        logger.info("newcomers told of policy versions", extra={"users": len(joined), "notices": told})
    return told


# --- decisions -------------------------------------------------------------------------

def decide(user: Any, version: str, decision: str, source: str) -> dict:
    """Record the user's decision on a version (`accept` or `reject`); the latest
    decision on a version counts. Accepting makes it the user's accepted version;
    rejecting the version they had accepted goes back to the one accepted before."""
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.core import errors
    from chalicelib.repos import db
    from chalicelib.repos import users as users_repo

    order = _order()
    if version not in order:
        raise errors.NotFound(f"No policy version {version}")
    current = current_version()
    if order[version] < order.get(current, 0):
        raise errors.Conflict(f"Version {version} is no longer in effect; version {current} is", details={"field": "version"})
    accepted = user.policy_version or ""
    if decision == "accept":
        new_accepted = version if order[version] > order.get(accepted, -1) else accepted
    elif accepted == version:
        new_accepted = _accepted_before(users_repo.ledger(user.user_id), order, version)
    else:
        new_accepted = accepted
    entry = users_repo.ledger_entry(user.user_id, "policy", decision, version, source)
    try:
        with db.transaction() as tx:
            tx.update(user, actions=[users_repo.UserItem.policy_version.set(new_accepted), users_repo.UserItem.updated_at.set(clock.now_ts())],
                      condition=users_repo.UserItem.policy_version == accepted)
            tx.save(entry)
    except TransactWriteError:
        raise errors.Conflict("Another decision was recorded meanwhile; try again") from None
    user.policy_version = new_accepted
    logger.info("policy decision recorded", extra={"user_id": user.user_id, "version": version, "decision": decision, "source": source})
    return {"version": version, "decision": decision, "recorded_at": clock.iso(entry.at),
            "policy": {"accepted_version": new_accepted or None, "restricted": restricted(user)}}


def _accepted_before(ledger: list[Any], order: dict[str, int], version: str) -> str:
    """The latest version before `version` whose last decision is an acceptance: a
    version accepted and then rejected stays rejected (only a new act accepts it)."""
    last: dict[str, str] = {}
    for entry in ledger:  # oldest first
        if entry.subject == "policy" and entry.version in order and order[entry.version] < order[version]:
            last[entry.version] = entry.decision
    return max((v for v, d in last.items() if d == "accept"), key=lambda v: order[v], default="")


def decide_by_link(version: str, decision: str, token: str) -> dict:
    """The accept/reject link of a notice email: valid only for its user, version and
    decision, until it expires; following it again records the same decision again."""
    from chalicelib.core import errors
    from chalicelib.repos import users as users_repo
    from chalicelib.security import links

    try:
        user_id = links.verify(token, f"policy:{version}:{decision}")
    except links.InvalidLink:
        raise errors.BadRequest("This link is not valid (it was altered or has expired); decide in the app instead",
                                details={"field": "token"}) from None
    user = users_repo.get(user_id)
    if user is None or user.status == users_repo.ERASED:
        raise errors.NotFound("No such user")
    return decide(user, version, decision, "email_link")


def described(item: repo.PolicyVersion) -> dict:
    return {"version": item.version, "effective_at": clock.iso(item.effective_at), "summary": item.summary, "text": item.text,
            "material": item.material, "status": (status := status_of(item.version, item.effective_at)),
            "in_effect": status == "in_effect"}


def continued_use(user: Any) -> None:
    """Where the profile takes continued use as acceptance, a member's first signed-in
    request after a version takes effect records their acceptance (once per version)."""
    if privacy.active().policy_explicit_acceptance or user.role == "admin" or covers_current(user.policy_version) or not binds(user):
        return
    if _rejected(user.user_id, current_version()):
        return  # a rejection stands until the user decides again: using the platform is not a new decision
    try:
        decide(user, current_version(), "accept", "continued_use")
    except Exception as exc:  # a concurrent request recorded it: nothing is lost
        logger.info("continued use not recorded", extra={"error": type(exc).__name__})


_rejections = TtlCache(1024, 300, clock.now_ts)  # (user, version) known rejected: a later decision changes `covers_current` first


def _rejected(user_id: str, version: str) -> bool:
    """Whether the user's latest decision on `version` is a rejection (one Query of their
    ledger, only for someone who has not accepted the version in effect)."""
    from chalicelib.repos import users as users_repo

    if _rejections.get((user_id, version)):
        return True
    last = None
    for entry in users_repo.ledger(user_id):  # oldest first
        if entry.subject == "policy" and entry.version == version:
            last = entry.decision
    if last == "reject":
        _rejections.put((user_id, version), True)
    return last == "reject"


# --- the effective date ------------------------------------------------------------------

def apply_due() -> dict[str, Any]:
    """The scheduled job: every version whose effective date has come is marked in
    effect (once) and audited. The restriction itself needs no write per user (see
    `restricted`); the metric says how many versions took effect."""
    from chalicelib.core.observability import metrics
    from chalicelib.repos import audit

    _index.clear()
    now = clock.now_ts()
    applied = 0
    for version, effective_at in repo.versions_of(index()):
        if effective_at > now or version == FIRST_VERSION:
            continue
        item = repo.get_version(version, effective_at)
        if item is not None and item.applied_at is None and repo.mark_applied(item, now):
            audit.build("system", "policy.in_effect", None, {"version": version}).save()
            applied += 1
            logger.info("policy version in effect", extra={"version": version})
    metrics.add_metric(name="PolicyVersionsApplied", unit="Count", value=applied)
    return {"applied": applied, "current": current_version()}


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

"""Publishing a privacy policy version, and telling the users of it: the stream's concern
(`select`) and the `policies` queue (`handle`) fan a notice out to every member on the
channels the profile names, and to each newcomer the versions they missed."""
from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.core import clock, errors, privacy, settings
from chalicelib.core.changes import Change
from chalicelib.core.observability import logger
from chalicelib.repos import audit, db
from chalicelib.repos import policies as repo
from chalicelib.services import fanout
from chalicelib.services import policy_versions as versions


def publish(admin_id: str, version: str, summary: str, text: str, effective_at: float, material: bool) -> repo.PolicyVersion:
    """A new version, in one write; the stream then notifies every user (`announce`)."""
    profile = privacy.active()
    earliest = clock.now_ts() + profile.policy_notice_days * 86400
    if effective_at < earliest - 60:  # a minute's grace for the clock of the admin's browser
        raise errors.notice_period_too_short(profile.policy_notice_days, clock.iso(earliest))
    found = versions.stored_index()
    known = repo.versions_of(found)
    if any(v == version for v, _ in known):
        raise errors.Conflict(f"Version {version} exists already; publish a new version number", details={"field": "version"})
    if known and effective_at <= known[-1][1]:
        raise errors.Conflict(f"Version {known[-1][0]} takes effect {clock.iso(known[-1][1])}; a new version must take effect later",
                              details={"field": "effective_at"})
    item = repo.build(version, effective_at, summary, text, material)
    item.published_by = admin_id
    try:
        repo.publish(item, found, [audit.build(admin_id, "policy.published", None, {"version": version})])
    except db.Conflict:
        raise errors.Conflict("Another version was published meanwhile; reload and try again") from None
    versions.forget_index()
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
        if old or not new or new.get("kind") != "policy" or new["version"] == versions.FIRST_VERSION:
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
    active = "active"  # users.ACTIVE, as the stream image spells it
    return (new.get("status") == active and new.get("role") in fanout.MEMBER_ROLES
            and (not old or old.get("status") != active))


def _policy_fanout(version: str, effective: float, summary: str, material: bool, published: float) -> str | None:
    """The notice fan-out of a version (created once: its id is made of the version and
    its publication), or None where the profile tells nobody individually."""
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
    versions.forget_index()  # a version published a moment ago must not be missed
    known = repo.versions_of(versions.index())
    order = {v: n for n, (v, _) in enumerate(known)}
    told = 0
    for version, effective_at in known:
        if version == versions.FIRST_VERSION:
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

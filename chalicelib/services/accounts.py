"""Accounts: signup, phone verification, sign-in, tokens, and the caller's own data.

Signup never leaves half an account. The address is claimed first (a conditional put
that expires if the signup dies), then the Cognito user is made, then one DynamoDB
transaction writes the account, its wrapped data key, the first consent-ledger entry,
the one-time code and the SMS that carries it, and marks the claim taken. If the
transaction fails the Cognito user is deleted again. A signup retried after a crash
finds its own stale Cognito user (the claim was never taken) and replaces it.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters import cognito
from chalicelib.core import clock, errors, privacy
from chalicelib.core.observability import logger
from chalicelib.domain import accounts as rules
from chalicelib.domain import consent, contact
from chalicelib.repos import db, notifications
from chalicelib.repos import policies as policy_repo
from chalicelib.repos import users as repo
from chalicelib.repos.batch import Batch
from chalicelib.repos.db import Entity
from chalicelib.security import crypto, vault
from chalicelib.security.tokens import InvalidToken, verify
from chalicelib.services import policy_decisions, policy_versions
from chalicelib.services.caller import Caller, Verified
from chalicelib.services.loads import Load

ROLES = ("freelancer", "employer")


def email_hash(email: str) -> str:
    return vault.lookup_hash("email", email.strip().lower())


def phone_hash(phone: str) -> str:
    return vault.lookup_hash("phone", phone)


def _otp_items(user_id: str, phone: str) -> list[Entity]:
    """A new code for the account (replacing any earlier one and its tries) and the SMS that carries it."""
    code = rules.new_code()
    otp = repo.new_otp(user_id, vault.lookup_hash(f"otp:{user_id}", code), phone_hash(phone), clock.now_ts() + rules.OTP_SECONDS)
    sms = notifications.new(
        "sms", phone, "", f"Your verification code is {code}. It expires in {rules.OTP_SECONDS // 60} minutes.",
        user_id=user_id, purpose="phone_verification",
    )
    return [otp, sms]


def _may_send_code(user_id: str) -> repo.CodeSends | None:
    """The account's recent code sends, if one more code may go now; else `429` with
    `Retry-After`. Every path that sends a code asks this, and counts its send in the same
    transaction with `_count_send`: one limit per account, whatever sent the codes."""
    read = repo.code_sends(user_id)
    refusal = rules.code_refusal(list(read.sends) if read else [], clock.now_ts())
    if refusal:
        raise errors.TooManyRequests(refusal.message, retry_after=refusal.retry_after)
    return read


def _count_send(read: repo.CodeSends | None) -> repo.CodeSend:
    """One more code sent, for the repository to count in the transaction that sends it."""
    now = clock.now_ts()
    return repo.CodeSend(read, rules.recent_sends(list(read.sends) if read else [], now) + [now], rules.RESEND_WINDOW_SECONDS)


def _raced_send(exc: db.Conflict) -> None:
    """A code sent to the account by another request meanwhile (the count it read changed)
    is `429`, as if it had come first."""
    if exc.on == repo.CODE_SENDS:
        raise errors.TooManyRequests(
            f"Wait {rules.RESEND_MIN_SECONDS} seconds before asking for another code", retry_after=rules.RESEND_MIN_SECONDS,
        ) from None


# --- signup ----------------------------------------------------------------------------

def refuse_contact_details_in_name(full_name: str | None) -> None:
    """The name is shown where the profile is (`display_name`), to people not hired yet:
    no contact details in it ("ada at example dot com")."""
    kind = contact.find(full_name or "")
    if kind:
        raise errors.contact_info_not_allowed("full_name", kind)


def signup(data: Any) -> dict[str, Any]:
    refuse_contact_details_in_name(data.full_name)
    profile = privacy.active()
    current_policy = policy_versions.current_version()
    if data.accepted_policy_version != current_policy:
        raise errors.policy_version_mismatch(current_policy)
    if data.date_of_birth > clock.now().date():
        raise errors.age_requirement_not_met("A date of birth in the future does not meet the age requirement")
    age = rules.age_on(data.date_of_birth, clock.now().date())
    guardian_consent = bool(data.guardian and data.guardian.consent)
    decision = profile.age_decision(data.role, age, guardian_consent)
    if decision == "refused":
        raise errors.age_requirement_not_met(f"{data.role.capitalize()}s must be at least {profile.minimum_age.of(data.role)} years old")
    if decision == "guardian_required":
        raise errors.age_requirement_not_met(
            f"{data.role.capitalize()}s under {profile.minimum_age.of(data.role)} need a guardian's consent (field 'guardian')"
        )
    if profile.phone_otp_required and repo.phone_verified_elsewhere(phone_hash(data.phone)):
        raise errors.phone_in_use()
    email = data.email.lower()
    e_hash = email_hash(email)
    claim = repo.claim_email(e_hash)
    if claim is None:
        raise errors.Conflict("An account with this email already exists")
    try:
        try:
            user_id = cognito.create_user(email, data.password, data.role)
        except cognito.UserExists:
            # a signup that died after creating the Cognito user: the claim was free, so no account uses it
            cognito.delete_user(email)
            user_id = cognito.create_user(email, data.password, data.role)
        try:
            _write_new_account(user_id, email, e_hash, claim, data, profile, supervised=decision == "supervised")
        except Exception:
            cognito.delete_user(email)
            raise
    except Exception:
        repo.release_claim(e_hash, claim)
        raise
    status = repo.PENDING if profile.phone_otp_required else repo.ACTIVE
    logger.info("account created", extra={"user_id": user_id, "role": data.role})
    return {"user_id": user_id, "status": status}


def _write_new_account(user_id: str, email: str, e_hash: str, claim: str, data: Any, profile: privacy.Profile, supervised: bool) -> None:
    _, key_item = vault.create(user_id)
    consents = consent.defaults(profile.marketing_default)
    if data.marketing_opt_in is not None:
        consents["marketing"] = data.marketing_opt_in
    guardian = data.guardian.model_dump(mode="json") if data.guardian else None
    user = repo.new_user(
        user_id,
        role=data.role,
        status=repo.PENDING if profile.phone_otp_required else repo.ACTIVE,
        email_enc=vault.seal(user_id, "email", email),
        email_hash=e_hash,
        full_name_enc=vault.seal(user_id, "full_name", data.full_name),
        phone_enc=vault.seal(user_id, "phone", data.phone),
        phone_hash=phone_hash(data.phone),
        date_of_birth_enc=vault.seal(user_id, "date_of_birth", data.date_of_birth.isoformat()),
        guardian_enc=vault.seal(user_id, "guardian", json.dumps(guardian)) if guardian else None,
        phone_verified=False,
        supervised=supervised,
        **consents,
        consents_updated_at=clock.now_ts(),
        **repo.marketing_index(consents["marketing"], user_id),
        policy_version=data.accepted_policy_version,
        member_since=None if profile.phone_otp_required else clock.now_ts(),
    )
    items: list[Any] = [
        user,
        repo.consent_record(user_id, "policy", "accept", data.accepted_policy_version, "signup"),
        *(repo.consent_record(user_id, purpose, "on" if on else "off", data.accepted_policy_version, "signup")
          for purpose, on in consents.items()),
    ]
    if profile.phone_otp_required:
        items += _otp_items(user_id, data.phone)
    # the signup's code is the first the limit counts
    repo.create_account(user_id, key_item, items, e_hash, claim, _count_send(None) if profile.phone_otp_required else None)


def create_admin(email: str, password: str) -> str:
    """The operator's admin account (never through signup): Cognito group `admin`."""
    email = email.lower()
    e_hash = email_hash(email)
    existing = repo.user_id_by_email(e_hash)
    if existing:
        return existing
    claim = repo.claim_email(e_hash)
    if claim is None:
        raise errors.Conflict("The admin address is being claimed by another process")
    try:
        user_id = cognito.create_user(email, password, "admin")
    except cognito.UserExists:
        cognito.delete_user(email)
        user_id = cognito.create_user(email, password, "admin")
    _, key_item = vault.create(user_id)
    user = repo.new_user(
        user_id, role="admin", status=repo.ACTIVE, email_enc=vault.seal(user_id, "email", email), email_hash=e_hash,
        full_name_enc=vault.seal(user_id, "full_name", "Administrator"), phone_verified=True, policy_version="",
    )
    repo.create_admin_account(key_item, user, e_hash, claim)
    return user_id


# --- one-time codes ---------------------------------------------------------------------

def verify_phone(email: str, code: str) -> None:
    user_id = repo.user_id_by_email(email_hash(email))
    if user_id is None or (user := repo.get(user_id)) is None or (otp := repo.get_otp(user_id)) is None:
        raise errors.BadRequest("The code is wrong or has expired; ask for a new one", details={"field": "code"})
    if otp.attempts >= rules.OTP_MAX_ATTEMPTS:
        raise errors.TooManyRequests("Too many wrong codes; ask for a new one", retry_after=rules.RESEND_MIN_SECONDS)
    if otp.valid_until <= clock.now_ts():
        raise errors.BadRequest("The code has expired; ask for a new one", details={"field": "code"})
    if not crypto.same(vault.lookup_hash(f"otp:{user_id}", code), otp.code_hash):
        try:
            tries = repo.count_failed_attempt(otp, rules.OTP_MAX_ATTEMPTS)
        except db.Conflict:
            raise errors.TooManyRequests("Too many wrong codes; ask for a new one", retry_after=rules.RESEND_MIN_SECONDS) from None
        if tries >= rules.OTP_MAX_ATTEMPTS:
            raise errors.TooManyRequests("Too many wrong codes; ask for a new one", retry_after=rules.RESEND_MIN_SECONDS)
        raise errors.BadRequest(
            f"The code is wrong ({rules.OTP_MAX_ATTEMPTS - tries} tries left)", details={"field": "code"}
        )
    if repo.phone_verified_elsewhere(otp.phone_hash, user_id):
        raise errors.phone_in_use()
    # a pending account is a member from now: told of upcoming policy versions (`policy_notices.tell_newcomers`)
    repo.phone_verified(user, otp, clock.now_ts())
    logger.info("phone verified", extra={"user_id": user_id})


def resend_code(email: str) -> None:
    """Send a new code. Unknown or already verified addresses get the same answer."""
    user_id = repo.user_id_by_email(email_hash(email))
    if user_id is None or (user := repo.get(user_id)) is None or user.phone_verified or not user.phone_enc:
        return
    sends = _may_send_code(user_id)
    phone = vault.unseal(user_id, "phone", user.phone_enc)
    try:
        repo.send_code(user_id, _otp_items(user_id, phone), _count_send(sends))  # the new code replaces the old one and its tries
    except db.Conflict as exc:
        _raced_send(exc)
        raise


# --- sign-in ----------------------------------------------------------------------------

def _usable(user: repo.UserItem | None) -> repo.UserItem:
    if user is None or user.status in (repo.CLOSED, repo.ERASED):
        raise errors.Unauthorized("Email or password is wrong")
    return user


def login(email: str, password: str, ip: str | None, user_agent: str | None) -> dict[str, Any]:
    try:
        result = cognito.login(email.lower(), password)
    except cognito.AuthFailed:
        raise errors.Unauthorized("Email or password is wrong") from None
    claims = verify(result["AccessToken"])
    user = _usable(repo.get(claims.sub))
    if privacy.active().phone_otp_required and not user.phone_verified:
        raise errors.phone_not_verified()
    profile = privacy.active()
    repo.sign_in(
        user.user_id, vault.seal(user.user_id, "sign_in.ip", ip), vault.seal(user.user_id, "sign_in.user_agent", user_agent),
        profile.usage_data_keep_days,
    ).save()
    return {
        "token": result["AccessToken"],
        "refresh_token": result["RefreshToken"],
        "expires_in": result["ExpiresIn"],
        "user_id": user.user_id,
        "role": user.role,
    }


def refresh(refresh_token: str) -> dict[str, Any]:
    try:
        result = cognito.refresh(refresh_token)
    except cognito.AuthFailed:
        raise errors.Unauthorized("The refresh token is not valid; sign in again") from None
    claims = verify(result["AccessToken"])
    _usable(repo.get(claims.sub))
    return {"token": result["AccessToken"], "expires_in": result["ExpiresIn"]}


def logout(caller: Caller) -> None:
    """This token stops working now; refresh tokens are revoked at Cognito."""
    now = clock.now_ts()
    remembered = rules.prune_revoked(dict(caller.user.revoked or {}), now)
    remembered[caller.claims.jti] = caller.claims.exp
    repo.remember_revoked(caller.user, remembered)
    cognito.sign_out(caller.token)


def verify_token(authorization: str | None) -> Verified:
    """The bearer token, its signature verified against the pool's keys: no DynamoDB
    call. `401` for no token or one that is not valid. Its account is not read yet."""
    if not authorization or not authorization.startswith("Bearer ") or len(authorization) > 8192:
        raise errors.Unauthorized("Sign in: send 'Authorization: Bearer <token>'")
    token = authorization[len("Bearer "):].strip()
    try:
        return Verified(claims=verify(token), token=token)
    except InvalidToken as exc:
        logger.info("token refused", extra={"reason": str(exc)})
        raise errors.Unauthorized("The token is not valid; sign in again") from None


def admit(verified: Verified, load: Load[Any] | None = None) -> Caller:
    """The caller whose token was verified: the account read in one call with the items
    of the route's `load` (and the policy index in a container that has not cached it),
    then admitted, or `401` if it is closed, erased or the token was revoked. No Query:
    a load's page step, if any, ran before (`Load.prepare`). The load's result is built
    by the HTTP layer only once this returned."""
    claims = verified.claims
    batch = Batch()
    account = batch.want(repo.account_key(claims.sub), repo.UserItem)
    index = batch.want(policy_repo.INDEX_KEY, policy_repo.PolicyIndex) if policy_versions.cached_index() is None else None
    if load is not None:
        load.add_to(batch, claims.sub)
    batch.run()
    if index is not None and (found := index.item) is not None:
        policy_versions.remember_index(found)
    user = account.item
    if user is None or user.status in (repo.CLOSED, repo.ERASED) or claims.jti in (user.revoked or {}):
        raise errors.Unauthorized("The token is not valid; sign in again")
    role = "admin" if "admin" in claims.groups else next((g for g in claims.groups if g in ROLES), user.role)
    policy_decisions.continued_use(user)
    return Caller(user_id=user.user_id, role=role, claims=claims, token=verified.token, user=user)


def authenticate(authorization: str | None, load: Load[Any] | None = None) -> Caller:
    """`verify_token` then `admit` (a load without a page step)."""
    return admit(verify_token(authorization), load)


def live_account(user_id: str) -> repo.UserItem:
    """The account of `user_id`, or `404` if there is none or it was erased."""
    account = repo.get(user_id)
    if account is None or account.status == repo.ERASED:
        raise errors.NotFound("No such user")
    return account


# --- the caller's own data ------------------------------------------------------------

def me(user: repo.UserItem) -> dict[str, Any]:
    """The caller's own account, every field in clear; `restricted` where the profile
    wants the policy in effect accepted and it is not."""
    uid = user.user_id
    return {
        "user_id": uid,
        "email": vault.unseal(uid, "email", user.email_enc),
        "role": user.role,
        "full_name": vault.unseal(uid, "full_name", user.full_name_enc),
        "phone": vault.unseal(uid, "phone", user.phone_enc),
        "date_of_birth": vault.unseal(uid, "date_of_birth", user.date_of_birth_enc),
        "address": vault.unseal(uid, "address", user.address_enc),
        "timezone": user.timezone,
        "language": user.language,
        "status": user.status,
        "phone_verified": user.phone_verified,
        "supervised": user.supervised,
        "anonymous": user.anonymous,
        "identity": {"status": user.identity_status},
        "policy": {
            "accepted_version": user.policy_version or None,
            "restricted": policy_versions.restricted(user),
        },
    }


def update_me(user: repo.UserItem, changes: dict[str, Any]) -> dict[str, Any]:
    """Correct one's own data (and answer it as `me` does). A new phone number must be
    verified again: its code counts against the account's code limit, and over the limit
    the whole change is refused (`429` with `Retry-After`), the phone included."""
    uid = user.user_id
    new_phone: str = changes.get("phone") or ""
    phone_changes = bool(new_phone) and new_phone != vault.unseal(uid, "phone", user.phone_enc)
    sends_code = phone_changes and privacy.active().phone_otp_required
    refuse_contact_details_in_name(changes.get("full_name"))
    sends = _may_send_code(uid) if sends_code else None  # over the limit: 429, and nothing changes
    fields: dict[str, Any] = {}
    extra: list[Entity] = []
    for field in ("full_name", "address"):
        if field in changes:
            fields[f"{field}_enc"] = vault.seal(uid, field, changes[field])
    for field in ("timezone", "language"):
        if field in changes:
            fields[field] = changes[field]
    if phone_changes:
        fields.update(phone_enc=vault.seal(uid, "phone", new_phone), phone_hash=phone_hash(new_phone), phone_verified=False)
        if sends_code:
            extra = _otp_items(uid, new_phone)
    try:
        repo.correct(user, fields, clock.now_ts(), extra, _count_send(sends) if sends_code else None)
    except db.Conflict as exc:
        _raced_send(exc)
        raise errors.Conflict("The account changed or is closed; reload and try again") from None
    return me(user)

"""Accounts on the main table. Everything a user owns lives in partition `USER#<id>`.

Personal fields are stored sealed (`*_enc`, see `chalicelib.security.vault`); lookups go
through keyed hashes: `EMAIL#<hash>` is the unique claim of an address, and the
account is indexed by `PHONE#<hash>` on gsi1.
"""
from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock
from chalicelib.repos.db import Entity, failed_on, numbers, plain_map, time_key

PENDING, ACTIVE, CLOSED, ERASED = "pending_verification", "active", "closed", "erased"
CLAIM_PENDING_SECONDS = 15 * 60  # an unfinished signup frees its address after this


class UserItem(Entity, discriminator="user"):
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    status = UnicodeAttribute()
    email_enc = UnicodeAttribute()
    email_hash = UnicodeAttribute()
    full_name_enc = UnicodeAttribute()
    phone_enc = UnicodeAttribute(null=True)
    phone_hash = UnicodeAttribute(null=True)
    date_of_birth_enc = UnicodeAttribute(null=True)
    address_enc = UnicodeAttribute(null=True)
    guardian_enc = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(default="UTC")
    language = UnicodeAttribute(default="en")
    phone_verified = BooleanAttribute(default=False)
    supervised = BooleanAttribute(default=False)
    anonymous = BooleanAttribute(default=False)
    pseudonym = UnicodeAttribute(null=True)  # shown instead of the name while anonymous; stable once made
    rating_sum = NumberAttribute(default=0)  # reviews received (see repos.contracts.Review)
    rating_count = NumberAttribute(default=0)
    marketing = BooleanAttribute(default=False)  # consents: the current state (the ledger holds every change)
    analytics = BooleanAttribute(default=False)
    promotions = BooleanAttribute(default=False)
    third_party_sharing = BooleanAttribute(default=False)
    consents_updated_at = NumberAttribute(null=True)
    identity_status = UnicodeAttribute(default="none")
    policy_version = UnicodeAttribute()
    # when the account joined the members (active): a version published before binds it only after its notice period from then
    member_since = NumberAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    # access tokens signed out before they expire: {jti: exp}
    revoked = plain_map(default=dict)
    # while a deletion is scheduled: its receipt token's hash (no new bids, contracts or fundings; see `may_deal`)
    deletion_token_hash = UnicodeAttribute(null=True)
    engagements = NumberAttribute(null=True)  # contracts entered; what a deletion request checks did not change under it


class EmailClaim(Entity, discriminator="email_claim"):
    """One per address (by keyed hash): makes addresses unique across signups."""

    status = UnicodeAttribute()  # pending | taken
    claim_id = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)


class OtpItem(Entity, discriminator="otp"):
    code_hash = UnicodeAttribute()
    phone_hash = UnicodeAttribute()
    valid_until = NumberAttribute()
    attempts = NumberAttribute(default=0)


class CodeSends(Entity, discriminator="code_sends"):
    """When codes were sent to the account in the last hour, whichever path sent them
    (signup, resend, a phone change). Apart from the code (`OtpItem`), which a verification
    deletes, so that the count survives it; expires (TTL) an hour after the last send."""

    sends = numbers(default=list)


class ConsentRecord(Entity, discriminator="consent"):
    """One record of the consent ledger: an acceptance of a policy version or a consent change."""

    user_id = UnicodeAttribute()
    subject = UnicodeAttribute()  # policy | marketing | analytics | ...
    decision = UnicodeAttribute()  # accept | reject | on | off
    version = UnicodeAttribute(null=True)  # the policy version in effect (or decided on)
    source = UnicodeAttribute(null=True)  # signup | settings | unsubscribe_link | admin
    at = NumberAttribute()


class SignIn(Entity, discriminator="signin"):
    """Usage data: kept for the profile's `usage_data_keep_days`, then TTL removes it."""

    user_id = UnicodeAttribute()
    at = NumberAttribute()
    ip_enc = UnicodeAttribute(null=True)
    user_agent_enc = UnicodeAttribute(null=True)


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _claim_pk(email_hash: str) -> str:
    return f"EMAIL#{email_hash}"


# --- accounts --------------------------------------------------------------------

def get(user_id: str) -> UserItem | None:
    try:
        return UserItem.get(user_pk(user_id), "ACCOUNT")
    except DoesNotExist:
        return None


def new_user(user_id: str, **fields: Any) -> UserItem:
    now = clock.now_ts()
    item = UserItem(pk=user_pk(user_id), sk="ACCOUNT", user_id=user_id, created_at=now, updated_at=now, **fields)
    index_phone(item)
    return item


def phone_verified_elsewhere(phone_hash: str, user_id: str | None = None) -> bool:
    """Whether an account other than `user_id` has verified this phone number (a Query)."""
    return any(u.user_id != user_id and u.phone_verified and u.status != ERASED
               for u in UserItem.gsi1.query(f"PHONE#{phone_hash}", limit=10))


def index_phone(item: UserItem) -> None:
    if item.phone_hash:
        item.gsi1pk, item.gsi1sk = f"PHONE#{item.phone_hash}", user_pk(item.user_id)


# --- dealings and a scheduled deletion ------------------------------------------------
# Bids, projects, contracts and fundings are written in transactions that hold each
# party's account to `may_deal`; a deletion request sets `deletion_token_hash` in its
# own transaction, on the condition that no contract was entered since it looked for
# blockers (`engagements` unchanged). Either order leaves no new dealing with an
# account being erased.

DEALING = (PENDING, ACTIVE)


def may_deal(item: UserItem | None) -> bool:
    """What the transactions' condition says, for an account already read."""
    return item is not None and item.status in DEALING and not item.deletion_token_hash


def _dealing():  # noqa: ANN202 - a pynamodb condition
    return UserItem.status.is_in(*DEALING) & UserItem.deletion_token_hash.does_not_exist()


def check_dealing(transaction: TransactWrite, user_id: str) -> None:
    """In `transaction`: the account is open and no deletion of it is scheduled."""
    transaction.condition_check(UserItem, user_pk(user_id), "ACCOUNT", condition=_dealing())


def engage(transaction: TransactWrite, user_id: str) -> None:
    """In `transaction` (a contract is entered or funded): as `check_dealing`, and the
    account counts it, so a deletion request that looked for blockers before it fails its
    condition and looks again."""
    transaction.update(UserItem(user_pk(user_id), "ACCOUNT"), actions=[UserItem.engagements.add(1)], condition=_dealing())


def schedule_deletion(transaction: TransactWrite, account: UserItem, token_hash: str) -> None:
    """In the deletion request's transaction: no deletion scheduled yet, and no contract
    entered since `account` was read (consistently, before the blockers were looked for)."""
    seen = account.engagements
    unchanged = UserItem.engagements.does_not_exist() if seen is None else UserItem.engagements == seen
    transaction.update(UserItem(user_pk(account.user_id), "ACCOUNT"), actions=[UserItem.deletion_token_hash.set(token_hash)],
                       condition=UserItem.pk.exists() & UserItem.deletion_token_hash.does_not_exist() & unchanged)


def unschedule_deletion(transaction: TransactWrite, user_id: str, token_hash: str) -> None:
    """In the cancellation's transaction: the account may deal again."""
    transaction.update(UserItem(user_pk(user_id), "ACCOUNT"), actions=[UserItem.deletion_token_hash.remove()],
                       condition=UserItem.pk.exists() & ((UserItem.deletion_token_hash == token_hash)
                                                         | UserItem.deletion_token_hash.does_not_exist()))


def account_key(user_id: str) -> tuple[str, str]:
    return user_pk(user_id), "ACCOUNT"


def get_consistent(user_id: str) -> UserItem | None:
    try:
        return UserItem.get(user_pk(user_id), "ACCOUNT", consistent_read=True)
    except DoesNotExist:
        return None


# --- email claims ------------------------------------------------------------------

def claim_email(email_hash: str) -> str | None:
    """Reserve an address for a signup in progress. Returns the claim id, or None if
    the address is taken (or another signup for it is in progress)."""
    now = clock.now_ts()
    claim_id = uuid.uuid4().hex
    item = EmailClaim(
        pk=_claim_pk(email_hash), sk="EMAIL", status="pending", claim_id=claim_id,
        expires_at=int(now + CLAIM_PENDING_SECONDS),
    )
    stale = (EmailClaim.status == "pending") & (EmailClaim.expires_at < int(now))
    try:
        item.save(condition=EmailClaim.pk.does_not_exist() | stale)
        return claim_id
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise


MEMBERS = "MEMBERS"
UNVERIFIED = "UNVERIFIED"


def finish_claim(transaction: TransactWrite, email_hash: str, claim_id: str, user_id: str, unverified: bool = False) -> None:
    """The address is the account's. The claim also puts the account in the audience of
    every notice (gsi2 `MEMBERS`) and, until the phone is verified, in the list of
    signups that the `remove_abandoned_signups` job removes after `ABANDONED_DAYS`
    (gsi1 `UNVERIFIED`, by signup time)."""
    actions: list[Action] = [EmailClaim.status.set("taken"), EmailClaim.user_id.set(user_id), EmailClaim.expires_at.remove(),
               EmailClaim.gsi2pk.set(MEMBERS), EmailClaim.gsi2sk.set(user_id)]
    if unverified:
        actions += [EmailClaim.gsi1pk.set(UNVERIFIED), EmailClaim.gsi1sk.set(f"{clock.now_ts():017.3f}#{user_id}")]
    transaction.update(
        EmailClaim(pk=_claim_pk(email_hash), sk="EMAIL"), actions=actions,
        condition=(EmailClaim.claim_id == claim_id) & (EmailClaim.status == "pending"),
    )


def verified(transaction: TransactWrite, email_hash: str) -> None:
    """The phone is verified: the signup is no longer one that may be abandoned."""
    transaction.update(EmailClaim(pk=_claim_pk(email_hash), sk="EMAIL"), actions=[EmailClaim.gsi1pk.remove(), EmailClaim.gsi1sk.remove()])


def abandoned_before(moment: float, limit: int = 100) -> list[EmailClaim]:
    """Claims of signups made before `moment` whose phone was never verified (a Query)."""
    return list(EmailClaim.gsi1.query(UNVERIFIED, EmailClaim.gsi1sk < f"{moment:017.3f}", limit=limit))


def release_claim(email_hash: str, claim_id: str) -> None:
    try:
        EmailClaim(pk=_claim_pk(email_hash), sk="EMAIL").delete(condition=EmailClaim.claim_id == claim_id)
    except Exception:  # noqa: S110 - best effort: the claim expires on its own
        pass


def user_id_by_email(email_hash: str) -> str | None:
    try:
        claim = EmailClaim.get(_claim_pk(email_hash), "EMAIL")
    except DoesNotExist:
        return None
    return claim.user_id if claim.status == "taken" else None


# --- one-time codes -----------------------------------------------------------------

def get_otp(user_id: str) -> OtpItem | None:
    try:
        return OtpItem.get(user_pk(user_id), "OTP", consistent_read=True)
    except DoesNotExist:
        return None


def new_otp(user_id: str, code_hash: str, phone_hash: str, valid_until: float) -> OtpItem:
    return OtpItem(
        pk=user_pk(user_id), sk="OTP", code_hash=code_hash, phone_hash=phone_hash, valid_until=valid_until,
        attempts=0, expires_at=int(valid_until + 86400),
    )


CODE_SENDS_SK = "CODE_SENDS"


def code_sends(user_id: str) -> CodeSends | None:
    """The account's recent code sends (a strongly consistent read), or None."""
    try:
        return CodeSends.get(user_pk(user_id), CODE_SENDS_SK, consistent_read=True)
    except DoesNotExist:
        return None


def record_code_send(tx: TransactWrite, user_id: str, read: CodeSends | None, sends: list[float], keep_seconds: int) -> None:
    """In the transaction that sends a code: the sends now `sends`, only if they are still
    what `read` saw (a send made meanwhile cancels the transaction: see `code_send_raced`)."""
    item = CodeSends(pk=user_pk(user_id), sk=CODE_SENDS_SK, sends=sends, expires_at=int(max(sends) + keep_seconds))
    condition = CodeSends.pk.does_not_exist() if read is None else CodeSends.sends == list(read.sends)
    tx.save(item, condition=condition)


def code_send_raced(exc: Exception, user_id: str) -> bool:
    """Whether a transaction failed because another code was sent to the account meanwhile."""
    return failed_on(exc, user_pk(user_id), CODE_SENDS_SK)


def count_failed_attempt(otp: OtpItem, limit: int) -> int:
    """Atomically count one wrong try; returns the tries made so far. `db.Conflict` when
    `limit` tries were made already."""
    from chalicelib.repos import db

    try:
        otp.update(actions=[OtpItem.attempts.add(1)], condition=OtpItem.attempts < limit)
    except UpdateError:
        raise db.Conflict("otp") from None
    return int(otp.attempts)


@dataclass(frozen=True)
class CodeSend:
    """One more code sent to an account: its recent sends as `read` saw them, and `sends`
    with this one, kept `keep_seconds` after the last (see `record_code_send`)."""

    read: CodeSends | None
    sends: list[float]
    keep_seconds: int


CODE_SENDS = "code_sends"  # the `db.Conflict` of a code sent meanwhile by another request (`code_send_raced`)
ACCOUNT = "account"


def _sending(tx: TransactWrite, user_id: str, send: CodeSend | None) -> None:
    if send is not None:
        record_code_send(tx, user_id, send.read, send.sends, send.keep_seconds)


def create_account(user_id: str, key_item: Any, items: list[Entity], email_hash: str, claim_id: str, send: CodeSend | None) -> None:
    """A new account in one transaction: its wrapped data key and `items` (the account,
    its consent records, a code and its SMS), none of them there before, the code's send
    counted and the address's claim taken (the account unverified while a code is sent)."""
    from chalicelib.repos import db

    with db.transaction() as tx:
        tx.save(key_item, condition=type(key_item).pk.does_not_exist())
        for item in items:
            tx.save(item, condition=type(item).pk.does_not_exist())
        _sending(tx, user_id, send)
        finish_claim(tx, email_hash, claim_id, user_id, unverified=send is not None)


def create_admin_account(key_item: Any, user: UserItem, email_hash: str, claim_id: str) -> None:
    """The operator's admin account, its wrapped data key and its address, in one transaction."""
    from chalicelib.repos import db

    with db.transaction() as tx:
        tx.save(key_item)
        tx.save(user, condition=UserItem.pk.does_not_exist())
        finish_claim(tx, email_hash, claim_id, user.user_id)


def phone_verified(user: UserItem, otp: OtpItem, now: float) -> None:
    """The phone verified with `otp` (the number and the code still the ones read); a
    pending account becomes active, a member from now, and no longer an abandoned signup."""
    from chalicelib.repos import db

    actions: list[Action] = [UserItem.phone_verified.set(True), UserItem.updated_at.set(now)]
    if user.status == PENDING:
        actions += [UserItem.status.set(ACTIVE), UserItem.member_since.set(now)]
    with db.transaction() as tx:
        tx.update(user, actions=actions, condition=UserItem.phone_hash == otp.phone_hash)
        tx.delete(otp, condition=OtpItem.code_hash == otp.code_hash)
        if user.status == PENDING:
            verified(tx, user.email_hash)


def send_code(user_id: str, items: list[Entity], send: CodeSend) -> None:
    """A new code and its SMS (replacing the old code and its tries), its send counted, in
    one transaction; `db.Conflict(CODE_SENDS)` when another code was sent meanwhile."""
    from chalicelib.repos import db

    try:
        with db.transaction() as tx:
            for item in items:
                tx.save(item)
            _sending(tx, user_id, send)
    except TransactWriteError as exc:
        if code_send_raced(exc, user_id):
            raise db.Conflict(CODE_SENDS) from None
        raise


def correct(user: UserItem, fields: dict[str, Any], now: float, extra: list[Entity], send: CodeSend | None) -> None:
    """The account's own data corrected (`fields`: attribute -> value, None removes it; a
    new phone hash is indexed again), while it is active or pending, with `extra` (a new
    code and its SMS) and the code's send counted, in one transaction; the item read is
    changed to match. `db.Conflict(CODE_SENDS)` when another code was sent meanwhile,
    `db.Conflict(ACCOUNT)` when the account changed or is closed."""
    from chalicelib.repos import db

    for name, value in fields.items():
        setattr(user, name, value)
    if "phone_hash" in fields:
        index_phone(user)
        fields = {**fields, "gsi1pk": user.gsi1pk, "gsi1sk": user.gsi1sk}
    actions = [UserItem.updated_at.set(now), *(db.set_or_remove(getattr(UserItem, name), value) for name, value in fields.items())]
    try:
        with db.transaction() as tx:
            tx.update(user, actions=actions, condition=UserItem.status.is_in(ACTIVE, PENDING))
            for item in extra:
                tx.save(item)
            _sending(tx, user.user_id, send)
    except TransactWriteError as exc:
        if code_send_raced(exc, user.user_id):
            raise db.Conflict(CODE_SENDS) from None
        raise db.Conflict(ACCOUNT) from None


def remember_revoked(user: UserItem, revoked: dict[str, Any]) -> None:
    """The account's revoked tokens (id -> expiry) are now `revoked`."""
    user.update(actions=[UserItem.revoked.set(revoked)])


# --- ledger and usage ----------------------------------------------------------------

def consent_record(user_id: str, subject: str, decision: str, version: str | None = None, source: str | None = None) -> ConsentRecord:
    now = clock.now_ts()
    return ConsentRecord(
        pk=user_pk(user_id), sk=f"CONSENT#{time_key(now)}#{uuid.uuid4().hex[:8]}",
        user_id=user_id, subject=subject, decision=decision, version=version, source=source, at=now,
    )


def consent_history(user_id: str, limit: int, start: dict | None) -> tuple[list[ConsentRecord], dict | None]:
    result = ConsentRecord.query(user_pk(user_id), ConsentRecord.sk.startswith("CONSENT#"), scan_index_forward=False, limit=limit,
                               page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def set_anonymous(user: UserItem, enabled: bool, now: float, pseudonym: str | None = None) -> None:
    """Anonymous mode on or off; `pseudonym`, the first time it is turned on."""
    actions: list[Action] = [UserItem.anonymous.set(enabled), UserItem.updated_at.set(now)]
    if pseudonym:
        actions.append(UserItem.pseudonym.set(pseudonym))
    user.update(actions=actions)


def close(account: UserItem, now: float) -> None:
    """The account closed: nobody signs in to it any more (the start of its erasure)."""
    account.update(actions=[UserItem.status.set(CLOSED), UserItem.updated_at.set(now)])


def erase(account: UserItem, doomed: list[str], now: float) -> None:
    """The account erased: the attributes `doomed` removed, off every index."""
    actions = [getattr(UserItem, n).remove() for n in doomed]
    actions += [UserItem.status.set(ERASED), UserItem.updated_at.set(now)]
    actions += [getattr(UserItem, a).remove() for a in ("gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")]
    account.update(actions=actions)


def unlist(account: UserItem) -> None:
    """An archived account out of every list that processes users (marketing, campaigns)."""
    account.update(actions=[
        *(getattr(UserItem, p).set(False) for p in ("marketing", "analytics", "promotions", "third_party_sharing")),
        UserItem.gsi2pk.remove(), UserItem.gsi2sk.remove(),
    ])


def release_address(email_hash: str, user_id: str) -> None:
    """The address's claim deleted, if it is still this user's (gone already, a rerun, or
    someone else's now: nothing to do)."""
    from pynamodb.exceptions import DeleteError

    try:
        EmailClaim(_claim_pk(email_hash), "EMAIL").delete(condition=EmailClaim.user_id == user_id)
    except DeleteError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def partition(user_id: str, page_size: int | None = None) -> Any:
    """Every item of the user's partition (a Query, paged as it is read)."""
    return Entity.query(user_pk(user_id), page_size=page_size)


def listed_under(user_id: str) -> Any:
    """Every item listed under the user's id on gsi1 (their notifications: a Query)."""
    return Entity.gsi1.query(user_pk(user_id))


def change_consents(user: UserItem, changed: dict[str, bool], now: float, records: list[ConsentRecord]) -> None:
    """The account's consent per purpose `changed` (its marketing index entry moving with
    marketing) and the ledger's `records` of the change, in one transaction."""
    from chalicelib.repos import db

    actions: list[Action] = [getattr(UserItem, p).set(on) for p, on in changed.items()]
    actions.append(UserItem.consents_updated_at.set(now))
    if "marketing" in changed:
        index = marketing_index(changed["marketing"], user.user_id)
        actions += [db.set_or_remove(UserItem.gsi2pk, index["gsi2pk"]), db.set_or_remove(UserItem.gsi2sk, index["gsi2sk"])]
    with db.transaction() as tx:
        tx.update(user, actions=actions, condition=UserItem.pk.exists())
        for record in records:
            tx.save(record)


def accounts(user_ids: list[str]) -> list[UserItem]:
    """The accounts of `user_ids` that exist (one BatchGetItem per 100)."""
    keys = [(user_pk(u), "ACCOUNT") for u in dict.fromkeys(user_ids)]
    return [a for a in Entity.batch_get(keys) if isinstance(a, UserItem)]


def remove_unverified_claim(claim: EmailClaim) -> bool:
    """An abandoned signup's claim deleted, only while it is still unverified; False if
    the phone was verified meanwhile."""
    from pynamodb.exceptions import DeleteError

    try:
        claim.delete(condition=EmailClaim.gsi1pk == UNVERIFIED)
    except DeleteError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def record_policy_decision(user: UserItem, was: str, accepted: str, record: ConsentRecord) -> None:
    """The user's accepted policy version set to `accepted` (only while it is still `was`)
    and the decision's record, in one transaction; `db.Conflict` when another decision
    was recorded meanwhile."""
    from chalicelib.repos import db

    try:
        with db.transaction() as tx:
            tx.update(user, actions=[UserItem.policy_version.set(accepted), UserItem.updated_at.set(clock.now_ts())],
                      condition=UserItem.policy_version == was)
            tx.save(record)
    except TransactWriteError:
        raise db.Conflict() from None


MARKETING_ON = "CONSENT#marketing#on"


def marketing_index(on: bool, user_id: str) -> dict[str, str | None]:
    """The sparse gsi2 entry of an account whose marketing consent is on: campaigns page
    through it (a Query), never the whole table."""
    return {"gsi2pk": MARKETING_ON, "gsi2sk": user_id} if on else {"gsi2pk": None, "gsi2sk": None}


def consent_records(user_id: str) -> list[ConsentRecord]:
    return list(ConsentRecord.query(user_pk(user_id), ConsentRecord.sk.startswith("CONSENT#")))


USAGE_SHARDS = 4  # spreads the usage index's writes (one per sign-in) over partitions


def sign_in(user_id: str, ip_enc: str | None, user_agent_enc: str | None, keep_days: int) -> SignIn:
    """Usage data, on the sparse gsi2 `USAGE#<shard>` by time, which the `purge_usage_data`
    job Queries for what is past the profile's period; TTL is the backstop."""
    now = clock.now_ts()
    sk = f"SIGNIN#{time_key(now)}#{uuid.uuid4().hex[:8]}"
    return SignIn(
        pk=user_pk(user_id), sk=sk, user_id=user_id, at=now,
        ip_enc=ip_enc, user_agent_enc=user_agent_enc, expires_at=int(now + keep_days * 86400),
        gsi2pk=f"USAGE#{zlib.crc32(user_id.encode()) % USAGE_SHARDS}", gsi2sk=f"{time_key(now)}#{user_id}#{sk[-8:]}",
    )


def usage_before(moment: float, limit: int = 100) -> list[SignIn]:
    """Sign-in records older than `moment`, oldest first, from every shard (Queries)."""
    found: list[SignIn] = []
    for shard in range(USAGE_SHARDS):
        found += SignIn.gsi2.query(f"USAGE#{shard}", SignIn.gsi2sk < f"{time_key(moment)}", limit=limit, page_size=limit)
    return found


def sign_ins(user_id: str) -> list[SignIn]:
    return list(SignIn.query(user_pk(user_id), SignIn.sk.startswith("SIGNIN#")))

"""The data map: what every stored attribute is, and what happens to it on export and
on erasure. Plain data, no AWS; export, erasure and the deletion receipt are driven by
it, and `GET /policies/data-map` publishes it in plain words.

Each entity of the main table (by its `kind`), the keys table, each bucket prefix, each
Cognito attribute and each queue payload lists every attribute it stores, with:
- `category`: a label of the Fides taxonomy (`user.contact.email`, `user.financial.bank_account`,
  `system.operations` for what is about the system rather than a person, ...);
- `rule`: `erase` (gone, or unreadable once the owner's data key is shredded),
  `pseudonymise` (kept for the stated reason, the link to the person cut: only the
  opaque user id remains, and it names nobody once the account is erased), or `keep`
  (kept as it is, for the stated reason: another user's record, the books, the law);
- `export`: whether the user's export includes it.
A test fails when a model attribute, a bucket prefix or a Cognito attribute has no entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Rule = Literal["erase", "pseudonymise", "keep"]


@dataclass(frozen=True)
class Field:
    category: str
    rule: Rule
    export: bool
    reason: str = ""

    def __post_init__(self) -> None:
        if self.rule != "erase" and not self.reason:
            raise ValueError(f"a field that is not erased needs its reason ({self.category})")


def erase(category: str, export: bool = True) -> Field:
    return Field(category, "erase", export)


def pseudonymise(category: str, reason: str, export: bool = True) -> Field:
    return Field(category, "pseudonymise", export, reason)


def keep(category: str, reason: str, export: bool = False) -> Field:
    return Field(category, "keep", export, reason)


SYSTEM = "system.operations"
BOOKS = "financial records must balance and be kept for accounting and tax; they name user ids only"
OTHER_PARTY = "it is also the other party's record of the contract"
AUDIT = "the audit trail of who did what; it holds ids, never contact details"

# attributes every item of the main table has (keys, indexes, TTL)
KEYS: dict[str, Field] = {
    "pk": pseudonymise(SYSTEM, "item key: an opaque id", export=False),
    "sk": pseudonymise(SYSTEM, "item key: an opaque id", export=False),
    "kind": keep(SYSTEM, "the item's type"),
    "gsi1pk": pseudonymise(SYSTEM, "index key: an opaque id or keyed hash", export=False),
    "gsi1sk": pseudonymise(SYSTEM, "index key", export=False),
    "gsi2pk": pseudonymise(SYSTEM, "index key", export=False),
    "gsi2sk": pseudonymise(SYSTEM, "index key", export=False),
    "expires_at": keep(SYSTEM, "when DynamoDB's TTL removes the item"),
}

USER_ID = pseudonymise("user.unique_id", "the opaque id that links the user's records; it names nobody once the account is erased")
WHEN = keep(SYSTEM, "a timestamp", export=True)
STATUS = keep(SYSTEM, "a state of the item", export=True)

ENTITIES: dict[str, dict[str, Field]] = {
    "user": {
        "user_id": USER_ID,
        "role": keep("user.account", "the kind of account, shown on the erased user's records", export=True),
        "status": STATUS,
        "email_enc": erase("user.contact.email"),
        "email_hash": erase("user.contact.email", export=False),
        "full_name_enc": erase("user.name"),
        "phone_enc": erase("user.contact.phone_number"),
        "phone_hash": erase("user.contact.phone_number", export=False),
        "date_of_birth_enc": erase("user.demographic.date_of_birth"),
        "address_enc": erase("user.contact.address"),
        "guardian_enc": erase("user.contact"),
        "timezone": erase("user.preferences"),
        "language": erase("user.preferences"),
        "phone_verified": erase("user.account"),
        "supervised": erase("user.demographic"),
        "anonymous": erase("user.preferences"),
        "pseudonym": erase("user.name"),
        "rating_sum": erase("user.behavior.rating"),
        "rating_count": erase("user.behavior.rating"),
        "marketing": erase("user.consent"), "analytics": erase("user.consent"), "promotions": erase("user.consent"),
        "third_party_sharing": erase("user.consent"), "consents_updated_at": WHEN,
        "identity_status": erase("user.government_id"),
        "policy_version": erase("user.consent"), "member_since": WHEN,
        "created_at": WHEN,
        "updated_at": WHEN,
        "revoked": erase("user.authorization", export=False),
        "deletion_token_hash": erase(SYSTEM, export=False), "engagements": erase(SYSTEM, export=False),
    },
    "email_claim": {
        "status": STATUS, "claim_id": keep(SYSTEM, "a random id", export=False), "user_id": USER_ID,
    },
    "otp": {
        "code_hash": erase("user.authorization.credentials", export=False),
        "phone_hash": erase("user.contact.phone_number", export=False),
        "attempts": erase(SYSTEM, export=False), "valid_until": erase(SYSTEM, export=False),
    },
    # when codes were sent to the account in the last hour (the resend limit), apart from the code
    "code_sends": {"sends": erase(SYSTEM, export=False)},
    "consent": {
        "user_id": USER_ID,
        "subject": keep("user.consent", "proof of consent and of policy acceptance is kept while a claim may arise", export=True),
        "decision": keep("user.consent", "proof of consent", export=True),
        "version": keep("user.consent", "proof of consent", export=True),
        "source": keep("user.consent", "proof of consent", export=True),
        "at": WHEN,
    },
    "signin": {
        "user_id": USER_ID, "at": WHEN,
        "ip_enc": erase("user.device.ip_address"), "user_agent_enc": erase("user.device"),
    },
    "identity": {
        "user_id": USER_ID, "status": STATUS, "id_type": erase("user.government_id"),
        "id_number_enc": erase("user.government_id"), "reason_enc": erase("user.government_id"),
        "upload_id": erase(SYSTEM, export=False), "submitted_at": WHEN, "decided_at": WHEN,
        "decided_by": keep("user.unique_id", "the admin who decided, for the audit trail", export=False),
        "documents_delete_after": WHEN, "documents_purged_at": WHEN,
    },
    "profile": {
        "user_id": USER_ID, "data_enc": erase("user.content.public"), "visibility": erase("user.preferences"), "published_at": WHEN,
    },
    "profile_draft": {
        "user_id": USER_ID, "data_enc": erase("user.content.public"), "visibility": erase("user.preferences"), "submitted_at": WHEN,
    },
    "project": {
        "project_id": keep(SYSTEM, "an id", export=True), "owner_id": USER_ID,
        "title": pseudonymise("user.content.public", "the freelancers who bid keep their record of the work", export=True),
        "description": pseudonymise("user.content.public", "the freelancers who bid keep their record of the work", export=True),
        "location": erase("user.location"), "skills": keep(SYSTEM, "tags of the work", export=True),
        "budget_amount": keep("user.financial", "part of the contract's record", export=True),
        "budget_currency": keep("user.financial", "part of the contract's record", export=True),
        "status": STATUS, "contract_id": keep(SYSTEM, "an id", export=True), "created_at": WHEN, "updated_at": WHEN,
        "live_bids": keep(SYSTEM, "a count of the bids on the project, which holds the budget's currency"),
    },
    "project_file": {
        "file_id": keep(SYSTEM, "an id", export=True), "project_id": keep(SYSTEM, "an id", export=True),
        "filename": erase("user.content.private"), "content_type": erase(SYSTEM), "size": erase(SYSTEM),
        "object_key": erase(SYSTEM, export=False), "uploaded": erase(SYSTEM), "uploaded_by": USER_ID, "created_at": WHEN,
    },
    "bid": {
        "bid_id": keep(SYSTEM, "an id", export=True), "project_id": keep(SYSTEM, "an id", export=True),
        "freelancer_id": USER_ID, "owner_id": USER_ID,
        "amount": keep("user.financial", "the employer's record of the offer", export=True),
        "currency": keep("user.financial", "the employer's record of the offer", export=True),
        "cover_letter_enc": erase("user.content.private"),
        "delivery_days": keep(SYSTEM, "the employer's record of the offer", export=True),
        "status": STATUS, "created_at": WHEN, "updated_at": WHEN,
    },
    "bidder": {"bid_id": keep(SYSTEM, "an id"), "freelancer_id": USER_ID},
    "contract": {
        "contract_id": keep(SYSTEM, "an id", export=True), "project_id": keep(SYSTEM, "an id", export=True),
        "bid_id": keep(SYSTEM, "an id", export=True), "employer_id": USER_ID, "freelancer_id": USER_ID,
        "amount": keep("user.financial", BOOKS, export=True), "currency": keep("user.financial", BOOKS, export=True),
        "status": STATUS, "escrow_status": STATUS,
        "dispute_reason_enc": erase("user.content.private"),
        "disputed_by": pseudonymise("user.unique_id", OTHER_PARTY, export=True),
        "created_at": WHEN, "updated_at": WHEN,
    },
    "party": {
        "user_id": USER_ID, "other_id": pseudonymise("user.unique_id", OTHER_PARTY, export=False),
        "contract_id": keep(SYSTEM, "an id", export=False), "since": WHEN,
    },
    "message": {
        "message_id": keep(SYSTEM, "an id", export=True), "contract_id": keep(SYSTEM, "an id", export=True),
        "sender_id": pseudonymise("user.unique_id", OTHER_PARTY, export=True),
        "body_enc": erase("user.content.private"), "at": WHEN,
    },
    "review": {
        "contract_id": keep(SYSTEM, "an id", export=True),
        "reviewer_id": pseudonymise("user.unique_id", "the reviewee's rating stays", export=True),
        "reviewee_id": pseudonymise("user.unique_id", "the reviewer's record stays", export=True),
        "rating": pseudonymise("user.behavior.rating", "the reviewee's rating stays", export=True),
        "comment_enc": erase("user.content.public"), "at": WHEN,
    },
    "notification": {
        "notification_id": keep(SYSTEM, "an id"), "channel": keep(SYSTEM, "email or sms"),
        "to": erase("user.contact"), "subject": erase("user.content.private"), "body": erase("user.content.private"),
        "status": STATUS, "send_at": WHEN, "sent_at": WHEN, "user_id": USER_ID,
        "claimed_at": keep(SYSTEM, "a delivery's lease while sending, removed once sent", export=False),
        "purpose": keep(SYSTEM, "why it was sent"),
        "unsubscribe_url": erase("user.unique_id", export=False),
    },
    "audit": {
        "entry_id": keep(SYSTEM, "an id", export=True), "actor_id": pseudonymise("user.unique_id", AUDIT, export=True),
        "action": keep(SYSTEM, AUDIT, export=True), "subject_id": pseudonymise("user.unique_id", AUDIT, export=True),
        "details": keep(SYSTEM, AUDIT + " (ids and decisions)", export=True), "at": WHEN,
    },
    "policy": {**{a: keep("system.policy", "the platform's published policy") for a in
                  ("version", "effective_at", "published_at", "summary", "text", "material", "applied_at")},
               "published_by": pseudonymise("user.unique_id", AUDIT)},
    "fanout": {**{a: keep("system.marketing", "the platform's own message, to no one in particular") for a in
                  ("fanout_id", "purpose", "topic", "audience", "channels", "decision", "subject", "body", "created_at")},
               "created_by": pseudonymise("user.unique_id", AUDIT)},
    "notice": {
        "user_id": USER_ID, "fanout_id": erase(SYSTEM), "purpose": erase("user.notification"), "topic": erase("user.notification"),
        "subject": erase("user.notification"), "channels": erase("user.notification"), "email_status": erase("user.notification"),
        "at": WHEN,
    },
    "policy_index": {"versions": keep("system.policy", "the platform's published policy")},
    # --- money ---
    "ledger_account": {
        "account": keep("user.financial", BOOKS, export=True), "owner": pseudonymise("user.unique_id", BOOKS, export=True),
        "currency": keep("user.financial", BOOKS, export=True), "balance": keep("user.financial", BOOKS, export=True),
        "updated_at": WHEN,
    },
    "ledger_entry": {
        "entry_id": keep("user.financial", BOOKS, export=True), "movement_id": keep("user.financial", BOOKS, export=True),
        "account": keep("user.financial", BOOKS, export=True), "owner": pseudonymise("user.unique_id", BOOKS, export=True),
        "currency": keep("user.financial", BOOKS, export=True), "amount": keep("user.financial", BOOKS, export=True),
        "entry_kind": keep("user.financial", BOOKS, export=True), "ref": keep("user.financial", BOOKS, export=True),
        "created_at": WHEN,
    },
    "movement": {
        "movement_id": keep("user.financial", BOOKS), "ref": keep("user.financial", BOOKS),
        "postings": keep("user.financial", BOOKS), "created_at": WHEN,
    },
    "payout_method": {
        "user_id": USER_ID, "method_type": erase("user.financial.bank_account"),
        "account_holder_enc": erase("user.financial.bank_account"),
        "account_number_enc": erase("user.financial.bank_account", export=False),  # exported masked (last 4), never in clear
        "ifsc_enc": erase("user.financial.bank_account"), "branch_name_enc": erase("user.financial.bank_account"),
        "upi_id_enc": erase("user.financial.bank_account", export=False),  # exported masked
        "account_number_last4": erase("user.financial.bank_account"),
        "upi_id_masked": erase("user.financial.bank_account"), "updated_at": WHEN,
    },
    "payout": {
        "payout_id": keep("user.financial", BOOKS, export=True), "user_id": USER_ID,
        "amount": keep("user.financial", BOOKS, export=True), "currency": keep("user.financial", BOOKS, export=True),
        "status": STATUS, "destination": erase("user.financial.bank_account"),
        "destination_enc": erase("user.financial.bank_account", export=False),
        "failure_reason": keep("user.financial", BOOKS, export=True), "provider_ref": keep("user.financial", BOOKS, export=True),
        "created_at": WHEN, "settled_at": WHEN,
    },
    "funding": {
        "contract_id": keep(SYSTEM, "an id", export=True), "charge_id": keep("user.financial", BOOKS, export=True),
        "employer_id": USER_ID, "amount": keep("user.financial", BOOKS, export=True),
        "currency": keep("user.financial", BOOKS, export=True), "status": STATUS,
        "failure_reason": keep("user.financial", BOOKS, export=True), "provider_ref": keep("user.financial", BOOKS, export=True),
        "created_at": WHEN, "settled_at": WHEN,
    },
    "receipt": {
        "receipt_id": keep("user.financial", BOOKS, export=True), "user_id": USER_ID,
        "receipt_kind": keep("user.financial", BOOKS, export=True), "ref": keep("user.financial", BOOKS, export=True),
        "currency": keep("user.financial", BOOKS, export=True), "gross": keep("user.financial", BOOKS, export=True),
        "fee": keep("user.financial", BOOKS, export=True), "net": keep("user.financial", BOOKS, export=True), "created_at": WHEN,
    },
    # --- deletion ---
    "deletion": {
        "user_id": USER_ID, "status": STATUS, "requested_at": WHEN, "erase_after": WHEN,
        "token_hash": erase(SYSTEM, export=False), "outcome": STATUS,
    },
    "deletion_receipt": {a: keep(SYSTEM, "the receipt of an erasure; it names nobody", export=False) for a in
                         ("status", "requested_at", "erase_after", "completed_at", "erased", "kept", "blocked_by")},
    "legal_hold": {
        "hold_id": keep("system.legal", "a legal hold outlives the account it holds"),
        "user_id": keep("user.unique_id", "a legal hold outlives the account it holds"),
        "reason": keep("system.legal", "the authority's reference"),
        "placed_by": keep("user.unique_id", AUDIT), "placed_at": WHEN,
    },
    "erasure": {
        "user_id": keep("user.unique_id", "the proof that the erasure ran, step by step; the id names nobody afterwards"),
        "token_hash": keep(SYSTEM, "links the erasure to its receipt"), "outcome": STATUS,
        "done": keep(SYSTEM, "the steps done"), "touched": keep(SYSTEM, "the kinds of items reached"),
        "started_at": WHEN, "finished_at": WHEN,
    },
    "export": {
        "export_id": keep(SYSTEM, "an id", export=False), "user_id": USER_ID, "status": STATUS,
        "requested_at": WHEN, "ready_until": WHEN,
    },
    "export_expiry": {"export_id": erase(SYSTEM, export=False), "user_id": erase("user.unique_id", export=False)},
    "disclosure": {
        "disclosure_id": keep("system.legal", "the record of a disclosure is kept as the law requires", export=True),
        "user_id": USER_ID,
        "recipient": keep("system.legal", "the record of a disclosure is kept as the law requires", export=True),
        "purpose": keep("system.legal", "the record of a disclosure is kept as the law requires", export=True),
        "legal_basis": keep("system.legal", "the record of a disclosure is kept as the law requires", export=True),
        "data_categories": keep("system.legal", "the record of a disclosure is kept as the law requires", export=True),
        "told": keep("system.legal", "whether the user could be told"), "recorded_by": keep("user.unique_id", AUDIT), "at": WHEN,
    },
    "hold_pointer": {"hold_id": keep("system.legal", "a legal hold outlives the account it holds"),
                     "user_id": keep("user.unique_id", "a legal hold outlives the account it holds")},
    "phishing_report": {
        "report_id": keep("system.security", "kept for the security team"),
        "reported_sender": keep("system.security", "the suspected sender, for the security team"),
        "channel": keep("system.security", "kept for the security team"),
        "content": keep("system.security", "the message reported, for the security team"),
        "received_at": keep("system.security", "kept for the security team"),
        "reporter_id": pseudonymise("user.unique_id", "the report stays; who sent it is cut once the account is erased", export=False),
        "at": WHEN,
    },
    "rate": {"hits": erase(SYSTEM, export=False)},
    "idempotency": {
        "operation": erase(SYSTEM, export=False), "body_hash": erase(SYSTEM, export=False),
        "result": erase(SYSTEM, export=False), "created_at": erase(SYSTEM, export=False),
    },
}

# the keys table (no backups): a user's wrapped data key
WRAPPED_KEY: dict[str, Field] = {
    "pk": pseudonymise(SYSTEM, "item key: the owner's opaque id", export=False),
    "sk": keep(SYSTEM, "item key", export=False),
    "wrapped": erase("user.authorization.credentials", export=False),
    "created_at": erase(SYSTEM, export=False),
}

# S3: bucket -> key prefix -> what lives there
OBJECTS: dict[tuple[str, str], Field] = {
    ("documents", "identity/<user_id>/"): erase("user.government_id", export=False),
    ("files", "projects/<project_id>/"): erase("user.content.private"),
    ("exports", "exports/<user_id>/"): erase("user.unique_id", export=False),
}

# Cognito user pool attributes
COGNITO: dict[str, Field] = {
    "sub": pseudonymise("user.unique_id", "the account's id", export=True),
    "email": erase("user.contact.email"),
    "email_verified": erase("user.contact.email"),
}

# queue payloads: ids only, gone once delivered (or after the queue's retention)
QUEUES: dict[str, dict[str, Field]] = {
    "notifications": {"notification_id": erase(SYSTEM, export=False)},
    "fanout": {"fanout_id": erase(SYSTEM, export=False), "cursor": erase("user.unique_id", export=False),
               "users": erase("user.unique_id", export=False)},
    "exports": {"user_id": erase("user.unique_id", export=False), "export_id": erase(SYSTEM, export=False),
                "expire": erase(SYSTEM, export=False)},
    "erasure": {"user_id": erase("user.unique_id", export=False), "token_hash": erase(SYSTEM, export=False),
                "outcome": erase(SYSTEM, export=False)},
    "notices": {"bid_id": erase(SYSTEM, export=False), "project_id": erase(SYSTEM, export=False),
                "recipient": erase("user.unique_id", export=False), "was": erase(SYSTEM, export=False),
                "status": erase(SYSTEM, export=False)},
    "policies": {"version": erase(SYSTEM, export=False), "effective_at": erase(SYSTEM, export=False),
                 "joined": erase("user.unique_id", export=False)},
    # in any of the above's DLQ, a change the stream's router could not select: its keys and
    # stream position (the keys hold ids, never an address), and the concern
    "unselected change (any DLQ)": {"unselected": erase("user.unique_id", export=False), "concern": erase(SYSTEM, export=False)},
    "payments": {
        "what": erase(SYSTEM, export=False), "id": erase(SYSTEM, export=False),
        "user_id": erase("user.unique_id", export=False), "contract_id": erase(SYSTEM, export=False),
    },
    # Lambda's on-failure record of a stream batch: positions in the shard, no record content
    "stream-failures": {"requestContext": erase(SYSTEM, export=False), "responseContext": erase(SYSTEM, export=False),
                        "DDBStreamBatchInfo": erase(SYSTEM, export=False), "version": erase(SYSTEM, export=False),
                        "timestamp": erase(SYSTEM, export=False)},
    # EventBridge's scheduled event it could not deliver: the rule and the time, no data
    "schedule-failures": {k: erase(SYSTEM, export=False) for k in
                          ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")},
}


# What erasure does with a whole item of the user's (each field still follows its rule):
# `delete` the item, or `strip` it of its erased fields and keep the rest. Items of
# other people that the user's activity reaches (a project they bid on, a contract's
# other side) are always stripped of the user's own fields only.
ITEM_ON_ERASURE: dict[str, str] = {
    "email_claim": "delete", "otp": "delete", "code_sends": "delete", "signin": "delete", "identity": "strip", "profile": "delete",
    "profile_draft": "delete", "payout_method": "delete", "idempotency": "delete", "notification": "delete", "notice": "delete",
    "deletion": "delete", "export": "delete", "disclosure": "strip", "user": "strip", "consent": "strip", "party": "strip", "payout": "strip",
    "ledger_account": "strip", "ledger_entry": "strip", "receipt": "strip", "legal_hold": "strip",
}


def erased_fields(kind: str) -> list[str]:
    """The attributes of an item of `kind` that erasure removes."""
    return [name for name, f in ENTITIES.get(kind, {}).items() if f.rule == "erase"]


OTHER_AUTHOR = "written by another user about the account (a review, a dispute reason): it is their record, shown to no one as the erased user's"


def receipt_lines(kinds: list[str], remaining: list[tuple[str, list[str]]]) -> tuple[list[str], list[dict[str, str]]]:
    """What a receipt says (categories only, no personal data): `erased`, the categories
    the data map erases from the kinds of items the erasure reached (and the data key,
    deleted last); `kept`, every category of what is still stored, given as the kind of
    each item left and the attributes it still has, with the reasons. A category with
    some data erased and some kept is in both: `kept` says why what remains of it stays."""
    erased = {WRAPPED_KEY["wrapped"].category}
    for kind in kinds:
        erased |= {f.category for f in ENTITIES.get(kind, {}).values() if f.rule == "erase" and f.category != SYSTEM}
    kept: dict[str, list[str]] = {}
    for kind, attributes in remaining:
        fields = ENTITIES.get(kind, {})
        for name in attributes:
            f = fields.get(name)
            if f is None or name in KEYS or f.category == SYSTEM:
                continue
            reason = f.reason or OTHER_AUTHOR  # a field erased with its owner is, if still here, another user's
            if reason not in kept.setdefault(f.category, []):
                kept[f.category].append(reason)
    return sorted(erased), [{"category": c, "reason": "; ".join(r)} for c, r in sorted(kept.items())]

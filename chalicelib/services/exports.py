"""The right of access and portability: an export of every category of data kept about
the caller, as JSON (machine-readable, with a schema version) and as a PDF "hard copy"
(a heading per category), in the KMS-encrypted exports bucket.

`POST /me/exports` records a pending export; the table's stream puts its id on the
`exports` queue, whose function gathers the data (every Query starts from the user's id:
their partition, their activity indexes, their audit entries; never a Scan), writes
both objects and marks the export ready. `GET /me/exports/{id}` answers with 5-minute
download links until the export's lifetime (`EXPORT_DAYS`) ends; then the export is
`expired` and its objects are deleted (a TTL expiry item, seen on the stream).
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters import storage
from chalicelib.core import clock, errors
from chalicelib.core.changes import Change
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import EXPORTS_BUCKET
from chalicelib.repos import activity, audit, ids, notifications
from chalicelib.repos import exports as repo
from chalicelib.repos import users as users_repo
from chalicelib.repos.db import kind_of
from chalicelib.security import vault
from chalicelib.services import accounts, consents, contracts, projects
from chalicelib.services.caller import Caller

SCHEMA_VERSION = 1
EXPORT_DAYS = 7
LINK_SECONDS = 300


def request(caller: Caller) -> dict[str, Any]:
    export_id, now = ids.new_id(), clock.now_ts()
    repo.new(caller.user_id, export_id, now).save()
    logger.info("export requested", extra={"export_id": export_id})
    return {"export_id": export_id, "status": "pending"}


def status(caller: Caller, export_id: str) -> dict[str, Any]:
    found = repo.get(caller.user_id, export_id)
    if found is None:
        raise errors.NotFound("No such export")
    expired = found.status == "expired" or (found.ready_until is not None and found.ready_until <= clock.now_ts())
    answer: dict[str, Any] = {"export_id": export_id, "status": "expired" if expired else found.status,
                              "requested_at": clock.iso(found.requested_at), "json_url": None, "pdf_url": None,
                              "expires_at": clock.iso(found.ready_until) if found.ready_until else None}
    if found.status == "ready" and not expired:
        answer["json_url"] = storage.presigned_get(EXPORTS_BUCKET.name, repo.object_key(caller.user_id, export_id, "json"), LINK_SECONDS)
        answer["pdf_url"] = storage.presigned_get(EXPORTS_BUCKET.name, repo.object_key(caller.user_id, export_id, "pdf"), LINK_SECONDS)
    return answer


# --- assembling ---------------------------------------------------------------------------------

def _when(value: float | None) -> str | None:
    return clock.iso(value) if value else None


def _sealed_json(owner: str, field: str, token: str | None) -> Any:
    text = vault.readable(owner, field, token)
    return json.loads(text) if text else None


def gather(user_id: str) -> dict[str, Any]:
    """Every category the data map marks for export, found from the user's id. Every list
    is read to its end (page by page), never only its first page."""
    account = users_repo.UserItem.get(users_repo.user_pk(user_id), "ACCOUNT", consistent_read=True)
    vault.preload([user_id])
    partition: dict[str, list[Any]] = {}
    for item in users_repo.partition(user_id, page_size=500):
        partition.setdefault(kind_of(item), []).append(item)
    done = activity.everything(user_id)
    contracts_of_user = done["contracts_as_employer"] + done["contracts_as_freelancer"]
    vault.preload([r.reviewer_id for r in done["reviews_received"]] + [c.disputed_by for c in contracts_of_user if c.disputed_by])

    def one(name: str) -> Any:
        return (partition.get(name) or [None])[0]

    def profile_of(item: Any) -> dict[str, Any] | None:
        if item is None:
            return None
        return {"published": _sealed_json(user_id, "profile", item.data_enc), "visibility": item.visibility.as_dict()}

    profile, draft = one("profile"), one("profile_draft")
    identity = one("identity")
    method = one("payout_method")
    account_out = {**accounts.me(account), "guardian": _sealed_json(user_id, "guardian", account.guardian_enc),
                   "pseudonym": account.pseudonym, "rating": {"sum": int(account.rating_sum or 0), "count": int(account.rating_count or 0)},
                   "identity_status": account.identity_status, "created_at": _when(account.created_at),
                   "updated_at": _when(account.updated_at)}
    categories: dict[str, Any] = {
        "account": account_out,
        "profile": {**(profile_of(profile) or {"published": None, "visibility": None}),
                    "published_at": _when(profile.published_at) if profile else None,
                    "pending_edit": {**(profile_of(draft) or {}), "submitted_at": _when(draft.submitted_at)} if draft else None},
        "identity_verification": {"status": identity.status, "id_type": identity.id_type,
                                  "id_number": vault.readable(user_id, "id_number", identity.id_number_enc),
                                  "reason": vault.readable(user_id, "identity.reason", identity.reason_enc),
                                  "submitted_at": _when(identity.submitted_at), "decided_at": _when(identity.decided_at),
                                  "documents_delete_after": _when(identity.documents_delete_after),
                                  "documents_purged_at": _when(identity.documents_purged_at),
                                  "documents": "images are not exported; they are deleted after the profile's keep period"}
        if identity else None,
        "projects": [projects.out(p) for p in done["projects_posted"]],
        "project_files": [{"file_id": f.file_id, "project_id": f.project_id, "filename": f.filename, "content_type": f.content_type,
                           "size": int(f.size), "uploaded": bool(f.uploaded), "created_at": clock.iso(f.created_at)}
                          for f in done["project_files_uploaded"]],
        "bids": [{**projects.bid_out(b), "updated_at": clock.iso(b.updated_at)} for b in done["bids_placed"]],
        "contracts": [{**contracts.summary(c), "disputed_by": c.disputed_by,
                       "dispute_reason": vault.readable(c.disputed_by, "contract.dispute_reason", c.dispute_reason_enc)
                       if c.disputed_by else None} for c in contracts_of_user],
        "contract_parties": [{"contract_id": p.contract_id, "since": _when(p.since)} for p in partition.get("party", [])],
        "messages": [{"message_id": m.message_id, "contract_id": m.contract_id, "sender_id": m.sender_id, "at": clock.iso(m.at),
                      "body": vault.readable(user_id, "message.body", m.body_enc)} for m in done["messages_sent"]],
        "reviews_given": [{"contract_id": r.contract_id, "reviewee_id": r.reviewee_id, "rating": int(r.rating), "at": clock.iso(r.at),
                           "comment": vault.readable(user_id, "review.comment", r.comment_enc)} for r in done["reviews_given"]],
        "reviews_received": [{"contract_id": r.contract_id, "reviewer_id": r.reviewer_id, "rating": int(r.rating), "at": clock.iso(r.at),
                              "comment": vault.readable(r.reviewer_id, "review.comment", r.comment_enc)} for r in done["reviews_received"]],
        "balances": [{"account": a.account, "balance": {"amount": int(a.balance), "currency": a.currency}, "updated_at": _when(a.updated_at)}
                     for a in partition.get("ledger_account", [])],
        "ledger": [{"entry_id": e.entry_id, "movement_id": e.movement_id, "account": e.account, "kind": e.entry_kind,
                    "amount": {"amount": int(e.amount), "currency": e.currency}, "ref": e.ref, "created_at": clock.iso(e.created_at)}
                   for e in partition.get("ledger_entry", [])],
        "receipts": [{"receipt_id": r.receipt_id, "kind": r.receipt_kind, "ref": r.ref, "currency": r.currency, "gross": int(r.gross),
                      "fee": int(r.fee), "net": int(r.net), "created_at": clock.iso(r.created_at)} for r in partition.get("receipt", [])],
        "payouts": [{"payout_id": p.payout_id, "amount": {"amount": int(p.amount), "currency": p.currency}, "status": p.status,
                     "destination": p.destination, "failure_reason": p.failure_reason, "provider_ref": p.provider_ref,
                     "created_at": clock.iso(p.created_at), "settled_at": _when(p.settled_at)}
                    for p in partition.get("payout", [])],
        "payout_method": ({"type": method.method_type, "account_number_last4": method.account_number_last4,
                           "upi_id_masked": method.upi_id_masked,
                           "account_holder": vault.readable(user_id, "payout.account_holder", method.account_holder_enc),
                           "ifsc": vault.readable(user_id, "payout.ifsc", method.ifsc_enc),
                           "branch_name": vault.readable(user_id, "payout.branch_name", method.branch_name_enc),
                           "updated_at": _when(method.updated_at)} if method else None),
        "exports": [{"export_id": e.export_id, "status": e.status, "requested_at": _when(e.requested_at), "ready_until": _when(e.ready_until)}
                    for e in partition.get("export", [])],
        "consents": {**consents.state(account), "history": [
            {"purpose": e.subject, "decision": e.decision, "source": e.source, "policy_version": e.version, "at": clock.iso(e.at)}
            for e in sorted(partition.get("consent", []), key=lambda e: e.sk, reverse=True)]},
        "sign_ins": [{"at": clock.iso(s.at), "ip": vault.readable(user_id, "sign_in.ip", s.ip_enc),
                      "user_agent": vault.readable(user_id, "sign_in.user_agent", s.user_agent_enc)} for s in partition.get("signin", [])],
        "disclosures": [{"disclosure_id": d.disclosure_id, "recipient": d.recipient, "purpose": d.purpose, "legal_basis": d.legal_basis,
                         "data_categories": list(d.data_categories or []), "at": clock.iso(d.at)}
                        for d in partition.get("disclosure", []) if d.told],
        "notices": [{"notice_id": n.fanout_id, "purpose": n.purpose, "topic": n.topic, "subject": n.subject,
                     "channels": list(n.channels or []), "email_status": n.email_status, "at": clock.iso(n.at)}
                    for n in partition.get("notice", [])],
        "notifications": [{"channel": n.channel, "purpose": n.purpose, "status": n.status, "to": n.to, "subject": n.subject,
                           "body": n.body, "send_at": _when(n.send_at), "sent_at": _when(n.sent_at)}
                          for n in notifications.to_user(user_id)],
        "audit_entries": [{"entry_id": a.entry_id, "action": a.action, "actor_id": a.actor_id, "subject_id": a.subject_id,
                           "at": clock.iso(a.at), "details": details} for a in audit.about(user_id)
                          if _may_be_told(a.action, details := json.loads(a.details or "{}"))],
    }
    return {"schema_version": SCHEMA_VERSION, "generated_at": clock.iso(), "user_id": user_id, "categories": categories}


def _pdf(document: dict[str, Any]) -> bytes:
    """The human-readable hard copy: a heading per category, then its data as lines."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    class Copy(FPDF):
        def line_of(self, value: str) -> None:
            self.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)

    pdf = Copy()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, "Your data", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 9)
    pdf.line_of(f"Generated {document['generated_at']} (export schema version {document['schema_version']}).")

    def text(value: Any) -> str:
        return str(value).encode("latin-1", "replace").decode("latin-1")  # the core fonts are Latin-1

    for category, content in document["categories"].items():
        pdf.ln(3)
        pdf.set_font("helvetica", "B", 13)
        pdf.cell(0, 8, text(category.replace("_", " ").capitalize()), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "", 9)
        rows = content if isinstance(content, list) else [content]
        if not rows or rows == [None]:
            pdf.line_of("(nothing kept)")
        for row in rows:
            if isinstance(row, dict):
                for key, value in row.items():
                    pdf.line_of(text(f"{key}: {json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value}"))
                pdf.ln(1)
            elif row is not None:
                pdf.line_of(text(row))
    return bytes(pdf.output())


def _may_be_told(action: str, details: dict[str, Any]) -> bool:
    """An audit entry the user may read: not the record of a disclosure the law forbids
    telling them about (`notify_user: false`), which the disclosures list leaves out too."""
    return not (action == "disclosure.recorded" and details.get("told") is False)


def build(user_id: str, export_id: str) -> str:
    """Assemble one export, write both objects (SSE-KMS), mark it ready; idempotent."""
    found = repo.get(user_id, export_id)
    if found is None or found.status != "pending":
        return "already built"
    document = gather(user_id)
    storage.put(EXPORTS_BUCKET.name, repo.object_key(user_id, export_id, "json"),
                json.dumps(document, ensure_ascii=False, indent=2).encode(), "application/json")
    storage.put(EXPORTS_BUCKET.name, repo.object_key(user_id, export_id, "pdf"), _pdf(document), "application/pdf")
    until = clock.now_ts() + EXPORT_DAYS * 86400
    repo.mark_ready(found, until)
    metrics.add_metric(name="ExportsBuilt", unit="Count", value=1)
    logger.info("export built", extra={"export_id": export_id})
    return "ready"


def select(changes: list[Change]) -> list[dict[str, Any]]:
    """The stream's concern, for the `exports` queue (ids only): a new export is to be
    built; an expiry marker removed by TTL means an export's lifetime ended, and its
    objects are to be deleted and the export marked expired (`handle`)."""
    jobs: list[dict[str, Any]] = []
    for c in changes:
        new, old = c.new, c.old
        if new and not old and new.get("kind") == "export":
            jobs.append({"user_id": str(new["user_id"]), "export_id": str(new["export_id"])})
        elif c.by_ttl and old and not new and old.get("kind") == "export_expiry":
            jobs.append({"user_id": str(old["user_id"]), "export_id": str(old["export_id"]), "expire": True})
    return jobs


def handle(job: dict[str, Any]) -> str:
    """One message of the exports queue: build the export, or end it (both idempotent)."""
    if job.get("expire"):
        expire(job["user_id"], job["export_id"])
        return "expired"
    return build(job["user_id"], job["export_id"])


def expire(user_id: str, export_id: str) -> None:
    storage.delete_prefix_every_version(EXPORTS_BUCKET.name, repo.object_key(user_id, export_id, ""))
    repo.mark_expired(user_id, export_id)
    metrics.add_metric(name="ExportsExpired", unit="Count", value=1)

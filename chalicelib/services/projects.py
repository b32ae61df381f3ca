"""Projects, their files, bids, and accepting a bid.

Who sees what (API.md): a project is seen by its owner and by freelancers; any other
employer, an admin or an anonymous caller gets 404, as if it did not exist. Its bids
are seen by the owner (each bidder's profile as the owner may see it, never contact
details) and each bid by its bidder.

Accepting is one DynamoDB transaction: the project goes from `open` to `in_progress`
(the condition every concurrent accept races on), the bid from `live` to `accepted`,
the contract and both parties' `PARTY#` links are written, both accounts are held to
being open with no deletion scheduled (and count the contract, which a deletion
request racing it sees), and the other live bids become `rejected`, up to
`MAX_REJECTED_IN_ACCEPT` of them. Any beyond that (a project with more live bids than
one transaction holds) are rejected right after by idempotent conditional updates,
which a retried request repeats safely.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import storage
from chalicelib.core import clock, errors
from chalicelib.core.observability import logger, metrics
from chalicelib.core.resources import FILES_BUCKET
from chalicelib.domain import contact
from chalicelib.domain import marketplace as rules
from chalicelib.repos import contracts as contract_repo
from chalicelib.repos import cursors, db, ids
from chalicelib.repos import projects as repo
from chalicelib.repos.batch import Batch
from chalicelib.security import vault
from chalicelib.services import guards, profiles
from chalicelib.services.caller import Caller
from chalicelib.services.loads import Load

UPLOAD_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 5 * 60


# --- projects ---------------------------------------------------------------------

@dataclass
class ProjectLoad:
    """What a project's routes read with the caller's account: the project, and the bid
    the path names (`/projects/{id}/bids/{bid_id}...`), each None if there is none."""

    project: repo.Project | None
    bid: repo.Bid | None = None


def load_project(project_id: str, bid_id: str | None = None) -> Load[ProjectLoad]:
    def want(batch: Batch, caller_id: str | None) -> Callable[[], ProjectLoad]:
        project = batch.want(repo.key(project_id), repo.Project)
        bid = batch.want(repo.bid_key(project_id, bid_id), repo.Bid) if bid_id else None
        return lambda: ProjectLoad(project.item, bid.item if bid else None)

    return Load(want)


def visible_project(caller: Caller | None, load: ProjectLoad) -> repo.Project:
    project = load.project
    if caller is None or project is None or not (project.owner_id == caller.user_id or guards.sees_projects(caller)):
        raise errors.NotFound("No such project")
    return project


def owned_project(caller: Caller, load: ProjectLoad) -> repo.Project:
    project = load.project
    if project is None or project.owner_id != caller.user_id:
        raise errors.NotFound("No such project")
    return project


def out(project: repo.Project) -> dict[str, Any]:
    return {
        "project_id": project.project_id, "owner_id": project.owner_id, "title": project.title, "description": project.description,
        "budget": {"amount": int(project.budget_amount), "currency": project.budget_currency}, "skills": list(project.skills or []),
        "location": project.location, "status": project.status, "contract_id": project.contract_id,
        "created_at": clock.iso(project.created_at), "updated_at": clock.iso(project.updated_at),
    }


_READ_BEFORE_HIRING = ("title", "description", "skills", "location")  # every text of a project


def _no_contact_details(fields: dict[str, Any]) -> None:
    """Projects and bids are read by people not hired yet: no contact details in them."""
    hit = contact.first_in(profiles.texts(fields))
    if hit:
        raise errors.contact_info_not_allowed(*hit)


def create(caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    guards.may_create(caller, "employer", "post projects")
    guards.verified(caller)
    guards.no_deletion_scheduled(caller, "post projects")
    _no_contact_details({k: data[k] for k in _READ_BEFORE_HIRING if data.get(k)})
    now = clock.now_ts()
    project = repo.Project(
        *repo.key(pid := ids.new_id()), project_id=pid, owner_id=caller.user_id, title=data["title"], description=data["description"],
        budget_amount=data["budget"]["amount"], budget_currency=data["budget"]["currency"], skills=data["skills"],
        location=data.get("location"), status=rules.OPEN, live_bids=0, created_at=now, updated_at=now,
    )
    repo.list_keys(project)
    try:
        repo.post(project)
    except db.Conflict as exc:
        if exc.on == repo.OWNER:
            raise errors.deletion_scheduled("post projects") from None
        raise
    logger.info("project posted", extra={"project_id": pid, "user_id": caller.user_id})
    metrics.add_metric(name="ProjectsPosted", unit="Count", value=1)
    return {"project_id": pid, "status": rules.OPEN}


def listing(caller: Caller, limit: int, cursor: str | None) -> dict[str, Any]:
    start = cursors.decode(cursor)
    if caller.role == "freelancer":
        if not guards.sees_projects(caller):
            guards.verified(caller)  # the one thing missing where identity is required
            raise errors.Forbidden("Finish registering (verify your phone) to see projects")
        found, last = repo.open_page(limit, start)
    elif caller.role == "employer":
        found, last = repo.owned_page(caller.user_id, limit, start)
    else:
        raise errors.Forbidden("Projects are listed for freelancers and employers")
    return {"items": [out(p) for p in found], "next_cursor": cursors.encode(last)}


def update(caller: Caller, load: ProjectLoad, project_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    project = owned_project(caller, load)
    if project.status != rules.OPEN:
        raise errors.Conflict(f"The project is {project.status}; only open projects can be edited")
    _no_contact_details({k: v for k, v in changes.items() if k in _READ_BEFORE_HIRING and v})
    budget = changes.get("budget") or {}
    new_currency = bool(budget) and budget["currency"] != project.budget_currency
    if new_currency and project.live_bids != 0:
        raise _live_bids_in_currency()
    try:
        repo.edit_if_open(project, changes, clock.now_ts(), new_currency)
    except db.Conflict:
        now_is = repo.read(project_id)
        if new_currency and now_is is not None and now_is.status == rules.OPEN:
            raise _live_bids_in_currency() from None  # a bid went in since the project was read
        raise errors.Conflict("The project is no longer open") from None
    return out(project)


def _live_bids_in_currency() -> errors.Conflict:
    return errors.Conflict("The project has live bids in its currency; its budget can change amount, not currency")


def close(caller: Caller, load: ProjectLoad) -> dict[str, Any]:
    """Close an open project: it leaves the open list and its live bids are rejected
    (in the same transaction, as many as fit; the rest right after, as in `accept`)."""
    return out(shut(owned_project(caller, load)))


def shut(project: repo.Project) -> repo.Project:
    """What closing does (its owner's request, or erasure of its owner)."""
    if project.status == rules.CLOSED:
        return project  # closing twice is harmless
    if project.status != rules.OPEN:
        raise errors.Conflict(f"The project is {project.status}; it has a contract and cannot be closed")
    now = clock.now_ts()
    project_id = project.project_id
    inside, after = _split(repo.live_bids(project_id))
    try:
        repo.close_if_open(project, inside, now)
    except db.Conflict:
        raise errors.Conflict("The project changed meanwhile; reload it") from None
    for bid in after:
        repo.reject_if_live(bid, now)
    project.status = rules.CLOSED
    project.updated_at = now
    return project


def _split(bids: list[repo.Bid]) -> tuple[list[repo.Bid], list[repo.Bid]]:
    """Bids to reject inside the transaction, and those left for right after it."""
    return bids[: rules.MAX_REJECTED_IN_ACCEPT], bids[rules.MAX_REJECTED_IN_ACCEPT:]


# --- files -----------------------------------------------------------------------------

def _safe_filename(name: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", name.rsplit("/", 1)[-1]).strip("._") or "file"
    return base[:120]


def add_file(caller: Caller, load: ProjectLoad, project_id: str, filename: str, content_type: str, size: int) -> dict[str, Any]:
    project = owned_project(caller, load)
    if project.status == rules.CLOSED:
        raise errors.Conflict("The project is closed")
    file_id, now = ids.new_id(), clock.now_ts()
    key = f"projects/{project_id}/{file_id}/{_safe_filename(filename)}"
    repo.new_file(project_id, file_id, _safe_filename(filename), content_type, size, key, caller.user_id, now).save()
    upload = storage.presigned_post(FILES_BUCKET.name, key, content_type, size, UPLOAD_SECONDS)
    return {"file_id": file_id, "upload": upload, "expires_in": UPLOAD_SECONDS}


UPLOADED, PENDING_UPLOAD, REFUSED = "uploaded", "pending_upload", "refused"


def _upload_state(f: repo.ProjectFile) -> str:
    """Whether a file's upload is there and as promised. Checked once per file (an S3
    HEAD on the first listing after the upload); an object that is not SSE-KMS under
    our key or is larger than declared is deleted, every version, with its entry."""
    if f.uploaded:
        return UPLOADED
    problem = storage.problem_with(FILES_BUCKET.name, f.object_key, int(f.size))
    if problem == storage.MISSING:
        return PENDING_UPLOAD
    if problem:
        storage.delete_every_version(FILES_BUCKET.name, f.object_key)
        f.delete()
        logger.info("project file refused", extra={"project_id": f.project_id, "file_id": f.file_id, "problem": problem})
        return REFUSED
    repo.mark_uploaded(f)
    return UPLOADED


def list_files(caller: Caller, load: ProjectLoad, project_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Uploaded files with short-lived download URLs; the owner also sees files still
    waiting for their upload (`status: pending_upload`, no URL)."""
    project = visible_project(caller, load)
    found, last = repo.files(project_id, limit, cursors.decode(cursor))
    owner = project.owner_id == caller.user_id
    listed = []
    for f in found:
        state = _upload_state(f)
        if state == REFUSED or (state == PENDING_UPLOAD and not owner):
            continue
        ready = state == UPLOADED
        listed.append({
            "file_id": f.file_id, "filename": f.filename, "content_type": f.content_type, "size": int(f.size), "status": state,
            "download_url": storage.presigned_get(FILES_BUCKET.name, f.object_key, DOWNLOAD_SECONDS) if ready else None,
            "expires_in": DOWNLOAD_SECONDS if ready else None,
        })
    return {"items": listed, "next_cursor": cursors.encode(last)}


# --- bids --------------------------------------------------------------------------------

def place_bid(caller: Caller, load: ProjectLoad, project_id: str, data: dict[str, Any]) -> dict[str, Any]:
    guards.may_create(caller, "freelancer", "bid")
    guards.verified(caller)
    guards.no_deletion_scheduled(caller, "bid")
    project = visible_project(caller, load)
    if project.status != rules.OPEN:
        raise errors.Conflict(f"The project is {project.status}; it takes no bids")
    if data["amount"]["currency"] != project.budget_currency:
        raise _other_currency(project)
    _no_contact_details({"cover_letter": data["cover_letter"]})
    bid_id, now, uid = ids.new_id(), clock.now_ts(), caller.user_id
    bid = repo.new_bid(project, bid_id, uid, data["amount"]["amount"], data["amount"]["currency"], data["delivery_days"],
                       vault.seal(uid, "bid.cover_letter", data["cover_letter"]), now)
    try:
        repo.place_bid(project, bid)
    except db.Conflict as exc:
        if exc.on == repo.PROJECT:
            now_is = repo.read(project_id)
            if now_is is not None and now_is.status == rules.OPEN:
                raise _other_currency(now_is) from None  # its budget changed currency since it was read
            raise errors.Conflict("The project is no longer open") from None
        if exc.on == repo.GUARD:
            raise errors.Conflict("You already have a live bid on this project; withdraw it to bid again") from None
        if exc.on == repo.FREELANCER:
            raise errors.deletion_scheduled("bid") from None
        if exc.on == repo.OWNER:
            raise errors.account_unavailable("employer", "this project takes no bids") from None
        if exc.on == repo.BUSY:  # still colliding with other bids after the retries: the caller may simply send it again
            raise errors.Conflict("Many bids reached this project at the same moment; place yours again") from None
        raise
    logger.info("bid placed", extra={"project_id": project_id, "bid_id": bid_id, "user_id": uid})
    metrics.add_metric(name="BidsPlaced", unit="Count", value=1)
    return {"bid_id": bid_id, "status": rules.LIVE}


def _other_currency(project: repo.Project) -> errors.BadRequest:
    return errors.BadRequest(f"Invalid body field 'amount.currency': this project is budgeted in {project.budget_currency}",
                             details={"field": "amount.currency"})


def bid_out(bid: repo.Bid) -> dict[str, Any]:
    return {
        "bid_id": bid.bid_id, "project_id": bid.project_id, "amount": {"amount": int(bid.amount), "currency": bid.currency},
        "cover_letter": vault.readable(bid.freelancer_id, "bid.cover_letter", bid.cover_letter_enc),
        "delivery_days": int(bid.delivery_days), "status": bid.status, "created_at": clock.iso(bid.created_at),
    }


def bids_page(project_id: str, limit: int, cursor: str | None) -> tuple[list[repo.Bid], dict | None]:
    return repo.bids(project_id, limit, cursors.decode(cursor))


@dataclass
class BidsLoad:
    """What `GET /projects/{id}/bids` reads: a page of the project's bids (a Query, the
    load's page step), then, with the caller's account, the project and each bidder's
    profile as the caller may see it (one BatchGetItem)."""

    project: repo.Project | None
    page: tuple[list[repo.Bid], dict | None]
    bidders: dict[str, profiles.ProfileLoad]


def load_bids(project_id: str, limit: int, cursor: str | None) -> Load[BidsLoad]:
    pages: list[tuple[list[repo.Bid], dict | None]] = []

    def page(caller_id: str) -> None:
        pages.append(bids_page(project_id, limit, cursor))

    def want(batch: Batch, caller_id: str | None) -> Callable[[], BidsLoad]:
        project = batch.want(repo.key(project_id), repo.Project)
        found = pages[0] if pages else ([], None)
        bidders = {uid: profiles.want_profile(batch, uid, caller_id) for uid in dict.fromkeys(b.freelancer_id for b in found[0])}
        return lambda: BidsLoad(project.item, found, {uid: built() for uid, built in bidders.items()})

    return Load(want, page=page)


def project_bids(caller: Caller, load: BidsLoad) -> dict[str, Any]:
    """The page and the bidders' profiles were read by the route's load; nothing is shown
    unless the caller owns the project."""
    owned_project(caller, ProjectLoad(load.project))
    found, last = load.page
    found = [b for b in found if b.owner_id == caller.user_id]
    vault.preload([b.freelancer_id for b in found])
    return {
        "items": [{**bid_out(b), "freelancer": profiles.render(load.bidders[b.freelancer_id]) or _gone(b.freelancer_id)} for b in found],
        "next_cursor": cursors.encode(last),
    }


def _gone(user_id: str) -> dict[str, Any]:
    return {"user_id": user_id, "display_name": profiles.DELETED_USER, "anonymous": False}


def my_bids(caller: Caller, limit: int, cursor: str | None) -> dict[str, Any]:
    guards.role(caller, "freelancer", "have bids")
    found, last = repo.bids_of(caller.user_id, limit, cursors.decode(cursor))
    return {"items": [bid_out(b) for b in found], "next_cursor": cursors.encode(last)}


def withdraw(caller: Caller, load: ProjectLoad, bid_id: str) -> dict[str, Any]:
    bid = load.bid
    if bid is None or bid.freelancer_id != caller.user_id:
        raise errors.NotFound("No such bid")
    if bid.status != rules.LIVE:
        raise errors.Conflict(f"The bid is {bid.status}; only live bids can be withdrawn")
    if not retract(bid):
        raise errors.Conflict("The bid is no longer live")
    return {"bid_id": bid_id, "status": rules.WITHDRAWN}


def retract(bid: repo.Bid) -> bool:
    """What withdrawing does (its bidder's request, or erasure of its bidder): the bid is
    `withdrawn`, its bidder guard goes and the project counts one live bid fewer, in one
    transaction. False if it was not live."""
    try:
        repo.withdraw_if_live(bid, clock.now_ts())
    except db.Conflict:
        return False
    bid.status = rules.WITHDRAWN
    return True


def accept(caller: Caller, load: ProjectLoad, project_id: str, bid_id: str) -> dict[str, Any]:
    project = owned_project(caller, load)
    bid = load.bid
    if bid is None:
        raise errors.NotFound("No such bid")
    if project.status != rules.OPEN:
        raise errors.Conflict(f"The project is {project.status}; a bid was accepted already")
    if bid.status != rules.LIVE:
        raise errors.Conflict(f"The bid is {bid.status}")
    if bid.currency != project.budget_currency:
        raise errors.Conflict(f"The bid is in {bid.currency} and the project is budgeted in {project.budget_currency}; it cannot be accepted")
    guards.no_deletion_scheduled(caller, "hire")
    now = clock.now_ts()
    contract_id = ids.new_id()
    contract = contract_repo.new(contract_id, project_id, bid_id, caller.user_id, bid.freelancer_id, int(bid.amount), bid.currency, now)
    inside, after = _split([b for b in repo.live_bids(project_id) if b.bid_id != bid_id])
    try:
        repo.accept(project, bid, contract, caller.user_id, inside, now)
    except db.Conflict as exc:
        if exc.on == repo.PROJECT:
            raise errors.Conflict("A bid on this project was accepted already") from None
        if exc.on == repo.BID:
            raise errors.Conflict("The bid is no longer live") from None
        if exc.on == repo.OWNER:
            raise errors.deletion_scheduled("hire") from None
        if exc.on == repo.FREELANCER:
            raise errors.account_unavailable("freelancer", "this bid can no longer be accepted") from None
        raise errors.Conflict("The project changed meanwhile; reload it and try again") from None
    for other in after:
        repo.reject_if_live(other, now)
    logger.info("bid accepted", extra={"project_id": project_id, "bid_id": bid_id, "contract_id": contract_id})
    metrics.add_metric(name="ContractsCreated", unit="Count", value=1)
    return {"contract_id": contract_id}


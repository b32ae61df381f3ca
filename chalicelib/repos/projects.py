"""Projects, their files and bids, in partition `PROJECT#<id>`:
- `PROJECT`: the project. gsi1 `PROJECTS#<owner>` lists an employer's own (newest first);
  gsi2 `PROJECTS#open` lists open projects for freelancers, and only while open (sparse).
  `live_bids` counts the bids placed and not withdrawn while it is open (the bid and
  withdraw transactions keep it); the budget's currency changes only while it is 0.
- `FILE#<file_id>`: an attached file (object in the files bucket); gsi1 `FILES#<uploader>`.
- `BID#<bid_id>`: a bid; gsi1 `BIDS#<freelancer>` lists a freelancer's bids.
- `BIDDER#<freelancer>`: present while that freelancer has a live bid here; its
  conditional put is what makes "one live bid per freelancer per project" hold.
Activity is found from the user's id through those gsi1 partitions.
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain import marketplace as rules
from chalicelib.repos import contracts, db, users
from chalicelib.repos.db import Entity, strings, time_key

OPEN_LIST = "PROJECTS#open"


class Project(Entity, discriminator="project"):
    project_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute()
    budget_amount = NumberAttribute()
    budget_currency = UnicodeAttribute()
    skills = strings(default=list)
    location = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    contract_id = UnicodeAttribute(null=True)
    live_bids = NumberAttribute(null=True)  # bids placed and not withdrawn while open (see `counted`)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


class ProjectFile(Entity, discriminator="project_file"):
    file_id = UnicodeAttribute()
    project_id = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    object_key = UnicodeAttribute()
    uploaded_by = UnicodeAttribute()
    created_at = NumberAttribute()
    uploaded = BooleanAttribute(default=False)  # set once the object was checked (see services.projects.list_files)


class Bid(Entity, discriminator="bid"):
    bid_id = UnicodeAttribute()
    project_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()  # the project's owner
    freelancer_id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    cover_letter_enc = UnicodeAttribute()  # sealed with the freelancer's key
    delivery_days = NumberAttribute()
    status = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


class BidderGuard(Entity, discriminator="bidder"):
    bid_id = UnicodeAttribute()
    freelancer_id = UnicodeAttribute()


def project_pk(project_id: str) -> str:
    return f"PROJECT#{project_id}"


def key(project_id: str) -> tuple[str, str]:
    return project_pk(project_id), "PROJECT"


def bid_key(project_id: str, bid_id: str) -> tuple[str, str]:
    return project_pk(project_id), f"BID#{bid_id}"


def guard_key(project_id: str, freelancer_id: str) -> tuple[str, str]:
    return project_pk(project_id), f"BIDDER#{freelancer_id}"


def guard(project_id: str, freelancer_id: str, bid_id: str) -> BidderGuard:
    return BidderGuard(*guard_key(project_id, freelancer_id), bid_id=bid_id, freelancer_id=freelancer_id)


def read(project_id: str) -> Project | None:
    """The project as it is now (a consistent read): what a refused condition refused."""
    try:
        return Project.get(*key(project_id), consistent_read=True)
    except Project.DoesNotExist:
        return None


def open_in(currency: str) -> Condition:
    """The project is open and budgeted in `currency`: what a bid and its acceptance
    check on the project item, in their transactions."""
    return (Project.status == "open") & (Project.budget_currency == currency)


def counted(change: int) -> Action:
    """Count a bid placed (+1) or withdrawn (-1) on the project item, in the same
    transaction as the bid (a rejected bid needs no count: the project left `open`)."""
    return Project.live_bids.add(change)


def currency_may_change() -> Condition:
    """The project is open and no bid is live on it: no bid is in the old currency."""
    return (Project.status == "open") & (Project.live_bids == 0)


def list_keys(project: Project) -> None:
    """Set the index keys that list the project: the owner's list always, the open list while open."""
    sort = f"{time_key(project.created_at)}#{project.project_id}"
    project.gsi1pk, project.gsi1sk = f"PROJECTS#{project.owner_id}", sort
    if project.status == "open":
        project.gsi2pk, project.gsi2sk = OPEN_LIST, sort
    else:
        project.gsi2pk = project.gsi2sk = None


def open_page(limit: int, start: dict | None) -> tuple[list[Project], dict | None]:
    result = Project.gsi2.query(OPEN_LIST, scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def owned_page(owner_id: str, limit: int, start: dict | None) -> tuple[list[Project], dict | None]:
    result = Project.gsi1.query(f"PROJECTS#{owner_id}", scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def files(project_id: str, limit: int, start: dict | None) -> tuple[list[ProjectFile], dict | None]:
    result = ProjectFile.query(
        project_pk(project_id), ProjectFile.sk.startswith("FILE#"), limit=limit, page_size=limit, last_evaluated_key=start,
    )
    return list(result), result.last_evaluated_key


def bids(project_id: str, limit: int, start: dict | None) -> tuple[list[Bid], dict | None]:
    result = Bid.query(project_pk(project_id), Bid.sk.startswith("BID#"), limit=limit, page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def live_bids(project_id: str) -> list[Bid]:
    """Every live bid of one project (the accept step); a Query of that project's bids only."""
    return [b for b in Bid.query(project_pk(project_id), Bid.sk.startswith("BID#"), filter_condition=Bid.status == "live")]


def bids_of(freelancer_id: str, limit: int, start: dict | None) -> tuple[list[Bid], dict | None]:
    result = Bid.gsi1.query(f"BIDS#{freelancer_id}", scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def close_with_contract(transaction: TransactWrite, project_id: str, contract_id: str, at: float) -> None:
    """In `transaction`: the project's contract was cancelled (a dispute settled for the
    employer, or a party erased before it was funded), so the project is closed: nobody
    is working on it, and its owner posts anew (a closed project takes no bids)."""
    transaction.update(Project(*key(project_id)), actions=[Project.status.set("closed"), Project.updated_at.set(at)],
                       condition=(Project.status == "in_progress") & (Project.contract_id == contract_id))


# --- the writes, each with its conditions ----------------------------------------------
# The `db.Conflict` they raise names what refused, as `on`:
PROJECT, BID, GUARD = "project", "bid", "guard"  # the project, the bid, the bidder's guard
OWNER, FREELANCER = "owner", "freelancer"  # the account of the project's owner, of the bidder
BUSY = "busy"  # other transactions on the same items, still, after the retries


def _conflict(exc: Exception, named: dict[str, tuple[str, str]]) -> db.Conflict:
    found = db.conflict(exc, named)
    if found.on is None and db.conflicted(exc):
        return db.Conflict(BUSY)
    return found


def post(project: Project) -> None:
    """A new project, while its owner's account may deal (open, no deletion scheduled);
    `db.Conflict(OWNER)` otherwise."""
    try:
        with db.transaction() as tx:
            users.check_dealing(tx, project.owner_id)
            tx.save(project, condition=Project.pk.does_not_exist())
    except TransactWriteError as exc:
        if db.failed_on(exc, *users.account_key(project.owner_id)):
            raise db.Conflict(OWNER) from None
        raise


def edit_if_open(project: Project, changes: dict[str, Any], now: float, new_currency: bool) -> None:
    """The owner's changes (a field set to None is removed; `budget` is amount and
    currency), while the project is open and, for a new currency, no bid is live on it;
    `db.Conflict(PROJECT)` otherwise."""
    actions: list[Action] = [Project.updated_at.set(now)]
    for name, value in changes.items():
        if name == "budget":
            actions += [Project.budget_amount.set(value["amount"]), Project.budget_currency.set(value["currency"])]
        elif value is None:
            actions.append(getattr(Project, name).remove())
        else:
            actions.append(getattr(Project, name).set(value))
    try:
        project.update(actions=actions, condition=currency_may_change() if new_currency else Project.status == rules.OPEN)
    except UpdateError:
        raise db.Conflict(PROJECT) from None


def _reject(tx: TransactWrite, bids: list[Bid], now: float) -> None:
    for bid in bids:
        tx.update(bid, actions=[Bid.status.set(rules.REJECTED), Bid.updated_at.set(now)], condition=Bid.status == rules.LIVE)


def close_if_open(project: Project, rejected: list[Bid], now: float) -> None:
    """The project closed (off the open list) while still open, and the live bids
    `rejected` rejected, in one transaction; `db.Conflict` when anything changed meanwhile."""
    try:
        with db.transaction() as tx:
            tx.update(
                project,
                actions=[Project.status.set(rules.CLOSED), Project.updated_at.set(now), Project.gsi2pk.remove(), Project.gsi2sk.remove()],
                condition=Project.status == rules.OPEN,
            )
            _reject(tx, rejected, now)
    except TransactWriteError:
        raise db.Conflict(PROJECT) from None


def reject_if_live(bid: Bid, now: float) -> None:
    """The bid rejected, if it is still live (withdrawn or rejected already: nothing to do)."""
    try:
        bid.update(actions=[Bid.status.set(rules.REJECTED), Bid.updated_at.set(now)], condition=Bid.status == rules.LIVE)
    except UpdateError:
        pass


def new_file(project_id: str, file_id: str, filename: str, content_type: str, size: int, object_key: str, uploader_id: str,
             now: float) -> ProjectFile:
    return ProjectFile(
        project_pk(project_id), f"FILE#{file_id}", file_id=file_id, project_id=project_id, filename=filename,
        content_type=content_type, size=size, object_key=object_key, uploaded_by=uploader_id, created_at=now,
        gsi1pk=f"FILES#{uploader_id}", gsi1sk=f"{time_key(now)}#{file_id}",
    )


def mark_uploaded(f: ProjectFile) -> None:
    """The file's object was checked and is as promised (checked once)."""
    f.update(actions=[ProjectFile.uploaded.set(True)])


def new_bid(project: Project, bid_id: str, freelancer_id: str, amount: int, currency: str, delivery_days: int, cover_letter_enc: str,
            now: float) -> Bid:
    return Bid(
        *bid_key(project.project_id, bid_id), bid_id=bid_id, project_id=project.project_id, owner_id=project.owner_id,
        freelancer_id=freelancer_id, amount=amount, currency=currency, delivery_days=delivery_days, cover_letter_enc=cover_letter_enc,
        status=rules.LIVE, created_at=now, updated_at=now, gsi1pk=f"BIDS#{freelancer_id}", gsi1sk=f"{time_key(now)}#{bid_id}",
    )


def place_bid(project: Project, bid: Bid) -> None:
    """The bid, its bidder's guard (one live bid per freelancer per project) and the
    project's count of live bids, in one transaction (again after a collision with other
    bids), while the project is open in the bid's currency and both accounts may deal.
    `db.Conflict` on PROJECT, GUARD, FREELANCER, OWNER or BUSY."""
    guard_item = guard(project.project_id, bid.freelancer_id, bid.bid_id)

    def write(tx: Any) -> None:  # the project's count of live bids, if still open and in the bid's currency
        tx.update(project, actions=[counted(+1)], condition=open_in(bid.currency))
        tx.save(guard_item, condition=BidderGuard.pk.does_not_exist())
        tx.save(bid, condition=Bid.pk.does_not_exist())
        users.check_dealing(tx, bid.freelancer_id)
        users.check_dealing(tx, project.owner_id)  # an owner leaving hires nobody: the bid would only wait to be rejected

    try:
        db.commit(write)
    except TransactWriteError as exc:
        found = _conflict(exc, {PROJECT: key(project.project_id), GUARD: (guard_item.pk, guard_item.sk),
                                FREELANCER: users.account_key(bid.freelancer_id), OWNER: users.account_key(project.owner_id)})
        if found.on is None:
            raise
        raise found from None


def withdraw_if_live(bid: Bid, now: float) -> None:
    """The bid `withdrawn`, its bidder's guard gone and the project counting one live bid
    fewer, in one transaction; `db.Conflict` if it was not live."""

    def write(tx: Any) -> None:
        tx.update(bid, actions=[Bid.status.set(rules.WITHDRAWN), Bid.updated_at.set(now)], condition=Bid.status == rules.LIVE)
        tx.delete(guard(bid.project_id, bid.freelancer_id, bid.bid_id), condition=BidderGuard.bid_id == bid.bid_id)
        tx.update(Project(*key(bid.project_id)), actions=[counted(-1)], condition=Project.pk.exists())

    try:
        db.commit(write)
    except TransactWriteError:
        raise db.Conflict(BID) from None


def accept(project: Project, bid: Bid, contract: contracts.Contract, owner_id: str, rejected: list[Bid], now: float) -> None:
    """The project in progress with `contract` (open in the bid's currency and owned by
    `owner_id`), the bid accepted (still live), both accounts engaged (neither is leaving,
    each counts the contract), the contract and its parties saved and the live bids
    `rejected` rejected, in one transaction. `db.Conflict` on PROJECT, BID, OWNER,
    FREELANCER, or on nothing named (anything else changed meanwhile)."""
    try:
        with db.transaction() as tx:
            tx.update(
                project,
                actions=[Project.status.set(rules.IN_PROGRESS), Project.contract_id.set(contract.contract_id),
                         Project.updated_at.set(now), Project.gsi2pk.remove(), Project.gsi2sk.remove()],
                condition=open_in(bid.currency) & (Project.owner_id == owner_id),
            )
            tx.update(bid, actions=[Bid.status.set(rules.ACCEPTED), Bid.updated_at.set(now)], condition=Bid.status == rules.LIVE)
            users.engage(tx, owner_id)
            users.engage(tx, bid.freelancer_id)
            tx.save(contract, condition=contracts.Contract.pk.does_not_exist())
            for party in contracts.parties(contract, now):
                tx.save(party)
            _reject(tx, rejected, now)
    except TransactWriteError as exc:
        raise db.conflict(exc, {PROJECT: key(project.project_id), BID: bid_key(project.project_id, bid.bid_id),
                                OWNER: users.account_key(owner_id), FREELANCER: users.account_key(bid.freelancer_id)}) from None

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

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

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

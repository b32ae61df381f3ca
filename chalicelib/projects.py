"""Project routes: post, list, read, edit, close; files; bids; accepting a bid."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from chalice import Blueprint
from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.domain import marketplace as rules
from chalicelib.http import Call, Want, endpoint, parse_query, path_id
from chalicelib.lazy import lazy
from chalicelib.models import Model, Strict, paged
from chalicelib.money import Money
from chalicelib.pagination import Page
from chalicelib.resources import MAIN_TABLE, stream_arn

notices = lazy("chalicelib.services.notices")
repo = lazy("chalicelib.repos.projects")
service = lazy("chalicelib.services.projects")
bp = Blueprint(__name__)
TAGS = ("projects",)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Location = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class ProjectIn(Strict):
    title: Title
    description: Description
    budget: Money
    skills: list[Skill] = Field(default_factory=list, max_length=30)
    location: Location | None = None


class ProjectPatch(Strict):
    title: Title | None = None
    description: Description | None = None
    budget: Money | None = None
    skills: list[Skill] | None = Field(default=None, max_length=30)
    location: Location | None = None


class Created(Model):
    project_id: str
    status: str


class ProjectOut(Model):
    project_id: str
    owner_id: str
    title: str
    description: str
    budget: Money
    skills: list[str]
    location: str | None
    status: str
    contract_id: str | None
    created_at: str
    updated_at: str


class FileIn(Strict):
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    content_type: Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=100)]
    size: int = Field(ge=1, le=rules.MAX_FILE_BYTES, strict=True)


class BidIn(Strict):
    amount: Money
    cover_letter: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    delivery_days: int = Field(ge=1, le=365, strict=True)


class BidCreated(Model):
    bid_id: str
    status: str


class ContractCreated(Model):
    contract_id: str


class PresignedPost(Model):
    url: str
    fields: dict[str, str]


class FileCreated(Model):
    file_id: str
    upload: PresignedPost
    expires_in: int


class FileOut(Model):
    file_id: str
    filename: str
    content_type: str
    size: int
    status: Literal["uploaded", "pending_upload"] = Field(description="pending_upload: listed to the owner only, no URL yet")
    download_url: str | None
    expires_in: int | None


class Bidder(Model):
    model_config = ConfigDict(defer_build=True, extra="allow")
    user_id: str
    display_name: str | None
    anonymous: bool


class BidOut(Model):
    bid_id: str
    project_id: str
    amount: Money
    cover_letter: str | None
    delivery_days: int
    status: str
    created_at: str


class ProjectBid(BidOut):
    freelancer: Bidder = Field(description="the bidder's profile as the owner may see it (see GET /users/{id}/profile)")


class BidStatus(Model):
    bid_id: str
    status: str


def _project(want: Want) -> list:
    return [repo.key(path_id(want.path, "project_id"))]


def _project_bids_page(want: Want) -> list:
    """The page of bids is queried first, so that the caller's account, the project and
    every bidder's profile are then read in one BatchGetItem (2 calls in all)."""
    project_id = path_id(want.path, "project_id")
    keys = [repo.key(project_id)]
    if want.caller_id:
        page = parse_query(want.params, Page)
        want.found["page"] = found = service.bids_page(project_id, page.limit, page.cursor)
        keys += service.bidder_keys(found[0], want.caller_id)
    return keys


def _project_and_bid(want: Want) -> list:
    project_id = path_id(want.path, "project_id")
    return [repo.key(project_id), repo.bid_key(project_id, path_id(want.path, "bid_id"))]


@endpoint(bp, "/projects", "POST", body=ProjectIn, response=Created, status=201, tags=TAGS, errors_=(403, 422),
          summary="Post a project (verified employers)")
def create(call: Call) -> dict:
    return service.create(call.caller, call.body.model_dump(mode="json"))


@endpoint(bp, "/projects", query=Page, response=paged(ProjectOut), tags=TAGS, errors_=(403,),
          summary="Freelancers: open projects, newest first. Employers: their own")
def listing(call: Call) -> dict:
    return service.listing(call.caller, call.query.limit, call.query.cursor)


@endpoint(bp, "/projects/{project_id}", response=ProjectOut, auth="optional", tags=TAGS, errors_=(404,), prefetch=_project,
          summary="A project: its owner and freelancers only; anyone else, signed in or not, gets 404")
def read(call: Call) -> dict:
    return service.out(service.visible_project(call.caller, call.items, call.path["project_id"]))


@endpoint(bp, "/projects/{project_id}", "PATCH", body=ProjectPatch, response=ProjectOut, tags=TAGS, errors_=(404, 409, 422),
          prefetch=_project, summary="Edit an open project (owner)")
def patch(call: Call) -> dict:
    changes = call.body.model_dump(mode="json", exclude_unset=True)
    for required in ("title", "description", "budget", "skills"):
        if required in changes and changes[required] is None:
            from chalicelib import errors

            raise errors.BadRequest(f"Invalid body field '{required}': may not be null", details={"field": required})
    return service.update(call.caller, call.items, call.path["project_id"], changes)


@endpoint(bp, "/projects/{project_id}/close", "POST", response=ProjectOut, tags=TAGS, errors_=(404, 409), prefetch=_project,
          summary="Close an open project (owner); it takes no more bids")
def close(call: Call) -> dict:
    return service.close(call.caller, call.items, call.path["project_id"])


@endpoint(bp, "/projects/{project_id}/files", "POST", body=FileIn, response=FileCreated, status=201, tags=TAGS, errors_=(404, 409), prefetch=_project,
          summary="Attach a file (owner): a presigned POST that must be SSE-KMS under the platform key")
def add_file(call: Call) -> dict:
    b = call.body
    return service.add_file(call.caller, call.items, call.path["project_id"], b.filename, b.content_type, b.size)


@endpoint(bp, "/projects/{project_id}/files", query=Page, response=paged(FileOut), tags=TAGS, errors_=(404,), prefetch=_project,
          summary="The project's files as short-lived download URLs")
def files(call: Call) -> dict:
    return service.list_files(call.caller, call.items, call.path["project_id"], call.query.limit, call.query.cursor)


@endpoint(bp, "/projects/{project_id}/bids", "POST", body=BidIn, response=BidCreated, status=201, tags=TAGS, errors_=(403, 404, 409, 422),
          prefetch=_project, summary="Bid on an open project (verified freelancers; one live bid each)")
def bid(call: Call) -> dict:
    return service.place_bid(call.caller, call.items, call.path["project_id"], call.body.model_dump(mode="json"))


@endpoint(bp, "/projects/{project_id}/bids", query=Page, response=paged(ProjectBid), tags=TAGS, errors_=(404,), prefetch=_project_bids_page,
          summary="The project's bids (owner), each bidder's profile as the owner may see it, no contact details")
def bids(call: Call) -> dict:
    return service.project_bids(call.caller, call.items, call.path["project_id"], call.found["page"])


@endpoint(bp, "/projects/{project_id}/bids/{bid_id}", "DELETE", response=BidStatus, tags=TAGS, errors_=(404, 409), prefetch=_project_and_bid,
          summary="Withdraw one's live bid")
def withdraw(call: Call) -> dict:
    return service.withdraw(call.caller, call.items, call.path["project_id"], call.path["bid_id"])


@endpoint(bp, "/projects/{project_id}/bids/{bid_id}/accept", "POST", response=ContractCreated, status=201, tags=TAGS,
          errors_=(404, 409), prefetch=_project_and_bid, summary="Accept a bid (owner): one transaction makes the contract")
def accept(call: Call) -> dict:
    return service.accept(call.caller, call.items, call.path["project_id"], call.path["bid_id"])


@endpoint(bp, "/me/bids", query=Page, response=paged(BidOut), tags=TAGS, errors_=(403,), summary="The caller's bids, newest first")
def my_bids(call: Call) -> dict:
    return service.my_bids(call.caller, call.query.limit, call.query.cursor)


@bp.on_dynamodb_record(stream_arn=stream_arn(MAIN_TABLE), batch_size=100, starting_position="TRIM_HORIZON")
def bid_notices(event: Any) -> None:
    """New bids and bid decisions, from the table's stream: an email to whoever they concern."""
    notices.bid_changes([(record.old_image, record.new_image) for record in event])

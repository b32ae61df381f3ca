"""Project routes: post, list, read, edit, close; files; bids; accepting a bid."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import Call, Want, page_query, parse_query, path_id

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.projects  # noqa: F401
    from chalicelib.services.loads import Load
    from chalicelib.services.projects import BidsLoad, ProjectLoad

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)
TAGS = ("projects",)


def _project(want: Want) -> Load[ProjectLoad]:
    from chalicelib.services import projects as service

    return service.load_project(path_id(want.path, "project_id"))


def _project_bids_page(want: Want) -> Load[BidsLoad]:
    """A page step first (the page of bids, a Query), so that the caller's account, the
    project and every bidder's profile are then read in one BatchGetItem (2 calls in all)."""
    from chalicelib.services import projects as service

    page = parse_query(want.params, page_query())
    return service.load_bids(path_id(want.path, "project_id"), page.limit, page.cursor)


def _project_and_bid(want: Want) -> Load[ProjectLoad]:
    from chalicelib.services import projects as service

    return service.load_project(path_id(want.path, "project_id"), path_id(want.path, "bid_id"))


@route("/projects", "POST", body=lambda: schemas.projects.ProjectIn, response=lambda: schemas.projects.Created, status=201, tags=TAGS, errors_=(403, 409, 422),
          summary="Post a project (verified employers)")
def create(call: Call) -> dict:
    from chalicelib.services import projects as service

    return service.create(call.caller, call.body.model_dump(mode="json"))


@route("/projects", query=page_query, response=lambda: schemas.projects.ProjectOutPage, tags=TAGS, errors_=(403,),
          summary="Freelancers: open projects, newest first. Employers: their own")
def listing(call: Call) -> dict:
    from chalicelib.services import projects as service

    return service.listing(call.caller, call.query.limit, call.query.cursor)


@route("/projects/{project_id}", response=lambda: schemas.projects.ProjectOut, auth="optional", tags=TAGS, errors_=(404,), load=_project,
          summary="A project: its owner and freelancers only; anyone else, signed in or not, gets 404")
def read(call: Call[ProjectLoad]) -> dict:
    from chalicelib.services import projects as service

    return service.out(service.visible_project(call.caller, call.loaded))


@route("/projects/{project_id}", "PATCH", body=lambda: schemas.projects.ProjectPatch, response=lambda: schemas.projects.ProjectOut, tags=TAGS, errors_=(404, 409, 422),
          load=_project, summary="Edit an open project (owner); the budget changes currency only while no bid is live (409)")
def patch(call: Call[ProjectLoad]) -> dict:
    from chalicelib.services import projects as service

    changes = call.body.model_dump(mode="json", exclude_unset=True)
    return service.update(call.caller, call.loaded, call.path["project_id"], changes)


@route("/projects/{project_id}/close", "POST", response=lambda: schemas.projects.ProjectOut, tags=TAGS, errors_=(404, 409), load=_project,
          summary="Close an open project (owner); it takes no more bids")
def close(call: Call[ProjectLoad]) -> dict:
    from chalicelib.services import projects as service

    return service.close(call.caller, call.loaded)


@route("/projects/{project_id}/files", "POST", body=lambda: schemas.projects.FileIn, response=lambda: schemas.projects.FileCreated, status=201, tags=TAGS, errors_=(404, 409), load=_project,
          summary="Attach a file (owner): a presigned POST that must be SSE-KMS under the platform key")
def add_file(call: Call[ProjectLoad]) -> dict:
    from chalicelib.services import projects as service

    b = call.body
    return service.add_file(call.caller, call.loaded, call.path["project_id"], b.filename, b.content_type, b.size)


@route("/projects/{project_id}/files", query=page_query, response=lambda: schemas.projects.FileOutPage, tags=TAGS, errors_=(404,), load=_project,
          summary="The project's files as short-lived download URLs")
def files(call: Call[ProjectLoad]) -> dict:
    from chalicelib.services import projects as service

    return service.list_files(call.caller, call.loaded, call.path["project_id"], call.query.limit, call.query.cursor)


@route("/projects/{project_id}/bids", "POST", body=lambda: schemas.projects.BidIn, response=lambda: schemas.projects.BidCreated, status=201, tags=TAGS, errors_=(403, 404, 409, 422),
          load=_project, summary="Bid on an open project in its budget's currency (else 400 amount.currency; verified freelancers; one live bid each)")
def bid(call: Call[ProjectLoad]) -> dict:
    from chalicelib.services import projects as service

    return service.place_bid(call.caller, call.loaded, call.path["project_id"], call.body.model_dump(mode="json"))


@route("/projects/{project_id}/bids", query=page_query, response=lambda: schemas.projects.ProjectBidPage, tags=TAGS, errors_=(404,), load=_project_bids_page,
          summary="The project's bids (owner), each bidder's profile as the owner may see it, no contact details")
def bids(call: Call[BidsLoad]) -> dict:
    from chalicelib.services import projects as service

    return service.project_bids(call.caller, call.loaded)


@route("/projects/{project_id}/bids/{bid_id}", "DELETE", response=lambda: schemas.projects.BidStatus, tags=TAGS, errors_=(404, 409), load=_project_and_bid,
          summary="Withdraw one's live bid")
def withdraw(call: Call[ProjectLoad]) -> dict:
    from chalicelib.services import projects as service

    return service.withdraw(call.caller, call.loaded, call.path["bid_id"])


@route("/projects/{project_id}/bids/{bid_id}/accept", "POST", response=lambda: schemas.projects.ContractCreated, status=201, tags=TAGS,
          errors_=(404, 409), load=_project_and_bid, summary="Accept a bid (owner): one transaction makes the contract")
def accept(call: Call[ProjectLoad]) -> dict:
    from chalicelib.services import projects as service

    return service.accept(call.caller, call.loaded, call.path["project_id"], call.path["bid_id"])


@route("/me/bids", query=page_query, response=lambda: schemas.projects.BidOutPage, tags=TAGS, errors_=(403,), summary="The caller's bids, newest first")
def my_bids(call: Call) -> dict:
    from chalicelib.services import projects as service

    return service.my_bids(call.caller, call.query.limit, call.query.cursor)

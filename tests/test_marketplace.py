"""The marketplace over HTTP: projects, bids, accepting, contracts, chat, reviews, and
who may see what. Users are real (Cognito sign-in, verified phone, identity approved
by an admin through the KYC routes)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import requests

from tests import helpers
from tests.helpers import BUDGET, admin_token, call, fund, hire, place_bid, post_project, register, signup_payload, verified


@pytest.fixture(scope="module")
def world(http, runtime, admin):
    admin_tok = admin_token(http, admin)
    return SimpleNamespace(
        admin=admin_tok,
        employer=verified(http, runtime, admin_tok, "employer", full_name="Grace Employer"),
        other_employer=verified(http, runtime, admin_tok, "employer"),
        freelancer=verified(http, runtime, admin_tok, "freelancer", full_name="Ada Freelancer"),
        other_freelancer=verified(http, runtime, admin_tok, "freelancer", full_name="Alan Freelancer"),
    )


# --- projects ----------------------------------------------------------------------------

def test_only_verified_employers_post_projects(http, runtime, world):
    unverified = register(http, runtime, "employer")
    status, error = call(http, "POST", "/projects", {"title": "abc", "description": "x", "budget": BUDGET}, token=unverified["token"])
    assert status == 403 and error["Code"] == "IdentityNotVerified"
    status, error = call(http, "POST", "/projects", {"title": "abc", "description": "x", "budget": BUDGET}, token=world.freelancer["token"])
    assert status == 403 and error["Code"] == "ForbiddenError"
    status, error = call(http, "POST", "/projects", {"title": "abc", "description": "x", "budget": BUDGET})
    assert status == 401


@pytest.mark.parametrize("payload, field", [
    ({"title": "ok title", "description": "x", "budget": {"amount": "100", "currency": "USD"}}, "budget.amount"),
    ({"title": "ok title", "description": "x", "budget": {"amount": 100, "currency": "XYZ"}}, "budget.currency"),
    ({"title": "ok title", "description": "x", "budget": {"amount": 0, "currency": "USD"}}, "budget.amount"),
    ({"title": "ok title", "budget": BUDGET}, "description"),
    ({"title": "ok title", "description": "x", "budget": BUDGET, "owner_id": "someone"}, "owner_id"),
    ({"title": "t" * 201, "description": "x", "budget": BUDGET}, "title"),
])
def test_bad_project_input_is_a_400_naming_the_field(http, world, payload, field):
    status, error = call(http, "POST", "/projects", payload, token=world.employer["token"])
    assert status == 400 and error["Code"] == "BadRequestError" and error["Details"]["field"] == field, error


def test_project_text_with_contact_details_is_refused(http, world):
    payload = {"title": "Landing page", "description": "Call me on +1 (415) 555-0100 to discuss", "budget": BUDGET}
    status, error = call(http, "POST", "/projects", payload, token=world.employer["token"])
    assert status == 422 and error["Code"] == "ContactInfoNotAllowed" and error["Details"]["field"] == "description"


@pytest.mark.parametrize("letter", [
    "Call 0300–123–4567 to talk", "Ring 0300_123_4567", "0300,123,4567 any time", "Text 415|555|0100",
    "0300~1234567 after six", "Write to ada at example dot dev", "ig ada.lovelace", "insta: @ada", "telegram ada_l",
])
def test_a_cover_letter_with_contact_details_in_another_disguise_is_refused(http, world, letter):
    project_id = post_project(http, world.employer)
    payload = {"amount": {"amount": 100, "currency": "USD"}, "cover_letter": letter, "delivery_days": 3}
    status, error = call(http, "POST", f"/projects/{project_id}/bids", payload, token=world.freelancer["token"])
    assert status == 422 and error["Code"] == "ContactInfoNotAllowed" and error["Details"]["field"] == "cover_letter", error
    mine = call(http, "GET", "/me/bids?limit=100", token=world.freelancer["token"])[1]["items"]
    assert all(b["project_id"] != project_id for b in mine)  # nothing was placed


@pytest.mark.parametrize("letter", [
    "call O3OO-I234567", "ada @ example . com", "ada%40example.com", "ada at gmail", "instagram.com/ada.l",
    "linkedin.com/in/ada-l", "discord ada#1234", "my handle is ada_l on telegram", "call +92 three hundred 1234567",
])
def test_a_cover_letter_with_contact_details_the_review_found_is_refused(http, world, letter):
    project_id = post_project(http, world.employer)
    payload = {"amount": {"amount": 100, "currency": "USD"}, "cover_letter": "Hello, " + letter, "delivery_days": 3}
    status, error = call(http, "POST", f"/projects/{project_id}/bids", payload, token=world.freelancer["token"])
    assert status == 422 and error["Code"] == "ContactInfoNotAllowed" and error["Details"]["field"] == "cover_letter", error


def test_a_project_skill_with_contact_details_is_refused(http, world):
    payload = {"title": "Build a landing page", "description": "A fast static site.", "budget": BUDGET,
               "skills": ["html", "call 0300-123-4567"]}
    status, error = call(http, "POST", "/projects", payload, token=world.employer["token"])
    assert status == 422 and error["Code"] == "ContactInfoNotAllowed" and error["Details"]["field"] == "skills.1", error
    project_id = post_project(http, world.employer, skills=["html", "node.js", "Python 3.11"])
    status, error = call(http, "PATCH", f"/projects/{project_id}", {"skills": ["ada at example dot com"]}, token=world.employer["token"])
    assert status == 422 and error["Details"]["field"] == "skills.0", error
    shown = call(http, "GET", f"/projects/{project_id}", token=world.freelancer["token"])[1]
    assert shown["skills"] == ["html", "node.js", "Python 3.11"]


def test_a_name_with_contact_details_is_refused_and_never_shown(http, world):
    user = world.other_freelancer
    status, error = call(http, "PATCH", "/me", {"full_name": "ada at example dot com"}, token=user["token"])
    assert status == 422 and error["Code"] == "ContactInfoNotAllowed" and error["Details"]["field"] == "full_name", error
    assert call(http, "GET", "/me", token=user["token"])[1]["full_name"] == "Alan Freelancer"
    shown = call(http, "GET", f"/users/{user['user_id']}/profile", token=world.employer["token"])[1]
    assert "example" not in str(shown)
    status, error = call(http, "POST", "/auth/signup", signup_payload("freelancer", full_name="Ada 0300 123 4567"))
    assert status == 422 and error["Details"]["field"] == "full_name", error


def test_a_project_quoting_amounts_ranges_years_and_versions_is_accepted(http, world):
    description = "Budget $1,500 - $2,000 (10-15 days), 2019-2023 code base on Python 3.11.4, v1.2.3; in 2024 and 2025."
    post_project(http, world.employer, description=description)


def test_listing_shows_freelancers_open_projects_and_employers_their_own(http, world):
    mine = post_project(http, world.employer, title="Mine, open")
    theirs = post_project(http, world.other_employer, title="Another employer's")
    closed = post_project(http, world.employer, title="Closed one")
    assert call(http, "POST", f"/projects/{closed}/close", token=world.employer["token"])[0] == 200

    status, page = call(http, "GET", "/projects?limit=100", token=world.freelancer["token"])
    ids = [p["project_id"] for p in page["items"]]
    assert status == 200 and mine in ids and theirs in ids and closed not in ids
    status, page = call(http, "GET", "/projects?limit=100", token=world.employer["token"])
    ids = [p["project_id"] for p in page["items"]]
    assert mine in ids and closed in ids and theirs not in ids
    assert call(http, "GET", "/projects")[0] == 401
    assert call(http, "GET", "/projects", token=world.admin)[0] == 403


def test_listing_pages_with_next_cursor(http, runtime, admin, world):
    employer = verified(http, runtime, world.admin, "employer")
    posted = [post_project(http, employer, title=f"Paged {i}") for i in range(5)]
    seen, cursor = [], None
    while True:
        status, page = call(http, "GET", "/projects?limit=2" + (f"&next_cursor={cursor}" if cursor else ""), token=employer["token"])
        assert status == 200 and len(page["items"]) <= 2
        seen += [p["project_id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(posted))  # newest first, each once
    assert call(http, "GET", "/projects?next_cursor=not-a-cursor", token=employer["token"])[0] == 400
    assert call(http, "GET", "/projects?limit=101", token=employer["token"])[0] == 400


def test_owner_edits_and_closes_and_a_closed_project_takes_no_bids(http, world):
    project_id = post_project(http, world.employer)
    status, edited = call(http, "PATCH", f"/projects/{project_id}", {"title": "New title", "location": None}, token=world.employer["token"])
    assert status == 200 and edited["title"] == "New title" and edited["location"] is None
    assert call(http, "PATCH", f"/projects/{project_id}", {"title": None}, token=world.employer["token"])[0] == 400
    assert call(http, "PATCH", f"/projects/{project_id}", {"title": "Mine now"}, token=world.other_employer["token"])[0] == 404
    assert call(http, "PATCH", f"/projects/{project_id}", {"title": "Mine now"}, token=world.freelancer["token"])[0] == 404
    live_bid = place_bid(http, world.freelancer, project_id)
    euros = {"budget": {"amount": 45000, "currency": "EUR"}}
    assert call(http, "PATCH", f"/projects/{project_id}", euros, token=world.employer["token"])[0] == 409
    status, edited = call(http, "PATCH", f"/projects/{project_id}", {"budget": {"amount": 45000, "currency": "USD"}}, token=world.employer["token"])
    assert status == 200 and edited["budget"] == {"amount": 45000, "currency": "USD"}
    status, closed = call(http, "POST", f"/projects/{project_id}/close", token=world.employer["token"])
    assert status == 200 and closed["status"] == "closed"
    mine = {b["bid_id"]: b["status"] for b in call(http, "GET", "/me/bids?limit=100", token=world.freelancer["token"])[1]["items"]}
    assert mine[live_bid] == "rejected"  # closing ends the live bids
    assert call(http, "POST", f"/projects/{project_id}/close", token=world.employer["token"])[1]["status"] == "closed"
    payload = {"amount": {"amount": 100, "currency": "USD"}, "cover_letter": "hi", "delivery_days": 3}
    status, error = call(http, "POST", f"/projects/{project_id}/bids", payload, token=world.other_freelancer["token"])
    assert status == 409 and "closed" in error["Message"]
    assert call(http, "PATCH", f"/projects/{project_id}", {"title": "Reopen?"}, token=world.employer["token"])[0] == 409


def test_project_files_are_sse_kms_uploads_and_short_lived_downloads(http, world):
    project_id = post_project(http, world.employer)
    spec = {"filename": "../brief v1.pdf", "content_type": "application/pdf", "size": 13}
    status, created = call(http, "POST", f"/projects/{project_id}/files", spec, token=world.employer["token"])
    assert status == 201, created
    fields = created["upload"]["fields"]
    assert fields["x-amz-server-side-encryption"] == "aws:kms" and fields["key"].endswith("/brief_v1.pdf")
    sent = requests.post(created["upload"]["url"], data={**fields, "Content-Type": "application/pdf"},
                         files={"file": ("brief.pdf", b"%PDF-1.4 test", "application/pdf")}, timeout=10)
    assert sent.status_code in (200, 204)
    assert call(http, "POST", f"/projects/{project_id}/files", spec, token=world.freelancer["token"])[0] == 404

    status, listed = call(http, "GET", f"/projects/{project_id}/files", token=world.freelancer["token"])
    assert status == 200 and listed["items"][0]["filename"] == "brief_v1.pdf" and listed["items"][0]["expires_in"] <= 300
    download = requests.get(listed["items"][0]["download_url"], timeout=10)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 test"
    assert download.headers.get("x-amz-server-side-encryption") == "aws:kms"
    assert call(http, "GET", f"/projects/{project_id}/files", token=world.other_employer["token"])[0] == 404
    assert call(http, "GET", f"/projects/{project_id}/files")[0] == 401


def test_project_files_are_listed_once_their_upload_arrived_as_promised(http, world):
    import boto3

    from chalicelib.core.resources import FILES_BUCKET

    project_id = post_project(http, world.employer)
    spec = {"filename": "spec.txt", "content_type": "text/plain", "size": 10}
    waiting = call(http, "POST", f"/projects/{project_id}/files", spec, token=world.employer["token"])[1]
    oversized = call(http, "POST", f"/projects/{project_id}/files", spec, token=world.employer["token"])[1]
    # moto checks no POST policy conditions (S3 would refuse this): 11 bytes where 10 were declared
    fields = oversized["upload"]["fields"]
    sent = requests.post(oversized["upload"]["url"], data={**fields, "Content-Type": "text/plain"},
                         files={"file": ("spec.txt", b"x" * 11, "text/plain")}, timeout=10)
    assert sent.status_code in (200, 204)

    owners = call(http, "GET", f"/projects/{project_id}/files", token=world.employer["token"])[1]["items"]
    assert [(f["file_id"], f["status"], f["download_url"]) for f in owners] == [(waiting["file_id"], "pending_upload", None)]
    assert call(http, "GET", f"/projects/{project_id}/files", token=world.freelancer["token"])[1]["items"] == []
    listing = boto3.client("s3").list_object_versions(Bucket=FILES_BUCKET.name, Prefix=oversized["upload"]["fields"]["key"])
    assert listing.get("Versions", []) == []  # the oversized object is gone, every version

    fields = waiting["upload"]["fields"]
    sent = requests.post(waiting["upload"]["url"], data={**fields, "Content-Type": "text/plain"},
                         files={"file": ("spec.txt", b"ten bytes!", "text/plain")}, timeout=10)
    assert sent.status_code in (200, 204)
    seen = call(http, "GET", f"/projects/{project_id}/files", token=world.freelancer["token"])[1]["items"]
    assert [(f["file_id"], f["status"]) for f in seen] == [(waiting["file_id"], "uploaded")]
    assert requests.get(seen[0]["download_url"], timeout=10).content == b"ten bytes!"


# --- bids ---------------------------------------------------------------------------------

def test_one_live_bid_per_freelancer_and_withdraw_then_bid_again(http, world):
    project_id = post_project(http, world.employer)
    bid_id = place_bid(http, world.freelancer, project_id)
    payload = {"amount": {"amount": 30000, "currency": "USD"}, "cover_letter": "again", "delivery_days": 5}
    status, error = call(http, "POST", f"/projects/{project_id}/bids", payload, token=world.freelancer["token"])
    assert status == 409 and "live bid" in error["Message"]
    assert call(http, "DELETE", f"/projects/{project_id}/bids/{bid_id}", token=world.other_freelancer["token"])[0] == 404
    assert call(http, "DELETE", f"/projects/{project_id}/bids/{bid_id}", token=world.employer["token"])[0] == 404
    status, withdrawn = call(http, "DELETE", f"/projects/{project_id}/bids/{bid_id}", token=world.freelancer["token"])
    assert status == 200 and withdrawn["status"] == "withdrawn"
    assert call(http, "DELETE", f"/projects/{project_id}/bids/{bid_id}", token=world.freelancer["token"])[0] == 409
    second = place_bid(http, world.freelancer, project_id, amount=30000)
    status, mine = call(http, "GET", "/me/bids?limit=100", token=world.freelancer["token"])
    statuses = {b["bid_id"]: b["status"] for b in mine["items"]}
    assert statuses[bid_id] == "withdrawn" and statuses[second] == "live"


def test_bid_rules(http, runtime, world):
    project_id = post_project(http, world.employer)
    wrong_currency = {"amount": {"amount": 100, "currency": "EUR"}, "cover_letter": "hi", "delivery_days": 3}
    status, error = call(http, "POST", f"/projects/{project_id}/bids", wrong_currency, token=world.freelancer["token"])
    assert status == 400 and error["Details"]["field"] == "amount.currency"
    contact = {"amount": {"amount": 100, "currency": "USD"}, "cover_letter": "Mail me: ada@example.com", "delivery_days": 3}
    status, error = call(http, "POST", f"/projects/{project_id}/bids", contact, token=world.freelancer["token"])
    assert status == 422 and error["Code"] == "ContactInfoNotAllowed" and error["Details"]["field"] == "cover_letter"
    fine = {"amount": {"amount": 100, "currency": "USD"}, "cover_letter": "hi", "delivery_days": 3}
    status, error = call(http, "POST", f"/projects/{project_id}/bids", fine, token=world.other_employer["token"])
    assert status == 403
    unverified = register(http, runtime, "freelancer")
    status, error = call(http, "POST", f"/projects/{project_id}/bids", fine, token=unverified["token"])
    assert status == 403 and error["Code"] == "IdentityNotVerified"
    assert call(http, "POST", "/projects/no-such-project/bids", fine, token=world.freelancer["token"])[0] == 404


# --- the budget's currency and the bids' -----------------------------------------------------

EUROS = {"budget": {"amount": 45000, "currency": "EUR"}}


def bid_in(http, freelancer, project_id, currency: str) -> tuple[int, dict]:
    return helpers.bid(http, freelancer, project_id, currency=currency, letter="Ready when you are.")


def assert_one_currency(http, world, project_id: str) -> str:
    """No bid of the project is live in another currency than its budget, and accepting
    one makes a contract in the project's currency. Returns that currency."""
    currency = call(http, "GET", f"/projects/{project_id}", token=world.employer["token"])[1]["budget"]["currency"]
    bids = call(http, "GET", f"/projects/{project_id}/bids?limit=100", token=world.employer["token"])[1]["items"]
    live = [b for b in bids if b["status"] == "live"]
    assert [b["amount"]["currency"] for b in live] == [currency] * len(live), (currency, live)
    if not live:
        status, placed = bid_in(http, world.other_freelancer, project_id, currency)
        assert status == 201, placed
        live = [{"bid_id": placed["bid_id"]}]
    status, accepted = call(http, "POST", f"/projects/{project_id}/bids/{live[0]['bid_id']}/accept", token=world.employer["token"])
    assert status == 201, accepted
    made = call(http, "GET", f"/contracts/{accepted['contract_id']}", token=world.employer["token"])[1]
    assert made["amount"]["currency"] == currency, (currency, made["amount"])
    return currency


def test_a_bid_landing_between_the_currency_edits_check_and_its_write_keeps_the_project_in_the_bids_currency(http, world):
    from tests.faults import meanwhile

    project_id = post_project(http, world.employer)
    with meanwhile("dynamodb", "UpdateItem", lambda: bid_in(http, world.freelancer, project_id, "USD"), matching="budget_currency") as bid:
        edit = call(http, "PATCH", f"/projects/{project_id}", EUROS, token=world.employer["token"])
    assert len(bid) == 1 and bid[0][0] == 201, bid  # the bid went in inside the edit's window
    assert assert_one_currency(http, world, project_id) == "USD"
    assert (edit[0], edit[1]["Code"]) == (409, "ConflictError"), edit


def test_a_currency_edit_landing_between_the_bids_check_and_its_write_refuses_the_bid(http, world):
    from tests.faults import meanwhile

    project_id = post_project(http, world.employer)
    with meanwhile("dynamodb", "TransactWriteItems", lambda: call(http, "PATCH", f"/projects/{project_id}", EUROS, token=world.employer["token"]),
                   matching="BIDDER#") as edit:
        bid = bid_in(http, world.freelancer, project_id, "USD")
    assert len(edit) == 1 and edit[0][0] == 200, edit  # the edit went in inside the bid's window
    assert assert_one_currency(http, world, project_id) == "EUR"
    assert (bid[0], bid[1]["Code"], bid[1].get("Details")) == (400, "BadRequestError", {"field": "amount.currency"}), bid


def test_the_budget_currency_changes_only_while_no_bid_is_live(http, world):
    project_id = post_project(http, world.employer)
    first = place_bid(http, world.freelancer, project_id)
    second = place_bid(http, world.other_freelancer, project_id)
    status, error = call(http, "PATCH", f"/projects/{project_id}", EUROS, token=world.employer["token"])
    assert (status, error["Code"]) == (409, "ConflictError") and "live bids" in error["Message"]
    assert call(http, "DELETE", f"/projects/{project_id}/bids/{first}", token=world.freelancer["token"])[0] == 200
    assert call(http, "PATCH", f"/projects/{project_id}", EUROS, token=world.employer["token"])[0] == 409  # one still live
    assert call(http, "DELETE", f"/projects/{project_id}/bids/{second}", token=world.other_freelancer["token"])[0] == 200
    status, edited = call(http, "PATCH", f"/projects/{project_id}", EUROS, token=world.employer["token"])
    assert status == 200 and edited["budget"] == EUROS["budget"], edited
    status, error = bid_in(http, world.freelancer, project_id, "USD")
    assert (status, error["Details"]["field"]) == (400, "amount.currency")
    assert bid_in(http, world.freelancer, project_id, "EUR")[0] == 201
    assert call(http, "PATCH", f"/projects/{project_id}", {"budget": BUDGET}, token=world.employer["token"])[0] == 409


def test_a_bid_cancelled_by_a_transaction_conflict_on_its_project_is_placed_on_the_retry(http, world):
    """Every bid counts itself on the project item, so bids at the same instant can cancel
    each other's transaction (`TransactionConflict`); the bid is tried again, not refused."""
    from tests.faults import Fault, inject

    project_id = post_project(http, world.employer)
    with inject(Fault("dynamodb", "TransactWriteItems", "conflict", 2, matching="BIDDER#")) as log:
        status, placed = bid_in(http, world.freelancer, project_id, "USD")
    assert log == ["conflict dynamodb:TransactWriteItems"] * 2
    assert status == 201, placed
    bids = call(http, "GET", f"/projects/{project_id}/bids", token=world.employer["token"])[1]["items"]
    assert [b["bid_id"] for b in bids] == [placed["bid_id"]]
    assert call(http, "PATCH", f"/projects/{project_id}", EUROS, token=world.employer["token"])[0] == 409
    assert call(http, "DELETE", f"/projects/{project_id}/bids/{placed['bid_id']}", token=world.freelancer["token"])[0] == 200
    assert call(http, "PATCH", f"/projects/{project_id}", EUROS, token=world.employer["token"])[0] == 200  # it was counted once


def test_a_bid_still_colliding_after_every_retry_is_a_409_to_send_again_and_leaves_nothing(http, world):
    """Past the retries a colliding bid is refused with a 409 the client may resend, never a
    500, and neither the bid nor its count is left half-written."""
    from tests.faults import Fault, inject

    project_id = post_project(http, world.employer)
    with inject(Fault("dynamodb", "TransactWriteItems", "conflict", 5, matching="BIDDER#")):
        status, error = bid_in(http, world.freelancer, project_id, "USD")
    assert (status, error.get("Code")) == (409, "ConflictError") and "again" in error["Message"], error
    assert call(http, "GET", f"/projects/{project_id}/bids", token=world.employer["token"])[1]["items"] == []
    assert call(http, "PATCH", f"/projects/{project_id}", EUROS, token=world.employer["token"])[0] == 200  # nothing counted
    status, placed = bid_in(http, world.freelancer, project_id, "EUR")
    assert status == 201, placed


def test_accept_refuses_a_bid_in_another_currency_than_the_projects(http, world):
    """A bid written before bids were held to the budget's currency (here: its currency
    changed in the table) is not turned into a contract in that currency."""
    import boto3

    project_id = post_project(http, world.employer)
    bid_id = place_bid(http, world.freelancer, project_id)
    boto3.client("dynamodb").update_item(
        TableName="marketplace-local-main", Key={"pk": {"S": f"PROJECT#{project_id}"}, "sk": {"S": f"BID#{bid_id}"}},
        UpdateExpression="SET currency = :c", ExpressionAttributeValues={":c": {"S": "EUR"}})
    status, error = call(http, "POST", f"/projects/{project_id}/bids/{bid_id}/accept", token=world.employer["token"])
    assert (status, error.get("Code")) == (409, "ConflictError") and "EUR" in error["Message"], error
    project = call(http, "GET", f"/projects/{project_id}", token=world.employer["token"])[1]
    assert (project["status"], project["contract_id"]) == ("open", None)


def test_owner_sees_bids_with_profiles_but_no_contact_details(http, world):
    profile = {"headline": "Static sites", "skills": ["html"], "visibility": {"full_name": "registered"}}
    assert call(http, "PUT", "/me/profile", profile, token=world.freelancer["token"]) == (200, {"status": "published"})
    project_id = post_project(http, world.employer)
    place_bid(http, world.freelancer, project_id)
    place_bid(http, world.other_freelancer, project_id)
    status, page = call(http, "GET", f"/projects/{project_id}/bids", token=world.employer["token"])
    assert status == 200 and len(page["items"]) == 2
    by_id = {b["freelancer"]["user_id"]: b for b in page["items"]}
    shown = by_id[world.freelancer["user_id"]]
    assert shown["freelancer"]["display_name"] == "Ada Freelancer" and shown["freelancer"]["headline"] == "Static sites"
    assert shown["cover_letter"] == "I have built many of these."
    text = str(page)
    for secret in (world.freelancer["email"], world.freelancer["phone"], world.other_freelancer["email"], world.other_freelancer["phone"]):
        assert secret not in text
    for outsider in (world.freelancer, world.other_employer, world.admin):
        token = outsider if isinstance(outsider, str) else outsider["token"]
        assert call(http, "GET", f"/projects/{project_id}/bids", token=token)[0] == 404


# --- accepting ---------------------------------------------------------------------------

def test_accept_makes_one_contract_and_rejects_the_other_bids(http, world):
    project_id = post_project(http, world.employer)
    chosen = place_bid(http, world.freelancer, project_id)
    other = place_bid(http, world.other_freelancer, project_id)
    assert call(http, "POST", f"/projects/{project_id}/bids/{chosen}/accept", token=world.other_employer["token"])[0] == 404
    assert call(http, "POST", f"/projects/{project_id}/bids/{chosen}/accept", token=world.freelancer["token"])[0] == 404
    status, accepted = call(http, "POST", f"/projects/{project_id}/bids/{chosen}/accept", token=world.employer["token"])
    assert status == 201
    status, project = call(http, "GET", f"/projects/{project_id}", token=world.employer["token"])
    assert project["status"] == "in_progress" and project["contract_id"] == accepted["contract_id"]
    statuses = {b["bid_id"]: b["status"] for b in call(http, "GET", f"/projects/{project_id}/bids", token=world.employer["token"])[1]["items"]}
    assert statuses == {chosen: "accepted", other: "rejected"}
    status, error = call(http, "POST", f"/projects/{project_id}/bids/{chosen}/accept", token=world.employer["token"])
    assert status == 409
    status, error = call(http, "POST", f"/projects/{project_id}/bids/{other}/accept", token=world.employer["token"])
    assert status == 409
    fine = {"amount": {"amount": 100, "currency": "USD"}, "cover_letter": "late", "delivery_days": 3}
    freelancers_view = call(http, "GET", "/projects?limit=100", token=world.freelancer["token"])[1]
    assert project_id not in [p["project_id"] for p in freelancers_view["items"]]
    assert call(http, "POST", f"/projects/{project_id}/bids", fine, token=world.freelancer["token"])[0] == 409


def test_twenty_simultaneous_accepts_on_two_bids_make_exactly_one_contract(http, runtime, world):
    employer = verified(http, runtime, world.admin, "employer")
    project_id = post_project(http, employer)
    bids = [place_bid(http, world.freelancer, project_id), place_bid(http, world.other_freelancer, project_id)]

    def accept(i: int) -> tuple[int, dict]:
        return call(http, "POST", f"/projects/{project_id}/bids/{bids[i % 2]}/accept", token=employer["token"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(accept, range(20)))
    statuses = sorted(s for s, _ in results)
    assert statuses == [201] + [409] * 19, results
    status, contracts = call(http, "GET", "/me/contracts", token=employer["token"])
    assert len(contracts["items"]) == 1
    winner = next(body for s, body in results if s == 201)
    assert contracts["items"][0]["contract_id"] == winner["contract_id"]
    page = call(http, "GET", f"/projects/{project_id}/bids", token=employer["token"])[1]
    assert sorted(b["status"] for b in page["items"]) == ["accepted", "rejected"]


# --- contracts ------------------------------------------------------------------------------

def test_parties_see_each_others_contact_details_and_nobody_else_sees_the_contract(http, world):
    _, contract_id = hire(http, world.employer, world.freelancer)
    status, seen = call(http, "GET", f"/contracts/{contract_id}", token=world.employer["token"])
    assert status == 200 and seen["status"] == "active" and seen["escrow_status"] == "unfunded"
    assert seen["freelancer"] == {"user_id": world.freelancer["user_id"], "full_name": "Ada Freelancer",
                                  "email": world.freelancer["email"], "phone": world.freelancer["phone"]}
    status, seen = call(http, "GET", f"/contracts/{contract_id}", token=world.freelancer["token"])
    assert status == 200 and seen["employer"]["email"] == world.employer["email"] and seen["employer"]["phone"] == world.employer["phone"]
    for outsider in (world.other_employer["token"], world.other_freelancer["token"], world.admin):
        for path in (f"/contracts/{contract_id}", f"/contracts/{contract_id}/messages"):
            status, error = call(http, "GET", path, token=outsider)
            assert status == 404 and error["Code"] == "NotFoundError"
    assert call(http, "GET", f"/contracts/{contract_id}")[0] == 401
    mine = call(http, "GET", "/me/contracts?limit=100", token=world.freelancer["token"])[1]
    assert contract_id in [c["contract_id"] for c in mine["items"]]
    assert contract_id not in [c["contract_id"] for c in call(http, "GET", "/me/contracts?limit=100", token=world.other_freelancer["token"])[1]["items"]]


def test_work_chat_is_paginated_and_for_the_parties_only(http, world):
    _, contract_id = hire(http, world.employer, world.freelancer)
    for i in range(5):
        sender = world.employer if i % 2 == 0 else world.freelancer
        status, posted = call(http, "POST", f"/contracts/{contract_id}/messages", {"body": f"message {i}"}, token=sender["token"])
        assert status == 201, posted
    assert call(http, "POST", f"/contracts/{contract_id}/messages", {"body": "let me in"}, token=world.other_freelancer["token"])[0] == 404
    assert call(http, "POST", f"/contracts/{contract_id}/messages", {"body": ""}, token=world.freelancer["token"])[0] == 400
    bodies, cursor = [], None
    while True:
        status, page = call(http, "GET", f"/contracts/{contract_id}/messages?limit=2" + (f"&next_cursor={cursor}" if cursor else ""),
                            token=world.freelancer["token"])
        assert status == 200
        bodies += [m["body"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert bodies == [f"message {i}" for i in reversed(range(5))]  # newest first


def test_contract_states_and_reviews_once_per_party_after_completion(http, runtime, world):
    _, contract_id = hire(http, world.employer, world.freelancer)
    review = {"rating": 5, "comment": "Great work"}
    assert call(http, "POST", f"/contracts/{contract_id}/reviews", review, token=world.employer["token"])[0] == 409
    status, error = call(http, "POST", f"/contracts/{contract_id}/complete", token=world.freelancer["token"])
    assert status == 403
    fund(http, runtime, world.employer, contract_id)
    status, done = call(http, "POST", f"/contracts/{contract_id}/complete", token=world.employer["token"])
    assert status == 200 and done["status"] == "completed"
    assert call(http, "POST", f"/contracts/{contract_id}/complete", token=world.employer["token"])[0] == 409
    assert call(http, "POST", f"/contracts/{contract_id}/dispute", {"reason": "late"}, token=world.freelancer["token"])[0] == 409
    assert call(http, "POST", f"/contracts/{contract_id}/messages", {"body": "after"}, token=world.freelancer["token"])[0] == 409
    assert call(http, "POST", f"/contracts/{contract_id}/reviews", {"rating": 6}, token=world.employer["token"])[0] == 400
    status, error = call(http, "POST", f"/contracts/{contract_id}/reviews", {"rating": 5, "comment": "Hire her: ada at gmail"},
                         token=world.employer["token"])
    assert status == 422 and error["Details"]["field"] == "comment", error  # shown on the public profile
    assert call(http, "POST", f"/contracts/{contract_id}/reviews", review, token=world.employer["token"])[0] == 201
    assert call(http, "POST", f"/contracts/{contract_id}/reviews", review, token=world.employer["token"])[0] == 409
    assert call(http, "POST", f"/contracts/{contract_id}/reviews", {"rating": 4}, token=world.freelancer["token"])[0] == 201
    assert call(http, "POST", f"/contracts/{contract_id}/reviews", review, token=world.other_freelancer["token"])[0] == 404

    status, reviews = call(http, "GET", f"/users/{world.freelancer['user_id']}/reviews?limit=100")
    assert status == 200 and {"contract_id": contract_id, "rating": 5, "comment": "Great work"}.items() <= reviews["items"][0].items()
    status, profile = call(http, "GET", f"/users/{world.freelancer['user_id']}/profile")
    assert status == 200 and profile["rating"]["count"] >= 1 and 1 <= profile["rating"]["average"] <= 5


def test_disputes_are_opened_by_a_party_and_resolved_by_an_admin(http, world):
    _, contract_id = hire(http, world.employer, world.freelancer)
    assert call(http, "POST", f"/contracts/{contract_id}/dispute", {"reason": "x"}, token=world.other_employer["token"])[0] == 404
    status, disputed = call(http, "POST", f"/contracts/{contract_id}/dispute", {"reason": "Work not delivered"}, token=world.employer["token"])
    assert status == 200 and disputed["status"] == "disputed"
    assert call(http, "POST", f"/admin/disputes/{contract_id}/resolve", {"release_to": "employer"}, token=world.employer["token"])[0] == 403
    assert call(http, "POST", f"/admin/disputes/{contract_id}/resolve", {"release_to": "nobody"}, token=world.admin)[0] == 400
    status, resolved = call(http, "POST", f"/admin/disputes/{contract_id}/resolve", {"release_to": "employer"}, token=world.admin)
    assert status == 200 and resolved["status"] == "cancelled"
    assert call(http, "POST", f"/admin/disputes/{contract_id}/resolve", {"release_to": "freelancer"}, token=world.admin)[0] == 409
    project_id = call(http, "GET", f"/contracts/{contract_id}", token=world.employer["token"])[1]["project_id"]
    assert call(http, "GET", f"/projects/{project_id}", token=world.employer["token"])[1]["status"] == "closed"  # not left in_progress
    status, audit = call(http, "GET", "/admin/audit?action=dispute.resolved&limit=100", token=world.admin)
    assert any(e["details"].get("contract_id") == contract_id for e in audit["items"])


def test_a_user_who_has_not_accepted_the_policy_in_effect_may_read_but_not_create(http, runtime, world):
    from chalicelib.repos import users

    _, contract_id = hire(http, world.employer, world.freelancer)
    project_id = post_project(http, world.employer)
    behind = verified(http, runtime, world.admin, "freelancer")
    users.UserItem(users.user_pk(behind["user_id"]), "ACCOUNT").update(actions=[users.UserItem.policy_version.set("0.9")])
    bid = {"amount": {"amount": 100, "currency": "USD"}, "cover_letter": "hi", "delivery_days": 3}
    status, error = call(http, "POST", f"/projects/{project_id}/bids", bid, token=behind["token"])
    assert status == 403 and error["Code"] == "PolicyNotAccepted" and "1.0" in error["Message"]
    assert call(http, "GET", "/projects", token=behind["token"])[0] == 200
    assert call(http, "GET", f"/projects/{project_id}", token=behind["token"])[0] == 200
    assert call(http, "PUT", "/me/profile", {"headline": "Still correcting my data"}, token=behind["token"])[0] == 200

    users.UserItem(users.user_pk(world.freelancer["user_id"]), "ACCOUNT").update(actions=[users.UserItem.policy_version.set("0.9")])
    try:
        status, error = call(http, "POST", f"/contracts/{contract_id}/messages", {"body": "hello"}, token=world.freelancer["token"])
        assert status == 403 and error["Code"] == "PolicyNotAccepted"
        assert call(http, "GET", f"/contracts/{contract_id}/messages", token=world.freelancer["token"])[0] == 200
    finally:
        users.UserItem(users.user_pk(world.freelancer["user_id"]), "ACCOUNT").update(actions=[users.UserItem.policy_version.set("1.0")])


def test_each_users_activity_is_found_from_their_id_alone(http, runtime, world):
    from chalicelib.repos import activity

    employer = verified(http, runtime, world.admin, "employer")
    project_id = post_project(http, employer)
    call(http, "POST", f"/projects/{project_id}/files", {"filename": "a.txt", "content_type": "text/plain", "size": 3}, token=employer["token"])
    bid_id = place_bid(http, world.other_freelancer, project_id)
    contract_id = call(http, "POST", f"/projects/{project_id}/bids/{bid_id}/accept", token=employer["token"])[1]["contract_id"]
    call(http, "POST", f"/contracts/{contract_id}/messages", {"body": "hi"}, token=employer["token"])
    fund(http, runtime, employer, contract_id)
    call(http, "POST", f"/contracts/{contract_id}/complete", token=employer["token"])
    call(http, "POST", f"/contracts/{contract_id}/reviews", {"rating": 4}, token=employer["token"])

    found = activity.everything(employer["user_id"])
    assert [p.project_id for p in found["projects_posted"]] == [project_id]
    assert len(found["project_files_uploaded"]) == 1
    assert [c.contract_id for c in found["contracts_as_employer"]] == [contract_id]
    assert len(found["messages_sent"]) == 1 and len(found["reviews_given"]) == 1
    assert found["bids_placed"] == [] and found["contracts_as_freelancer"] == []
    theirs = activity.everything(world.other_freelancer["user_id"])
    assert bid_id in [b.bid_id for b in theirs["bids_placed"]]
    assert contract_id in [c.contract_id for c in theirs["contracts_as_freelancer"]]
    assert contract_id in [r.contract_id for r in theirs["reviews_received"]]
    assert all(getattr(i, "owner_id", employer["user_id"]) == employer["user_id"] for i in found["projects_posted"])


def test_an_anonymous_bidder_shows_as_their_pseudonym_to_the_owner(http, runtime, world):
    bidder = verified(http, runtime, world.admin, "freelancer", full_name="Katherine Johnson")
    pseudonym = call(http, "POST", "/me/anonymity", {"enabled": True}, token=bidder["token"])[1]["display_name"]
    project_id = post_project(http, world.employer)
    place_bid(http, bidder, project_id)
    page = call(http, "GET", f"/projects/{project_id}/bids", token=world.employer["token"])[1]
    assert page["items"][0]["freelancer"]["display_name"] == pseudonym and "Katherine" not in str(page)


def test_after_erasure_the_other_party_sees_a_deleted_user_and_the_profile_is_gone(http, runtime, world):
    from chalicelib.repos import users
    from chalicelib.security import vault

    employer = verified(http, runtime, world.admin, "employer")
    leaving = verified(http, runtime, world.admin, "freelancer", full_name="Soon Gone")
    project_id = post_project(http, employer)
    bid_id = place_bid(http, leaving, project_id)
    contract_id = call(http, "POST", f"/projects/{project_id}/bids/{bid_id}/accept", token=employer["token"])[1]["contract_id"]
    call(http, "POST", f"/contracts/{contract_id}/messages", {"body": "my words"}, token=leaving["token"])
    call(http, "POST", f"/contracts/{contract_id}/messages", {"body": "employer words"}, token=employer["token"])

    # what erasure does to the account: the key shredded, the status erased
    vault.shred(leaving["user_id"])
    users.UserItem(users.user_pk(leaving["user_id"]), "ACCOUNT").update(actions=[users.UserItem.status.set(users.ERASED)])

    seen = call(http, "GET", f"/contracts/{contract_id}", token=employer["token"])[1]
    assert seen["freelancer"] == {"user_id": leaving["user_id"], "full_name": "Deleted user", "email": None, "phone": None}
    chat = call(http, "GET", f"/contracts/{contract_id}/messages", token=employer["token"])[1]["items"]
    assert [m["body"] for m in chat] == ["employer words", None]
    assert call(http, "GET", f"/users/{leaving['user_id']}/profile", token=employer["token"])[0] == 404
    bids = call(http, "GET", f"/projects/{project_id}/bids", token=employer["token"])[1]["items"]
    assert bids[0]["freelancer"]["display_name"] == "Deleted user" and bids[0]["cover_letter"] is None


def test_reads_cost_at_most_two_dynamodb_calls_in_a_warm_container(http, world):
    from local.aws_calls import counting

    project_id, contract_id = hire(http, world.employer, world.freelancer)
    call(http, "POST", f"/contracts/{contract_id}/messages", {"body": "hi"}, token=world.freelancer["token"])
    budget = [
        (world.employer, f"/projects/{project_id}", 1),
        (world.freelancer, f"/users/{world.employer['user_id']}/profile", 1),
        (world.employer, f"/projects/{project_id}/bids", 2),
        (world.freelancer, "/projects", 2),
        (world.freelancer, "/me/bids", 2),
        (world.employer, f"/contracts/{contract_id}", 2),
        (world.employer, f"/contracts/{contract_id}/messages", 2),
        (world.employer, "/me/contracts", 2),
    ]
    for who, path, most in budget:
        assert call(http, "GET", path, token=who["token"])[0] == 200  # warms the keys this read needs
        with counting() as calls:
            status, _ = call(http, "GET", path, token=who["token"])
        assert status == 200 and calls.of("dynamodb") <= most and calls.of("kms") == 0, (path, dict(calls))


def test_bids_beyond_what_one_transaction_holds_are_rejected_right_after(http, runtime, world, monkeypatch):
    from chalicelib.domain import marketplace as rules

    monkeypatch.setattr(rules, "MAX_REJECTED_IN_ACCEPT", 1)  # as if the project had more live bids than fit
    third = verified(http, runtime, world.admin, "freelancer")
    project_id = post_project(http, world.employer)
    chosen = place_bid(http, world.freelancer, project_id)
    others = [place_bid(http, world.other_freelancer, project_id), place_bid(http, third, project_id)]
    assert call(http, "POST", f"/projects/{project_id}/bids/{chosen}/accept", token=world.employer["token"])[0] == 201
    statuses = {b["bid_id"]: b["status"] for b in call(http, "GET", f"/projects/{project_id}/bids", token=world.employer["token"])[1]["items"]}
    assert statuses == {chosen: "accepted", others[0]: "rejected", others[1]: "rejected"}


def test_project_visibility_follows_the_privacy_profile(http, runtime, world, monkeypatch):
    project_id = post_project(http, world.employer)
    newcomer = register(http, runtime, "freelancer")  # phone verified, identity not yet
    # strict: owner and registered freelancers (identity verified where required)
    assert call(http, "GET", f"/projects/{project_id}", token=newcomer["token"])[0] == 404
    status, error = call(http, "GET", "/projects", token=newcomer["token"])
    assert status == 403 and error["Code"] == "IdentityNotVerified"
    assert call(http, "GET", f"/projects/{project_id}", token=world.freelancer["token"])[0] == 200
    # aplusxpert: owner and any signed-in freelancer; bidding still needs identity verified
    monkeypatch.setenv("PRIVACY_PROFILE", "aplusxpert")
    assert call(http, "GET", f"/projects/{project_id}", token=newcomer["token"])[0] == 200
    assert call(http, "GET", "/projects", token=newcomer["token"])[0] == 200
    bid = {"amount": {"amount": 100, "currency": "USD"}, "cover_letter": "hi", "delivery_days": 3}
    status, error = call(http, "POST", f"/projects/{project_id}/bids", bid, token=newcomer["token"])
    assert status == 403 and error["Code"] == "IdentityNotVerified"
    # appexert: no identity verification; a signed-in freelancer may bid
    monkeypatch.setenv("PRIVACY_PROFILE", "appexert")
    assert call(http, "POST", f"/projects/{project_id}/bids", bid, token=newcomer["token"])[0] == 201
    # never other employers or the public, whatever the profile
    assert call(http, "GET", f"/projects/{project_id}", token=world.other_employer["token"])[0] == 404
    assert call(http, "GET", f"/projects/{project_id}")[0] == 404


def test_bidders_and_owners_are_told_by_email_once(http, runtime, world):
    employer = verified(http, runtime, world.admin, "employer")
    project_id = post_project(http, employer, title="Logo design")
    chosen = place_bid(http, world.freelancer, project_id)
    place_bid(http, world.other_freelancer, project_id)
    call(http, "POST", f"/projects/{project_id}/bids/{chosen}/accept", token=employer["token"])
    runtime.drain()

    def subjects(person):
        mails = call(http, "GET", f"/_dev/outbox?to={person['email']}")[1]["items"]
        return [m["subject"] for m in mails if "Logo design" in m["body"]]

    assert subjects(employer) == ["New bid on your project", "New bid on your project"]
    assert subjects(world.freelancer) == ["Your bid was accepted"]
    assert subjects(world.other_freelancer) == ["Your bid was not selected"]
    mails = call(http, "GET", f"/_dev/outbox?to={employer['email']}")[1]["items"]
    assert world.freelancer["email"] not in str(mails) and "Ada" not in str(mails)

    # a redelivered stream record (or its queued notice) sends nothing twice
    from chalicelib.core.changes import decode
    from chalicelib.services import notices

    image = {"kind": {"S": "bid"}, "bid_id": {"S": chosen}, "project_id": {"S": project_id}, "owner_id": {"S": employer["user_id"]},
             "freelancer_id": {"S": world.freelancer["user_id"]}, "status": {"S": "accepted"}}
    change = decode({"eventName": "MODIFY", "dynamodb": {"OldImage": {**image, "status": {"S": "live"}}, "NewImage": image}})
    (message,) = notices.select([change])
    assert message == {"bid_id": chosen, "project_id": project_id, "recipient": world.freelancer["user_id"], "was": "live",
                       "status": "accepted"}
    assert notices.write([message]) == 0


def test_simultaneous_bids_by_one_freelancer_and_simultaneous_reviews_count_once(http, runtime, world):
    project_id = post_project(http, world.employer)
    bid = {"amount": {"amount": 100, "currency": "USD"}, "cover_letter": "Quick", "delivery_days": 2}
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(s for s, _ in pool.map(
            lambda _: call(http, "POST", f"/projects/{project_id}/bids", bid, token=world.freelancer["token"]), range(10)))
    assert statuses == [201] + [409] * 9
    mine = [b for b in call(http, "GET", "/me/bids?limit=100", token=world.freelancer["token"])[1]["items"] if b["project_id"] == project_id]
    assert len(mine) == 1

    _, contract_id = hire(http, world.employer, world.freelancer)
    fund(http, runtime, world.employer, contract_id)
    call(http, "POST", f"/contracts/{contract_id}/complete", token=world.employer["token"])
    before = call(http, "GET", f"/users/{world.freelancer['user_id']}/profile")[1]["rating"]["count"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(s for s, _ in pool.map(
            lambda _: call(http, "POST", f"/contracts/{contract_id}/reviews", {"rating": 5}, token=world.employer["token"]), range(8)))
    assert statuses == [201] + [409] * 7
    assert call(http, "GET", f"/users/{world.freelancer['user_id']}/profile")[1]["rating"]["count"] == before + 1

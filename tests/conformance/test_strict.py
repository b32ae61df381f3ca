"""The `strict` profile (the default) against its source: the platform's own policy, as
`GET /policies/current` serves it (rendered from the profile). Each test quotes the
sentence it checks and walks it through the running product."""
from __future__ import annotations

import pytest

from tests.conformance.walk import (
    assert_quotes_in_source,
    business_transfer_is_announced,
    campaign,
    disclosure_is_told_unless_forbidden,
    fresh,
    hire,
    links_in,
    mail,
    promise,
    publish,
    sign_ins,
)

pytestmark = pytest.mark.e2e
PROFILE, SOURCE = "strict", None


@pytest.fixture(scope="module")
def people(api):
    return {"employer": api.member("employer"), "freelancer": api.member("freelancer")}


@promise("Who may join: freelancers from age 18, employers from age 18 (from 13 with a guardian's consent, supervised).")
def test_who_may_join(api):
    status, error, _ = api.signup("freelancer", date_of_birth="2010-01-01")
    assert status == 403 and error["Code"] == "AgeRequirementNotMet"
    assert api.signup("employer", date_of_birth="2011-06-01")[0] == 403
    guardian = {"full_name": "A Parent", "email": "parent@example.com", "consent": True}
    minor = api.register("employer", date_of_birth="2011-06-01", guardian=guardian)
    assert api.get("/me", minor["token"])["supervised"] is True
    assert api.signup("employer", date_of_birth="2015-06-01", guardian=guardian)[0] == 403  # under 13: never


@promise("Your phone number is verified with a one-time code.")
def test_the_phone_is_verified_at_signup(api):
    status, created, payload = api.signup("freelancer")
    assert status == 201 and created["status"] == "pending_verification"
    status, error = api.call("POST", "/auth/login", {"email": payload["email"], "password": payload["password"]})
    assert status == 403 and error["Code"] == "PhoneNotVerified"


@promise("Identity is verified before you post projects or bid.")
def test_identity_before_posting_or_bidding(api, people):
    unverified = api.register("employer")
    status, error = api.call("POST", "/projects", {"title": "x" * 10, "description": "y" * 30, "budget": {"amount": 100, "currency": "USD"},
                                                   "skills": ["a"]}, unverified["token"])
    assert status == 403 and error["Code"] == "IdentityNotVerified"


@promise("Your phone, date of birth, address and identity numbers are encrypted with a key of your own.")
def test_personal_fields_are_stored_encrypted(api, people):
    user = people["freelancer"]
    raw = api.stack.aws("dynamodb").query(TableName="marketplace-local-main", KeyConditionExpression="pk = :p",
                                          ExpressionAttributeValues={":p": {"S": f"USER#{user['user_id']}"}})["Items"]
    dumped = str(raw)
    assert raw and user["phone"] not in dumped and user["date_of_birth"] not in dumped and "AB1234567" not in dumped


@promise("Contact details are shared with the other party only once you are hired.")
def test_contact_details_only_once_hired(api, people):
    employer, freelancer = people["employer"], people["freelancer"]
    deal = hire(api, employer, freelancer)
    bids = str(api.get(f"/projects/{deal['project_id']}/bids", employer["token"]))
    assert freelancer["email"] not in bids and freelancer["phone"] not in bids
    contract = api.get(f"/contracts/{deal['contract_id']}", employer["token"])
    assert (contract["freelancer"]["email"], contract["freelancer"]["phone"]) == (freelancer["email"], freelancer["phone"])
    people["deal"] = deal


@promise("Marketing messages: only if you opt in.")
def test_marketing_only_after_opting_in(api):
    user = api.register("freelancer")
    campaign(api, "Strict offers 1")
    assert mail(api, user, "Strict offers 1") == []
    assert api.call("PUT", "/me/consents", {"marketing": True}, user["token"])[0] == 200
    campaign(api, "Strict offers 2")
    got = mail(api, user, "Strict offers 2")
    assert len(got) == 1 and "unsubscribe" in links_in(got[0])


@promise("Deletion: erase; blocked while any of these is open: pending payout, open dispute, active contract, legal hold, wallet balance; "
         "grace period 14 days.")
def test_deletion_blockers_and_grace_period(api, people):
    status, error = api.call("POST", "/me/deletion", None, people["freelancer"]["token"])
    assert status == 409 and {b["type"] for b in error["Details"]["blockers"]} >= {"active_contract"}
    user = api.register("freelancer")
    status, hold = api.call("POST", "/admin/legal-holds", {"user_id": user["user_id"], "reason": "A court order"}, api.admin())
    assert status == 201
    status, error = api.call("POST", "/me/deletion", None, user["token"])
    assert status == 409 and [b["type"] for b in error["Details"]["blockers"]] == ["legal_hold"]
    assert api.call("DELETE", f"/admin/legal-holds/{hold['hold_id']}", None, api.admin())[0] in (200, 204)
    status, scheduled = api.call("POST", "/me/deletion", None, user["token"])
    assert status == 202 and scheduled["status"] == "scheduled"
    assert api.get(f"/me/deletion-receipt?token={scheduled['receipt_token']}")["status"] == "scheduled"
    people["leaver"] = {**user, "receipt": scheduled["receipt_token"]}


@promise("If we must disclose your data to an authority, we tell you, unless the law forbids it.")
def test_disclosures_are_told_unless_forbidden(api, people):
    disclosure_is_told_unless_forbidden(api, people["freelancer"], "A court")


@promise("If the business changes hands, every user is told by email and in the app.")
def test_a_business_transfer_is_told_to_every_user(api, people):
    business_transfer_is_announced(api, [people["employer"], people["freelancer"]], "New owner",
                                   "The platform now belongs to Example Corp.")


@promise("You can download everything we keep about you (JSON and PDF).")
def test_the_export_is_json_and_pdf(api, people):
    user = people["freelancer"]
    status, export = api.call("POST", "/me/exports", None, user["token"])
    assert status == 202
    api.drain()
    ready = api.get(f"/me/exports/{export['export_id']}", user["token"])
    assert ready["status"] == "ready" and ready["json_url"] and ready["pdf_url"]


@promise("We never sell your data.")
def test_data_is_never_sold(api, people):
    profile = api.get("/policies/profile")
    assert profile["data_sold"] is False
    assert api.get("/me/consents", people["freelancer"]["token"])["third_party_sharing"] is False


@promise("Changes to this policy are announced 30 days before they take effect.")
def test_a_policy_change_needs_30_days_notice(api):
    status, error = publish(api, "1.1", days=29)
    assert status == 422 and error["Code"] == "NoticePeriodTooShort"


@promise("You accept or reject each new version; until you accept the version in effect you can still read, correct, export and "
         "delete your data, but not post projects, bid, send messages or request payouts.")
def test_each_version_is_accepted_or_rejected(api, people):
    assert publish(api, "2.0", days=31)[0] == 201
    api.drain()
    got = mail(api, people["freelancer"], "version 2.0")
    assert len(got) == 1 and set(links_in(got[0])) == {"accept", "reject"}
    api.advance(days=31)
    employer = fresh(api, people["employer"])
    status, error = api.call("POST", "/projects", {"title": "Another shop", "description": "A second shop, with a blog.",
                                                   "budget": {"amount": 1000, "currency": "USD"}, "skills": ["a"]}, employer["token"])
    assert status == 403 and error["Code"] == "PolicyNotAccepted"
    assert api.call("GET", "/me", None, employer["token"])[0] == 200
    assert api.call("PATCH", "/me", {"language": "fr"}, employer["token"])[0] == 200
    people["employer"] = employer


@promise("Sign-in records (time, IP address, device) are kept 90 days.")
def test_sign_in_records_go_after_90_days(api, people):
    user = fresh(api, people["freelancer"])
    items = sign_ins(api, user["user_id"])
    assert items
    api.advance(days=91)
    api.drain()
    assert not items & sign_ins(api, user["user_id"])


@promise("Identity documents are kept 30 days after the decision.")
def test_identity_documents_go_30_days_after_the_decision(api, people):
    listed = api.stack.aws("s3").list_object_versions(Bucket="marketplace-local-documents", Prefix=f"identity/{people['freelancer']['user_id']}/")
    assert listed.get("Versions", []) == []  # by now (more than 30 days on) they are gone, every version
    assert api.get("/me/identity", fresh(api, people["freelancer"])["token"])["status"] == "approved"  # the outcome stays
    status, receipt = api.call("GET", f"/me/deletion-receipt?token={people['leaver']['receipt']}")
    assert receipt["status"] == "erased"  # and the account whose deletion was scheduled was erased after its 14 days


def test_every_quote_is_in_the_source(api):
    assert_quotes_in_source(globals(), api)

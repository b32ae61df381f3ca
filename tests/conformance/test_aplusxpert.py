"""The `aplusxpert` profile against AplusXpert's privacy policy (docs/policies/000_...):
each test quotes the sentence it checks and walks it through the running product."""
from __future__ import annotations

import pytest

from tests.conformance.walk import assert_quotes_in_source, fresh, hire, links_in, mail, promise, publish

pytestmark = pytest.mark.e2e
PROFILE, SOURCE = "aplusxpert", "000_5ede5ef6fdec1436.txt"


@pytest.fixture(scope="module")
def people(api):
    return {"employer": api.member("employer"), "freelancer": api.member("freelancer")}


@promise("To ensure that only authentic users register to our site, we collect some identity verification information.")
def test_only_verified_users_bid(api, people):
    unverified = api.register("freelancer")
    project = api.call("POST", "/projects", {"title": "A booking page", "description": "A booking page for a small hotel.",
                                            "budget": {"amount": 30000, "currency": "USD"}, "skills": ["js"]}, people["employer"]["token"])[1]
    status, error = api.call("POST", f"/projects/{project['project_id']}/bids", {"amount": {"amount": 100, "currency": "USD"},
                                                                                  "cover_letter": "Hello there.", "delivery_days": 3}, unverified["token"])
    assert status == 403 and error["Code"] == "IdentityNotVerified"


@promise("Right to Access: Our users can access all their information whenever they need or want to look at them. "
         "You can even request us a hard copy of your profile details whenever you want.")
def test_access_and_a_hard_copy(api, people):
    user = people["freelancer"]
    me = api.get("/me", user["token"])
    assert (me["email"], me["phone"]) == (user["email"], user["phone"])
    status, export = api.call("POST", "/me/exports", None, user["token"])
    assert status == 202
    api.drain()
    ready = api.get(f"/me/exports/{export['export_id']}", user["token"])
    assert ready["status"] == "ready" and ready["pdf_url"] and ready["json_url"]  # the "hard copy" is the PDF


@promise("Right to Correct: AplusXpert gives you the right to correct, update, and maintain your data shared on our platform.")
def test_correction(api, people):
    user = people["freelancer"]
    status, corrected = api.call("PATCH", "/me", {"full_name": "Corrected Name", "address": "1 Main Street"}, user["token"])
    assert status == 200 and (corrected["full_name"], corrected["address"]) == ("Corrected Name", "1 Main Street")


@promise("Also, in cases of conflicts and legal obligations, we may not allow you to delete certain sections of your profile if the "
         "information seems extremely necessary to continue the investigation, legal suits, or resolve disputes.")
def test_deletion_waits_for_disputes_and_legal_holds_only(api, people):
    employer, freelancer = people["employer"], api.member("freelancer")
    deal = hire(api, employer, freelancer)
    assert api.call("POST", f"/contracts/{deal['contract_id']}/dispute", {"reason": "The work was not delivered."}, employer["token"])[0] == 200
    status, error = api.call("POST", "/me/deletion", None, freelancer["token"])
    assert status == 409 and [b["type"] for b in error["Details"]["blockers"]] == ["open_dispute"]
    held = api.register("employer")
    api.call("POST", "/admin/legal-holds", {"user_id": held["user_id"], "reason": "An investigation"}, api.admin())
    status, error = api.call("POST", "/me/deletion", None, held["token"])
    assert status == 409 and [b["type"] for b in error["Details"]["blockers"]] == ["legal_hold"]
    # nothing else stands in the way: an active contract does not, under this policy
    other = api.member("freelancer")
    hire(api, people["employer"], other)
    status, scheduled = api.call("POST", "/me/deletion", None, other["token"])
    assert status == 202 and scheduled["status"] == "scheduled"


@promise("Right to be Anonymous: Under special circumstances, you can send us an email requesting to make yourself anonymous over our "
         "platform. But, before considering this option, you should be aware of the inconveniences you might face by doing so.")
def test_anonymity_with_its_drawbacks_said(api, people):
    user = api.register("freelancer")
    status, done = api.call("POST", "/me/anonymity", {"enabled": True}, user["token"])
    assert status == 200 and done["anonymous"] is True and "harder" in done["warning"]
    shown = api.get(f"/users/{user['user_id']}/profile", people["employer"]["token"])
    assert "Live Tester" not in str(shown)


@promise("Right To Withdraw Consent: You can withdraw your consent anytime, but doing so will limit your use of our services.")
def test_consent_can_be_withdrawn(api):
    user = api.register("freelancer")
    api.call("PUT", "/me/consents", {"analytics": True}, user["token"])
    status, consents = api.call("PUT", "/me/consents", {"analytics": False}, user["token"])
    assert status == 200 and consents["analytics"] is False
    history = api.get("/me/consents/history", user["token"])["items"]
    assert [(h["purpose"], h["decision"]) for h in history[:2]] == [("analytics", "off"), ("analytics", "on")]


@promise("The information collected from your side will be shared, wherever required, with your due consent, to the following entities:")
def test_sharing_needs_consent(api):
    user = api.register("employer")
    consents = api.get("/me/consents", user["token"])
    assert consents["third_party_sharing"] is False and consents["marketing"] is False and consents["promotions"] is False


@promise("We are hereby requesting all our users that if they receive any form of formal or informal communication from phishers "
         "pretending to belong to AplusXpert, inform us immediately at")
def test_phishing_reports_are_taken(api):
    status, report = api.call("POST", "/phishing-reports", {"reported_sender": "support@aplusxpert-login.example", "channel": "email",
                                                            "content": "Verify your account here", "received_at": "2026-11-20T10:00:00Z"})
    assert status == 201 and report["report_id"]


@promise("But, rest assured that we will provide advanced notice to all our users before making any change in our privacy policy.")
def test_advance_notice_of_a_policy_change(api):
    status, error = publish(api, "1.1", days=10)
    assert status == 422 and error["Code"] == "NoticePeriodTooShort"


@promise("Once we implement the changes, the user will be given a chance to accept or reject the new privacy policy. "
         "Accepting the same will ensure the continuation of our services, while leaving the same may limit your usage of our website.")
def test_accept_or_reject_and_what_rejecting_limits(api, people):
    assert publish(api, "2.0", days=30)[0] == 201
    api.drain()
    employer, freelancer = people["employer"], people["freelancer"]
    reject = links_in(mail(api, employer, "version 2.0")[0])["reject"]
    accept = links_in(mail(api, freelancer, "version 2.0")[0])["accept"]
    assert api.call("GET", reject)[1]["decision"] == "reject"
    assert api.call("GET", accept)[1]["decision"] == "accept"
    api.advance(days=30, seconds=60)
    employer, freelancer = fresh(api, employer), fresh(api, freelancer)
    status, error = api.call("POST", "/projects", {"title": "A third shop", "description": "Yet another shop, with vouchers.",
                                                   "budget": {"amount": 1000, "currency": "USD"}, "skills": ["a"]}, employer["token"])
    assert status == 403 and error["Code"] == "PolicyNotAccepted"  # rejecting limits use
    assert api.get("/me", freelancer["token"])["policy"]["restricted"] is False  # accepting continues it
    assert api.call("POST", "/me/policy-decisions", {"version": "2.0", "decision": "accept"}, employer["token"])[0] == 200
    assert api.get("/me", employer["token"])["policy"]["restricted"] is False


def test_every_quote_is_in_the_source(api):
    assert_quotes_in_source(globals(), api)

"""The `appexert` profile against AppExert's privacy policy (docs/policies/001_...):
each test quotes the sentence it checks and walks it through the running product.
Where the document is silent the profile's choice is tested, and the test says so."""
from __future__ import annotations

import pytest

from tests.conformance.walk import (
    BID,
    assert_quotes_in_source,
    campaign,
    fresh,
    hire,
    links_in,
    mail,
    post_project,
    promise,
    publish,
    sign_ins,
)

pytestmark = pytest.mark.e2e
PROFILE, SOURCE = "appexert", "001_a2d2205fa29ae211.txt"


@pytest.fixture(scope="module")
def people(api):
    return {"employer": api.register("employer"), "freelancer": api.register("freelancer")}


@promise("The data that is given by you by performing actions like creating an account, adding your profile, or completing payment "
         "is used to identify or contact you.")
def test_signup_asks_no_phone_code_and_no_identity_documents(api, people):
    status, created, _ = api.signup("freelancer")
    assert status == 201 and created["status"] == "active"  # no one-time code: the document asks none
    project_id = post_project(api, people["employer"])  # and no identity verification before posting or bidding
    assert api.call("POST", f"/projects/{project_id}/bids", BID, people["freelancer"]["token"])[0] == 201


@promise("For sending targeted promotional or marketing messages to promote our services.")
def test_marketing_is_on_until_the_user_opts_out(api):
    user = api.register("freelancer")
    assert api.get("/me/consents", user["token"])["marketing"] is True
    campaign(api, "AppExert news 1")
    got = mail(api, user, "AppExert news 1")
    assert len(got) == 1
    assert api.call("GET", links_in(got[0])["unsubscribe"])[0] == 200
    campaign(api, "AppExert news 2")
    assert mail(api, user, "AppExert news 2") == []


@promise("To display success stories or testimonials after receiving permission from the users.")
def test_testimonials_only_with_permission(api):
    user = api.register("employer")
    assert api.get("/me/consents", user["token"])["promotions"] is False  # no permission until given
    status, consents = api.call("PUT", "/me/consents", {"promotions": True}, user["token"])
    assert status == 200 and consents["promotions"] is True
    assert api.get("/me/consents/history", user["token"])["items"][0]["purpose"] == "promotions"


@promise("The users can update or delete the profile information from our website.")
def test_profile_information_can_be_updated(api, people):
    user = people["freelancer"]
    status, done = api.call("PUT", "/me/profile", {"headline": "Python developer", "bio": "I build web shops.", "skills": ["python"]},
                            user["token"])
    assert status == 200 and done["status"] == "published"
    assert api.call("PATCH", "/me", {"full_name": "New Name"}, user["token"])[1]["full_name"] == "New Name"


@promise("However, the users may be unable to delete information if there is something pending like payments, disputes, jobs, etc.")
def test_deletion_waits_for_pending_jobs(api, people):
    freelancer = api.register("freelancer")
    hire(api, people["employer"], freelancer)
    status, error = api.call("POST", "/me/deletion", None, freelancer["token"])
    assert status == 409 and [b["type"] for b in error["Details"]["blockers"]] == ["active_contract"]


@promise("When you delete your account, we remove all your personal data after a period of time as mandated by the law.")
def test_deletion_removes_personal_data_after_the_period(api, people):
    user = api.register("freelancer")
    status, scheduled = api.call("POST", "/me/deletion", None, user["token"])
    assert status == 202
    api.advance(days=29)
    api.drain()
    assert api.get(f"/me/deletion-receipt?token={scheduled['receipt_token']}")["status"] == "scheduled"  # 30 days here
    api.advance(days=1, seconds=60)
    api.drain()
    receipt = api.get(f"/me/deletion-receipt?token={scheduled['receipt_token']}")
    assert receipt["status"] == "erased" and receipt["erased"]
    assert api.call("POST", "/auth/login", {"email": user["email"], "password": user["password"]})[0] == 401
    assert api.call("GET", f"/users/{user['user_id']}/profile", None, fresh(api, people["employer"])["token"])[0] == 404


@promise("The Privacy Policy may be updated as required, and the changes will be noticed on the site.")
def test_a_policy_change_is_posted_on_the_site_without_email(api, people):
    status, published = publish(api, "2.0", days=0.001)
    assert status == 201  # no notice period is promised
    api.drain()
    assert mail(api, people["freelancer"], "version 2.0") == []  # the notice is the site: GET /policies
    assert "2.0" in [p["version"] for p in api.get("/policies")["items"]]


@promise("By using this site, you agree to the terms and conditions of collection and use of data as per this policy.")
def test_continued_use_is_acceptance(api, people):
    api.advance(seconds=600)
    user = fresh(api, people["freelancer"])
    me = api.get("/me", user["token"])
    assert me["policy"] == {"accepted_version": "2.0", "restricted": False}
    history = api.get("/me/consents/history", user["token"])["items"]
    assert (history[0]["purpose"], history[0]["decision"], history[0]["policy_version"], history[0]["source"]) == \
        ("policy", "accept", "2.0", "continued_use")
    people["freelancer"] = user


@promise("This data includes computer IP, browser type, pages on the site, time and date of visit, time spent, and other stats.")
def test_usage_data_is_kept_180_days(api, people):
    # the document names no period: the profile keeps usage data 180 days
    assert api.get("/policies/profile")["usage_data_keep_days"] == 180
    user = fresh(api, people["freelancer"])
    before = {max(sign_ins(api, user["user_id"]))}  # the sign-in just made (keys sort by time)
    api.advance(days=179)
    api.drain()
    assert before <= sign_ins(api, user["user_id"])
    api.advance(days=2)
    api.drain()
    assert not before & sign_ins(api, user["user_id"])


def test_what_the_document_does_not_offer_is_refused_clearly(api, people):
    # silent on anonymity and on phishing reports: neither is offered, and each refusal says so
    user = fresh(api, people["freelancer"])
    status, error = api.call("POST", "/me/anonymity", {"enabled": True}, user["token"])
    assert status == 403 and error["Code"] == "AnonymityNotOffered"
    status, error = api.call("POST", "/phishing-reports", {"reported_sender": "x@example.com", "channel": "email", "content": "y",
                                                           "received_at": "2026-11-20T10:00:00Z"})
    assert status == 403 and error["Code"] == "NotOffered"


def test_every_quote_is_in_the_source(api):
    assert_quotes_in_source(globals(), api)

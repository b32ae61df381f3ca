"""The `webperhour` profile against Webperhour's privacy policy (docs/policies/003_...):
each test quotes the sentence it checks and walks it through the running product.
The document offers correction, not deletion: the product refuses self-service
deletion under this profile, clearly, and the README says so."""
from __future__ import annotations

import pytest

from tests.conformance.walk import BID, assert_quotes_in_source, fresh, mail, post_project, promise, publish, sign_ins

pytestmark = pytest.mark.e2e
PROFILE, SOURCE = "webperhour", "003_50cf54b7e8f37fab.txt"


@pytest.fixture(scope="module")
def people(api):
    return {"employer": api.member("employer"), "freelancer": api.member("freelancer")}


@promise("SMS Provider: The OTP verification is an integral part of the system where we verify the users based on their unique mobile number.")
def test_signup_is_verified_by_sms_code(api):
    status, created, payload = api.signup("freelancer")
    assert status == 201 and created["status"] == "pending_verification"
    api.drain()
    assert "verification code" in api.outbox(payload["phone"])[-1]["body"]
    status, error = api.call("POST", "/auth/login", {"email": payload["email"], "password": payload["password"]})
    assert status == 403 and error["Code"] == "PhoneNotVerified"
    taken = api.register("freelancer")
    status, error, _ = api.signup("employer", phone=taken["phone"])  # the mobile number is unique
    assert status == 409 and error["Code"] == "PhoneInUse"


@promise("To keep the identity of user in order to protect the system from unwanted hacks or fraudulent we need to keep proof of "
         "identity in the form of Passport, Driving License, Voter ID Card and Tax related information.")
def test_proof_of_identity_before_bidding(api, people):
    user = api.register("freelancer")
    project_id = post_project(api, people["employer"])
    status, error = api.call("POST", f"/projects/{project_id}/bids", BID, user["token"])
    assert status in (403, 404) and (status == 404 or error["Code"] == "IdentityNotVerified")
    assert api.call("POST", "/me/identity", {"id_type": "cnic", "id_number": "35202-1234567-1"}, user["token"])[0] == 400
    for id_type in ("passport", "driving_license", "voter_id", "tax_id"):
        assert id_type in api.get("/policies/profile")["identity_document_types"]
    assert api.call("POST", f"/projects/{project_id}/bids", BID, people["freelancer"]["token"])[0] == 201


@promise("Publishing of changed data will be done by the review of admin in order to protect the website from abusive content.")
def test_profile_edits_wait_for_an_admin(api, people):
    user = people["freelancer"]
    first = {"headline": "Web developer", "bio": "I build shops.", "skills": ["python"], "visibility": {"headline": "public", "bio": "public"}}
    status, queued = api.call("PUT", "/me/profile", first, user["token"])
    assert status == 200 and queued["status"] == "pending_review"
    assert api.call("POST", f"/admin/profile-reviews/{user['user_id']}/decision", {"decision": "approve"}, api.admin())[0] == 200
    assert api.get(f"/users/{user['user_id']}/profile")["headline"] == "Web developer"
    api.call("PUT", "/me/profile", {**first, "headline": "Senior web developer"}, user["token"])
    assert api.get(f"/users/{user['user_id']}/profile")["headline"] == "Web developer"  # the published one stays until reviewed


@promise("Users are not allowed to share their personal contact information inside the profile section.")
def test_contact_details_in_the_profile_are_refused(api, people):
    for bio in ("Mail me at someone@example.com", "Call +44 20 7946 0958", "whatsapp: nine one two three four five six seven eight"):
        status, error = api.call("PUT", "/me/profile", {"headline": "Developer", "bio": bio, "skills": ["python"]}, people["freelancer"]["token"])
        assert status == 422 and error["Code"] == "ContactInfoNotAllowed" and error["Details"]["field"] == "bio", bio


@promise("Asking user’s contact details is not allowed as per the clauses of terms and conditions and privacy policy.")
def test_asking_for_contact_details_in_a_bid_is_refused(api, people):
    project_id = post_project(api, people["employer"])
    body = {**BID, "cover_letter": "Send me your email at your.name@example.com so we can talk"}
    status, error = api.call("POST", f"/projects/{project_id}/bids", body, people["freelancer"]["token"])
    assert status == 422 and error["Code"] == "ContactInfoNotAllowed"


@promise("Users will have the right to make request for the correctness of data that is hold by webperhour.com.")
def test_correction_yes_deletion_refused(api, people):
    user = people["employer"]
    assert api.call("PATCH", "/me", {"full_name": "Right Name"}, user["token"])[1]["full_name"] == "Right Name"
    status, error = api.call("POST", "/me/deletion", None, user["token"])
    assert status == 403 and error["Code"] == "DeletionNotOffered" and "PATCH /me" in error["Message"]


@promise("Webperhour.com holds all the right to make changes in the clauses of privacy policy without any advance intimation to the users.")
def test_a_policy_change_without_advance_notice(api, people):
    status, published = publish(api, "2.0", days=0.001)
    assert status == 201
    api.drain()
    assert mail(api, people["freelancer"], "version 2.0") == []  # posted on the site only
    api.advance(seconds=600)
    user = fresh(api, people["freelancer"])
    assert api.get("/policies/current")["version"] == "2.0"
    assert api.get("/me", user["token"])["policy"] == {"accepted_version": "2.0", "restricted": False}
    people["freelancer"] = user


@promise("Metadata:Users do search a lot before coming to a system and hence we follow a practice to gather the details of IP address "
         "through which search for us is made.")
def test_usage_data_is_kept_180_days(api, people):
    # the document names no period: the profile keeps usage data (IP address, device) 180 days
    user = fresh(api, people["freelancer"])
    newest = {max(sign_ins(api, user["user_id"]))}
    api.advance(days=181)
    api.drain()
    assert not newest & sign_ins(api, user["user_id"])


def test_every_quote_is_in_the_source(api):
    assert_quotes_in_source(globals(), api)

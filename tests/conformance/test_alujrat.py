"""The `alujrat` profile against Al Ujrat's privacy policy (docs/policies/002_...): each
test quotes the sentence it checks and walks it through the running product."""
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
    post_project,
    promise,
    publish,
)

pytestmark = pytest.mark.e2e
PROFILE, SOURCE = "alujrat", "002_cd9a77929ccf5b1a.txt"


@pytest.fixture(scope="module")
def people(api):
    return {"employer": api.member("employer"), "freelancer": api.member("freelancer")}


@promise("- To use certain features of the Platform, all users must undergo verification.")
def test_verification_with_cnic_or_passport_and_phone(api):
    status, created, _ = api.signup("freelancer")
    assert status == 201 and created["status"] == "pending_verification"  # the phone number, by a one-time code
    user = api.register("freelancer")
    status, error = api.call("POST", "/me/identity", {"id_type": "driving_license", "id_number": "DL-12345"}, user["token"])
    assert status == 400 and error["Details"]["field"] == "id_type" and "cnic, passport" in error["Message"]
    assert api.call("POST", "/me/identity", {"id_type": "cnic", "id_number": "35202-1234567-1"}, user["token"])[0] == 201


@promise("Minors (e.g., 13 years or older) may use the platform to post suitable tasks only under the direct supervision and with the "
         "explicit consent of a parent or legal guardian who agrees to be bound by our Terms & Conditions and this Privacy Policy on "
         "behalf of the minor.")
def test_minors_post_only_under_supervision(api):
    guardian = {"full_name": "A Parent", "email": "parent@example.com", "consent": True}
    assert api.signup("employer", date_of_birth="2011-03-03")[0] == 403
    assert api.signup("freelancer", date_of_birth="2011-03-03", guardian=guardian)[0] == 403  # freelancers: 18
    minor = api.register("employer", date_of_birth="2011-03-03", guardian=guardian)
    assert api.get("/me", minor["token"])["supervised"] is True


@promise("Project details posted by Employers are visible to registered Freelancers (who may be on a subscription plan to view them) "
         "but not to other Employers or the general public, to maintain privacy.")
def test_project_visibility(api, people):
    project_id = post_project(api, people["employer"])
    assert api.call("GET", f"/projects/{project_id}", None, people["freelancer"]["token"])[0] == 200
    other_employer = api.member("employer")
    assert api.call("GET", f"/projects/{project_id}", None, other_employer["token"])[0] == 404
    assert api.call("GET", f"/projects/{project_id}")[0] in (401, 404)
    unregistered = api.register("freelancer")  # identity not verified: not yet a registered freelancer
    assert api.call("GET", f"/projects/{project_id}", None, unregistered["token"])[0] == 404


@promise("- Contact information or full identity details are typically only shared once an Employer hires a Freelancer or a service "
         "is formally engaged, to allow for the service to be performed.")
def test_contact_details_once_hired(api, people):
    employer, freelancer = people["employer"], people["freelancer"]
    deal = hire(api, employer, freelancer)
    profile = str(api.get(f"/users/{freelancer['user_id']}/profile", api.member("employer")["token"]))
    assert freelancer["email"] not in profile and freelancer["phone"] not in profile
    contract = api.get(f"/contracts/{deal['contract_id']}", employer["token"])
    assert contract["freelancer"]["email"] == freelancer["email"] and contract["employer"]["phone"] == employer["phone"]


@promise("You will be notified if your data is shared with legal authorities for these reasons, unless we are prohibited by law from doing so.")
def test_legal_disclosures_are_told_unless_prohibited(api, people):
    disclosure_is_told_unless_forbidden(api, people["freelancer"], "FIA cyber crime wing")


@promise("You will be notified via email or a prominent notice on our Platform of any change in ownership or uses of your personal "
         "information, as well as any choices you may have regarding your personal information.")
def test_a_change_of_ownership_is_announced(api, people):
    business_transfer_is_announced(api, [people["employer"], people["freelancer"]], "Al Ujrat has a new owner",
                                   "Your choices: keep your account, or close it.")


@promise("Al Ujrat does not sell your personal information to third parties.")
def test_personal_information_is_not_sold(api, people):
    assert api.get("/policies/profile")["data_sold"] is False
    assert api.get("/me/consents", people["employer"]["token"])["third_party_sharing"] is False


@promise("You may opt-out of receiving these communications by following the unsubscribe link or instructions provided in any email "
         "we send, or by adjusting your account preferences.")
def test_marketing_until_opted_out(api):
    user = api.register("freelancer")
    campaign(api, "Al Ujrat offers 1")
    got = mail(api, user, "Al Ujrat offers 1")
    assert len(got) == 1
    assert api.call("POST", links_in(got[0])["unsubscribe"])[1]["marketing"] is False
    campaign(api, "Al Ujrat offers 2")
    assert mail(api, user, "Al Ujrat offers 2") == []


@promise("Currently, the Platform does not offer specific automated features for users to formally object to certain types of data "
         "processing beyond an account closure or to request data portability in a standardized machine-readable format.")
def test_an_export_is_offered_anyway(api, people):
    # the document promises none; the product offers its JSON export all the same (README: where we go beyond a document)
    status, export = api.call("POST", "/me/exports", None, people["freelancer"]["token"])
    assert status == 202
    api.drain()
    assert api.get(f"/me/exports/{export['export_id']}", people["freelancer"]["token"])["json_url"]


@promise("- We retain your personal information for as long as your account is active to provide you with our services and for a "
         "reasonable period thereafter to allow you to reactivate your account.")
def test_a_closed_account_can_be_reactivated_within_the_window(api):
    user = api.register("freelancer")
    status, scheduled = api.call("POST", "/me/deletion", None, user["token"])
    assert status == 202
    assert api.call("DELETE", "/me/deletion", None, user["token"])[0] == 200
    assert api.get(f"/me/deletion-receipt?token={scheduled['receipt_token']}")["status"] == "cancelled"
    assert api.login(user)["token"]


@promise("- Notwithstanding the above, even after your account is closed or you request deletion of your data, Al Ujrat will retain "
         "your personal information indefinitely.")
def test_a_closed_account_is_archived_not_erased(api, people):
    user = api.register("freelancer")
    status, scheduled = api.call("POST", "/me/deletion", None, user["token"])
    assert status == 202
    api.advance(days=30, seconds=60)
    api.drain()
    receipt = api.get(f"/me/deletion-receipt?token={scheduled['receipt_token']}")
    assert receipt["status"] == "archived" and receipt["erased"] == [] and receipt["kept"]
    assert api.call("POST", "/auth/login", {"email": user["email"], "password": user["password"]})[0] == 401  # access ends
    ddb = api.stack.aws("dynamodb")
    account = ddb.get_item(TableName="marketplace-local-main", Key={"pk": {"S": f"USER#{user['user_id']}"}, "sk": {"S": "ACCOUNT"}})["Item"]
    assert "email_enc" in account and "phone_enc" in account  # retained
    key = ddb.get_item(TableName="marketplace-local-keys", Key={"pk": {"S": f"OWNER#{user['user_id']}"}, "sk": {"S": "DATA_KEY"}})
    assert "Item" in key  # and still readable by the platform: not crypto-shredded
    campaign(api, "After the archive")  # but excluded from processing: no marketing reaches it
    assert mail(api, user, "After the archive") == []


@promise("We will notify you of any material changes by posting the new Privacy Policy on the Platform, updating the “Last Updated” "
         "date, and, where appropriate, through other means such as email or platform notifications.")
def test_material_changes_by_email_others_in_app(api, people):
    assert publish(api, "1.1", days=0.001, material=False)[0] == 201  # no notice period is promised
    assert publish(api, "2.0", days=0.002, material=True)[0] == 201
    api.drain()
    employer = fresh(api, people["employer"])
    assert mail(api, employer, "version 1.1") == [] and len(mail(api, employer, "version 2.0")) == 1
    assert links_in(mail(api, employer, "version 2.0")[0]) == {}  # nothing to accept: continued use is acceptance
    topics = [n["topic"] for n in api.get("/me/notices", employer["token"])["items"] if n["purpose"] == "policy"]
    assert topics == ["2.0", "1.1"]  # both in the app
    people["employer"] = employer


@promise("Your continued use of the Platform after such modifications will constitute your acknowledgment of the modified Policy and "
         "agreement to abide and be bound by it.")
def test_continued_use_is_acceptance(api, people):
    api.advance(seconds=600)
    employer = fresh(api, people["employer"])
    assert api.get("/me", employer["token"])["policy"] == {"accepted_version": "2.0", "restricted": False}
    assert api.get("/me/consents/history", employer["token"])["items"][0]["source"] == "continued_use"
    post_project(api, employer)  # never restricted


def test_every_quote_is_in_the_source(api):
    assert_quotes_in_source(globals(), api)

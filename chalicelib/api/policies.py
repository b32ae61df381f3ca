"""Privacy policy routes: the version in effect, every version, the active privacy
profile as data; publishing a version (admin), each user's decision on it (signed in,
or by the signed link in the notice) and the user's notices; announcements (admin).
What they do is in `services.policy_versions`, `policy_notices`, `policy_decisions`, `privacy_display` and `services.notices_inbox`."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import Call, page_query

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.policies  # noqa: F401

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)
TAGS = ("privacy",)


@route("/policies/current", auth=None, response=lambda: schemas.policies.PolicyOut, tags=TAGS, summary="The privacy policy in effect")
def get_current(call: Call) -> dict:
    from chalicelib.services import policy_versions as service

    return service.described(service.current())


@route("/policies", auth=None, response=lambda: schemas.policies.PolicyList, tags=TAGS, summary="Every policy version, upcoming ones included")
def list_policies(call: Call) -> dict:
    from chalicelib.services import policy_versions as service

    return {"items": [service.described(i) for i in service.all_versions()], "next_cursor": None}


@route("/policies/profile", response=lambda: schemas.policies.ActiveProfile, auth=None, tags=TAGS, summary="The active privacy profile: what the platform promises, as data")
def get_profile(call: Call) -> dict:
    from chalicelib.services import privacy_display as service

    return service.profile()


@route("/policies/data-map", auth=None, response=lambda: schemas.policies.DataMap, tags=TAGS,
          summary="What the platform stores about a person, where, and what export and erasure do with each field")
def get_data_map(call: Call) -> dict:
    from chalicelib.services import privacy_display as service

    return service.data_map()


@route("/admin/policies", "POST", body=lambda: schemas.policies.PolicyIn, response=lambda: schemas.policies.PolicyOut, status=201, auth="admin", tags=("admin",),
          errors_=(409, 422), summary="Publish a policy version; every user is told as the privacy profile says")
def publish_policy(call: Call) -> dict:
    from chalicelib.services import policy_notices, policy_versions

    b = call.body
    return policy_versions.described(policy_notices.publish(call.caller.user_id, b.version, b.summary, b.text, b.effective_at.timestamp(), b.material))


@route("/me/policy-decisions", "POST", body=lambda: schemas.policies.PolicyDecisionIn, response=lambda: schemas.policies.PolicyDecisionOut, tags=TAGS, errors_=(404, 409),
          summary="Accept or reject a policy version (the latest decision on a version counts)")
def decide(call: Call) -> dict:
    from chalicelib.services import policy_decisions as service

    return service.decide(call.caller.user, call.body.version, call.body.decision, "settings")


@route("/policy-decisions/link", query=lambda: schemas.policies.DecisionLinkQuery, response=lambda: schemas.policies.PolicyDecisionOut, auth=None, tags=TAGS, errors_=(404, 409),
          summary="The accept or reject link of a policy notice email (no sign-in): following it records the decision")
def decide_by_link_get(call: Call) -> dict:
    from chalicelib.services import policy_decisions as service

    return service.decide_by_link(call.query.version, call.query.decision, call.query.token)


@route("/policy-decisions/link", "POST", query=lambda: schemas.policies.DecisionLinkQuery, response=lambda: schemas.policies.PolicyDecisionOut, auth=None, tags=TAGS,
          errors_=(404, 409), summary="The same link, posted")
def decide_by_link_post(call: Call) -> dict:
    from chalicelib.services import policy_decisions as service

    return service.decide_by_link(call.query.version, call.query.decision, call.query.token)


@route("/me/notices", query=page_query, response=lambda: schemas.policies.NoticePage, tags=TAGS,
          summary="Policy notices and announcements the caller received, newest first (the in-app list)")
def notices(call: Call) -> dict:
    from chalicelib.services import inbox

    return inbox.page(call.caller.user_id, call.query.limit, call.query.cursor)


@route("/admin/announcements", "POST", body=lambda: schemas.policies.AnnouncementIn, response=lambda: schemas.policies.AnnouncementAccepted, status=202, auth="admin",
          tags=("admin",), summary="Announce a business transfer or a service change to every user (email and in-app)")
def announce(call: Call) -> dict:
    from chalicelib.services import inbox

    return inbox.announce(call.caller.user_id, call.body.kind, call.body.subject, call.body.body)

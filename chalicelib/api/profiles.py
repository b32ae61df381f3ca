"""Profile routes: publish one's profile, show anyone's as the caller may see it,
anonymous mode, reviews received, and the admins' review queue."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import PAGE, Call, Want, endpoint, path_id
from chalicelib.core.lazy import lazy, refs

service = lazy("chalicelib.services.profiles")
M = refs("chalicelib.api.schemas.profiles")
bp = Blueprint(__name__)
TAGS = ("profiles",)


def _profile_keys(want: Want) -> list:
    return service.profile_keys(path_id(want.path, "user_id"), want.caller_id)


@endpoint(bp, "/me/profile", "PUT", body=M.ProfileIn, response=M.SaveOut, tags=TAGS, errors_=(403, 422),
          summary="Publish the caller's profile (or queue it for review where the privacy profile says so)")
def put_profile(call: Call) -> dict:
    data = call.body.model_dump(mode="json", exclude={"visibility"})
    return service.save(call.caller, data, dict(call.body.visibility))


@endpoint(bp, "/users/{user_id}/profile", response=M.ProfileOut, auth="optional", tags=TAGS, errors_=(404,), prefetch=_profile_keys,
          summary="A user's profile as the caller may see it: public, registered, hired or (the owner) everything")
def get_profile(call: Call) -> dict:
    viewer = call.caller.user_id if call.caller else None
    return service.view(call.path["user_id"], viewer, call.items)


@endpoint(bp, "/users/{user_id}/reviews", query=PAGE, response=M.ReviewOutPage, auth="optional", tags=TAGS, errors_=(404,),
          summary="Reviews a user received, newest first; 404 where the profile is (no such user, erased)")
def get_reviews(call: Call) -> dict:
    return service.reviews_received(path_id(call.path, "user_id"), call.query.limit, call.query.cursor)


@endpoint(bp, "/me/anonymity", "POST", body=M.Anonymity, response=M.AnonymityOut, tags=TAGS, errors_=(403,),
          summary="Anonymous mode: a stable pseudonym instead of name and photo")
def anonymity(call: Call) -> dict:
    return service.set_anonymity(call.caller, call.body.enabled)


@endpoint(bp, "/admin/profile-reviews", query=PAGE, response=M.QueuedEditPage, auth="admin", tags=("admin",), summary="Profile edits waiting for review, oldest first")
def review_queue(call: Call) -> dict:
    return service.review_queue(call.query.limit, call.query.cursor)


@endpoint(bp, "/admin/profile-reviews/{user_id}/decision", "POST", body=M.ProfileDecision, response=M.ReviewDecisionOut, auth="admin", tags=("admin",), errors_=(404, 409),
          summary="Publish or reject a profile edit; the previous version stays visible until then")
def review_decision(call: Call) -> dict:
    return service.decide_review(call.caller.user_id, path_id(call.path, "user_id"), call.body.decision, call.body.reason or None)

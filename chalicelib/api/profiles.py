"""Profile routes: publish one's profile, show anyone's as the caller may see it,
anonymous mode, reviews received, and the admins' review queue."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import auth, http, schemas
from chalicelib.api.http import Call, Want, page_query, path_id

if TYPE_CHECKING:  # imported on first use (schemas/__init__.py); named here for mypy and import-linter
    import chalicelib.api.schemas.profiles  # noqa: F401
    from chalicelib.services.loads import Load
    from chalicelib.services.profiles import ProfileLoad, RevieweeLoad

bp = Blueprint(__name__)
route = http.Routes(bp, auth.BEARER)
TAGS = ("profiles",)


def _profile(want: Want) -> Load[ProfileLoad]:
    from chalicelib.services import profiles as service

    return service.load_profile(path_id(want.path, "user_id"))


def _reviewee(want: Want) -> Load[RevieweeLoad]:
    from chalicelib.services import profiles as service

    return service.load_reviewee(path_id(want.path, "user_id"))


@route("/me/profile", "PUT", body=lambda: schemas.profiles.ProfileIn, response=lambda: schemas.profiles.SaveOut, tags=TAGS, errors_=(403, 422),
          summary="Publish the caller's profile (or queue it for review where the privacy profile says so)")
def put_profile(call: Call) -> dict:
    from chalicelib.services import profiles as service

    data = call.body.model_dump(mode="json", exclude={"visibility"})
    return service.save(call.caller, data, dict(call.body.visibility))


@route("/users/{user_id}/profile", response=lambda: schemas.profiles.ProfileOut, auth="optional", tags=TAGS, errors_=(404,), load=_profile,
          summary="A user's profile as the caller may see it: public, registered, hired or (the owner) everything")
def get_profile(call: Call[ProfileLoad]) -> dict:
    from chalicelib.services import profiles as service

    return service.view(call.loaded)


@route("/users/{user_id}/reviews", query=page_query, response=lambda: schemas.profiles.ReviewOutPage, auth="optional", tags=TAGS, errors_=(404,),
          load=_reviewee, summary="Reviews a user received, newest first; 404 where the profile is (no such user, erased)")
def get_reviews(call: Call[RevieweeLoad]) -> dict:
    from chalicelib.services import profiles as service

    return service.reviews_received(call.loaded, call.query.limit, call.query.cursor)


@route("/me/anonymity", "POST", body=lambda: schemas.profiles.Anonymity, response=lambda: schemas.profiles.AnonymityOut, tags=TAGS, errors_=(403,),
          summary="Anonymous mode: a stable pseudonym instead of name and photo")
def anonymity(call: Call) -> dict:
    from chalicelib.services import profiles as service

    return service.set_anonymity(call.caller, call.body.enabled)


@route("/admin/profile-reviews", query=page_query, response=lambda: schemas.profiles.QueuedEditPage, auth="admin", tags=("admin",), summary="Profile edits waiting for review, oldest first")
def review_queue(call: Call) -> dict:
    from chalicelib.services import profiles as service

    return service.review_queue(call.query.limit, call.query.cursor)


@route("/admin/profile-reviews/{user_id}/decision", "POST", body=lambda: schemas.profiles.ProfileDecision, response=lambda: schemas.profiles.ReviewDecisionOut, auth="admin", tags=("admin",), errors_=(404, 409),
          summary="Publish or reject a profile edit; the previous version stays visible until then")
def review_decision(call: Call) -> dict:
    from chalicelib.services import profiles as service

    return service.decide_review(call.caller.user_id, path_id(call.path, "user_id"), call.body.decision, call.body.reason or None)

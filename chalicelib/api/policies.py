"""Privacy policy routes: the version in effect, every version, and the active privacy
profile as data. What they publish comes from `services.policies`."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint
from chalicelib.core.lazy import lazy, refs

service = lazy("chalicelib.services.policies")
M = refs("chalicelib.api.schemas.policies")
bp = Blueprint(__name__)


@endpoint(bp, "/policies/current", auth=None, response=M.PolicyOut, tags=("privacy",), summary="The privacy policy in effect")
def get_current(call: Call) -> dict:
    return M.PolicyOut.get().of(service.current())


@endpoint(bp, "/policies", auth=None, response=M.PolicyList, tags=("privacy",), summary="Every policy version, upcoming ones included")
def list_policies(call: Call) -> dict:
    return M.PolicyList.get()(items=[M.PolicyOut.get().of(i) for i in service.all_versions()])


@endpoint(bp, "/policies/profile", auth=None, tags=("privacy",), summary="The active privacy profile: what the platform promises, as data")
def get_profile(call: Call) -> dict:
    return service.profile()


@endpoint(bp, "/policies/data-map", auth=None, response=M.DataMap, tags=("privacy",),
          summary="What the platform stores about a person, where, and what export and erasure do with each field")
def get_data_map(call: Call) -> dict:
    return service.data_map()

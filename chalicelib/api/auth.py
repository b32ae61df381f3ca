"""The authenticator of the protected routes: a bearer token (Cognito's access token),
verified locally against the pool's keys, then its account admitted. Each Blueprint
names it (`route = http.Routes(bp, auth.BEARER)`); importing this module loads no
service (each step imports `services.accounts` when a request first needs it)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.services.caller import Caller, Verified
    from chalicelib.services.loads import Load


class Bearer:
    """`http.Authenticator` over `services.accounts`."""

    def verify(self, header: str | None) -> Verified:
        from chalicelib.services import accounts

        return accounts.verify_token(header)

    def admit(self, verified: Verified, load: Load[Any] | None) -> Caller:
        from chalicelib.services import accounts

        return accounts.admit(verified, load)

    def read(self, load: Load[Any]) -> None:
        from chalicelib.services import loads

        loads.read(load)


BEARER = Bearer()

"""Who is calling: what the authenticator (`services.accounts.verify_token`, then
`admit`) hands to every use case once the token is verified and the account admitted."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.repos.users import UserItem
    from chalicelib.security.tokens import Claims


@dataclass
class Caller:
    user_id: str
    role: str
    claims: Claims
    token: str
    user: UserItem


@dataclass
class Verified:
    """A bearer token whose signature is verified; its account is not read or admitted yet."""

    claims: Claims
    token: str

    @property
    def user_id(self) -> str:
        return self.claims.sub

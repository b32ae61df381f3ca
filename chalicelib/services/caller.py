"""Who is calling: what the authenticator (`services.accounts.authenticate`) hands to
every use case once the token is verified and the account read."""
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

"""Constant-time user lookups in moto's Cognito user pools.

What moto does: in a pool whose users sign in by email (`UsernameAttributes`),
`CognitoIdpUserPool._get_user` finds a user by walking every user of the pool and
flattening each one's attributes; `admin_create_user`, `admin_set_user_password`,
`admin_add_user_to_group`, `admin_get_user` and sign-in all go through it, and
`_verify_email_is_not_used` walks the pool too. So each sign-up costs time that grows
with the pool: measured through our signup (five such calls), p50 went from 120 ms at
1,000 users to 179 ms at 3,000, and would pass a second per signup long before 20,000.

What this module changes: the pool's `users` dict keeps an index from each username
attribute's value (email, phone number) to the usernames that hold it, updated when a
user is added, removed, or has its attributes changed; the two lookups use it.
Nothing else in moto changes, and what the lookups return is what they returned
before (a test compares them). Written against moto 5.2.x; `install()` fails loudly
if the functions it replaces are not where it expects them.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Any

INDEXED = ("email", "phone_number")
_installed = False
_indexes: dict[int, weakref.ref] = {}  # every pool's index, by id (dicts are not hashable)


class MotoChanged(RuntimeError):
    """moto's Cognito model no longer has the shape this module was written for."""


class IndexedUsers(OrderedDict):
    """`{username: user}` that also knows which usernames hold an email or phone number."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.by_value: dict[str, set[str]] = {}
        self._values: dict[str, tuple[str, ...]] = {}
        super().__init__(*args, **kwargs)
        for name, user in list(self.items()):
            self._add(name, user)
        _indexes[id(self)] = weakref.ref(self, lambda _ref, key=id(self): _indexes.pop(key, None))

    def _add(self, name: str, user: Any) -> None:
        lookup = getattr(user, "attribute_lookup", None) or {}
        values = tuple(str(lookup[a]) for a in INDEXED if lookup.get(a))
        self._values[name] = values
        for value in values:
            self.by_value.setdefault(value, set()).add(name)

    def _remove(self, name: str) -> None:
        for value in self._values.pop(name, ()):
            holders = self.by_value.get(value)
            if holders is not None:
                holders.discard(name)
                if not holders:
                    del self.by_value[value]

    def __setitem__(self, name: str, user: Any) -> None:
        self._remove(name)
        super().__setitem__(name, user)
        self._add(name, user)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self._remove(name)

    def pop(self, name: str, *default: Any) -> Any:
        found = super().pop(name, *default)
        self._remove(name)
        return found

    def clear(self) -> None:
        super().clear()
        self.by_value.clear()
        self._values.clear()

    def reindex(self, user: Any) -> None:
        name = getattr(user, "username", None)
        if name is not None and super().get(name) is user:
            self._remove(name)
            self._add(name, user)

    def holders(self, value: str) -> list[Any]:
        return [self[n] for n in sorted(self.by_value.get(value, ())) if n in self]


def install() -> None:
    """Index every pool's users in this process (idempotent). Call before moto serves."""
    global _installed
    if _installed:
        return
    from moto.cognitoidp import models

    pool_cls, user_cls, backend_cls = models.CognitoIdpUserPool, models.CognitoIdpUser, models.CognitoIdpBackend
    for owner, name in ((pool_cls, "__init__"), (pool_cls, "_get_user"), (user_cls, "update_attributes"),
                        (user_cls, "delete_attributes"), (backend_cls, "_verify_email_is_not_used")):
        if not callable(getattr(owner, name, None)):
            raise MotoChanged(f"moto's {owner.__name__}.{name} is gone: review local/moto_cognito.py")
    flatten_attrs = models.flatten_attrs

    original_init = pool_cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if not isinstance(self.users, dict):
            raise MotoChanged("moto's user pool keeps its users in something other than a dict")
        self.users = IndexedUsers(self.users)

    def _get_user(self: Any, username: str) -> Any:
        attribute_types = self.extended_config.get("UsernameAttributes")
        if attribute_types and isinstance(self.users, IndexedUsers):
            for user in self.users.holders(username):
                if username in [flatten_attrs(user.attributes).get(a) for a in attribute_types]:
                    return user
        return self.users.get(username)

    def _reindexing(method: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = method(self, *args, **kwargs)
            for ref in list(_indexes.values()):
                index = ref()
                if index is not None:
                    index.reindex(self)
            return result

        wrapper.__doc__ = method.__doc__
        return wrapper

    def _verify_email_is_not_used(self: Any, user_pool_id: str, email: str | None) -> None:
        if not email:
            return
        user_pool = self.describe_user_pool(user_pool_id)
        if "email" not in user_pool.extended_config.get("UsernameAttributes", []):
            return
        if any(u.attribute_lookup.get("email", "") == email for u in user_pool.users.holders(email)):
            raise models.AliasExistsException

    pool_cls.__init__ = __init__
    pool_cls._get_user = _get_user
    user_cls.update_attributes = _reindexing(user_cls.update_attributes)
    user_cls.delete_attributes = _reindexing(user_cls.delete_attributes)
    backend_cls._verify_email_is_not_used = _verify_email_is_not_used
    _installed = True

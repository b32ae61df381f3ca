"""What the local stage has from the start: the first policy version and the local
admin of API.md (created through the accounts service, as an operator would)."""
from __future__ import annotations

import os


def admin_credentials() -> tuple[str, str]:
    return (
        os.environ.get("LOCAL_ADMIN_EMAIL", "admin@local.test"),
        os.environ.get("LOCAL_ADMIN_PASSWORD", "Admin-Passw0rd!"),
    )


def local_admin() -> str:
    """Create the admin once (Cognito group `admin` and its account); returns its id."""
    from chalicelib.services import accounts, policy_versions

    policy_versions.ensure_first_version()
    return accounts.create_admin(*admin_credentials())

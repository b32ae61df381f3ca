"""Scheduled retention jobs: personal data kept no longer than the privacy profile says
(`services.retention` says what each removes and how)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.core.resources import SCHEDULES

bp = Blueprint(__name__)


@bp.schedule(SCHEDULES["purge_identity_documents"].expression, name="purge_identity_documents")
def purge_identity_documents(event: Any) -> dict:
    """Identity documents are kept only `identity_documents_keep_days` after the decision."""
    from chalicelib.services import retention as service

    return service.purge_identity_documents()


@bp.schedule(SCHEDULES["purge_usage_data"].expression, name="purge_usage_data")
def purge_usage_data(event: Any) -> dict:
    from chalicelib.services import retention as service

    return service.purge_usage_data()


@bp.schedule(SCHEDULES["expire_exports"].expression, name="expire_exports")
def expire_exports(event: Any) -> dict:
    from chalicelib.services import retention as service

    return service.expire_exports()


@bp.schedule(SCHEDULES["erase_closed_accounts"].expression, name="erase_closed_accounts")
def erase_closed_accounts(event: Any) -> dict:
    from chalicelib.services import retention as service

    return service.erase_closed_accounts()


@bp.schedule(SCHEDULES["remove_abandoned_signups"].expression, name="remove_abandoned_signups")
def remove_abandoned_signups(event: Any) -> dict:
    from chalicelib.services import retention as service

    return service.remove_abandoned_signups()

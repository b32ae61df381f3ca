"""Exports of a user's data: `USER#<id>` / `EXPORT#<export_id>` (pending, ready, expired),
and `EXPORT_EXPIRY#<export_id>` whose TTL is the end of the export's lifetime (its REMOVE
on the stream is what deletes the objects). Objects: `exports/<user id>/<export id>/`."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from chalicelib.repos import db
from chalicelib.repos.db import Entity
from chalicelib.repos.users import user_pk


class Export(Entity, discriminator="export"):
    export_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | ready | expired
    requested_at = NumberAttribute()
    ready_until = NumberAttribute(null=True)


class ExportExpiry(Entity, discriminator="export_expiry"):
    export_id = UnicodeAttribute()
    user_id = UnicodeAttribute()


def key(user_id: str, export_id: str) -> tuple[str, str]:
    return user_pk(user_id), f"EXPORT#{export_id}"


def object_key(user_id: str, export_id: str, extension: str) -> str:
    return f"exports/{user_id}/{export_id}/" + (f"export.{extension}" if extension else "")


def new(user_id: str, export_id: str, at: float) -> Export:
    return Export(*key(user_id, export_id), export_id=export_id, user_id=user_id, status="pending", requested_at=at)


def get(user_id: str, export_id: str) -> Export | None:
    try:
        return Export.get(*key(user_id, export_id), consistent_read=True)
    except DoesNotExist:
        return None


def mark_ready(export: Export, until: float) -> None:
    with db.transaction() as tx:
        tx.update(export, actions=[Export.status.set("ready"), Export.ready_until.set(until)], condition=Export.status == "pending")
        tx.save(ExportExpiry(f"EXPORT_EXPIRY#{export.export_id}", "EXPIRY", export_id=export.export_id, user_id=export.user_id,
                             expires_at=int(until), gsi2pk=EXPIRING, gsi2sk=f"{until:017.3f}#{export.export_id}"))


EXPIRING = "EXPORTS#expiring"


def expiring_before(moment: float, limit: int = 100) -> list[ExportExpiry]:
    """Expiry markers of exports whose lifetime ends before `moment` (a Query, oldest first)."""
    return list(ExportExpiry.gsi2.query(EXPIRING, ExportExpiry.gsi2sk < f"{moment:017.3f}", limit=limit, page_size=limit))


def mark_expired(user_id: str, export_id: str) -> None:
    found = get(user_id, export_id)
    if found is not None and found.status != "expired":
        found.update(actions=[Export.status.set("expired")])

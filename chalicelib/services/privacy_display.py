"""What the platform promises about personal data, shown as it is: the active privacy
profile as data, and the data map (`domain.datamap`) in plain words."""
from __future__ import annotations

from chalicelib.core import privacy
from chalicelib.domain import datamap


def profile() -> dict:
    return privacy.active().model_dump(mode="json")


def _says(field) -> str:
    if field.rule == "erase":
        return "erased when the account is erased"
    if field.rule == "pseudonymise":
        return f"kept without the link to the person: {field.reason}"
    return f"kept: {field.reason}"


def data_map() -> dict:
    """The data map (`domain.datamap`) in plain words: every store and field, its data
    category, whether the export holds it, and what erasure does with it."""
    def fields(mapping: dict) -> list[dict]:
        return [{"name": name, "category": f.category, "rule": f.rule, "exported": f.export, "says": _says(f)}
                for name, f in mapping.items()]

    stores = [{"store": f"table item '{kind}'", "fields": fields({**attrs, **datamap.KEYS})} for kind, attrs in sorted(datamap.ENTITIES.items())]
    stores.append({"store": "keys table (no backups)", "fields": fields(datamap.WRAPPED_KEY)})
    stores += [{"store": f"bucket '{bucket}'", "fields": fields({prefix: f})} for (bucket, prefix), f in datamap.OBJECTS.items()]
    stores.append({"store": "Cognito user pool", "fields": fields(datamap.COGNITO)})
    stores += [{"store": f"queue '{name}'", "fields": fields(payload)} for name, payload in datamap.QUEUES.items()]
    return {"items": stores}

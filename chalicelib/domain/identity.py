"""What counts as an identity upload, in plain Python."""
from __future__ import annotations

MAX_BYTES = 5 * 1024 * 1024
UPLOAD_SECONDS = 10 * 60  # presigned POSTs live this long
VIEW_SECONDS = 60  # admins' presigned GETs live this long
SNIFF_BYTES = 16


def sniff_image(head: bytes) -> str | None:
    """The image type the bytes really are (by signature), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def last4(id_number: str) -> str:
    return id_number[-4:]

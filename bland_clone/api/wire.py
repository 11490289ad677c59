"""What a request looks like on the wire: the clone form's fields, file names, MIME types.

Kept apart from the client so that a dry run can describe a request without importing requests.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..audio.inspection import AudioInfo


def clone_fields(
    name: str, gender: str | None = None, description: str | None = None, engine: str = "v3"
) -> list[tuple[str, str]]:
    """The text fields of POST /v1/voices/clone, as documented (isBTTS_V2 only for v2)."""
    fields = [("name", name)]
    if gender:
        fields.append(("gender", gender))
    if description:
        fields.append(("description", description))
    if engine == "v2":
        fields.append(("isBTTS_V2", "true"))
    return fields


def wire_filename(path: str) -> str:
    """A file's own name as uploaded: undecodable bytes become U+FFFD, so it is valid UTF-8."""
    base = os.path.basename(path)
    return os.fsencode(base).decode("utf-8", "replace")


def mime_type(info: AudioInfo) -> str:
    return {
        "WAV": "audio/wav",
        "MP3": "audio/mpeg",
        "FLAC": "audio/flac",
        "OGG": "audio/ogg",
        "AIFF": "audio/aiff",
    }.get(info.format or "", "application/octet-stream")

"""A streamed WAV's sizes: the placeholder a stream writes where its lengths are not known yet,
and the writes that put the real ones in. Plain bytes, so that both the API client (saving a
streamed answer) and the audio layer (writing one) use it without importing each other.
"""

from __future__ import annotations

import struct

#: The RIFF and data sizes of a WAV whose length is not known while it is written.
PLACEHOLDER = 0xFFFFFFFF


def backfilled(head: bytes, size: int) -> list[tuple[int, bytes]]:
    """The writes that make a complete streamed WAV of ``size`` bytes valid: its RIFF and data
    sizes in place of 0xFFFFFFFF placeholders (a canonical 44-byte header, as the stream page
    sends); nothing when the header has no placeholders."""
    if len(head) < 44 or head[:4] != b"RIFF" or head[36:40] != b"data":
        return []
    out = []
    if struct.unpack("<I", head[4:8])[0] == PLACEHOLDER:
        out.append((4, struct.pack("<I", size - 8)))
    if struct.unpack("<I", head[40:44])[0] == PLACEHOLDER:
        out.append((40, struct.pack("<I", size - 44)))
    return out

"""A palette PNG from a grid of bytes, with the standard library alone (zlib): the spectrogram
picture embedded in the report, coloured without a plotting library."""

from __future__ import annotations

import itertools
import struct
import zlib

#: Anchors of the colour scale, quiet to loud (dark blue through magenta to pale yellow, as
#: "magma"): readable on a light and a dark page, and in grey for a colour-blind reader.
ANCHORS = (
    (0.0, (0, 0, 4)),
    (0.25, (59, 15, 112)),
    (0.5, (140, 41, 129)),
    (0.75, (241, 96, 93)),
    (1.0, (252, 253, 191)),
)


def palette() -> bytes:
    """256 RGB triples interpolated between the ANCHORS."""
    out = bytearray()
    for i in range(256):
        x = i / 255
        for (x0, c0), (x1, c1) in itertools.pairwise(ANCHORS):
            if x <= x1:
                f = (x - x0) / (x1 - x0)
                out += bytes(round(a + (b - a) * f) for a, b in zip(c0, c1, strict=True))
                break
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode(width: int, height: int, cells: bytes, colours: bytes | None = None) -> bytes:
    """An 8-bit palette PNG of ``height`` rows of ``width`` bytes each (row 0 at the top),
    coloured by :func:`palette` or by ``colours`` (up to 256 RGB triples)."""
    if len(cells) != width * height:
        raise ValueError("cells do not fill the picture")
    rows = b"".join(b"\x00" + cells[r * width : (r + 1) * width] for r in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"PLTE", palette() if colours is None else colours)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )

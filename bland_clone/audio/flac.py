"""A FLAC file cut short, found from its structure without decoding it.

STREAMINFO states the number of samples; the frames hold them. Each frame starts with a header
naming its first sample (or its number) and its size in samples, checked by a CRC-8, and ends
with a CRC-16 of the whole frame. A file cut short ends inside a frame: the frames before the
cut decode, the one cut does not (FFmpeg, sox and libFLAC all drop it). So what can be decoded
is known from the file's last bytes: the last frame found whole there, by its CRC-16, ends
where the decodable audio ends. An intact file's last frame ends at the stated length; that
is the only test an intact file pays for (its last frame header, read from its last bytes).
"""

from __future__ import annotations

from functools import cache
from typing import BinaryIO

#: Metadata blocks walked before giving up (a file of junk after ``fLaC``): inconclusive.
MAX_BLOCKS = 1024
#: Bytes read from the end when STREAMINFO does not state the largest frame.
TAIL_BYTES = 64 * 1024
#: At most this many bytes of the end are read, however large STREAMINFO says a frame is.
MAX_TAIL_BYTES = 2 * 1024 * 1024
#: Frame headers tried, from the end back, and frames checked by their CRC-16 (Python: about
#: 1 ms for 10 KB), before the answer is left to a decoder.
MAX_CANDIDATES = 64
MAX_CRCS = 16

_RATES = (0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000)
_BITS = (0, 8, 12, 0, 16, 20, 24, 32)


class StreamInfo:
    """STREAMINFO's fields, from its 34 bytes (a plain class: a dataclass costs a millisecond
    of start-up to define)."""

    __slots__ = ("bits", "channels", "max_block", "max_frame", "min_block", "rate", "total")

    def __init__(self, block: bytes) -> None:
        bits = int.from_bytes(block[10:18], "big")
        self.rate = bits >> 44
        self.channels = ((bits >> 41) & 0x7) + 1
        self.bits = ((bits >> 36) & 0x1F) + 1
        self.total = bits & 0xFFFFFFFFF
        self.min_block = int.from_bytes(block[0:2], "big")
        self.max_block = int.from_bytes(block[2:4], "big")
        self.max_frame = int.from_bytes(block[7:10], "big")


def audio_start(f: BinaryIO, start: int, size: int) -> int | None:
    """Where the first frame starts (after the metadata blocks that follow ``fLaC`` at
    ``start``); ``size`` when the file ends inside the metadata (nothing of the audio is
    there); None when the metadata cannot be walked (inconclusive)."""
    pos = start + 4
    for _ in range(MAX_BLOCKS):
        f.seek(pos)
        head = f.read(4)
        if len(head) < 4:
            return size
        pos += 4 + int.from_bytes(head[1:4], "big")
        if pos > size:
            return size
        if head[0] & 0x80:  # the last metadata block
            return pos
    return None


def decodable(
    f: BinaryIO, si: StreamInfo, first: int, size: int, short_s: float = 0.0
) -> int | None:
    """Samples a decoder gets from the file: ``si.total`` when its last frame ends where
    STREAMINFO says; fewer when it is cut short (the end of the last frame found whole); None
    when the end cannot be told from the last bytes (a decoder decides). A last frame of
    ``short_s`` seconds or less is not checked whole: a loss that small does not matter."""
    if first >= size:
        return 0
    want = 2 * si.max_frame + 64 if si.max_frame else TAIL_BYTES
    at = max(first, size - min(max(want, 8192), MAX_TAIL_BYTES))
    f.seek(at)
    tail = f.read(size - at)
    syncs = [len(tail)]  # where each frame (or a false sync) begins, from the end back
    heads: list[tuple[int, tuple[int, int]]] = []  # this stream's frame headers among them
    while len(heads) < MAX_CANDIDATES:
        i = max(
            tail.rfind(b"\xff\xf8", 0, syncs[-1] + 1), tail.rfind(b"\xff\xf9", 0, syncs[-1] + 1)
        )
        if i < 0:
            break
        syncs.append(i)
        h = _header(tail, i, si)
        if h is None:
            continue
        if h[0] + h[1] == si.total:  # the stated last frame is there
            # and whole, unless it is too short for its loss to matter (at 16 kHz and up a
            # frame of 4096 samples is): then its CRC-16 says (a few KB at 8 kHz)
            if h[1] <= short_s * si.rate or _whole(tail[i:]):
                return si.total
            return h[0]
        heads.append((i, h))
    # Cut short, or false syncs before the real last frame: confirm by the CRC-16, frame by
    # frame from the end (a frame's bytes and its CRC-16 check to 0).
    syncs.reverse()
    budget = MAX_CRCS
    for i, h in heads:
        for j in [j for j in syncs if j > i][:4]:  # the next sync, or a false one before it
            budget -= 1
            if budget < 0:
                return None
            if j - i > 8 and _crc16(tail[i:j]) == 0:
                end = h[0] + h[1]
                return end if end <= si.total else None
        if at + i == first and h[0] == 0:
            return 0  # the first frame, right after the metadata, and not whole
    return None


def _whole(frame: bytes) -> bool:
    """The bytes from a frame's header to the end of the file hold the whole frame: its CRC-16
    checks at the end, or before a tag or zeros appended after the last frame."""
    if _crc16(frame) == 0:
        return True
    ends = [frame.rfind(tag) for tag in (b"TAG", b"APETAGEX", b"ID3")]
    bare = len(frame.rstrip(b"\0"))  # the CRC's own last bytes may be zeros
    ends += [bare + k for k in range(3) if bare + k < len(frame)]
    return any(j > 8 and _crc16(frame[:j]) == 0 for j in ends)


def _header(b: bytes, i: int, si: StreamInfo) -> tuple[int, int] | None:
    """(first sample, samples) of a frame header at ``b[i]``, or None when it is not one of
    this stream's (reserved values, a field that contradicts STREAMINFO, its CRC-8)."""
    if i + 6 > len(b):
        return None
    variable = b[i + 1] & 1
    code_block, code_rate = b[i + 2] >> 4, b[i + 2] & 0xF
    assignment, code_bits = b[i + 3] >> 4, (b[i + 3] >> 1) & 7
    if code_block == 0 or code_rate == 15 or assignment > 10 or b[i + 3] & 1:
        return None
    if (assignment + 1 if assignment < 8 else 2) != si.channels:
        return None
    if code_bits and _BITS[code_bits] != si.bits:
        return None
    if 0 < code_rate < 12 and _RATES[code_rate] != si.rate:
        return None
    j = i + 4
    lead = b[j]  # the frame or sample number, UTF-8 coded
    extra = 0
    while extra < 7 and lead & (0x80 >> extra):
        extra += 1
    if extra == 1 or extra > 7 - (not variable) or lead == 0xFF:
        return None
    number = lead & (0x7F >> extra) if extra else lead
    j += 1
    for _ in range(max(0, extra - 1)):
        if j >= len(b) or b[j] & 0xC0 != 0x80:
            return None
        number = number << 6 | (b[j] & 0x3F)
        j += 1
    if code_block == 1:
        samples = 192
    elif code_block <= 5:
        samples = 576 << (code_block - 2)
    elif code_block <= 7:
        n = 1 if code_block == 6 else 2
        if j + n > len(b):
            return None
        samples = int.from_bytes(b[j : j + n], "big") + 1
        j += n
    else:
        samples = 256 << (code_block - 8)
    j += {12: 1, 13: 2, 14: 2}.get(code_rate, 0)
    if j >= len(b) or samples > max(si.max_block, 16) or _crc8(b[i:j]) != b[j]:
        return None
    first = number if variable else number * si.max_block
    return first, samples


@cache
def _table(poly: int, width: int) -> tuple[int, ...]:
    top, mask = 1 << (width - 1), (1 << width) - 1
    out = []
    for n in range(256):
        c = n << (width - 8)
        for _ in range(8):
            c = ((c << 1) ^ poly) if c & top else c << 1
        out.append(c & mask)
    return tuple(out)


def _crc8(data: bytes) -> int:
    t, c = _table(0x07, 8), 0
    for x in data:
        c = t[c ^ x]
    return c


def _crc16(data: bytes) -> int:
    """FLAC's CRC-16 (polynomial 0x8005, MSB first, initial 0): 0 over a whole frame."""
    t, c = _table(0x8005, 16), 0
    for x in data:
        c = ((c << 8) & 0xFFFF) ^ t[(c >> 8) ^ x]
    return c

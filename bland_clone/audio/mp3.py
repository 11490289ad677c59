"""Walk MPEG audio frame headers to get an MP3's true length.

libsndfile (through mpg123) estimates the length of an MP3 without a Xing/VBRI header from the
first frame's bitrate, which is wrong for variable bitrate files (16 s read for 75 s of audio).
Counting frames is exact and cheap: it reads four bytes a frame, never decodes audio.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from typing import Union

#: bytes or an mmap: both slice to bytes and have find().
Buffer = Union[bytes, mmap.mmap]

# Bitrates in kbit/s by (MPEG-1?, layer); index 0 (free format) and 15 (bad) are refused.
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
# Sample rates by version bits: 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5 (1 is reserved).
_SAMPLERATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}

# (frame length in bytes, samples in the frame, sample rate, channels)
FrameInfo = tuple[int, int, int, int]


def parse_header(h: int) -> FrameInfo | None:
    """Decode a 32-bit frame header; None when it is not a valid one."""
    if (h >> 21) & 0x7FF != 0x7FF:
        return None
    version = (h >> 19) & 3
    layer_bits = (h >> 17) & 3
    br_index = (h >> 12) & 0xF
    sr_index = (h >> 10) & 3
    if version == 1 or layer_bits == 0 or br_index in (0, 15) or sr_index == 3 or h & 3 == 2:
        return None
    layer = 4 - layer_bits
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][br_index] * 1000
    samplerate = _SAMPLERATES[version][sr_index]
    padding = (h >> 9) & 1
    channels = 1 if (h >> 6) & 3 == 3 else 2
    if layer == 1:
        return (12 * bitrate // samplerate + padding) * 4, 384, samplerate, channels
    if layer == 3 and not mpeg1:
        return 72 * bitrate // samplerate + padding, 576, samplerate, channels
    return 144 * bitrate // samplerate + padding, 1152, samplerate, channels


@dataclass(frozen=True)
class MP3Stream:
    frames: int
    samples: int
    samplerate: int
    channels: int
    layer: int

    @property
    def duration(self) -> float:
        return self.samples / self.samplerate if self.samplerate else 0.0


def id3v2_size(buf: Buffer) -> int:
    """Bytes taken by a leading ID3v2 tag (0 when there is none)."""
    if len(buf) < 10 or bytes(buf[:3]) != b"ID3":
        return 0
    b = bytes(buf[6:10])
    if any(x & 0x80 for x in b):
        return 0
    size = (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]
    footer = 10 if buf[5] & 0x10 else 0
    return 10 + size + footer


def _header_at(buf: Buffer, pos: int, cache: dict[int, FrameInfo | None]) -> FrameInfo | None:
    h = int.from_bytes(buf[pos : pos + 4], "big")
    if h in cache:
        return cache[h]
    info = parse_header(h)
    cache[h] = info
    return info


def _confirmed(buf: Buffer, pos: int, cache: dict[int, FrameInfo | None], need: int) -> bool:
    """A frame at pos followed by `need - 1` more valid frames (or the end of the data)."""
    n = len(buf)
    for _ in range(need):
        if pos == n:
            return True
        if pos + 4 > n:
            return False
        info = _header_at(buf, pos, cache)
        if info is None:
            return False
        pos += info[0]
    return True


def find_first_frame(buf: Buffer, start: int = 0, limit: int = 65536, need: int = 3) -> int:
    """Offset of the first frame confirmed by the frames after it, or -1."""
    cache: dict[int, FrameInfo | None] = {}
    end = min(len(buf), start + limit)
    pos = start - 1
    while True:
        pos = buf.find(b"\xff", pos + 1, end)
        if pos < 0:
            return -1
        if _confirmed(buf, pos, cache, need):
            return pos


def looks_like_mp3(head: bytes) -> bool:
    """Sniff the first bytes: an ID3v2 tag, or a frame header at offset 0."""
    if head[:3] == b"ID3":
        return True
    return len(head) >= 4 and parse_header(int.from_bytes(head[:4], "big")) is not None


def walk(buf: Buffer) -> MP3Stream | None:
    """Count every frame; resynchronise past junk. None when no frame is found."""
    n = len(buf)
    cache: dict[int, FrameInfo | None] = {}
    start = id3v2_size(buf)
    first = find_first_frame(buf, start, need=2)
    if first < 0:
        return None
    info = _header_at(buf, first, cache)
    assert info is not None
    samplerate, channels = info[2], info[3]
    layer = 4 - ((int.from_bytes(buf[first : first + 4], "big") >> 17) & 3)
    frames = samples = 0
    pos = first
    trim = 0
    # A Xing/Info/VBRI frame at the start carries no audio; LAME's tag in it says how many
    # samples of encoder delay and padding to drop, as gapless decoders (mpg123) do.
    tag_zone = bytes(buf[first + 4 : first + 4 + 40])
    if b"Xing" in tag_zone or b"Info" in tag_zone or b"VBRI" in tag_zone:
        trim = _lame_trim(bytes(buf[first : first + info[0]]))
        pos += info[0]
    while pos + 4 <= n:
        info = _header_at(buf, pos, cache)
        if info is None or info[2] != samplerate:
            nxt = _resync(buf, pos + 1, cache, samplerate)
            if nxt < 0:
                break
            pos = nxt
            continue
        length = info[0]
        if pos + length > n:  # a truncated last frame still decodes partly; count it
            frames += 1
            samples += info[1]
            break
        frames += 1
        samples += info[1]
        pos += length
    if frames == 0:
        return None
    if 0 < trim < samples:
        samples -= trim
    return MP3Stream(frames, samples, samplerate, channels, layer)


def _lame_trim(frame: bytes) -> int:
    """Encoder delay + padding from a LAME tag in the Xing/Info frame (0 when there is none)."""
    for marker in (b"Xing", b"Info"):
        at = frame.find(marker)
        if at < 0 or at + 8 > len(frame):
            continue
        flags = int.from_bytes(frame[at + 4 : at + 8], "big")
        pos = at + 8 + 4 * bool(flags & 1) + 4 * bool(flags & 2) + 100 * bool(flags & 4)
        pos += 4 * bool(flags & 8)
        if frame[pos : pos + 4] not in (b"LAME", b"Lavf", b"Lavc"):
            return 0
        raw = frame[pos + 21 : pos + 24]
        if len(raw) < 3:
            return 0
        delay = (raw[0] << 4) | (raw[1] >> 4)
        padding = ((raw[1] & 0x0F) << 8) | raw[2]
        return delay + padding
    return 0


def _resync(buf: Buffer, pos: int, cache: dict[int, FrameInfo | None], samplerate: int) -> int:
    n = len(buf)
    while pos + 4 <= n:
        pos = buf.find(b"\xff", pos)
        if pos < 0:
            return -1
        info = _header_at(buf, pos, cache)
        if info is not None and info[2] == samplerate and _confirmed(buf, pos, cache, 2):
            return pos
        pos += 1
    return -1

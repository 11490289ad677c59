"""The player's audio: the take embedded in the page (the file itself when it is small and
every browser plays it, else Opus at a bitrate that keeps the page under its cap), or linked
relative to the report. What was embedded is always said."""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..audio import decode
from ..audio.quality import VERDICT_SECONDS, mixdown
from ..core.units import fmt_size

if TYPE_CHECKING:
    import numpy as np

    from ..audio.inspection import AudioInfo

#: The page's size cap (bytes). The audio gets what the pictures and the text leave.
PAGE_CAP = 1_900_000
#: A player's tag and its note on the page (bytes, beside the audio data).
PLAYER = 1_000
#: Opus bitrates (bit/s): above the top speech gains nothing audible; under the floor a take
#: is not worth embedding (the page says so and --report-link plays the file itself).
TOP_BPS = 64_000
FLOOR_BPS = 12_000
#: Formats every current browser plays as they are (WAV PCM, MP3).
PLAYABLE = {("WAV", "PCM_16"): "audio/wav", ("WAV", "PCM_24"): "audio/wav"}
OPUS_RATE = 48000


@dataclass(frozen=True)
class Audio:
    """What the player plays: ``src`` (a data: URI or a relative link) and what it is."""

    src: str
    note: str
    embedded: bool


def share(page: int, takes: int) -> int:
    """Bytes each take's audio may use (base64 included) on a page of ``page`` bytes without
    its audio."""
    return max(0, (PAGE_CAP - page - PLAYER * takes) // max(1, takes))


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def link(path: str, report: str) -> Audio:
    """The file, linked relative to the report's folder."""

    target = os.path.abspath(path)
    try:
        rel = os.path.relpath(target, os.path.dirname(os.path.abspath(report)))
        src = quote(os.fsencode(Path(rel).as_posix()))  # a name's undecodable bytes as %XX
    except ValueError:  # another drive (Windows): an absolute file URL
        src = Path(target).as_uri()
    return Audio(src, "Linked: the page plays the file itself, where it lies.", False)


def embed_file(info: AudioInfo, budget: int) -> Audio:
    """The take at ``info.path`` in at most ``budget`` bytes of page."""
    size = info.size or 0
    mime = PLAYABLE.get(((info.format or "").upper(), (info.subtype or "").upper()))
    if info.format and info.format.upper() == "MP3":
        mime = "audio/mpeg"
    if mime and size and size * 4 // 3 + 4 <= budget:
        with open(info.path, "rb") as f:
            return Audio(_data_uri(mime, f.read()), "Embedded: the file itself.", True)

    if (info.duration or 0.0) > VERDICT_SECONDS:  # refused as too long: never decoded whole
        return Audio("", "Not embedded: the file is too long; --report-link plays it.", False)
    try:
        data, rate = decode.excerpt(info.path, info, seconds=VERDICT_SECONDS)
    except Exception:
        return Audio("", "Not embedded: the file cannot be decoded.", False)
    return embed_samples(
        mixdown(data), rate, budget, original=f"the file is {fmt_size(size)}", linkable=True
    )


def embed_samples(
    mono: np.ndarray, rate: int, budget: int, original: str = "", linkable: bool = False
) -> Audio:
    """Samples (mono, -1..1) as Opus in WebM, at the highest bitrate up to TOP_BPS that fits
    ``budget`` bytes of page (Opus's bitrate is an average: an encoding that comes out larger
    is made again, slower by what it overshot)."""
    seconds = len(mono) / rate if rate else 0.0
    bps = min(TOP_BPS, int(budget * 3 / 4 * 8 / max(seconds, 0.1) * 0.95))
    uri = ""
    while bps >= FLOOR_BPS and len(mono):
        uri = _data_uri("audio/webm", opus_webm(mono, rate, bps))
        if len(uri) <= budget:
            break
        bps = int(bps * budget / len(uri) * 0.97)
        uri = ""
    if not uri:
        tail = "; --report-link plays the files themselves." if linkable else "."
        return Audio("", f"Not embedded: the page stays under {PAGE_CAP / 1e6:g} MB{tail}", False)
    why = f" ({original})" if original else ""
    note = (
        f"Embedded as Opus at {bps // 1000} kbit/s, mono{why}, to keep the page under "
        f"{PAGE_CAP / 1e6:g} MB: lossy, but what you hear is the take."
        + (" --report-link plays the file itself." if linkable else "")
    )
    return Audio(uri, note, True)


def opus_webm(mono: np.ndarray, rate: int, bps: int) -> bytes:
    """Mono samples encoded as Opus in a WebM file (PyAV's libopus)."""

    import av  # lazy: av
    import numpy as np  # lazy: numpy

    x = np.asarray(mono, np.float32)
    if rate != OPUS_RATE:
        import soxr  # lazy: soxr

        x = soxr.resample(x, rate, OPUS_RATE).astype(np.float32)
    x = np.clip(x, -1.0, 1.0)
    buf = io.BytesIO()
    with av.open(buf, "w", format="webm") as box:
        stream = box.add_stream("libopus", rate=OPUS_RATE)
        stream.codec_context.bit_rate = bps
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(x[None, :], format="flt", layout="mono")
        frame.rate = OPUS_RATE
        for packet in stream.encode(frame):
            box.mux(packet)
        for packet in stream.encode(None):
            box.mux(packet)
    return buf.getvalue()

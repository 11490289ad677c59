"""What the sandbox's previews sound like (POST /v1/speak and /v2/tts).

A preview is built from real speech the sandbox holds, so that a speaker encoder can tell a
faithful clone from another voice:

- a cloned voice speaks in its own sample's voice: the sample's speech cut at its quiet moments
  and re-spliced in another order (the same person, not the same recording);
- a voice without samples of its own (the stock voices, the shared library's) speaks with the
  first sample of the newest voice that has one, turned into another person: its pitch and
  formants moved together by a large factor, each voice its own (by its name);
- with ``clone_previews="other"``, a clone speaks as a stock voice would from the clone's own
  sample (the one moved furthest, :func:`stand_in`): the clone that came out as someone else,
  to exercise ``verify``'s ``different``;
- with no speech anywhere, a two-tone hum stands in, as it always did.

Only numpy, soundfile and soxr: the sandbox stands apart from bland-clone's own audio code.
"""

from __future__ import annotations

import io
import math
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: How a clone's preview sounds: its own sample's voice, or another one.
CLONE_PREVIEWS = ("own", "other")
#: Pitch-and-formant factors that make someone else out of a recording: a voice without
#: samples takes one by its name (Maya 0.68, Josh 1.5). Milder ones (0.78, 1.35) left some real
#: speakers at a GE2E cosine of 0.8 with their own recording; these leave 0.56-0.77.
OTHER_VOICES = (0.68, 1.5)
#: The analysis frame of the cutting (s), and the shortest and longest piece re-spliced (s).
_FRAME_S = 0.02
_PIECE_MIN_S = 0.35
_PIECE_MAX_S = 1.2
#: The cross-fade at each splice (s): no click where two pieces meet.
_FADE_S = 0.01


def decode(audio: bytes) -> tuple[np.ndarray, int] | None:
    """A WAV/FLAC/Ogg sample's audio, mixed to mono float32; None when unreadable or empty."""
    import numpy as np  # lazy: numpy
    import soundfile as sf  # lazy: soundfile

    try:
        data, rate = sf.read(io.BytesIO(audio), dtype="float32", always_2d=True)
    except (RuntimeError, ValueError, TypeError, EOFError):
        return None
    if not len(data) or rate <= 0:
        return None
    return np.ascontiguousarray(data.mean(axis=1), dtype=np.float32), int(rate)


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    import numpy as np  # lazy: numpy

    if rate_in == rate_out or not len(x):
        return np.asarray(x, np.float32)
    import soxr  # lazy: soxr

    return np.asarray(soxr.resample(x, rate_in, rate_out), np.float32)


def other_person(x: np.ndarray, rate: int, factor: float) -> np.ndarray:
    """The recording's pitch and formants moved together by ``factor`` (and its tempo with
    them): a vocal tract ``factor`` times shorter, a voice no encoder takes for the same."""
    return resample(x, round(rate * factor), rate)


def respliced(x: np.ndarray, rate: int) -> np.ndarray:
    """The recording cut at its quietest moments into pieces of 0.35-1.2 s, put back in another
    order (every second piece first, then the others), cross-faded: the same voice saying
    something else."""
    import numpy as np  # lazy: numpy

    hop = max(1, round(_FRAME_S * rate))
    n = len(x) // hop
    if n < 4:
        return np.asarray(x, np.float32)
    energy = np.sqrt(np.mean(np.square(x[: n * hop].reshape(n, hop), dtype=np.float64), axis=1))
    lo, hi = round(_PIECE_MIN_S / _FRAME_S), round(_PIECE_MAX_S / _FRAME_S)
    cuts, at = [0], 0
    while n - at > hi:
        window = energy[at + lo : at + hi]
        at = at + lo + int(np.argmin(window))
        cuts.append(at)
    ends = [c * hop for c in cuts[1:]] + [len(x)]  # the last piece runs to the end
    pieces = [x[a * hop : b] for a, b in zip(cuts, ends, strict=True)]
    order = pieces[1::2] + pieces[0::2]
    return _joined(order, round(_FADE_S * rate))


def _joined(pieces: list[np.ndarray], fade: int) -> np.ndarray:
    import numpy as np  # lazy: numpy

    out = np.asarray(pieces[0], np.float32)
    for p in pieces[1:]:
        k = min(fade, len(out), len(p))
        if k:
            ramp = np.linspace(0.0, 1.0, k, dtype=np.float32)
            mid = out[-k:] * (1 - ramp) + p[:k] * ramp
            out = np.concatenate([out[:-k], mid, p[k:]])
        else:
            out = np.concatenate([out, p])
    return out


def factor_for(name: str) -> float:
    """The pitch-and-formant factor a voice without samples speaks with: stable for its name."""
    return OTHER_VOICES[zlib.crc32(name.encode("utf-8")) % len(OTHER_VOICES)]


def stand_in(names: list[str]) -> str:
    """Of the voices without samples, the one a clone speaks as with clone_previews="other": the
    one whose factor moves a voice furthest (then by name)."""

    return min(names, key=lambda n: (-abs(math.log(factor_for(n))), n), default="someone else")


def passage(
    name: str,
    own: list[bytes],
    newest: bytes | None,
    rate: int,
    *,
    speak_as: str | None = None,
) -> np.ndarray | None:
    """The speech a voice's previews are cut from, at ``rate``; None when the sandbox holds no
    readable speech for it (the caller then hums).

    ``own``: the voice's uploaded samples (the first readable one speaks); ``newest``: the
    newest voice's first sample, for voices without samples of their own, which speak as
    another person made from it. ``speak_as``: the name of a voice without samples that a
    clone speaks as instead of itself (``clone_previews="other"``): from the clone's own
    sample, exactly as that voice would from it."""
    readable = next((got for got in map(decode, own) if got is not None), None)
    if readable is not None and speak_as is None:
        x, sr = readable
        return resample(respliced(x, sr), sr, rate)
    if readable is None:
        readable = decode(newest) if newest is not None else None
    if readable is None:
        return None
    x, sr = readable
    moved = other_person(x, sr, factor_for(speak_as or name))
    return resample(respliced(moved, sr), sr, rate)

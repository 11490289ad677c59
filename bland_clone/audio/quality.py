"""Quality checks on the decoded audio: what makes a clone sound like the room, not the person.

Every threshold lives in THRESHOLDS below, with why it was chosen. numpy and soundfile are
imported only here, so only commands that analyse audio pay for them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from .. import limits

if TYPE_CHECKING:
    import numpy as np

    from ..validation import Problem
    from .inspection import AudioInfo


@dataclass(frozen=True)
class Thresholds:
    #: A sample at or above this magnitude (of full scale) counts as clipped.
    clip_level: float = 0.99
    #: Warn above 0.1% clipped samples: a few isolated peaks are inaudible, runs of them are not.
    clipped_ratio: float = 0.001
    #: Speech level (RMS of the active frames, dBFS). Below -32 the voice sinks into the noise
    #: and any gain added later raises the noise with it; EBU R128 speech sits near -23 LUFS,
    #: about -20 dBFS RMS.
    too_quiet_dbfs: float = -32.0
    #: Above -8 dBFS RMS speech is almost certainly compressed hard or clipping between peaks.
    too_loud_dbfs: float = -8.0
    #: A frame is silent when it is 35 dB below the loudest frames, or under -60 dBFS at all:
    #: pauses between words in a quiet room fall there, soft consonants do not.
    silence_below_peak_db: float = 35.0
    silence_floor_dbfs: float = -60.0
    #: More than 1 s of silence at either end is wasted sample time (prepare trims it).
    edge_silence_s: float = 1.0
    #: Natural speech pauses take 15-30% of a recording; over half silent is mostly room.
    silent_ratio: float = 0.5
    #: Signal-to-noise ratio (speech level over the noise floor). Under 25 dB, room noise
    #: and hum are audible and end up cloned into the voice.
    min_snr_db: float = 25.0
    #: Below 16 kHz the higher formants are gone: clones sound muffled, like a phone line.
    min_samplerate: int = 16000
    #: Two channels whose levels differ by more than 20 dB: one is dead or a different mic.
    channel_level_diff_db: float = 20.0
    #: Two channels correlated less than 0.5 are not one centred voice.
    min_channel_correlation: float = 0.5


THRESHOLDS = Thresholds()
FRAME_S = 0.02  # 20 ms analysis frames


@dataclass
class Quality:
    clipped_ratio: float
    speech_level_dbfs: float
    peak_dbfs: float
    noise_floor_dbfs: float
    snr_db: float
    leading_silence_s: float
    trailing_silence_s: float
    silent_ratio: float
    speech_seconds: float
    samplerate: int
    channels: int
    channel_level_diff_db: float | None = None
    channel_correlation: float | None = None
    #: frame levels in dBFS, for the level strip (not in JSON)
    frames_db: list[float] | None = None
    clipped_frames: list[bool] | None = None

    def to_dict(self) -> dict[str, Any]:
        skip = ("frames_db", "clipped_frames")  # per-frame data: for the level strip only
        return {
            f.name: (round(v, 4) if isinstance(v, float) else v)
            for f in fields(self)
            if f.name not in skip
            for v in [getattr(self, f.name)]
        }


def _db(x: float) -> float:
    return 20 * math.log10(x) if x > 1e-10 else -200.0


def decode(path: str, info: AudioInfo | None = None) -> tuple[np.ndarray, int]:
    """(frames x channels float32 in -1..1, rate) of the part of a file a verdict needs: at most
    its first ``VERDICT_SECONDS``, at most 48 kHz. See :mod:`bland_clone.audio.decode`."""
    from . import decode as dec
    from .inspection import inspect

    if info is None:
        info = inspect(path)
        if info.error:
            raise dec.DecodeError(info.error)
    return dec.excerpt(path, info, seconds=VERDICT_SECONDS)


#: An upload carries at most 60 s a file; a longer file is already refused (pointing at prepare).
VERDICT_SECONDS = limits.MAX_DURATION_S + 5.0


def percentile(values: np.ndarray, q: float) -> float:
    """The q-th percentile (nearest rank). np.percentile and np.median import numpy.ma, which
    costs more start-up time than the whole analysis of a short file."""
    import numpy as np

    if len(values) == 0:
        return -200.0
    k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return float(np.partition(values, k)[k])


def frame_levels(mono: np.ndarray, rate: int) -> np.ndarray:
    """RMS level of each 20 ms frame, in dBFS."""
    import numpy as np

    n = max(1, int(rate * FRAME_S))
    usable = len(mono) // n * n
    if usable == 0:
        return np.array([_db(float(np.sqrt(np.mean(mono**2)))) if len(mono) else -200.0])
    frames = mono[:usable].reshape(-1, n)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-10))


def silent_mask(levels: np.ndarray, t: Thresholds = THRESHOLDS) -> np.ndarray:

    loud = percentile(levels, 95)
    limit = max(loud - t.silence_below_peak_db, t.silence_floor_dbfs)
    return levels < limit


def analyse(data: np.ndarray, rate: int, t: Thresholds = THRESHOLDS) -> Quality:
    import numpy as np

    channels = data.shape[1]
    diff_db = corr = None
    if channels >= 2:
        left, right = data[:, 0].astype(np.float64), data[:, 1].astype(np.float64)
        rl, rr = np.sqrt(np.mean(left**2)), np.sqrt(np.mean(right**2))
        diff_db = abs(_db(float(rl)) - _db(float(rr)))
        if rl > 1e-6 and rr > 1e-6:
            corr = float(np.corrcoef(left, right)[0, 1])
    mono = mixdown(data)
    peak = float(np.max(np.abs(data))) if data.size else 0.0
    clipped = float(np.mean(np.abs(data) >= t.clip_level)) if data.size else 0.0
    levels = frame_levels(mono, rate)
    silent = silent_mask(levels, t)
    active = levels[~silent]
    speech = float(10 * np.log10(np.mean(10 ** (active / 10)))) if len(active) else -200.0
    noise = percentile(levels, 10)
    if silent.any():
        noise = percentile(levels[silent], 50)
    lead = int(np.argmax(~silent)) if (~silent).any() else len(silent)
    trail = int(np.argmax(~silent[::-1])) if (~silent).any() else len(silent)
    n = max(1, int(rate * FRAME_S))
    fc = len(mono) // n
    clipped_frames = None
    if fc:
        clipped_frames = (
            np.abs(mono[: fc * n]).reshape(-1, n).max(axis=1) >= t.clip_level
        ).tolist()
    return Quality(
        clipped_ratio=clipped,
        speech_level_dbfs=speech,
        peak_dbfs=_db(peak),
        noise_floor_dbfs=noise,
        snr_db=speech - noise,
        leading_silence_s=lead * FRAME_S,
        trailing_silence_s=trail * FRAME_S,
        silent_ratio=float(np.mean(silent)) if len(silent) else 1.0,
        speech_seconds=float(np.sum(~silent)) * FRAME_S,
        samplerate=rate,
        channels=channels,
        channel_level_diff_db=diff_db,
        channel_correlation=corr,
        frames_db=levels.tolist(),
        clipped_frames=clipped_frames,
    )


def mixdown(data: np.ndarray, t: Thresholds = THRESHOLDS) -> np.ndarray:
    """Mono: the mean of the channels, or the live one when another is dead."""
    import numpy as np

    if data.shape[1] == 1:
        return data[:, 0]
    rms = np.sqrt(np.mean(data.astype(np.float64) ** 2, axis=0))
    best = int(np.argmax(rms))
    others = [i for i in range(data.shape[1]) if i != best]
    if all(_db(float(rms[best])) - _db(float(rms[i])) > t.channel_level_diff_db for i in others):
        return data[:, best]
    return data.mean(axis=1)


def problems(info: AudioInfo, q: Quality, t: Thresholds = THRESHOLDS) -> list[Problem]:
    """Warnings, each with its number and a plain-language hint."""
    from ..validation import Problem

    name = info.name
    out: list[Problem] = []

    def warn(code: str, message: str) -> None:
        out.append(Problem(f'File "{name}": {message}', f"quality_{code}", "warning", info.path))

    if q.clipped_ratio > t.clipped_ratio:
        warn(
            "clipped",
            f"{q.clipped_ratio:.1%} of samples are clipped (at full scale); record "
            "with less gain: clipping cannot be undone.",
        )
    if q.speech_level_dbfs < t.too_quiet_dbfs:
        warn(
            "too_quiet",
            f"speech is quiet ({q.speech_level_dbfs:.1f} dBFS, below "
            f"{t.too_quiet_dbfs:g}); move closer to the microphone or raise the gain "
            "(prepare normalises the level).",
        )
    elif q.speech_level_dbfs > t.too_loud_dbfs:
        warn(
            "too_loud",
            f"speech is very loud ({q.speech_level_dbfs:.1f} dBFS, above "
            f"{t.too_loud_dbfs:g}); lower the gain (prepare normalises the level).",
        )
    edges = max(q.leading_silence_s, q.trailing_silence_s)
    if edges > t.edge_silence_s:
        warn(
            "edge_silence",
            f"{q.leading_silence_s:.1f}s of silence at the start and "
            f"{q.trailing_silence_s:.1f}s at the end (prepare trims it).",
        )
    if q.silent_ratio > t.silent_ratio:
        warn(
            "mostly_silent",
            f"{q.silent_ratio:.0%} of the file is silent or near-silent; "
            "the clone needs speech (prepare picks the part with the most).",
        )
    if q.snr_db < t.min_snr_db and q.speech_level_dbfs > -200:
        warn(
            "noisy",
            f"background noise is high (noise floor {q.noise_floor_dbfs:.1f} dBFS, "
            f"signal-to-noise {q.snr_db:.1f} dB, below {t.min_snr_db:g}); record in a quieter "
            "room, away from fans and hum.",
        )
    if q.samplerate < t.min_samplerate:
        warn(
            "low_samplerate",
            f"the sample rate is {q.samplerate} Hz, below "
            f"{t.min_samplerate} Hz; the clone will sound muffled. Record at 44.1 or 48 kHz.",
        )
    if q.channel_level_diff_db is not None and q.channel_level_diff_db > t.channel_level_diff_db:
        warn(
            "dead_channel",
            f"the channels differ by {q.channel_level_diff_db:.1f} dB: one is "
            "silent or a different microphone (prepare keeps the live one).",
        )
    elif q.channel_correlation is not None and q.channel_correlation < t.min_channel_correlation:
        warn(
            "stereo_differs",
            f"the channels are not one centred voice (correlation "
            f"{q.channel_correlation:.2f}); record mono (prepare mixes to mono).",
        )
    if not (limits.RECOMMENDED_MIN_S <= q.speech_seconds <= limits.RECOMMENDED_MAX_S):
        warn(
            "speech_length",
            f"{q.speech_seconds:.1f}s of actual speech; "
            f"{limits.RECOMMENDED_MIN_S:g}-{limits.RECOMMENDED_MAX_S:g} seconds of clear speech "
            "is recommended (prepare picks the best window).",
        )
    return out


def check(info: AudioInfo) -> tuple[Quality | None, list[Problem]]:
    """Decode and analyse one inspected file; None when it cannot be decoded."""
    if info.error or not info.duration:
        return None, []
    try:
        data, rate = decode(info.path, info)
    except Exception:  # the decoder refuses: the header check already reported what it could
        return None, []
    if not data.size:
        return None, []
    q = analyse(data, rate)
    return q, problems(info, q)


def check_many(infos: list[AudioInfo]) -> list[tuple[Quality | None, list[Problem]]]:
    if len(infos) < 8:
        return [check(i) for i in infos]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 2))) as pool:
        return list(pool.map(check, infos))


SPARK = " ▁▂▃▄▅▆▇█"


def level_strip(q: Quality, width: int = 60) -> list[tuple[str, str]]:
    """(character, style) pairs: a one-line loudness picture; silence dotted, clipping red."""
    levels = q.frames_db or []
    if not levels:
        return []
    clipped = q.clipped_frames or [False] * len(levels)
    per = max(1, math.ceil(len(levels) / width))
    top = max(levels)
    floor = max(top - THRESHOLDS.silence_below_peak_db, THRESHOLDS.silence_floor_dbfs)
    out = []
    for i in range(0, len(levels), per):
        chunk = levels[i : i + per]
        level = max(chunk)
        if any(clipped[i : i + per]):
            out.append(("█", "bold red"))
        elif level < floor:
            out.append(("·", "dim"))
        else:
            frac = (level - floor) / max(1e-9, top - floor)
            out.append((SPARK[max(1, min(8, round(frac * 8)))], "green"))
    return out

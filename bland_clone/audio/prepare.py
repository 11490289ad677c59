"""Turn a long or rough recording into a good sample.

Decode (anything libsndfile reads), mix to mono (keeping the live channel when the other is
dead), resample when the rate is above what helps (soxr), trim silence at the ends, pick the
window with the most speech, normalise the speech level, write 16-bit WAV.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from . import quality

if TYPE_CHECKING:
    import numpy as np

#: Rates above this are resampled down: the service gains nothing from them, uploads grow.
MAX_RATE = 48000
#: Speech level the output is normalised to (dBFS RMS of the active frames): the middle of
#: the quality check's range, as EBU R128 speech sits near -23 LUFS.
TARGET_DBFS = -20.0
#: The loudest sample is kept below this (dBFS), so normalising never clips.
PEAK_CEILING_DBFS = -1.0
#: Aim for this much actual speech: inside the service's recommended 10-15 seconds.
TARGET_SPEECH_S = 12.5
#: Never longer than this, even when pauses are long.
MAX_WINDOW_S = 20.0
#: Silence kept before the first and after the last word, and the fades, in seconds.
MARGIN_S = 0.25
FADE_S = 0.01


@dataclass
class Prepared:
    input: str
    output: str
    source_seconds: float
    output_seconds: float
    window_start_s: float
    samplerate: int
    gain_db: float
    speech_seconds: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


def _best_window(active: np.ndarray, window: int) -> int:
    """Start frame of the `window`-frame span with the most active frames."""
    import numpy as np

    if window >= len(active):
        return 0
    sums = np.convolve(active.astype(np.int32), np.ones(window, dtype=np.int32), mode="valid")
    return int(np.argmax(sums))


def choose_window(levels: np.ndarray, seconds: float | None) -> tuple[int, int]:
    """(first, last+1) frame of the chosen span, trimmed of silence at its ends."""
    import numpy as np

    silent = quality.silent_mask(levels)
    active = ~silent
    if not active.any():
        raise InputError("no speech found (the recording is silent)")
    frame = quality.FRAME_S
    if seconds is not None:
        window = max(1, int(seconds / frame))
        start = _best_window(active, window)
    else:
        window = int(TARGET_SPEECH_S / frame)
        start = _best_window(active, window)
        # grow the window until it holds the target speech, or reaches the cap
        while window < MAX_WINDOW_S / frame and window < len(active):
            if int(active[start : start + window].sum()) * frame >= TARGET_SPEECH_S:
                break
            window += int(0.5 / frame)
            start = _best_window(active, window)
    end = min(len(active), start + window)
    span = np.nonzero(active[start:end])[0]
    first, last = start + int(span[0]), start + int(span[-1]) + 1
    margin = int(MARGIN_S / frame)
    return max(0, first - margin), min(len(active), last + margin)


def prepare_audio(
    data: np.ndarray, rate: int, *, seconds: float | None = None
) -> tuple[np.ndarray, int, dict[str, Any]]:
    """The prepared mono signal, its rate, and what was done."""
    import numpy as np

    notes: list[str] = []
    before = quality.analyse(data, rate)
    if before.clipped_ratio > quality.THRESHOLDS.clipped_ratio:
        notes.append(
            f"the input is clipped ({before.clipped_ratio:.1%} of samples): the level "
            "was lowered, but clipping cannot be undone; re-record with less gain"
        )
    if before.snr_db < quality.THRESHOLDS.min_snr_db:
        notes.append(
            f"background noise is high (signal-to-noise {before.snr_db:.1f} dB): "
            "prepare does not remove noise; re-record in a quieter room"
        )
    if data.shape[1] > 1:
        if (before.channel_level_diff_db or 0) > quality.THRESHOLDS.channel_level_diff_db:
            notes.append("one channel is dead: kept the live one")
        else:
            notes.append(f"mixed {data.shape[1]} channels to mono")
    mono = quality.mixdown(data).astype(np.float32)
    if rate > MAX_RATE:
        import soxr

        mono = soxr.resample(mono, rate, MAX_RATE).astype(np.float32)
        notes.append(f"resampled {rate} Hz to {MAX_RATE} Hz")
        rate = MAX_RATE
    if rate < quality.THRESHOLDS.min_samplerate:
        notes.append(
            f"the sample rate is {rate} Hz: resampling cannot add what was not "
            "recorded; re-record at 44.1 or 48 kHz"
        )
    # Judge speech and silence on a copy brought to a working level, so that a quiet
    # recording's soft syllables are not taken for silence by the check's absolute floor.
    levels = quality.frame_levels(mono, rate)
    loudest = quality.percentile(levels, 95)
    if loudest < -80.0:
        raise InputError("no speech found (the recording is silent)")
    lift = -15.0 - loudest
    mono *= np.float32(10 ** (lift / 20))
    levels = levels + lift
    first, last = choose_window(levels, seconds)
    n = int(rate * quality.FRAME_S)
    out = mono[first * n : last * n].copy()
    start_s = first * quality.FRAME_S
    if first > 0 or last * n < len(mono):
        notes.append(
            f"kept {len(out) / rate:.1f}s starting at {start_s:.1f}s of {len(mono) / rate:.1f}s"
        )
    seg = quality.frame_levels(out, rate)
    active = seg[~quality.silent_mask(seg)]
    speech_db = float(10 * np.log10(np.mean(10 ** (active / 10)))) if len(active) else -200.0
    gain_db = TARGET_DBFS - speech_db
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0:
        gain_db = min(gain_db, PEAK_CEILING_DBFS - 20 * np.log10(peak))
    out *= np.float32(10 ** (gain_db / 20))
    speech_s = float(len(active)) * quality.FRAME_S
    if speech_s < 10.0 and seconds is None:
        notes.append(
            f"only {speech_s:.1f}s of speech in the recording: 10-15 seconds is "
            "recommended; record more"
        )
    fade = min(len(out) // 2, int(rate * FADE_S))
    if fade:
        ramp = np.linspace(0, 1, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    info = {
        "window_start_s": start_s,
        "gain_db": float(gain_db),
        "speech_seconds": speech_s,
        "notes": notes,
    }
    return out, rate, info


def prepare_file(src: str, dst: str, *, seconds: float | None = None) -> Prepared:
    import soundfile as sf

    try:
        data, rate = quality.decode(src)
    except Exception:
        raise InputError(f'File "{os.path.basename(src)}" cannot be decoded as audio.') from None
    if not data.size:
        raise InputError(f'File "{os.path.basename(src)}" holds no audio.')
    try:
        out, out_rate, info = prepare_audio(data, rate, seconds=seconds)
    except InputError as exc:
        raise InputError(f'File "{os.path.basename(src)}": {exc.message}') from None
    import io

    from ..files import AtomicWriter

    buf = io.BytesIO()  # about 1 MB: a window of at most 60 s
    sf.write(buf, out, out_rate, subtype="PCM_16", format="WAV")
    with AtomicWriter(dst) as w:  # an unpredictable temporary name, the umask's permissions
        w.write(buf.getvalue())
    return Prepared(
        input=src,
        output=dst,
        source_seconds=len(data) / rate,
        output_seconds=len(out) / out_rate,
        samplerate=out_rate,
        **info,
    )


def output_paths(inputs: list[str], output: str, force: bool) -> list[str]:
    """One output per input: OUT.wav for one input, DIR/<name>.wav for several (or a folder)."""
    from pathlib import Path

    several = len(inputs) > 1 or os.path.isdir(output) or output.endswith(os.sep)
    if several:
        Path(output).mkdir(parents=True, exist_ok=True)
        paths = [os.path.join(output, Path(i).stem + ".wav") for i in inputs]
        if len(set(paths)) < len(paths):
            raise InputError("Two inputs have the same name; they would write the same output.")
    else:
        paths = [output]
    for p in paths:
        if os.path.abspath(p) in {os.path.abspath(i) for i in inputs}:
            raise InputError(f"{p} is an input; choose another output.")
        from ..files import refuse_special

        refuse_special(p)  # a device, a pipe or a folder is never replaced, --force or not
        if os.path.lexists(p) and not force:
            raise InputError(f"{p} exists; use --force to overwrite it.")
    return paths

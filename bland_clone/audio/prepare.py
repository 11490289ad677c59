"""Turn a long or rough recording into a good sample.

Decode (every format inspection reads) in blocks, mix to mono (keeping the live channel when
the other is dead), resample when the rate is above what helps (soxr), trim silence at the
ends, pick the window with the most speech, normalise the speech level, write 16-bit WAV.
Memory stays flat in the recording's length: one pass keeps only 20 ms levels (and, for
sources that cannot seek, the samples in a temporary file); the window is read back alone.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import limits
from ..core.errors import BadOrder, InputError, PastTheEnd, UsageError, WouldOverwrite
from ..core.files import check_writable, refuse_special
from ..core.safetext import one_line
from . import decode, quality, vad
from .inspection import inspect
from .timeline import level_overview
from .wavout import write_wav16

if TYPE_CHECKING:
    import numpy as np

    from .inspection import AudioInfo

#: Rates above this are resampled down: the service gains nothing from them, uploads grow.
MAX_RATE = decode.MAX_RATE
#: Speech level the output is normalised to (dBFS RMS of the active frames): the middle of
#: the quality check's range, as EBU R128 speech sits near -23 LUFS.
TARGET_DBFS = -20.0
#: The loudest sample is kept below this (dBFS), so normalising never clips.
PEAK_CEILING_DBFS = -1.0
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
    #: the part read's loudness over time, for a report page (not in JSON): the loudest 20 ms
    #: level (dBFS) of each of at most timeline.ENVELOPE_COLUMNS spans, from the levels the
    #: window was chosen by; the part read starts at ``overview_start_s`` of the recording
    overview: tuple[float, ...] = field(default=(), repr=False)
    overview_start_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["overview"], d["overview_start_s"]
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


@dataclass
class _Scan:
    """What one pass over the recording found: levels per 20 ms frame, never the samples."""

    rate: int
    channels: int
    frames: int  # samples per channel, at ``rate``
    levels: np.ndarray  # dBFS per frame, of the mono signal prepare keeps
    keep: int | None  # the live channel when another is dead; None: the mean of the channels
    clipped_ratio: float
    spill: Any = None  # a temporary file of the decoded samples, when the source cannot seek
    seeker: Any = None  # where FFmpeg's frames began: the window is decoded again from there
    sndfile: bool = False  # an MP3 decoded by libsndfile (decode.sndfile_reads), not FFmpeg


def out_rate(info: AudioInfo) -> int:
    return min(info.samplerate or 1, decode.MAX_RATE)


def _scan(
    src: str,
    info: AudioInfo,
    start: float,
    end: float | None,
    progress: Callable[[float], None] | None,
) -> _Scan:
    """Decode the recording once, in blocks: levels of the mean and of each channel, clipping,
    channel energy. A source that cannot seek to a sample (FFmpeg's formats, resampled audio)
    is kept in a temporary file of float32 samples, so the window is read back without a
    second decode; memory stays flat in the recording's length."""

    import numpy as np  # lazy: numpy

    # an MP3 libsndfile reads right is decoded by it (a --start is left to FFmpeg, which
    # decodes from the start: mpg123's seek alone is off by up to 6e-4 for a frame or two)
    sndfile = not start and decode.sndfile_reads(src, info)
    ffmpeg = (info.format or "") in decode.PYAV_FORMATS and not sndfile
    seeker = decode.Seeker() if ffmpeg and not start else None
    n = max(1, int(out_rate(info) * quality.FRAME_S))
    rate, blocks = decode.stream(
        src,
        info,
        start=start,
        end=end,
        seeker=seeker,
        block=n * max(1, decode.BLOCK // n),
        sndfile=sndfile,
    )
    channels = info.channels or 1
    seekable = rate == info.samplerate and not ffmpeg
    # resampled audio is spilled: re-reading a window through a fresh resampler would differ
    # closed by prepare_file once the window is read back
    spill = (
        None
        if seekable or (seeker is not None and rate == info.samplerate)
        else tempfile.TemporaryFile(prefix="bland-clone-")  # noqa: SIM115
    )
    energy = np.zeros(channels, np.float64)
    # per-frame power (float32: 20 ms sums lose nothing audible) of the mix and of each
    # channel; dBFS is taken once at the end, of the one series kept
    mix_power: list[np.ndarray] = []
    ch_power: list[np.ndarray] = []
    tops = quality.FlatTops(channels)
    total = 0
    carry = np.zeros((0, channels), np.float32)
    starts = np.zeros(0, np.intp)  # where each frame of a block begins
    # squares and the channels' sum, in buffers reused block after block: temporaries of a
    # whole block were handed back to the system and faulted in again, every block
    squares = np.empty((0, channels), np.float32)
    summed = np.empty(0, np.float32)
    expected = max(1.0, ((end or info.duration or 0.0) - start) * rate)
    try:
        for block in blocks:
            if spill is not None:
                spill.write(np.ascontiguousarray(block, np.float32).data)
            total += len(block)
            tops.feed(block)
            # as decoded, (samples, channels): no transposed copy
            x = np.concatenate([carry, block]) if len(carry) else block
            usable = len(x) // n * n
            carry = x[usable:].copy()
            x = x[:usable]
            if not usable:
                continue
            if len(starts) != usable // n:
                starts = np.arange(0, usable, n)
            if len(squares) < usable:
                squares = np.empty((usable, channels), np.float32)
                summed = np.empty(usable, np.float32)
            sq = np.square(x, out=squares[:usable])
            power = np.add.reduceat(sq, starts, axis=0)  # (frames, channels)
            energy += power.sum(axis=0, dtype=np.float64)
            if channels == 1:
                mix_power.append(power[:, 0])
            else:
                mix = (
                    np.add(x[:, 0], x[:, 1], out=summed[:usable])
                    if channels == 2
                    else x.sum(axis=1)
                ).reshape(-1, n)
                mix_power.append(np.einsum("ij,ij->i", mix, mix) / (channels * channels))
                ch_power.append(power)
            if progress is not None:
                progress(min(1.0, total / expected))
        if len(carry):
            energy += np.einsum("ij,ij->j", carry, carry, dtype=np.float64)
    except BaseException:
        if spill is not None:
            spill.close()
        raise
    keep = quality.live_channel([float(r) for r in np.sqrt(energy / max(1, total))])
    chosen = mix_power if keep is None else [p[:, keep] for p in ch_power]
    levels = _levels(np.concatenate(chosen), n) if chosen else np.zeros(0)
    if spill is not None:
        spill.flush()
    return _Scan(
        rate=rate,
        channels=channels,
        frames=total,
        levels=levels,
        keep=keep,
        clipped_ratio=tops.clipped() / max(1, total * channels),
        spill=spill,
        seeker=seeker if spill is None else None,
        sndfile=sndfile,
    )


def _levels(power: np.ndarray, n: int) -> np.ndarray:
    """dBFS of each frame from its summed power over n samples (as quality.frame_levels)."""
    import numpy as np  # lazy: numpy

    return 10 * np.log10(np.maximum(power.astype(np.float64) / n, 1e-20))


def _agrees(x: np.ndarray, scan: _Scan, first: int) -> bool:
    """The window decoded again has the levels the first pass measured there (within 1 dB on
    the frames that matter), so it is the same audio."""
    import numpy as np  # lazy: numpy

    n = max(1, int(scan.rate * quality.FRAME_S))
    if first % n:
        return True  # not frame-aligned (a --start): nothing to compare against
    m = len(x) // n
    if m == 0:
        return True
    frames = x[: m * n].reshape(m, n, x.shape[1])
    power = np.einsum("ijk,ijk->ik", frames, frames)
    if scan.keep is not None:
        mine = _levels(power[:, scan.keep], n)
    elif x.shape[1] == 1:
        mine = _levels(power[:, 0], n)
    else:
        m_ = frames.mean(axis=2)
        mine = _levels(np.einsum("ij,ij->i", m_, m_), n)
    theirs = scan.levels[first // n : first // n + m]
    loud = theirs > quality.percentile(theirs, 50) - 10
    return bool(len(theirs) == m and np.median(np.abs(mine[loud] - theirs[loud])) < 1.0)


def _read_window(
    src: str, info: AudioInfo, scan: _Scan, start: float, first: int, last: int
) -> np.ndarray:
    """Samples [first, last) of the scanned span, mixed to mono as the scan decided."""
    import numpy as np  # lazy: numpy

    ch = scan.channels
    x = None
    if scan.spill is not None:
        scan.spill.seek(first * ch * 4)
        raw = scan.spill.read((last - first) * ch * 4)
        x = np.frombuffer(raw, np.float32).reshape(-1, ch)
    elif scan.seeker is not None:
        x = decode.window(src, info, scan.seeker, first, last)
        if x is not None and not _agrees(x, scan, first):
            x = None  # timestamps that lie: decode from the start instead
    if x is None:
        # libsndfile is read from a second before, as FFmpeg's window is: mpg123's first frame
        # or two after a seek lack the previous frames' state
        pre = min(first, scan.rate) if scan.sndfile else 0
        _, blocks = decode.stream(
            src,
            info,
            start=start + (first - pre) / scan.rate,
            end=start + last / scan.rate,
            sndfile=scan.sndfile,
        )
        parts = list(blocks)
        x = np.concatenate(parts)[pre:] if parts else np.zeros((0, ch), np.float32)
    col = 0 if ch == 1 else scan.keep
    mono: np.ndarray = x[:, col] if col is not None else x.mean(axis=1)
    return mono.astype(np.float32)


def prepare_file(
    src: str,
    dst: str,
    *,
    seconds: float | None = None,
    start: float | None = None,
    end: float | None = None,
    info: AudioInfo | None = None,
    progress: Callable[[float], None] | None = None,
) -> Prepared:
    """Prepare one recording into ``dst`` (16-bit mono WAV), in bounded memory."""

    name = one_line(os.path.basename(src))
    info = info or inspect(src)
    if info.error:
        raise InputError(info.error)
    begin = max(0.0, start or 0.0)
    if end is not None and end <= begin:  # the arguments contradict each other: a usage error
        raise BadOrder(("start", begin), ("end", end))
    if info.duration is not None and begin >= info.duration:
        raise PastTheEnd(name, "start", begin, info.duration)
    try:
        scan = _scan(src, info, begin, end, progress)
    except decode.DecodeError as exc:
        raise InputError(str(exc)) from None
    except InputError:
        raise
    except Exception:
        raise InputError(f'File "{name}" cannot be decoded as audio.') from None
    try:
        if not scan.frames:
            raise InputError(f'File "{name}" holds no audio.')
        try:
            out, info_d = _prepare_scanned(
                src, info, scan, begin, seconds, windowed=begin > 0 or end is not None
            )
        except InputError as exc:
            raise InputError(f'File "{name}": {exc.message}') from None
    finally:
        if scan.spill is not None:
            scan.spill.close()
    _write_wav16(dst, out, scan.rate)
    return Prepared(
        input=src,
        output=dst,
        source_seconds=scan.frames / scan.rate,
        output_seconds=len(out) / scan.rate,
        samplerate=scan.rate,
        **info_d,
        overview=level_overview(scan.levels),
        overview_start_s=begin,
    )


def _write_wav16(path: str, mono: np.ndarray, rate: int) -> None:
    import numpy as np  # lazy: numpy

    write_wav16(path, np.clip(np.rint(mono * 32767.0), -32768, 32767), rate)


def _prepare_scanned(
    src: str,
    info: AudioInfo,
    scan: _Scan,
    begin: float,
    seconds: float | None,
    *,
    windowed: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The window chosen, trimmed and levelled; ``windowed``: only part of the recording
    (from ``begin``, to an end) was asked for, so a short result speaks of that part."""
    import numpy as np  # lazy: numpy

    t = quality.THRESHOLDS
    rate = scan.rate
    notes: list[str] = []
    levels = scan.levels
    if scan.clipped_ratio > t.clipped_ratio:
        notes.append(
            f"the input is clipped ({scan.clipped_ratio:.1%} of samples): the level "
            "was lowered, but clipping cannot be undone; re-record with less gain"
        )
    if len(levels):
        # judged at a working level (as the window is, below): a quiet take's soft syllables
        # are speech, not silence under the check's absolute floor
        silent = quality.silent_mask(levels - quality.percentile(levels, 95) - 15.0)
        active = levels[~silent]
        speech = quality.speech_level(active)
        noise = quality.noise_floor(levels)
        snr = speech - noise
        if snr < t.min_snr_db:
            notes.append(
                f"background noise is high (signal-to-noise {snr:.1f} dB): "
                "prepare does not remove noise; re-record in a quieter room"
            )
    if scan.channels > 1:
        if scan.keep is not None:
            notes.append("one channel is dead: kept the live one")
        else:
            notes.append(f"mixed {scan.channels} channels to mono")
    if info.samplerate and info.samplerate > rate:
        notes.append(f"resampled {info.samplerate} Hz to {rate} Hz")
    if rate < t.min_samplerate:
        notes.append(
            f"the sample rate is {rate} Hz: resampling cannot add what was not "
            "recorded; re-record at 44.1 or 48 kHz"
        )
    if not len(levels):
        raise InputError("no speech found (the recording is too short)")
    loudest = quality.percentile(levels, 95)
    if loudest < -80.0:
        raise InputError(quality.no_speech(float(levels.max()), peak=False))
    lift = quality.WORKING_DBFS - loudest
    n = max(1, int(rate * quality.FRAME_S))

    def span(a: int, b: int) -> tuple[int, int]:
        """Frames [a, b) as samples; the last frame's tail, shorter than a frame, belongs to it."""
        return a * n, scan.frames if b >= len(levels) else min(scan.frames, b * n)

    read: dict[str, Any] = {}

    def heard_in(r0: int, r1: int) -> np.ndarray | None:
        """Read frames [r0, r1) back; the detector's verdicts on them."""
        lo, hi = span(r0, r1)
        read["region"], read["lo"] = _read_window(src, info, scan, begin, lo, hi), lo
        around = levels[r0:r1]
        loud = around[~quality.silent_mask(around + lift)]
        speech_db = quality.speech_level(loud)
        heard = vad.speech_frames(read["region"], rate, speech_db)
        if heard is None:
            return None
        # noise or a tone beside the speech (a second or more with no voice in it), which the
        # detector may take for speech, is not speech (judged at the working level)
        off = quality.no_voice_of(read["region"] * np.float32(10 ** (lift / 20)), rate)
        m = min(len(heard), len(off))
        return np.concatenate([heard[:m] & ~off[:m], heard[m:]])

    first, last = quality.window_frames(levels, heard_in, seconds)
    region, lo = read["region"], read["lo"]
    a, b = span(first, last)
    out = region[a - lo : b - lo]
    lo, hi = a, b
    out = out * np.float32(10 ** (lift / 20))
    # noise or a tone, which the detector takes for speech (judged at the working level: a
    # faint voice's syllables are not silence)
    if quality.voice_share_of(out, rate) < t.min_voice_share:
        raise InputError(quality.no_voice())
    start_s = begin + lo / rate
    if lo > 0 or hi < scan.frames or begin > 0:
        notes.append(
            f"kept {len(out) / rate:.1f}s starting at {start_s:.1f}s of "
            f"{(info.duration or scan.frames / rate):.1f}s"
        )
    seg = quality.frame_levels(out, rate)
    active = seg[~quality.silent_mask(seg)]
    speech_db = quality.speech_level(active)
    gain_db = TARGET_DBFS - speech_db
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0:
        gain_db = min(gain_db, PEAK_CEILING_DBFS - 20 * np.log10(peak))
    out *= np.float32(10 ** (gain_db / 20))
    speech_s = float(len(active)) * quality.FRAME_S
    out_s = len(out) / rate
    if seconds is None and out_s < limits.RECOMMENDED_MIN_S:
        recommended = (
            f"{limits.RECOMMENDED_MIN_S:g}-{limits.RECOMMENDED_MAX_S:g} seconds is recommended"
        )
        if windowed:  # the recording may hold plenty: the part asked for is short
            asked = scan.frames / rate
            notes.append(
                f"only {speech_s:.1f}s of speech between {begin:g}s and {begin + asked:g}s "
                f"({out_s:.1f}s kept): {recommended}; choose a longer window"
            )
        else:
            notes.append(
                f"only {speech_s:.1f}s of speech in the recording ({out_s:.1f}s kept): "
                f"{recommended}; record more"
            )
    fade = min(len(out) // 2, int(rate * FADE_S))
    if fade:
        ramp = np.linspace(0, 1, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    return out, {
        "window_start_s": start_s,
        # the level lift the window was judged at is part of the gain applied
        "gain_db": float(lift + gain_db),
        "speech_seconds": speech_s,
        "notes": notes,
    }


def output_paths(
    inputs: list[str], output: str, force: bool, *, several: bool = False
) -> list[str]:
    """One output per input: OUT.wav for one input, DIR/<name>.wav for several (or a folder)."""

    several = several or len(inputs) > 1 or os.path.isdir(output) or output.endswith(os.sep)
    if several:
        paths = [os.path.join(output, Path(i).stem + ".wav") for i in inputs]
        first: dict[str, str] = {}
        for i, p in zip(inputs, paths, strict=True):
            if p in first:  # before the folder is made: a refused run creates nothing
                raise UsageError(
                    f"Two inputs have the same name: {first[p]} and {i} would both write {p}; "
                    "rename one, or prepare them separately."
                )
            first[p] = i
        Path(output).mkdir(parents=True, exist_ok=True)
    else:
        paths = [output]
        check_wav_name(output)

        check_writable(output, force)  # before decoding: the folder exists and can be written
    for p in paths:
        if os.path.abspath(p) in {os.path.abspath(i) for i in inputs}:
            raise InputError(f"{p} is an input; choose another output.")

        refuse_special(p)  # a device, a pipe or a folder is never replaced, --force or not
        if os.path.lexists(p) and not force:
            raise WouldOverwrite(p)
    return paths


def check_wav_name(output: str) -> None:
    """prepare writes WAV: an output named .mp3 (or any other extension) would be mislabelled."""
    ext = os.path.splitext(output)[1]
    if ext and ext.lower() != ".wav":
        stem = output[: -len(ext)]
        raise UsageError(f"prepare writes WAV: name the output {stem}.wav, not {ext}.")

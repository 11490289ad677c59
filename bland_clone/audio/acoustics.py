"""Measurements behind the quality causes that levels alone cannot tell: room reverb, background
music, mains hum, a band-limited or lossy source, low bit depth, and a second speaker.

Each function takes the mono signal (float32) and its rate and returns a number (or None when
the recording gives no reliable reading: too little speech, too little dynamic range). numpy,
and soxr to change rates; each function takes 10 ms or less for a 12 s recording and works a
block at a time, so memory does not grow with float64 copies. The thresholds that turn these
numbers into warnings live in quality.Thresholds.
"""

from __future__ import annotations

import functools
import math
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def _db(p: np.ndarray | float) -> np.ndarray:
    import numpy as np  # lazy: numpy

    return 10 * np.log10(np.maximum(p, 1e-20))


def _pct(values: np.ndarray, q: float = 50.0) -> float:
    """The q-th percentile (nearest rank), without np.median/np.percentile, which import
    numpy.ma (slower to import than a short file's whole analysis)."""
    import numpy as np  # lazy: numpy

    v = np.asarray(values).reshape(-1)
    if not len(v):
        return 0.0
    k = min(len(v) - 1, max(0, round(q / 100 * (len(v) - 1))))
    return float(np.partition(v, k)[k])


def _frames(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    import numpy as np  # lazy: numpy

    if len(x) < size:
        x = np.concatenate([x, np.zeros(size - len(x), x.dtype)])
    count = 1 + (len(x) - size) // hop
    return np.lib.stride_tricks.as_strided(
        x, shape=(count, size), strides=(x.strides[0] * hop, x.strides[0]), writeable=False
    )


@functools.lru_cache(maxsize=8)
def _hann(size: int) -> tuple[np.ndarray, float]:
    """A Hann window of ``size`` points and what a frame's power spectrum is divided by for
    its bins to sum to the frame's mean square: the same for every take at a rate."""
    import numpy as np  # lazy: numpy

    win = np.hanning(size)
    win.flags.writeable = False
    return win, float((win**2).sum()) * size / 2


def _edge_pad(x: np.ndarray, before: int, after: int) -> np.ndarray:
    """``np.pad(x, ..., mode="edge")`` along the last axis only, without np.pad's Python
    set-up (a tenth of a short take's music scan)."""
    import numpy as np  # lazy: numpy

    return np.concatenate(
        [np.repeat(x[..., :1], before, axis=-1), x, np.repeat(x[..., -1:], after, axis=-1)],
        axis=-1,
    )


def spectrogram(mono: np.ndarray, rate: int, window_s: float = 0.064) -> tuple[np.ndarray, float]:
    """Power spectra (frames x bins) of Hann windows about `window_s` long, half-overlapped,
    and the bin width in Hz. Scaled so a frame's bins sum to its mean square: a steady tone's
    peak bin reads about its level in dBFS, whatever the rate."""
    import numpy as np  # lazy: numpy

    size = 1 << max(8, math.ceil(math.log2(window_s * rate)))
    win, power_sum = _hann(size)
    scale = 1.0 / power_sum
    # a float32 signal, or its float64 copy (each sample then cast once, not once a frame)
    x = np.ascontiguousarray(mono, np.float64 if mono.dtype == np.float64 else np.float32)
    f = _frames(x, size, size // 2)
    bins = size // 2 + 1
    spec = np.empty((len(f), bins), np.float32)
    # a block of frames at a time, through buffers kept for the whole take: memory stays flat
    # float64: numpy's float32 FFT is slower
    block = min(128, len(f))
    windowed = np.empty((block, size))
    spectra = np.empty((block, bins), np.complex128)
    power = np.empty((block, bins))
    for i in range(0, len(f), 128):
        n = min(128, len(f) - i)
        # |rfft(frame * win)| ** 2 * scale, in float64, then float32
        np.multiply(f[i : i + n], win, out=windowed[:n])
        np.fft.rfft(windowed[:n], axis=1, out=spectra[:n])
        np.abs(spectra[:n], out=power[:n])
        np.square(power[:n], out=power[:n])
        np.multiply(power[:n], scale, out=spec[i : i + n], casting="same_kind")
    return spec, rate / size


# -- resampling ----------------------------------------------------------------------------------

_streams = threading.local()  # a thread's soxr streams, by (in rate, out rate, quality)
#: What soxr's flush feeds its filters at a time (libsoxr's rate_flush): zeros, 1024 samples.
_FLUSH = 1024


def resample(x: np.ndarray, rate: int, to: int, quality: str = "HQ") -> np.ndarray:
    """``soxr.resample(x, rate, to, quality)`` of 1-D float32 samples: the very samples, from
    a stream kept for these rates (a thread's own), cleared for each call. A one-shot
    resample ends by flushing, which feeds the filters zeros, _FLUSH samples at a time,
    until round(len(x) * to / rate) samples are out; so does this, as the stream's input,
    without the flush's own set-up (a 2 s take's resample to 1 kHz: 2.3 -> 1.7 million
    instructions). tests/test_acoustics_exact.py holds it to soxr.resample."""
    import numpy as np  # lazy: numpy
    import soxr  # lazy: soxr

    streams = getattr(_streams, "by", None)
    if streams is None:
        streams = _streams.by = {}
    key = (rate, to, quality)
    stream = streams.get(key)
    if stream is None:
        stream = streams[key] = soxr.ResampleStream(rate, to, 1, "float32", quality)
    else:
        stream.clear()
    x = np.ascontiguousarray(x, np.float32)
    want = int(len(x) / (rate / to) + 0.5)  # libsoxr's count of a flushed stream's output
    parts = [stream.resample_chunk(x, last=False)]
    got = len(parts[0])
    zeros = np.zeros(_FLUSH, np.float32)
    for _ in range(64 + 4 * len(x) // _FLUSH):  # the filters' delay: a few blocks at most
        if got >= want:
            break
        parts.append(stream.resample_chunk(zeros, last=False))
        got += len(parts[-1])
    else:  # pragma: no cover - never seen; soxr's own one-shot then
        stream.clear()
        out: np.ndarray = soxr.resample(x, rate, to, quality)
        return out
    return (np.concatenate(parts) if len(parts) > 1 else parts[0])[:want]


# -- mains hum -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _hum_bins() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 1 Hz bins of 1..6 x 50 Hz, then of 1..6 x 60 Hz (a column); and about each: the
    bins a line's peak is read from, the neighbours (+-3..12 Hz) its floor is the median of,
    the bins its power sums."""
    import numpy as np  # lazy: numpy

    lines = np.array([round(m * k) for m in (50.0, 60.0) for k in range(1, 7)])[:, None]
    floor = np.concatenate([np.arange(-12, -3), np.arange(4, 13)])
    return lines, np.arange(-1, 2), floor, np.arange(-2, 3)


def hum(mono: np.ndarray, rate: int, speech_db: float) -> tuple[float, float] | None:
    """(mains frequency, hum level in dB under the speech level) of a 50 or 60 Hz hum, or None.
    A hum line is a spectral line at k x mains (k = 1..6) standing over its neighbours
    (+-3..12 Hz) in a 1 Hz-resolution spectrum averaged over the whole recording: speech
    harmonics wander and stay broad (under 4 dB over their neighbours on the corpus), and a
    voice never reaches down to 50-60 Hz. Hum is the fundamental 10 dB or more over its
    neighbours (a voice that lingers at 120 Hz makes lines at 2, 4, 6 x 60 Hz, not at 60);
    its level sums the lines 6 dB or more over theirs."""
    import numpy as np  # lazy: numpy

    # 1 s windows (1 Hz bins) at a 1 kHz rate: the lines of interest are under 400 Hz
    r = 1000
    if len(mono) * r < (2 * r - 2) * rate:  # surely under the two windows needed (soxr's
        return None  # length is within a sample of the ratio's)
    x = resample(mono, rate, r, "LQ").astype(np.float64)
    size = r
    if len(x) < size * 2:
        return None
    f = _frames(np.ascontiguousarray(x), size, size // 2)
    win, power_sum = _hann(size)
    avg = (np.abs(np.fft.rfft(f * win, axis=1)) ** 2).mean(axis=0)
    avg /= power_sum  # summed over a line: the mean square of that tone
    # every line of both mains at once (the 1 Hz spectrum holds them all: 360 + 13 < 501)
    at, around, neighbours, summed = _hum_bins()
    peaks = avg.take(at + around).max(axis=1)
    sides = np.maximum(avg.take(at[:, 0] - 2), avg.take(at[:, 0] + 2))
    # the median of 18 neighbours as _pct takes it: the 9th smallest (rank round(8.5) = 8)
    floors = np.partition(avg.take(at + neighbours), 8, axis=1)[:, 8]
    sums = np.add.reduce(avg.take(at + summed), axis=1)  # in C order, as avg[a:b].sum() adds
    lines = zip(peaks.tolist(), sides.tolist(), floors.tolist(), sums.tolist(), strict=True)
    best: tuple[float, float] | None = None
    for mains in (50.0, 60.0):
        prom: list[float] = []
        power = 0.0
        for _ in range(1, 7):
            peak, side, floor, total = next(lines)
            if peak < 4 * side:
                peak = 0.0  # the skirt of a line 2 Hz or more away (a tone's sidebands), not mains
            prom.append(10 * math.log10(max(peak, 1e-30) / max(floor, 1e-30)))
            if prom[-1] >= 6.0:
                power += max(0.0, total - 5 * floor)
        if prom and prom[0] >= 10.0 and power > 0:
            under = speech_db - 10 * math.log10(power)
            if best is None or under < best[1]:
                best = (mains, under)
    return best


# -- bandwidth and bit depth ---------------------------------------------------------------------


def ltas(rows: np.ndarray, k: int) -> np.ndarray:
    """The long-term spectrum of spectrogram rows (frames x bins) in dB, a running mean over
    ``k`` bins (the edges repeated: not zeros, 0 dB is loud). The mean as np.mean takes it (a
    sum, then a division) without its Python wrapper."""
    import numpy as np  # lazy: numpy

    db = _db(np.add.reduce(rows, axis=0, dtype=np.float64) / len(rows))
    padded = _edge_pad(db, k // 2, k - 1 - k // 2)
    out: np.ndarray = np.convolve(padded, np.ones(k) / k, mode="valid")
    return out


def bandwidth(
    spec: np.ndarray, bin_hz: float, active: np.ndarray, beside: np.ndarray | None = None
) -> float:
    """Upper edge of the sound, in Hz: the highest frequency where the long-term spectrum of
    the speech frames (smoothed over 200 Hz) is within 60 dB of its peak, or where the pauses'
    noise is within 30 dB of its own level at 300-3000 Hz. A microphone hears its own noise
    floor up to the rate's limit; above a phone line's 3.4 kHz or a low-bitrate MP3's cut-off
    there is nothing at all (-70 dB and lower on the corpus). ``beside``: rows of noise or a
    tone beside the speech (not its pauses), read as neither."""
    import numpy as np  # lazy: numpy

    if beside is not None:
        active = active & ~beside
    k = max(1, int(200 / bin_hz))
    speech = ltas(spec[active] if active.any() else spec, k)
    top = float(speech.max())
    above = np.nonzero(speech > top - 60.0)[0]
    edge = float(above[-1] * bin_hz) if len(above) else 0.0
    pauses = ~active if beside is None else ~active & ~beside
    if pauses.sum() >= 5:
        pause = ltas(spec[pauses], k)
        ref = _pct(pause[int(300 / bin_hz) : int(3000 / bin_hz)])
        if ref > top - 80.0:  # a floor to see, not digital silence
            heard = np.nonzero(pause > ref - 30.0)[0]
            if len(heard):
                edge = max(edge, float(heard[-1] * bin_hz))
    return edge


def bit_depth(data: np.ndarray) -> int | None:
    """The smallest bit depth (8-16) whose grid holds every sample, or None: 24-bit or float
    audio, or a file re-encoded since (lossy, resampled)."""
    import numpy as np  # lazy: numpy

    x = data.reshape(-1)
    if not len(x):
        return None
    if len(x) > 200_000:
        x = x[:: len(x) // 200_000 + 1]
    grid = _grid16(x)  # (0: every sample is zero)
    if grid is not None:
        return grid or None
    if not np.any(x):  # (off the grid, a sample is not zero: zero is on it)
        return None
    x = x.astype(np.float64)
    # a cheap first look at the first 4000 non-zero samples (found in a prefix, not by
    # listing every non-zero sample); the full check confirms
    n = 8192
    while True:
        at = np.flatnonzero(x[:n])
        if len(at) >= 4000 or n >= len(x):
            break
        n *= 4
    probe = x[at[:4000]]
    for bits in range(8, 17):
        for sample in (probe, x):
            q = sample * 2 ** (bits - 1)
            if not np.all(np.abs(q - np.round(q)) < 1e-3):
                break
        else:
            return bits
    return None


def _grid16(x: np.ndarray) -> int | None:
    """:func:`bit_depth` of samples that all lie exactly on the 16-bit grid (what a 16-bit
    or coarser PCM file decodes to; 0 when every one is zero), or None for any other (the
    test of np.any() on the way: all zero only on the grid). On that grid a sample is on the
    ``bits``-bit grid exactly when its 16-bit integer is a multiple of 2 ** (16 - bits), and
    off it by at least 1/256 of a step (over bit_depth's 1e-3 tolerance) when not: the
    answer is 16 less the trailing zero bits of all the integers OR-ed together."""
    import numpy as np  # lazy: numpy

    if x.dtype != np.float32:
        return None
    v = x * np.float32(32768)  # exact: a power of two
    if not (v.min() >= -32768 and v.max() <= 32767 and np.array_equal(v, np.rint(v))):
        return None  # (NaN fails every test)
    both = int(np.bitwise_or.reduce(v.astype(np.int32))) & 0xFFFF  # (& distributes over |)
    if not both:
        return 0  # silence: no depth to tell (bit_depth's None)
    zeros = (both & -both).bit_length() - 1
    return max(8, 16 - zeros)


# -- reverb --------------------------------------------------------------------------------------


def decay_time(mono: np.ndarray, rate: int, floor_db: float) -> float | None:
    """Estimated reverberation time (seconds for 60 dB): three times the time the level takes
    to fall 20 dB, fast falls only. When a word ends, the level can fall no faster than the
    room lets it; in a dry room it drops 20 dB in a few tens of milliseconds. Every 5 ms
    frame 30 dB or more over the noise floor that starts a fall (nothing louder until the
    level is 20 dB down, within 1 s) gives one fall time; the 10th percentile is the room's.
    None with under 30 dB of range over the floor or under 10 falls."""
    import numpy as np  # lazy: numpy

    hop = max(1, int(rate * 0.005))
    blocks = mono[: len(mono) // hop * hop].reshape(-1, hop)
    power = np.empty(len(blocks))
    for i in range(0, len(blocks), 4096):
        b = blocks[i : i + 4096].astype(np.float64, copy=False)  # (or a float64 copy already)
        power[i : i + 4096] = np.einsum("ij,ij->i", b, b) / hop
    lv = _db((power[:-1] + power[1:]) / 2)  # 10 ms frames every 5 ms
    horizon = 200  # 1 s of frames
    if len(lv) < horizon + 2:
        return None
    windows = _frames(lv, horizon, 1)  # sliding_window_view's view, without its checks
    nan = bool(np.isnan(lv).any())
    found: list[np.ndarray] = []
    for c in range(0, len(windows), 2048):  # a block of start frames at a time
        w = windows[c : c + 2048]
        keep = w[:, 0] > floor_db + 30.0
        if not keep.any():
            continue
        w = w[keep]
        start = w[:, 0]
        # whole rows compared (a slice of them was copied first), the start's own column
        # set apart: indices are one more than the frames after the start
        down = w <= start[:, None] - 20.0
        down[:, 0] = False
        reached = down.any(axis=1)
        j = np.argmax(down, axis=1)  # frames after the start, + 1 (1 = the next one)
        # the level rose over the start before the fall: a frame above it before frame j
        up = w > start[:, None]
        up[:, 0] = False
        rises = up.any(axis=1) & (np.argmax(up, axis=1) < j)
        if nan:  # a running maximum is NaN from a NaN on: no rise is seen past one
            bad = np.isnan(w)
            bad[:, 0] = False
            rises &= ~(bad.any(axis=1) & (np.argmax(bad, axis=1) < j))
        ok = reached & ~rises
        found.append(j[ok] * 0.005)
    falls = np.concatenate(found) if found else np.zeros(0)
    if len(falls) < 10:
        return None
    return 3.0 * float(np.partition(falls, len(falls) // 10)[len(falls) // 10])


# -- music ---------------------------------------------------------------------------------------

#: How long a tone must hold its frequency to count as a note.
HOLD_S = 0.4


def _tonal_band(spec: np.ndarray, bin_hz: float) -> tuple[int, int]:
    """The bins :func:`tonal_ratio` looks for peaks in (100-2000 Hz, a bin more each side)."""
    return int(100 / bin_hz), min(spec.shape[1] - 2, int(2000 / bin_hz))


def _voice_top(spec: np.ndarray, bin_hz: float) -> int:
    """The bins under VOICE_BAND_HZ (and that one) that :func:`voice_scores` reads."""
    return min(int(spec.shape[1]), int(VOICE_BAND_HZ / bin_hz) + 1)


def low_logs(spec: np.ndarray, bin_hz: float) -> np.ndarray:
    """``log10(max(power, 1e-20))`` of the spectrogram's low bins (float32), as many as
    :func:`voice_scores` and :func:`tonal_ratio` read: the logs both take, taken once (a
    twentieth of a short take's analysis was these logs, most bins taken twice)."""
    import numpy as np  # lazy: numpy

    top = min(spec.shape[1], max(_voice_top(spec, bin_hz), _tonal_band(spec, bin_hz)[1] + 2))
    out: np.ndarray = np.log10(np.maximum(spec[:, :top], np.float32(1e-20)))
    return out


def tonal_ratio(
    spec: np.ndarray,
    bin_hz: float,
    hop_s: float,
    speech_db: float,
    skip: list[float] | None = None,
    logs: np.ndarray | None = None,
) -> float:
    """Share of the recording's frames that hold two or more steady tones at once, not all
    harmonics of the lowest: spectral peaks (100-2000 Hz, 12 dB over their surroundings, within
    50 dB of the speech level) that keep their frequency (+-1 bin) for 0.4 s or more. Played
    notes hold; speech glides from syllable to syllable, and a held vowel is one harmonic
    series. Frequencies in `skip` (mains hum lines) are ignored. ``logs``: :func:`low_logs`
    of ``spec``, if taken already."""
    import numpy as np  # lazy: numpy

    lo, hi = _tonal_band(spec, bin_hz)
    if hi <= lo + 4:
        return 0.0
    if logs is not None and logs.shape[1] >= hi + 2:
        p = 10 * logs[:, lo - 1 : hi + 2]  # _db's very numbers: the same log10, the same 10 *
    else:
        p = _db(spec[:, lo - 1 : hi + 2])
    centre = p[:, 1:-1]
    is_peak = (centre > p[:, :-2]) & (centre >= p[:, 2:])
    k = max(3, int(80 / bin_hz)) | 1
    c = np.cumsum(_edge_pad(centre, k // 2 + 1, k // 2), axis=1)
    smooth = (c[:, k:] - c[:, :-k]) / k
    is_peak &= centre > smooth + 12.0
    is_peak &= centre > speech_db - 50.0
    if skip:
        for f in skip:
            b = round(f / bin_hz) - lo
            is_peak[:, max(0, b - 1) : b + 2] = False
    # a peak within one bin counts as the same tone
    held = is_peak.copy()  # or either neighbour's (wrapping round, as np.roll did)
    held[:, 1:] |= is_peak[:, :-1]
    held[:, :1] |= is_peak[:, -1:]
    held[:, :-1] |= is_peak[:, 1:]
    held[:, -1:] |= is_peak[:, :1]
    need = max(2, round(HOLD_S / hop_s))
    if len(held) < need:
        return 0.0
    steady = held_for(held, need) & is_peak
    # One voice holding a vowel makes steady harmonics of one fundamental; notes of a chord
    # (or a melody over a bass) are not all multiples of the lowest one.
    musical = 0
    for row in steady[np.count_nonzero(steady, axis=1) >= 2]:
        bins = np.nonzero(row)[0]
        freqs = (bins + lo) * bin_hz
        n = np.maximum(1, np.round(freqs / freqs[0]))
        f0 = float(np.sum(freqs * n) / np.sum(n * n))  # least-squares fundamental
        if np.any(np.abs(freqs - n * f0) > 1.5 * bin_hz):
            musical += 1
    return musical / len(steady)


def held_for(mask: np.ndarray, need: int) -> np.ndarray:
    """Where ``mask`` (frames x bins) lies in a run of ``need`` or more True frames down its
    column: each frame of every ``need``-frame window that is all True. The full windows by
    counts (cumulative sums of whole numbers, so exact), not a window view's ``all`` (a
    take's music scan: 0.18 -> 0.07 ms for 12 s at 48 kHz)."""
    import numpy as np  # lazy: numpy

    count = np.zeros((len(mask) + 1, mask.shape[1]), np.int32)
    np.cumsum(mask, axis=0, out=count[1:])
    run = count[need:] - count[:-need] == need  # the window starting at each frame is full
    out = np.zeros_like(mask, dtype=bool)
    for i in range(need):  # each frame of each full window
        out[i : i + len(run)] |= run
    return out


# -- speakers ------------------------------------------------------------------------------------


def pitch_track(mono: np.ndarray, rate: int) -> tuple[np.ndarray, float]:
    """Fundamental frequency per 20 ms frame (0 where unvoiced), by normalised autocorrelation
    of 40 ms frames at 8 kHz, 60-400 Hz; and the hop in seconds."""
    import numpy as np  # lazy: numpy

    x = resample(mono, rate, 8000) if rate != 8000 else mono
    size, hop = 320, 160
    frames = _frames(np.asarray(x, np.float32), size, hop)
    lo, hi = 20, 134  # 400 Hz .. 60 Hz
    energy = np.empty(len(frames))
    norm = np.empty((len(frames), hi - lo))
    for i in range(0, len(frames), 1024):  # a block of frames at a time: memory stays flat
        fr = frames[i : i + 1024].astype(np.float64)
        fr -= fr.mean(axis=1, keepdims=True)
        energy[i : i + 1024] = np.einsum("ij,ij->i", fr, fr)
        # 512 points hold lags up to 192 without wrapping: enough for 134, and a power of 2
        ac = np.fft.irfft(np.abs(np.fft.rfft(fr, n=512, axis=1)) ** 2, axis=1)
        # normalise by the energy of the overlapping parts so long lags are not penalised
        norm[i : i + 1024] = (
            ac[:, lo:hi] / np.maximum(ac[:, :1], 1e-12) * (size / (size - np.arange(lo, hi)))
        )
    best = norm.max(axis=1)
    # the first lag within 90% of the best: avoids picking a multiple of the period
    first = np.argmax(norm >= 0.9 * best[:, None], axis=1) + lo
    loud = _db(energy / size) > _db(_pct(energy / size, 95)) - 25
    f0 = np.where((best > 0.6) & loud, 8000.0 / first, 0.0)
    return f0, hop / 8000


def speech_turns(silent: np.ndarray, frame_s: float) -> list[tuple[int, int]]:
    """Speech between pauses of 0.25 s or more: (first frame, end frame) of the silence mask."""
    gap = round(0.25 / frame_s)
    turns: list[tuple[int, int]] = []
    start = None
    quiet = 0
    for i, s in enumerate(silent.tolist()):
        if not s:
            if start is None:
                start = i
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet >= gap:
                turns.append((start, i - quiet + 1))
                start, quiet = None, 0
    if start is not None:
        turns.append((start, len(silent) - quiet))
    return turns


def may_split(turns: list[tuple[int, int]], frame_s: float) -> bool:
    """Whether :func:`speaker_split` can find two groups in these turns at all: four turns
    long enough to hold 0.4 s of voiced frames. When not, the pitch track is not needed."""
    return sum(1 for a, b in turns if (b - a + 1) * frame_s >= 0.4) >= 4


def speaker_split(
    f0: np.ndarray,
    hop_s: float,
    silent: np.ndarray,
    frame_s: float,
    turns: list[tuple[int, int]] | None = None,
) -> float | None:
    """Distance in semitones between two groups of speech turns told apart by pitch. A turn is
    speech between pauses of 0.25 s or more; its pitch is the median over its voiced frames
    (at least 0.4 s of them). The turns are split in two at the largest gap of their sorted
    pitches. None with under four such turns, or when a group would hold a single turn."""
    import numpy as np  # lazy: numpy

    if turns is None:
        turns = speech_turns(silent, frame_s)
    pitches: list[float] = []
    for a, b in turns:
        seg = f0[int(a * frame_s / hop_s) : int(b * frame_s / hop_s)]
        v = seg[seg > 0]
        if len(v) * hop_s >= 0.4:
            pitches.append(_pct(12 * np.log2(v / 100.0)))
    if len(pitches) < 4:
        return None
    p = np.sort(np.array(pitches))
    gaps = np.diff(p)
    i = int(np.argmax(gaps))
    low, high = p[: i + 1], p[i + 1 :]
    if len(low) < 2 or len(high) < 2:
        return None
    return _pct(high) - _pct(low)


# -- a voice at all ------------------------------------------------------------------------------

#: The band a voice's harmonics are read in: its lowest harmonics, the loudest part of speech
#: (over 0-4 kHz, noise in the upper band hides the harmonics of a voice at 0 dB SNR).
VOICE_BAND_HZ = 1500.0
#: The pitch range of a voice: 65-400 Hz (65, not 60: a 60 Hz mains hum's harmonics are a comb).
VOICE_F0_HZ = (65.0, 400.0)
#: A frame whose cepstral peak prominence is this or more holds a voice's harmonics.
VOICE_CPP = 20.0


@functools.lru_cache(maxsize=8)
def _cepstrum_fit(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """The quefrencies lo..hi-1 and the least-squares projection onto a line through them."""
    import numpy as np  # lazy: numpy

    q = np.arange(lo, hi, dtype=np.float64)
    a = np.stack([q, np.ones_like(q)], axis=1)
    fit = np.linalg.pinv(a)
    fit.flags.writeable = False
    return q, fit


def voice_share(spec: np.ndarray, bin_hz: float, loud: np.ndarray) -> float:
    """Share of the loud frames that sound like a voice (see :func:`voice_scores`)."""
    import numpy as np  # lazy: numpy

    scores = voice_scores(spec, bin_hz, loud)
    if scores is None:
        return 1.0
    n = int(loud.sum())
    return float(np.count_nonzero(scores >= VOICE_CPP)) / n if n else 0.0


def voice_scores(
    spec: np.ndarray, bin_hz: float, loud: np.ndarray, logs: np.ndarray | None = None
) -> np.ndarray | None:
    """How much each row of ``spec`` sounds like a voice (None: the rate is far under a voice's
    band, nothing to tell): its cepstral peak prominence; +inf for a tone held at a voice's
    pitch, -inf for other tones and for the rows not ``loud``. A row scoring VOICE_CPP or more
    is a voice; :func:`voice_share` is their share of the loud rows. A voice: harmonics of
    one pitch in 65-400 Hz, or a single tone held at such a pitch. Read from the spectrogram
    already made. A frame is a voice when its cepstral peak prominence (the peak
    of the cepstrum of its log spectrum under 1.5 kHz, at quefrencies of 2.5-15.4 ms, over the
    line fitted through them; averaged over 3 frames in time, as CPPS is) is 20 or more; or,
    where one peak (+-1 bin) holds 90% of the frame's power (a pure tone), when that peak is in
    65-400 Hz and within a bin of the peaks of the frames before and after. Noise (white,
    pink, brown, a fan) has no such comb, and a tone above 400 Hz is not a voice's pitch: they
    read 0.006 at most; real speech 0.3 or more, and 0.045 or more with as much noise as voice
    (0 dB SNR). ``logs``: :func:`low_logs` of ``spec``, if taken already."""
    import numpy as np  # lazy: numpy

    if not loud.any():
        return np.full(len(loud), -np.inf, np.float32)
    top = _voice_top(spec, bin_hz)
    band = spec[:, :top]
    n = 2 * (top - 1)
    per_s = n * bin_hz  # quefrencies a second
    lo = round(per_s / VOICE_F0_HZ[1])
    hi = min(n // 2, round(per_s / VOICE_F0_HZ[0]) + 1)
    if hi - lo < 3:  # a rate far under a voice's band: nothing to tell, nothing said
        return None
    floor = np.float32(1e-14)
    if logs is not None and logs.shape[1] >= top:
        # low_logs floors at 1e-20: the same logs wherever the power is 1e-14 or more; a bin
        # under it (digital silence) is floored here, its log that of 1e-14
        logs = logs[:, :top]
        under = band < floor
        if under.any():
            logs = np.where(under, np.log10(np.full(1, floor)), logs)
    else:
        logs = np.log10(np.maximum(band, floor))
    seg = np.fft.irfft(logs, n=n, axis=1)[:, lo:hi] * (10 * math.sqrt(n))
    # each frame with its neighbours: a voice's pitch holds, noise's peaks do not
    if len(seg) >= 3:
        seg[1:-1] = (seg[:-2] + seg[1:-1] + seg[2:]) / 3
    seg = seg[loud]
    q, fit = _cepstrum_fit(lo, hi)
    coef = seg @ fit.T
    prominence = (seg - coef[:, :1] * q - coef[:, 1:]).max(axis=1)
    # a frame one tone holds (90% of its power within a bin of its peak) is a voice only at a
    # voice's pitch, held within a bin over three frames (a fan's resonance wanders): a tone's
    # lone line reads as a comb to the cepstrum
    peaks = band.argmax(axis=1)
    around = np.clip(peaks[:, None] + np.arange(-1, 2), 0, top - 1)
    near = np.take_along_axis(band, around, axis=1).sum(axis=1, dtype=np.float64)
    tone = near > 0.9 * band.sum(axis=1, dtype=np.float64)
    steady = np.abs(np.diff(peaks)) <= 1
    held = np.concatenate([[True], steady]) & np.concatenate([steady, [True]])
    hz = peaks * bin_hz
    maybe = np.flatnonzero(tone & held & (hz >= VOICE_F0_HZ[0]) & (hz <= VOICE_F0_HZ[1]))
    pitched = np.zeros(len(spec), bool)
    if len(maybe):  # and the tone holds the whole row, not only the band (these rows only)
        pitched[maybe] = near[maybe] > 0.9 * spec[maybe].sum(axis=1, dtype=np.float64)
    out = np.full(len(loud), -np.inf, np.float32)
    out[loud] = np.where(tone[loud], np.where(pitched[loud], np.inf, -np.inf), prominence)
    return out

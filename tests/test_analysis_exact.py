"""Issue 22's folder pass keeps every number: each short cut of the per-take analysis against the
plain definition it replaces, bit for bit (the pattern of tests/test_acoustics_exact.py). soxr
without its flush's set-up, the low bins' logs taken once, one float64 copy of a short take, the
detector's clip only where needed, and the window chosen once for a short recording."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import soxr

from bland_clone.audio import acoustics as a
from bland_clone.audio import quality, vad
from bland_clone.core.errors import InputError


def test_resample_is_soxrs_one_shot() -> None:
    """Every length (none, a few samples, a block's edges, a minute) and the rate pairs the
    analysis uses, one stream reused call after call: the very samples of soxr.resample."""
    rng = np.random.default_rng(7)
    pairs = ((16000, 1000, "LQ"), (48000, 1000, "LQ"), (48000, 16000, "HQ"), (44100, 16000, "HQ"))
    pairs += ((22050, 16000, "HQ"), (8000, 16000, "HQ"), (16000, 8000, "HQ"), (48000, 8000, "HQ"))
    lengths = [*range(0, 12), 100, 1023, 1024, 1025, 31999, 32000, 32017, 48000, 160001]
    for rate, to, q in pairs:
        for n in lengths:
            x = (rng.standard_normal(n) * 0.2).astype(np.float32)
            want = soxr.resample(x, rate, to, quality=q)
            got = a.resample(x, rate, to, q)
            assert got.dtype == want.dtype and np.array_equal(got, want), (rate, to, q, n)
    long = (rng.standard_normal(48000 * 60) * 0.2).astype(np.float32)
    assert np.array_equal(a.resample(long, 48000, 16000), soxr.resample(long, 48000, 16000))


def test_resample_keeps_a_stream_a_thread() -> None:
    """Threads each resample through their own stream: the same samples side by side."""
    rng = np.random.default_rng(8)
    takes = [(rng.standard_normal(16000 * 3) * 0.2).astype(np.float32) for _ in range(4)]
    want = [soxr.resample(x, 16000, 1000, quality="LQ") for x in takes]
    bad: list[int] = []

    def run(i: int) -> None:
        for _ in range(20):
            if not np.array_equal(a.resample(takes[i], 16000, 1000, "LQ"), want[i]):
                bad.append(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad


def spectra(rng: np.random.Generator) -> list[tuple[np.ndarray, float]]:
    """Spectrograms with exact zeros (digital silence), powers under 1e-14 and loud bins."""
    out = []
    for frames, size, rate in (
        (3, 256, 8000),
        (61, 1024, 16000),
        (90, 2048, 22050),
        (40, 4096, 48000),
    ):
        spec = (rng.random((frames, size // 2 + 1)) ** 6).astype(np.float32)
        spec[rng.random(spec.shape) < 0.1] = 0.0
        spec[rng.random(spec.shape) < 0.05] = 1e-16
        spec[: frames // 3] = 0.0
        out.append((spec, rate / size))
    return out


def test_low_logs_give_voice_scores_and_tonal_ratio_their_own_numbers() -> None:
    rng = np.random.default_rng(9)
    for spec, bin_hz in spectra(rng):
        logs = a.low_logs(spec, bin_hz)
        loud = rng.random(len(spec)) < 0.7
        want = a.voice_scores(spec, bin_hz, loud)
        got = a.voice_scores(spec, bin_hz, loud, logs)
        assert (got is None) == (want is None)
        if want is not None and got is not None:
            assert np.array_equal(got, want), bin_hz
        for skip in (None, [60.0, 120.0]):
            assert a.tonal_ratio(spec, bin_hz, 0.032, -30.0, skip, logs) == a.tonal_ratio(
                spec, bin_hz, 0.032, -30.0, skip
            )


def plain_spectrogram(mono: np.ndarray, rate: int) -> np.ndarray:
    """spectrogram as first written: float32 frames times the window, one block's temporaries."""
    size = 1 << max(8, int(np.ceil(np.log2(0.064 * rate))))
    win, power_sum = a._hann(size)
    f = a._frames(np.ascontiguousarray(mono, np.float32), size, size // 2)
    spec = np.empty((len(f), size // 2 + 1), np.float32)
    for i in range(0, len(f), 128):
        spec[i : i + 128] = np.abs(np.fft.rfft(f[i : i + 128] * win, axis=1)) ** 2 / power_sum
    return spec


def test_spectrogram_of_the_float64_copy_is_the_float32_ones() -> None:
    rng = np.random.default_rng(10)
    for n, rate in ((100, 8000), (16000 * 2, 16000), (44100 * 5 + 17, 44100), (48000 * 12, 48000)):
        x = (rng.standard_normal(n) * 0.1).astype(np.float32)
        want = plain_spectrogram(x, rate)
        for y in (x, x.astype(np.float64)):
            got, _ = a.spectrogram(y, rate)
            assert got.dtype == np.float32 and np.array_equal(got, want), (n, rate)


def test_levels_and_reverb_of_the_float64_copy_are_the_float32_ones() -> None:
    rng = np.random.default_rng(11)
    for n in (0, 5, 319, 320, 16000 * 3 + 7):
        env = np.repeat(rng.uniform(0, 1, n // 800 + 1) ** 3, 800)[:n]
        x = (rng.standard_normal(n) * env * 0.3).astype(np.float32)
        y = x.astype(np.float64)
        assert np.array_equal(quality.frame_levels(y, 16000), quality.frame_levels(x, 16000))
        assert a.decay_time(y, 16000, -80.0) == a.decay_time(x, 16000, -80.0)


def test_reverb_with_infinite_samples_is_the_plain_rule() -> None:
    """A start frame at +inf (a float file holding inf) is no fall of its own."""
    from .test_acoustics_exact import plain_decay_time

    rng = np.random.default_rng(12)
    for trial in range(6):
        n = 16000 * 3
        env = np.repeat(rng.uniform(0, 1, n // 800 + 1) ** 3, 800)[:n]
        x = (rng.standard_normal(n) * env * 0.3).astype(np.float32)
        x[rng.integers(0, n, 1 + trial)] = np.inf
        with np.errstate(all="ignore"):
            assert a.decay_time(x, 16000, -80.0) == plain_decay_time(x, 16000, -80.0)


def test_detector_clips_as_np_clip() -> None:
    """Samples past full scale after the gain, NaN, or none: the detector hears the same
    bytes as with np.clip on every sample."""
    rng = np.random.default_rng(13)
    for case in range(4):
        x = (rng.standard_normal(16000 * 2) * 0.1).astype(np.float32)
        if case == 1:
            x[::97] = 0.99  # far past full scale at the gain of a -40 dB speech level
        if case == 2:
            x[1234] = np.nan
        for speech_db in (-20.0, -40.0, -200.0):
            gain = vad._gain(speech_db)
            with np.errstate(invalid="ignore"):
                pcm = (np.clip(np.asarray(x, np.float64) * gain, -1.0, 1.0) * 32767).astype("<i2")
                want = vad._detect(pcm.tobytes())
                got = [vad.speech_frames(y, 16000, speech_db) for y in (x, x.astype(np.float64))]
            assert np.array_equal(got[0], want) and np.array_equal(got[1], want)


def plain_window_frames(levels: np.ndarray, heard: np.ndarray | None) -> tuple[int, int]:
    """window_frames as first written: the loudness-only window, then the refined one."""
    lift = quality.WORKING_DBFS - quality.percentile(levels, 95)
    first, last = quality.choose_window(levels + lift, None)
    reach = int(quality.REFINE_S / quality.FRAME_S)
    r0, r1 = max(0, first - reach), min(len(levels), last + reach)
    if heard is not None:
        f, g = quality.choose_window(levels[r0:r1] + lift, None, heard[r0:r1])
        first, last = r0 + f, r0 + g
    return first, last


def test_a_short_recordings_window_is_chosen_once_as_before() -> None:
    rng = np.random.default_rng(14)
    for trial in range(60):
        n = int(rng.integers(5, 1000))
        levels = rng.uniform(-90, -10, n)
        if trial % 7 == 0:
            levels[:] = -200.0  # nothing loud: both ways refuse
        heard = None if trial % 5 == 0 else rng.random(int(n * rng.uniform(0.5, 1.0))) < 0.6
        calls: list[tuple[int, int]] = []

        def heard_in(
            r0: int, r1: int, heard: np.ndarray | None = heard, calls: list[tuple[int, int]] = calls
        ) -> np.ndarray | None:
            calls.append((r0, r1))
            return None if heard is None else heard[r0:r1]

        try:
            want: tuple[int, int] | str = plain_window_frames(levels, heard)
        except InputError as e:
            want = str(e)
        try:
            got: tuple[int, int] | str = quality.window_frames(levels, heard_in)
        except InputError as e:
            got = str(e)
        assert got == want, trial
        assert calls == [(0, n)]


@pytest.mark.parametrize("rate", [16000, 48000])
def test_a_short_takes_shared_copy_changes_no_field(
    rate: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """analyse() with the short take's float64 copy and with every cast a block at a time (as a
    long take is read): every Quality field the same."""
    rng = np.random.default_rng(15)
    t = np.arange(rate * 3) / rate
    voice = 0.3 * np.sin(2 * np.pi * 150 * t) * np.clip(np.sin(2 * np.pi * 3 * t), 0, None)
    data = (voice + rng.standard_normal(len(t)) * 0.003).astype(np.float32).reshape(-1, 1)
    shared = quality.to_verdict(quality.analyse(data, rate))
    monkeypatch.setattr(quality, "SHARED_F64_MAX", 0)
    assert quality.to_verdict(quality.analyse(data, rate)) == shared


def test_bit_depth_of_silence_and_of_every_grid_is_the_plain_one() -> None:
    """bit_depth tells silence (every sample zero, signed zeros too) on the 16-bit grid's own
    scan, not a scan of its own first: the plain definition's answers."""
    from .test_acoustics_exact import plain_bit_depth

    rng = np.random.default_rng(16)
    cases = [
        np.zeros((1000, 1), np.float32),
        -np.zeros((1000, 2), np.float32),
        np.zeros((300_000, 1), np.float32),
        np.zeros((10, 1), np.float64),
        np.zeros((0, 1), np.float32),
        np.array([[0.0], [-1.0]], np.float32),
        np.array([[0.0], [np.nan]], np.float32),
    ]
    for bits in (8, 11, 16):
        v = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), 5000) * 2 ** (16 - bits)
        x = (v / 32768).astype(np.float32).reshape(-1, 1)
        x[:4000] = 0.0  # silence, then the grid
        cases.append(x)
    with np.errstate(all="ignore"):
        for c in cases:
            want = plain_bit_depth(c) if len(c) else None
            assert a.bit_depth(c) == want, c.shape

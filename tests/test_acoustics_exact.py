"""The analysis' short cuts give the numbers of the plain definitions, bit for bit: the bit depth
read from the OR of 16-bit integers, the reverb's rise rule without a running maximum, the
hum's lines read at once, the spectrogram picture's rows summed a width at a time. And freed
memory stays mapped from one take to the next (no page faults for the same temporaries)."""

from __future__ import annotations

import math
import resource
import sys

import numpy as np
import pytest
import soxr

from bland_clone.audio import acoustics as a
from bland_clone.audio import heap, quality, timeline


def plain_bit_depth(data: np.ndarray) -> int | None:
    """Every grid from 8 to 16 bits tried on every (kept) sample."""
    x = data.reshape(-1)
    if len(x) > 200_000:
        x = x[:: len(x) // 200_000 + 1]
    x = x.astype(np.float64)
    if not np.any(x):
        return None
    for bits in range(8, 17):
        q = x * 2 ** (bits - 1)
        if np.all(np.abs(q - np.round(q)) < 1e-3):
            return bits
    return None


def test_bit_depth_is_the_smallest_grid_holding_every_sample() -> None:
    rng = np.random.default_rng(0)
    cases = []
    for bits in (8, 9, 12, 15, 16):
        v = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), 50_000) * 2 ** (16 - bits)
        cases.append((v / 32768).astype(np.float32).reshape(-1, 1))
    cases += [
        np.array([[1.0], [0.5], [-1.0]], np.float32),  # full scale and beyond the int16 range
        np.array([[np.nan], [0.5]], np.float32),
        np.array([[np.inf], [0.5]], np.float32),
        (rng.integers(-(2**23), 2**23, 3000) / 2**23).astype(np.float32).reshape(-1, 2),
        rng.standard_normal((300_000, 2)).astype(np.float32) * 0.1,  # float, subsampled
        np.round(rng.standard_normal((300_000, 2)) * 3000).astype(np.float32) / 32768,
        (np.round(rng.standard_normal((1000, 1)) * 30) / 128).astype(np.float64),
    ]
    with np.errstate(all="ignore"):
        got = [a.bit_depth(c) for c in cases]
        assert got == [plain_bit_depth(c) for c in cases]
    assert got[:5] == [8, 9, 12, 15, 16]


def plain_decay_time(mono: np.ndarray, rate: int, floor_db: float) -> float | None:
    """decay_time as first written: a rise is the running maximum over the start."""
    hop = max(1, int(rate * 0.005))
    b = mono[: len(mono) // hop * hop].reshape(-1, hop).astype(np.float64)
    power = np.einsum("ij,ij->i", b, b) / hop
    lv = 10 * np.log10(np.maximum((power[:-1] + power[1:]) / 2, 1e-20))
    if len(lv) < 202:
        return None
    w = np.lib.stride_tricks.sliding_window_view(lv, 200)
    w = w[w[:, 0] > floor_db + 30.0]
    start = w[:, 0]
    down = w[:, 1:] <= start[:, None] - 20.0
    j = np.argmax(down, axis=1)
    peak_before = np.maximum.accumulate(w[:, 1:], axis=1)
    rises = peak_before[np.arange(len(j)), np.maximum(j - 1, 0)] > start
    falls = (j[down.any(axis=1) & ~(rises & (j > 0))] + 1) * 0.005
    if len(falls) < 10:
        return None
    return 3.0 * float(np.partition(falls, len(falls) // 10)[len(falls) // 10])


def test_decay_time_is_the_running_maximum_rule() -> None:
    rng = np.random.default_rng(1)
    found = 0
    for trial in range(40):
        n = int(16000 * rng.uniform(0.5, 4))
        env = np.repeat(rng.uniform(0, 1, n // 800 + 1) ** 3, 800)[:n]
        x = (rng.standard_normal(n) * env * 0.3).astype(np.float32)
        if trial % 10 == 0:
            x[rng.integers(0, n, 3)] = np.nan  # a running maximum is NaN from there on
        with np.errstate(all="ignore"):
            got, want = a.decay_time(x, 16000, -80.0), plain_decay_time(x, 16000, -80.0)
        assert got == want or (got is not None and want is not None and math.isnan(got))
        found += want is not None
    assert found > 10  # the comparison means something


def plain_held_for(mask: np.ndarray, need: int) -> np.ndarray:
    """held_for as first written: a window view's all, OR-ed over the window's length."""
    run = np.asarray(np.lib.stride_tricks.sliding_window_view(mask, need, axis=0).all(axis=2))
    steady = np.zeros_like(mask)
    for i in range(need):
        steady[i : i + run.shape[0]] |= run
    return steady


def test_held_for_is_every_frame_of_a_full_window() -> None:
    rng = np.random.default_rng(6)
    for _ in range(60):
        frames, need = int(rng.integers(2, 400)), int(rng.integers(2, 30))
        if frames < need:
            continue
        mask = rng.random((frames, int(rng.integers(1, 70)))) < rng.uniform(0.3, 0.98)
        got = a.held_for(mask, need)
        assert got.dtype == bool
        assert np.array_equal(got, plain_held_for(mask, need)), (frames, need)


def test_tonal_ratio_finds_held_notes() -> None:
    """The counts above in use: notes held 0.4 s are music, a glide is not."""
    rate = 16000
    t = np.arange(3 * rate) / rate
    chord = sum(np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0)) * 0.1
    glide = np.sin(2 * np.pi * (200 + 100 * t) * t) * 0.3
    for x, musical in ((chord, True), (glide, False)):
        spec, bin_hz = a.spectrogram(x.astype(np.float32), rate)
        ratio = a.tonal_ratio(spec, bin_hz, 0.5 / bin_hz, -20.0)
        assert (ratio > 0.5) == musical, ratio


def plain_hum(mono: np.ndarray, rate: int, speech_db: float) -> tuple[float, float] | None:
    """hum as first written: each line read on its own."""
    x = soxr.resample(mono.astype(np.float32), rate, 1000, quality="LQ").astype(np.float64)
    if len(x) < 2000:
        return None
    f = np.lib.stride_tricks.sliding_window_view(x, 1000)[::500]
    win = np.hanning(1000)
    avg = (np.abs(np.fft.rfft(f * win, axis=1)) ** 2).mean(axis=0)
    avg /= (win**2).sum() * 1000 / 2
    best = None
    for mains in (50.0, 60.0):
        prom, power = [], 0.0
        for k in range(1, 7):
            c = round(mains * k)
            peak = float(avg[c - 1 : c + 2].max())
            if peak < 4 * max(float(avg[c - 2]), float(avg[c + 2])):
                peak = 0.0
            near = np.concatenate([avg[c - 12 : c - 3], avg[c + 4 : c + 13]])
            floor = float(np.partition(near, 8)[8])
            prom.append(10 * math.log10(max(peak, 1e-30) / max(floor, 1e-30)))
            if prom[-1] >= 6.0:
                power += max(0.0, float(avg[c - 2 : c + 3].sum()) - 5 * floor)
        if prom[0] >= 10.0 and power > 0:
            under = speech_db - 10 * math.log10(power)
            if best is None or under < best[1]:
                best = (mains, under)
    return best


def test_hum_reads_each_line_as_alone() -> None:
    rng = np.random.default_rng(2)
    found = 0
    for trial in range(24):
        rate = (16000, 44100, 48000)[trial % 3]
        t = np.arange(int(rate * rng.uniform(1.5, 5))) / rate
        x = rng.standard_normal(len(t)) * 0.01
        mains = 50 if trial % 2 else 60
        for k in range(1, 7):
            level = rng.uniform(0, 0.02) * (trial % 4 != 0)
            x += level * np.sin(2 * np.pi * (mains * k + rng.uniform(-0.3, 0.3)) * t)
        got = a.hum(x.astype(np.float32), rate, -20.0)
        assert got == plain_hum(x.astype(np.float32), rate, -20.0)
        found += got is not None
    assert 0 < found < 24


def plain_picture_means(spec: np.ndarray, bin_hz: float) -> np.ndarray:
    """Each row's power as the mean of its bins (columns x rows), taken row by row."""
    columns = min(timeline.SPECTRUM_COLUMNS, len(spec))
    starts = (np.arange(columns) * len(spec)) // columns
    pooled = np.add.reduceat(spec.astype(np.float64), starts, axis=0)
    pooled /= np.diff(np.append(starts, len(spec)))[:, None]
    top_mel = timeline._mel(bin_hz * (spec.shape[1] - 1))
    rows = timeline.SPECTRUM_ROWS
    edges = [
        min(spec.shape[1] - 1, round(timeline._hz(top_mel * k / rows) / bin_hz))
        for k in range(rows + 1)
    ]
    means = [pooled[:, e : max(e + 1, edges[k + 1])].mean(axis=1) for k, e in enumerate(edges[:-1])]
    return np.stack(means, axis=1)


def plain_picture_grid(spec: np.ndarray, bin_hz: float) -> np.ndarray:
    """The picture's rows (highest first) in dB, each the mean of its bins taken on its own."""
    return 10 * np.log10(np.maximum(plain_picture_means(spec, bin_hz)[:, ::-1].T, 1e-20))


def test_spectrum_picture_rows_are_the_means_of_their_bins() -> None:
    rng = np.random.default_rng(3)
    for frames, size, rate in ((5, 256, 8000), (93, 1024, 16000), (400, 4096, 48000)):
        spec = (rng.random((frames, size // 2 + 1)) ** 4).astype(np.float32)
        grid = plain_picture_grid(spec, rate / size)
        top = float(grid.max())
        scaled = np.clip((grid - (top - timeline.SPECTRUM_RANGE_DB)) / 80.0, 0.0, 1.0)
        picture = timeline.spectrum_picture(spec, rate / size)
        assert picture is not None
        assert picture.cells == np.rint(scaled * 255).astype(np.uint8).tobytes()


def test_picture_rows_in_one_reduceat_are_each_rows_own_mean() -> None:
    """mel_power sums every row in one np.add.reduceat (a zero first in each segment): the
    very bits of each row's own mean, narrow rows and rows of 8, 128 bins and more alike."""
    rng = np.random.default_rng(5)
    for frames, size, rate in (
        (3, 256, 8000),
        (31, 1024, 16000),
        (200, 2048, 22050),
        (377, 4096, 44100),
        (400, 4096, 48000),
        (90, 16384, 48000),  # rows of hundreds of bins: numpy's pairwise sum recurses
    ):
        spec = (rng.random((frames, size // 2 + 1)) ** 4).astype(np.float32)
        spec[:, rng.integers(0, size // 2, 5)] = 0.0
        got = timeline.mel_power(spec, rate / size)
        assert np.array_equal(got, plain_picture_means(spec, rate / size)), (frames, size)
        grid = 10 * np.log10(np.maximum(got[:, ::-1].T, 1e-20))
        assert np.array_equal(grid, plain_picture_grid(spec, rate / size)), (frames, size)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_later_takes_reuse_the_first_ones_memory() -> None:
    """The heap may still grow on the second take (the clipping scan's candidates, first-use
    caches); from then on a take faults in no new pages (measured: 0-1, and 337 without
    heap.keep)."""
    rng = np.random.default_rng(4)
    take = (rng.standard_normal((3 * 16000, 1)) * 0.1).astype(np.float32)
    heap.keep()
    quality.analyse(take, 16000)
    quality.analyse(take, 16000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    quality.analyse(take, 16000)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 60  # 110-340 a take when glibc hands its temporaries back


def plain_phrase_levels(
    levels: np.ndarray, voiced: np.ndarray, bounds: list[tuple[int, int]]
) -> list[float]:
    """phrase_levels as first written: each phrase's own np.mean."""
    out = []
    for start, end in bounds:
        mine = levels[start:end][voiced[start:end]]
        out.append(float(10 * np.log10(np.mean(10 ** (mine / 10)))) if len(mine) else -200.0)
    return out


def test_phrase_levels_are_each_phrases_own_mean() -> None:
    rng = np.random.default_rng(8)
    for trial in range(300):
        n = int(rng.integers(1, 3500))
        levels = rng.uniform(-90, 0, n)
        if trial % 7 == 0:
            levels[rng.integers(0, n, 3)] = -200.0  # digital silence's floor
        voiced = rng.random(n) < rng.uniform(0.05, 0.95)
        cuts = np.sort(
            rng.choice(n + 1, size=2 * int(rng.integers(0, min(40, n // 2) + 1)), replace=False)
        )
        bounds = [(int(a), int(b)) for a, b in cuts.reshape(-1, 2)]
        got = quality.phrase_levels(levels, voiced, bounds)
        assert got == plain_phrase_levels(levels, voiced, bounds), trial


def test_extension_is_path_suffix() -> None:
    from pathlib import Path

    from bland_clone.audio.inspection import extension

    names = [
        "a.wav",
        "A.WAV",
        "a.b.mp3",
        "a.",
        "a..wav",
        "a.wav.",
        "a.wav ",
        ".wav",
        "..wav",
        "..mp3",
        "noext",
        "dir.d/file",
        "dir.d/file.flac",
        "/x/y.M4A",
        "a.tar.gz",
        "weird.wAv",
        "é.ogg",
        "a b.webm",
        "dir/.hidden.wav",
        "x.mp4.",
        ".",
        "..",
        "a/..b",
        "dir/a.b.c",
    ]
    for n in names:
        assert extension(n) == Path(n).suffix.lower(), n


def plain_ltas(rows: np.ndarray, k: int) -> np.ndarray:
    """ltas as first written: np.mean and np.pad."""
    db = 10 * np.log10(np.maximum(rows.mean(axis=0, dtype=np.float64), 1e-20))
    padded = np.pad(db, (k // 2, k - 1 - k // 2), mode="edge")
    return np.convolve(padded, np.ones(k) / k, mode="valid")


def test_ltas_is_the_plain_one() -> None:
    rng = np.random.default_rng(9)
    for trial in range(60):
        frames, bins = int(rng.integers(1, 400)), int(rng.integers(20, 2100))
        rows = (rng.random((frames, bins)) ** 6 * 10 ** -rng.uniform(0, 12)).astype(np.float32)
        if trial % 5 == 0:
            rows[:, rng.integers(0, bins, 10)] = 0.0
        k = int(rng.integers(1, 40))
        assert np.array_equal(a.ltas(rows, k), plain_ltas(rows, k)), trial

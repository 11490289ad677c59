"""A labelled corpus of voice recordings, made by code: espeak-ng speech, faults added with
numpy, scipy and ffmpeg.

Each recording carries the quality causes a listener would name (``expect``: the warning codes
without their ``quality_`` prefix), a strength (``clean``, ``mild``, ``strong``) and the causes
that may come along without being wrong (``allow``: a hard-clipped take is also loud).

    from tests.corpus import build
    items = build(Path("/tmp/corpus"))   # cached: a second call reuses the files

Used by tests/test_quality.py and bench/quality.py.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

#: Bump when the recipes change, so a cached corpus is rebuilt.
VERSION = 7
ESPEAK_RATE = 22050

SENTENCES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "Six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack.",
    "We also need a small plastic snake and a big toy frog for the kids.",
    "She can scoop these things into three red bags, and we will go meet her.",
    "When the sunlight strikes raindrops in the air, they act as a prism and form a rainbow.",
    "The rainbow is a division of white light into many beautiful colors.",
    "These take the shape of a long round arch, with its path high above.",
]

#: Short lines for two people taking turns.
DIALOGUE = [
    "Did you bring the map?",
    "Yes, it is in my bag.",
    "Which way do we go from here?",
    "Left at the old mill, then straight on.",
    "How far is it to the lake?",
    "About two miles, maybe a little more.",
    "Then we should leave now.",
    "Give me one minute to find my hat.",
]


@dataclass
class Item:
    name: str
    path: str
    strength: str  # clean, mild, strong
    fault: str  # "clean" or the fault's name
    expect: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    note: str = ""


# -- speech ------------------------------------------------------------------------------------


def speak(
    text: str, voice: str = "en-us", wpm: int = 165, pitch: int = 50, gap: int = 0
) -> np.ndarray:
    """espeak-ng's speech for `text`, float32 mono at 22050 Hz, edge silence trimmed."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(
            [
                "espeak-ng",
                "-v",
                voice,
                "-s",
                str(wpm),
                "-p",
                str(pitch),
                "-g",
                str(gap),
                "-w",
                f.name,
                text,
            ],
            check=True,
            capture_output=True,
        )
        x, rate = sf.read(f.name, dtype="float32")
    assert rate == ESPEAK_RATE
    loud = np.nonzero(np.abs(x) > 1e-3)[0]
    return x[loud[0] : loud[-1] + 1] if len(loud) else x


def take(
    voice: str = "en-us",
    *,
    wpm: int = 165,
    pitch: int = 50,
    gap: int = 0,
    pauses: tuple[float, ...] = (0.5, 0.7, 0.6),
    seconds: float = 12.0,
    first: int = 0,
    voices: list[tuple[str, int]] | None = None,
    lines: list[str] = SENTENCES,
) -> np.ndarray:
    """Sentences joined by pauses until the take is about `seconds` long (at 22050 Hz).
    `voices` alternates speakers (voice, pitch) sentence by sentence."""
    parts: list[np.ndarray] = []
    total = 0.0
    i = 0
    while total < seconds - 1.0 and i < 12:
        v, p = voices[i % len(voices)] if voices else (voice, pitch)
        s = speak(lines[(first + i) % len(lines)], v, wpm, p, gap)
        room = int((seconds - total) * ESPEAK_RATE)
        if len(s) > room:  # cut the last sentence at a quiet point near the end
            env = np.convolve(np.abs(s), np.ones(441) / 441, mode="same")
            lo = max(int(room * 0.8), 1)
            s = s[: lo + int(np.argmin(env[lo:room]))] if room > lo else s[:room]
        parts.append(s)
        total += len(s) / ESPEAK_RATE
        pause = pauses[i % len(pauses)]
        if total + pause < seconds - 1.0:
            parts.append(np.zeros(int(pause * ESPEAK_RATE), np.float32))
            total += pause
        i += 1
    return np.concatenate(parts).astype(np.float32)


def active_rms_db(x: np.ndarray, rate: int) -> float:
    n = int(rate * 0.02)
    f = x[: len(x) // n * n].reshape(-1, n)
    lv = 10 * np.log10(np.mean(f.astype(np.float64) ** 2, axis=1) + 1e-20)
    act = lv[lv > lv.max() - 35]
    return float(10 * np.log10(np.mean(10 ** (act / 10))))


def finish(
    x: np.ndarray,
    rate: int = 44100,
    *,
    level_db: float = -20.0,
    floor_db: float = -62.0,
    channels: int = 1,
    seed: int = 0,
    src_rate: int = ESPEAK_RATE,
) -> tuple[np.ndarray, int]:
    """Resample, set the speech level (dBFS RMS of active frames), add a quiet room floor
    (pink-ish noise at floor_db dBFS), and make stereo (the same voice, a touch apart)."""
    import soxr

    if rate != src_rate:
        x = soxr.resample(x, src_rate, rate).astype(np.float32)
    x = x * np.float32(10 ** ((level_db - active_rms_db(x, rate)) / 20))
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(len(x))
    pink = np.convolve(white, [1.0, 0.6, 0.3], mode="same")  # a gentle tilt; a room is not white
    pink *= 10 ** (floor_db / 20) / (np.std(pink) + 1e-12)
    x = (x + pink).astype(np.float32)
    if channels == 2:
        right = np.roll(x, 3) * np.float32(0.9) + pink.astype(np.float32) * 0.5
        return np.stack([x, right], axis=1).astype(np.float32), rate
    return x, rate


# -- faults ------------------------------------------------------------------------------------


def reverb(x: np.ndarray, rate: int, rt60: float, drr_db: float, seed: int = 1) -> np.ndarray:
    """Convolve with a synthetic room: a direct path plus exponentially decaying noise."""
    from scipy.signal import fftconvolve

    rng = np.random.default_rng(seed)
    n = int(rate * rt60 * 1.2)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.91 * t / rt60)
    tail[: int(0.005 * rate)] = 0  # the first reflection arrives after ~5 ms
    tail *= 10 ** (-drr_db / 20) / np.sqrt(np.sum(tail**2))
    h = tail
    h[0] = 1.0
    y = fftconvolve(x, h)[: len(x) + int(rate * 0.3)]
    return y.astype(np.float32)


def music(seconds: float, rate: int, seed: int = 2, intermittent: bool = False) -> np.ndarray:
    """Synthetic band music: chords with harmonics on a 120 bpm beat, a bass line, a kick."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n)
    beat = 0.5
    chords = [
        [261.63, 329.63, 392.0],
        [220.0, 261.63, 329.63],
        [174.61, 220.0, 261.63],
        [196.0, 246.94, 293.66],
    ]
    t_note = np.arange(int(beat * 2 * rate)) / rate
    for k, start in enumerate(np.arange(0, seconds, beat * 2)):
        if intermittent and (k // 2) % 2 == 1:
            continue
        i0 = int(start * rate)
        seg = np.zeros(len(t_note))
        for f in [*chords[k % 4], chords[k % 4][0] / 2]:
            for h in range(1, 5):
                seg += np.sin(2 * np.pi * f * h * t_note + rng.uniform(0, 6.28)) / h**1.5
        seg *= np.exp(-t_note / 0.8) * (1 - np.exp(-t_note / 0.01))
        kick = np.sin(2 * np.pi * 60 * t_note * np.exp(-t_note / 0.05)) * np.exp(-t_note / 0.08)
        seg += 2.0 * kick
        half = int(beat * rate)
        seg[half:] += 1.5 * kick[: len(seg) - half]
        m = min(len(seg), n - i0)
        out[i0 : i0 + m] += seg[:m]
    return (out / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


def hum(seconds: float, rate: int, mains: float) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = sum(
        np.sin(2 * np.pi * mains * k * t + k) * a
        for k, a in [(1, 1.0), (2, 0.5), (3, 0.6), (4, 0.2), (5, 0.25)]
    )
    return (x / np.sqrt(np.mean(x**2))).astype(np.float32)


def mix_at(x: np.ndarray, bed: np.ndarray, rate: int, below_db: float) -> np.ndarray:
    """x plus bed, the bed's RMS `below_db` under x's speech level."""
    bed = bed[: len(x)]
    gain = 10 ** ((active_rms_db(x, rate) - below_db) / 20) / (
        np.sqrt(np.mean(bed.astype(np.float64) ** 2)) + 1e-12
    )
    return (x + bed * gain).astype(np.float32)


def bandpass(x: np.ndarray, rate: int, lo: float, hi: float) -> np.ndarray:
    from scipy.signal import butter, sosfiltfilt

    sos = butter(8, [lo, hi], btype="bandpass", fs=rate, output="sos")
    return sosfiltfilt(sos, x).astype(np.float32)


def quantise(x: np.ndarray, bits: int) -> np.ndarray:
    q = 2 ** (bits - 1)
    return (np.round(np.clip(x, -1, 1 - 1 / q) * q) / q).astype(np.float32)


def mp3(x: np.ndarray, rate: int, kbps: int, path: Path) -> None:
    """Encode with ffmpeg (LAME) at a constant bitrate."""
    wav = path.with_suffix(".src.wav")
    sf.write(wav, x, rate, subtype="PCM_16")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-b:a", f"{kbps}k", str(path)],
        check=True,
        capture_output=True,
    )
    wav.unlink()


# -- the recipes -------------------------------------------------------------------------------

Recipe = Callable[[Path], Item]


def _write(path: Path, x: np.ndarray, rate: int, subtype: str = "PCM_16") -> None:
    sf.write(path, x, rate, subtype=subtype)


def _clean(
    name: str,
    voice: str,
    rate: int,
    channels: int,
    wpm: int,
    pitch: int,
    pauses: tuple[float, ...],
    seconds: float,
    first: int,
    level: float,
    gap: int = 0,
    floor: float = -62.0,
    room: float = 0.0,
) -> Recipe:
    def make(d: Path) -> Item:
        x = take(voice, wpm=wpm, pitch=pitch, pauses=pauses, seconds=seconds, first=first, gap=gap)
        if room:  # a small furnished room: short decay, strong direct sound
            x = reverb(x, ESPEAK_RATE, room, 10.0)[: len(x)]
        y, r = finish(x, rate, level_db=level, channels=channels, seed=first, floor_db=floor)
        p = d / f"{name}.wav"
        _write(p, y, r)
        ch = "stereo" if channels == 2 else "mono"
        return Item(
            name,
            str(p),
            "clean",
            "clean",
            note=f"{voice} {wpm} wpm, {r} Hz {ch}, {len(y) / r:.1f}s, pauses {pauses}",
        )

    return make


CLEAN: list[Recipe] = [
    _clean("clean-01-us", "en-us", 44100, 1, 165, 50, (0.5, 0.7), 12.0, 0, -20),
    _clean("clean-02-f3", "en+f3", 48000, 1, 150, 60, (0.8, 1.2), 13.0, 1, -22),
    _clean("clean-03-m3", "en+m3", 16000, 1, 175, 40, (0.4, 0.6), 11.0, 2, -18),
    _clean("clean-04-gb", "en-gb", 22050, 2, 160, 50, (0.6, 1.0), 12.5, 3, -24),
    _clean("clean-05-f2-pauses", "en+f2", 44100, 1, 140, 55, (1.4, 1.8), 14.0, 4, -21, gap=8),
    _clean("clean-06-m1-fast", "en+m1", 48000, 2, 195, 45, (0.3, 0.5), 10.5, 5, -19),
    _clean("clean-07-f4", "en+f4", 32000, 1, 170, 65, (0.9, 0.6), 12.0, 6, -26),
    _clean("clean-08-us-slow", "en-us", 16000, 1, 130, 45, (1.0, 1.3), 14.5, 7, -20, gap=5),
    _clean("clean-09-m2", "en+m2", 44100, 2, 160, 35, (0.7, 1.5), 13.5, 2, -17),
    _clean("clean-10-f1", "en+f1", 24000, 1, 155, 70, (1.2, 1.6, 0.8), 13.0, 5, -23, gap=4),
    _clean("clean-11-scot", "en-gb-scotland", 48000, 1, 165, 50, (0.6, 0.9), 12.0, 0, -20),
    _clean("clean-12-m4-pauses", "en+m4", 44100, 1, 150, 50, (1.6, 2.0), 14.0, 3, -22, gap=10),
    _clean("clean-13-small-room", "en-us", 44100, 1, 160, 50, (0.7, 1.0), 12.5, 1, -20, room=0.25),
    _clean(
        "clean-14-room-floor", "en+f3", 48000, 1, 160, 60, (0.8, 1.1), 12.0, 2, -20, floor=-52.0
    ),
    _clean("clean-15-low-voice", "en+m3", 48000, 2, 150, 15, (0.6, 0.9), 12.5, 4, -21),
    _clean("clean-16-high-voice", "en+f4", 22050, 1, 170, 90, (0.6, 0.8), 11.5, 6, -19),
]


@functools.cache
def _base_cached(seed: int, rate: int, seconds: float) -> tuple[np.ndarray, int]:
    voice = ["en-us", "en+f3", "en+m3", "en-gb"][seed % 4]
    pitch = [50, 60, 40, 50][seed % 4]
    x = take(voice, pitch=pitch, pauses=(0.6, 0.9), seconds=seconds, first=seed)
    y, r = finish(x, rate, level_db=-20, seed=100 + seed)
    y.setflags(write=False)
    return y, r


def _base(seed: int, rate: int = 44100, seconds: float = 12.5) -> tuple[np.ndarray, int]:
    """The take a fault is added to (four voices; each made once per build)."""
    y, r = _base_cached(seed, rate, seconds)
    return y.copy(), r


def _fault(
    name: str,
    fault: str,
    strength: str,
    expect: list[str],
    note: str,
    fn: Callable[[np.ndarray, int, Path], tuple[np.ndarray, int] | None],
    *,
    seed: int,
    rate: int = 44100,
    allow: list[str] | None = None,
    seconds: float = 12.5,
) -> Recipe:
    def make(d: Path) -> Item:
        x, r = _base(seed, rate, seconds)
        p = d / f"{name}.wav"
        out = fn(x, r, p)
        if out is not None:
            y, r2 = out
            _write(p, y, r2, "PCM_U8" if fault == "8bit" and strength == "strong" else "PCM_16")
        else:
            p = p.with_suffix(".mp3")
        return Item(name, str(p), strength, fault, expect, allow or [], note)

    return make


def _clip(frac: float) -> Callable[[np.ndarray, int, Path], tuple[np.ndarray, int]]:
    def f(x: np.ndarray, r: int, p: Path) -> tuple[np.ndarray, int]:
        g = 1.0 / np.quantile(np.abs(x), 1 - frac)
        return np.clip(x * g, -1, 1).astype(np.float32), r

    return f


def _level(db: float) -> Callable[[np.ndarray, int, Path], tuple[np.ndarray, int]]:
    def f(x: np.ndarray, r: int, p: Path) -> tuple[np.ndarray, int]:
        y = x * np.float32(10 ** ((db - active_rms_db(x, r)) / 20))
        if np.max(np.abs(y)) > 0.9:  # a limiter, as a loud recorder has: loud, not clipped
            y = np.tanh(y / 0.9) * 0.9
            y *= np.float32(10 ** ((db - active_rms_db(y, r)) / 20))
            y = np.clip(y, -0.97, 0.97)
        return y.astype(np.float32), r

    return f


def _noise(snr: float) -> Callable[[np.ndarray, int, Path], tuple[np.ndarray, int]]:
    def f(x: np.ndarray, r: int, p: Path) -> tuple[np.ndarray, int]:
        n = np.random.default_rng(7).standard_normal(len(x)).astype(np.float32)
        return mix_at(x, n, r, snr), r

    return f


def _noisy_take(
    seconds: float, snr: float, lead: float
) -> Callable[[np.ndarray, int, Path], tuple[np.ndarray, int]]:
    """A long take (pauses of 1-1.4 s) in a noisy room, the recorder started `lead` s early."""

    def f(x: np.ndarray, r: int, p: Path) -> tuple[np.ndarray, int]:
        y = take("en+m3", pitch=40, pauses=(1.0, 1.4), seconds=seconds, first=4)
        y, r = finish(y, r, level_db=-20, seed=9)
        y = np.concatenate([np.zeros(int(lead * r), np.float32), y])
        return _noise(snr)(y, r, p)

    return f


def _silence(
    lead: float, trail: float, keep: float
) -> Callable[[np.ndarray, int, Path], tuple[np.ndarray, int]]:
    def f(x: np.ndarray, r: int, p: Path) -> tuple[np.ndarray, int]:
        floor = (
            np.random.default_rng(8).standard_normal(int((lead + trail) * r)).astype(np.float32)
            * 8e-4
        )
        a = int(lead * r)
        return np.concatenate([floor[:a], x[: int(keep * r)], floor[a:]]), r

    return f


def _reverb(rt60: float, drr: float) -> Callable[[np.ndarray, int, Path], tuple[np.ndarray, int]]:
    def f(x: np.ndarray, r: int, p: Path) -> tuple[np.ndarray, int]:
        y = reverb(x, r, rt60, drr)
        return y * np.float32(10 ** ((-20 - active_rms_db(y, r)) / 20)), r

    return f


def _music(
    below: float, intermittent: bool
) -> Callable[[np.ndarray, int, Path], tuple[np.ndarray, int]]:
    def f(x: np.ndarray, r: int, p: Path) -> tuple[np.ndarray, int]:
        return mix_at(x, music(len(x) / r + 1, r, intermittent=intermittent), r, below), r

    return f


def _hum(mains: float, below: float) -> Callable[[np.ndarray, int, Path], tuple[np.ndarray, int]]:
    def f(x: np.ndarray, r: int, p: Path) -> tuple[np.ndarray, int]:
        return mix_at(x, hum(len(x) / r + 1, r, mains), r, below), r

    return f


def _mp3(kbps: int) -> Callable[[np.ndarray, int, Path], None]:
    def f(x: np.ndarray, r: int, p: Path) -> None:
        mp3(x, r, kbps, p.with_suffix(".mp3"))

    return f


def _phone(lo: float, hi: float) -> Callable[[np.ndarray, int, Path], tuple[np.ndarray, int]]:
    def f(x: np.ndarray, r: int, p: Path) -> tuple[np.ndarray, int]:
        return bandpass(x, r, lo, hi), r

    return f


def _bits(bits: int) -> Callable[[np.ndarray, int, Path], tuple[np.ndarray, int]]:
    def f(x: np.ndarray, r: int, p: Path) -> tuple[np.ndarray, int]:
        return quantise(x, bits), r

    return f


def _speakers(
    name: str, strength: str, voices: list[tuple[str, int]], rate: int, note: str
) -> Recipe:
    def make(d: Path) -> Item:
        x = take(voices=voices, pauses=(0.5, 0.7, 0.6), seconds=13.0, lines=DIALOGUE)
        y, r = finish(x, rate, level_db=-20, seed=40)
        p = d / f"{name}.wav"
        _write(p, y, r)
        return Item(name, str(p), strength, "two_speakers", ["two_speakers"], [], note)

    return make


def _expressive(name: str) -> Recipe:
    """One voice reading lines at two pitches (espeak-ng -p 35 and 65, 4.5 semitones apart):
    an expressive reader, not two speakers."""

    def make(d: Path) -> Item:
        x = take(
            voices=[("en-us", 35), ("en-us", 65)],
            pauses=(0.5, 0.7, 0.6),
            seconds=13.0,
            lines=DIALOGUE,
        )
        y, r = finish(x, 44100, level_db=-20, seed=17)
        p = d / f"{name}.wav"
        _write(p, y, r)
        return Item(
            name,
            str(p),
            "clean",
            "clean",
            note="one voice at two pitches (-p 35/65), taking turns with itself",
        )

    return make


CLEAN.append(_expressive("clean-17-expressive"))


FAULTS: list[Recipe] = [
    _fault(
        "clipped-mild",
        "clipped",
        "mild",
        ["clipped"],
        "0.3% of samples clipped",
        _clip(0.003),
        seed=0,
        allow=["too_loud"],
    ),
    _fault(
        "clipped-strong",
        "clipped",
        "strong",
        ["clipped"],
        "3% of samples clipped",
        _clip(0.03),
        seed=1,
        allow=["too_loud"],
    ),
    _fault("quiet-mild", "quiet", "mild", ["too_quiet"], "speech at -34 dBFS", _level(-34), seed=2),
    _fault(
        "quiet-strong", "quiet", "strong", ["too_quiet"], "speech at -42 dBFS", _level(-42), seed=3
    ),
    _fault(
        "loud-mild", "loud", "mild", ["too_loud"], "speech at -7 dBFS, limited", _level(-7), seed=0
    ),
    _fault(
        "loud-strong",
        "loud",
        "strong",
        ["too_loud"],
        "speech at -4 dBFS, limited",
        _level(-4),
        seed=1,
        allow=["clipped"],
    ),
    _fault(
        "noise-mild",
        "noise",
        "mild",
        ["noisy"],
        "white noise 22 dB under speech",
        _noise(22),
        seed=2,
    ),
    _fault(
        "noise-strong",
        "noise",
        "strong",
        ["noisy"],
        "white noise 10 dB under speech",
        _noise(10),
        seed=3,
    ),
    _fault(
        "noisy-long-mild",
        "noisy_long",
        "mild",
        ["noisy"],
        "a 17 s take, 1-1.4 s pauses, noise 20 dB under",
        _noisy_take(17.0, 20, 0.0),
        seed=0,
    ),
    _fault(
        "noisy-long-strong",
        "noisy_long",
        "strong",
        ["noisy"],
        "a 19 s take, 1-1.4 s pauses, noise 12 dB under",
        _noisy_take(19.0, 12, 0.0),
        seed=0,
    ),
    _fault(
        "noisy-lead-mild",
        "noisy_lead",
        "mild",
        ["noisy", "edge_silence"],
        "1.5 s of room noise before the first word, noise 15 dB under",
        _noisy_take(12.0, 15, 1.5),
        seed=0,
    ),
    _fault(
        "noisy-lead-strong",
        "noisy_lead",
        "strong",
        ["noisy", "edge_silence"],
        "3 s of room noise before the first word, noise 12 dB under",
        _noisy_take(12.0, 12, 3.0),
        seed=0,
    ),
    _fault(
        "silence-mild",
        "silence",
        "mild",
        ["edge_silence"],
        "2 s of silence before 11 s of speech",
        _silence(2.0, 0.3, 11.0),
        seed=0,
    ),
    _fault(
        "silence-strong",
        "silence",
        "strong",
        ["edge_silence", "mostly_silent", "speech_length"],
        "8 s silence, 6 s speech, 10 s silence",
        _silence(8.0, 10.0, 6.0),
        seed=1,
    ),
    _fault(
        "short-mild",
        "short",
        "mild",
        ["speech_length"],
        "an 8.5 s take",
        lambda x, r, p: (x[: int(8.5 * r)], r),
        seed=2,
        seconds=9.0,
    ),
    _fault(
        "short-strong",
        "short",
        "strong",
        ["speech_length"],
        "a 5 s take",
        lambda x, r, p: (x[: int(5 * r)], r),
        seed=3,
        seconds=6.0,
    ),
    _fault(
        "reverb-mild",
        "reverb",
        "mild",
        ["reverb"],
        "room: RT60 0.4 s, DRR +3 dB",
        _reverb(0.4, 3.0),
        seed=0,
    ),
    _fault(
        "reverb-strong",
        "reverb",
        "strong",
        ["reverb"],
        "hall: RT60 1.5 s, DRR -3 dB",
        _reverb(1.5, -3.0),
        seed=1,
    ),
    _fault(
        "music-mild",
        "music",
        "mild",
        ["music"],
        "intermittent chords 18 dB under speech",
        _music(18, True),
        seed=2,
    ),
    _fault(
        "music-strong",
        "music",
        "strong",
        ["music"],
        "chords and a beat 8 dB under speech",
        _music(8, False),
        seed=3,
    ),
    _fault(
        "hum50-mild", "hum", "mild", ["hum"], "50 Hz hum 40 dB under speech", _hum(50, 40), seed=0
    ),
    _fault(
        "hum50-strong",
        "hum",
        "strong",
        ["hum"],
        "50 Hz hum 20 dB under speech",
        _hum(50, 20),
        seed=1,
    ),
    _fault(
        "hum60-mild",
        "hum",
        "mild",
        ["hum"],
        "60 Hz hum 38 dB under speech",
        _hum(60, 38),
        seed=2,
        rate=48000,
    ),
    _fault(
        "hum60-strong",
        "hum",
        "strong",
        ["hum"],
        "60 Hz hum 22 dB under speech",
        _hum(60, 22),
        seed=3,
        rate=48000,
    ),
    _fault("mp3-mild", "mp3", "mild", ["band_limited"], "MP3 at 32 kbit/s", _mp3(32), seed=0),
    _fault("mp3-strong", "mp3", "strong", ["band_limited"], "MP3 at 16 kbit/s", _mp3(16), seed=1),
    _fault(
        "phone-mild",
        "phone",
        "mild",
        ["band_limited"],
        "band 150-5000 Hz",
        _phone(150, 5000),
        seed=2,
        rate=16000,
    ),
    _fault(
        "phone-strong",
        "phone",
        "strong",
        ["band_limited"],
        "phone band 300-3400 Hz",
        _phone(300, 3400),
        seed=3,
        rate=16000,
    ),
    _fault("8bit-mild", "8bit", "mild", ["low_bit_depth"], "10-bit samples", _bits(10), seed=0),
    _fault(
        "8bit-strong",
        "8bit",
        "strong",
        ["low_bit_depth"],
        "8-bit samples (PCM_U8)",
        _bits(8),
        seed=1,
    ),
    _speakers(
        "speakers-mild",
        "mild",
        [("en-us", 45), ("en+m3", 70)],
        44100,
        "two male voices, pitch 45 and 70, taking turns",
    ),
    _speakers(
        "speakers-strong",
        "strong",
        [("en+m3", 25), ("en+f3", 85)],
        44100,
        "a low male and a high female voice taking turns",
    ),
]


def build(dest: Path, workers: int = 2) -> list[Item]:
    """Make the corpus in `dest` (or reuse it when this version is already there)."""
    index = dest / "corpus.json"
    if index.exists():
        doc = json.loads(index.read_text())
        if doc.get("version") == VERSION:
            return [Item(**i) for i in doc["items"]]
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        raise RuntimeError(
            "the corpus needs espeak-ng and ffmpeg (apt-get install espeak-ng ffmpeg)"
        )
    with ThreadPoolExecutor(max_workers=workers) as pool:
        items = list(pool.map(lambda r: r(dest), CLEAN + FAULTS))
    _base_cached.cache_clear()
    index.write_text(
        json.dumps({"version": VERSION, "items": [asdict(i) for i in items]}, indent=1)
    )
    return items


def default_dir() -> Path:
    return Path(
        os.environ.get("BLAND_CORPUS_DIR")
        or Path(tempfile.gettempdir()) / f"bland-corpus-{os.getuid()}"
    )

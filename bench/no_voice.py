"""The margin of the no-voice check: acoustics.voice_share on real speech against noise and tones.

    python bench/no_voice.py [-v]

Real speech: every clip of tests/data/speech (12 people; its clips that are not speech, codec2's
david4, a FreeDV modem's signal, are shown apart), 12 s a take, clean, with white and pink noise
10, 5 and 0 dB under its speech level, at 8 kHz, through a 300-3400 Hz phone band at 8 kHz, and
as MP3 at 32 and 16 kbit/s. No voice: white, pink and brown noise at three levels, steady tones
of 500 Hz to 7 kHz, ffmpeg's noise colours and fans (brown noise under 1.2 kHz with a resonance
at 80-250 Hz). Stand-ins: the synthetic voiced tones the tests and benches use. Prints each
group's range and the threshold (quality.THRESHOLDS.min_voice_share) between them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from audiofiles import coloured_noise as coloured  # noqa: E402
from audiofiles import speech_like  # noqa: E402
from realspeech import load  # noqa: E402

from bland_clone.audio import decode, quality  # noqa: E402
from bland_clone.audio.inspection import inspect  # noqa: E402

RATE = 16000


def share(x: np.ndarray, rate: int) -> float:
    return quality.voice_share_of(np.asarray(x, np.float32), rate)


def speech_level(x: np.ndarray, rate: int) -> float:
    levels = quality.frame_levels(x, rate)
    active = levels[~quality.silent_mask(levels)]
    return float(10 * np.log10(np.mean(10 ** (active / 10))))


def via(tmp: Path, args: list[str], x: np.ndarray | None = None, rate: int = 0) -> tuple:
    """ffmpeg's output, decoded as validate decodes it: from a source (``x``) or a filter."""
    src, out = tmp / "src.wav", tmp / ("out.mp3" if x is not None else "out.wav")
    if x is not None:
        sf.write(src, np.asarray(x, np.float32), rate, subtype="PCM_16")
        cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(src), *args, str(out)]
    else:
        cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", *args, str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    data, r = decode.excerpt(str(out), inspect(str(out)), seconds=65)
    return quality.mixdown(data), r


def speech(tmp: Path) -> dict[str, dict[str, float]]:
    from scipy.signal import butter, sosfiltfilt

    out: dict[str, dict[str, float]] = {}
    rng = np.random.default_rng(5)
    for clip in load(speech=None):  # corpus.json's order: the same noise draws as before
        x, rate = clip.samples()
        x = np.concatenate([x, x, x])
        row = {"clean": share(x, rate)}
        for snr in (10, 5, 0):
            for name, power in (("white", 0.0), ("pink", 1.0)):
                w = coloured(len(x), power, rng, rate)
                w *= 10 ** ((speech_level(x, rate) - snr) / 20) / np.sqrt(np.mean(w**2))
                row[f"{name} {snr} dB"] = share(x + w, rate)
        row["8 kHz"] = share(soxr.resample(x, rate, 8000), 8000)
        sos = butter(8, [300, 3400], btype="bandpass", fs=rate, output="sos")
        row["phone"] = share(soxr.resample(sosfiltfilt(sos, x), rate, 8000), 8000)
        for kbps in (32, 16):
            row[f"MP3 {kbps}k"] = share(*via(tmp, ["-b:a", f"{kbps}k"], x, rate))
        out[clip.file] = row
    return out


def no_voice(tmp: Path) -> dict[str, float]:
    rng = np.random.default_rng(6)
    n = 12 * RATE
    out = {}
    for level in (0.01, 0.1, 0.5):
        for name, power in (("white", 0.0), ("pink", 1.0), ("brown", 2.0)):
            out[f"{name} noise peaking at {level:g}"] = share(level * coloured(n, power, rng), RATE)
    for hz in (500, 1000, 2000, 3000, 5000, 7000):
        for rate in (16000, 44100):
            t = np.arange(8 * rate) / rate
            out[f"{hz} Hz tone at {rate} Hz"] = share(0.5 * np.sin(2 * np.pi * hz * t), rate)
    for colour in ("white", "pink", "brown", "blue", "violet", "velvet"):
        src = f"anoisesrc=color={colour}:amplitude=0.3:duration=10:sample_rate=44100"
        out[f"ffmpeg {colour} noise"] = share(*via(tmp, [src]))
    for seed in (1, 2, 3):
        for hz in (80, 120, 150, 250):
            src = (
                f"anoisesrc=color=brown:amplitude=0.5:duration=10:sample_rate=44100:seed={seed},"
                f"highpass=f=40,lowpass=f=1200,equalizer=f={hz}:t=q:w=2:g=10,tremolo=f=8:d=0.1"
            )
            out[f"fan, resonance at {hz} Hz (seed {seed})"] = share(*via(tmp, [src]))
    return out


def standins() -> dict[str, float]:
    t = np.arange(int(12.5 * RATE)) / RATE
    am = np.clip(np.sin(2 * np.pi * 3 * t), 0, None)
    harmonic = sum(np.sin(2 * np.pi * k * 110 * t) / k for k in range(1, 6))
    return {
        "bench/run.py: 150 Hz, swelling 3 times a second": share(
            0.3 * np.sin(2 * np.pi * 150 * t) * am, RATE
        ),
        "steady 200 Hz (test_speech)": share(0.3 * np.sin(2 * np.pi * 200 * t), RATE),
        "steady 320 Hz (test_speech)": share(0.3 * np.sin(2 * np.pi * 320 * t), RATE),
        "harmonic 110 Hz (bench/apply.py)": share(
            0.2 * harmonic * (0.35 + 0.65 * np.abs(np.sin(np.pi * 3.0 * t))), RATE
        ),
        "speech_like (tests/audiofiles.py)": share(speech_like(12.5), RATE),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", "--verbose", action="store_true", help="every recording")
    args = ap.parse_args()
    limit = quality.THRESHOLDS.min_voice_share
    with tempfile.TemporaryDirectory() as d:
        real = speech(Path(d))
        none = no_voice(Path(d))
    fine = standins()
    signals = {c.file for c in load(speech=False)}
    people = {f: r for f, r in real.items() if f not in signals}
    modem = {f: r for f, r in real.items() if f in signals}
    kinds = sorted({k for r in people.values() for k in r})
    print(f"real speech, {len(people)} clips (threshold {limit:g}):")
    for k in kinds:
        v = [r[k] for r in people.values()]
        low = min(people, key=lambda f: people[f][k])
        print(f"  {k:12} lowest {min(v):.3f} ({low}), median {sorted(v)[len(v) // 2]:.3f}")
    lowest = min(min(r.values()) for r in people.values())
    highest = max(none.values())
    print(f"no voice, {len(none)} recordings: highest {highest:.3f} ({max(none, key=none.get)})")
    print(f"stand-ins: lowest {min(fine.values()):.3f} ({min(fine, key=fine.get)})")
    for f, r in modem.items():  # a modem's carriers are a comb: through a phone band, a "voice"
        top = max(r, key=lambda k: r[k])
        print(f"{f} (a modem's signal, not a voice): clean {r['clean']:.3f}, {top} {r[top]:.3f}")
    if args.verbose:
        for name, v in [*none.items(), *fine.items()]:
            print(f"  {v:.3f}  {name}")
    print(f"margin: real speech {lowest:.3f} and up, no voice {highest:.3f} at most")
    ok = lowest >= limit > highest and min(fine.values()) >= limit
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

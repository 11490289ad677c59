"""Could a cheap, non-neural screen clear a take as one speaker before the voiceprint runs?

    python bench/cheap_screen.py [--quick] [-v]

Issue 22 asked for a screen that runs before the encoder (and before its model is loaded) and
clears a take as plainly one speaker, so that the encoder runs only where a second voice is
possible. Its rule: it must clear no take of two people. This measures the classic candidates
on bench/speakers.py's takes (real speech of tests/data/speech's 12 people: every pair taking
turns of 2-4 s, also through one shared 8 kHz channel; one person's clips back to back, reversed
and through the channel) and prints, for each, the lowest score of a take of two people and how
many one-person takes score under it: what the screen could clear at no miss at all.

Spectral statistics use the voiceprint's own speech windows (1.6 s every 0.8 s, silences cut:
voiceprint._speech_windows) as 12 MFCCs a 10 ms frame (the DCT of the log mel bands, c0
dropped), so they would cost nothing the analysis does not compute already:
- ``windows apart``: the largest distance between two windows' mean MFCCs (in units of the
  take's own spread per coefficient);
- ``groups apart``: the distance between the centres of the windows' 2-means split;
- ``dBIC groups``: the per-frame log-likelihood gain of two full-covariance Gaussians (the
  2-means groups, which fits turns taken in any order) over one;
- ``dBIC change``: the same at the best single change point (one turn each).
Pitch (acoustics.pitch_track, semitones):
- ``pitch spread``: the 10th-90th percentile range of the voiced frames' pitch;
- ``window pitches``: the range of the windows' median pitches (F0 bimodality).

Found (2026-12-05): no spectral statistic clears one real one-person take of 22 at no miss:
one person's windows differ as much as two people's (what is said moves the spectrum more than
who says it, in 1.6 s). The pitch spread clears 5 of 22 (two ham-radio operators, narrowband
and compressed) with a margin of 0.4 semitones, and cannot see two people of one pitch at all.
So no such screen runs before the encoder (docs/performance.md). Exit 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speakers import cases  # noqa: E402

from bland_clone.audio import acoustics  # noqa: E402
from bland_clone.audio import voiceprint as vp  # noqa: E402

RATE = 16000
#: the DCT-II taking 40 log mel bands to 13 cepstral coefficients
DCT = np.cos(np.pi * np.arange(13)[:, None] * (2 * np.arange(40)[None, :] + 1) / 80)


def _logdet(frames: np.ndarray) -> float:
    return float(np.linalg.slogdet(np.cov(frames.T))[1])


def _dbic(whole: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Per-frame gain of two full-covariance Gaussians over one (no penalty)."""
    n = len(whole)
    return 0.5 * (n * _logdet(whole) - len(a) * _logdet(a) - len(b) * _logdet(b)) / n


def spectral(x: np.ndarray) -> dict[str, float] | None:
    try:
        mels, _ = vp._speech_windows(x, RATE, vp.SPEAKER_WINDOW_S, vp.SPEAKER_HOP_S)
    except vp.NoSpeech:
        return None
    n = len(mels)
    if n < 2:
        return None
    cep = (np.log(mels.astype(np.float64) + 1e-8) @ DCT.T)[..., 1:]
    ends = sorted({*range(0, n, 2), n - 1})  # the windows end to end: the speech once
    frames = np.concatenate([cep[i] for i in ends])
    z = cep.mean(axis=1) / frames.std(axis=0)
    d = ((z[:, None] - z[None]) ** 2).sum(-1)
    i, j = np.unravel_index(int(np.argmax(d)), d.shape)
    centres, groups = z[[i, j]], np.zeros(n, int)
    for _ in range(20):
        new = np.argmin(((z[:, None] - centres[None]) ** 2).sum(-1), axis=1)
        if new.min() == new.max() or np.array_equal(new, groups):
            groups = new
            break
        groups = new
        centres = np.stack([z[groups == k].mean(0) for k in (0, 1)])
    out = {"windows apart": float(np.sqrt(d.max())), "groups apart": 0.0, "dBIC groups": 0.0}
    if groups.min() != groups.max():
        out["groups apart"] = float(np.sqrt(((centres[0] - centres[1]) ** 2).sum()))
        a = [cep[k] for k in ends if groups[k] == 0]
        b = [cep[k] for k in ends if groups[k] == 1]
        if a and b and min(sum(map(len, a)), sum(map(len, b))) > 50:
            out["dBIC groups"] = _dbic(frames, np.concatenate(a), np.concatenate(b))
    m = len(frames)
    out["dBIC change"] = max(
        (_dbic(frames, frames[:s], frames[s:]) for s in range(150, m - 150, 20)), default=0.0
    )
    return out


def pitch(x: np.ndarray) -> dict[str, float]:
    f0, hop = acoustics.pitch_track(x, RATE)
    voiced = f0[f0 > 0]
    st = 12 * np.log2(voiced / 100.0) if len(voiced) else np.zeros(1)
    w, step = max(1, round(1.6 / hop)), max(1, round(0.8 / hop))
    medians = []
    for s in range(0, len(f0) - w + 1, step):
        seg = f0[s : s + w]
        seg = seg[seg > 0]
        if len(seg) >= 10:
            medians.append(float(np.median(12 * np.log2(seg / 100.0))))
    return {
        "pitch spread": float(np.percentile(st, 90) - np.percentile(st, 10)),
        "window pitches": max(medians) - min(medians) if len(medians) > 1 else 0.0,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="2.6 s turns only")
    ap.add_argument("-v", action="store_true", help="the one-person takes each statistic clears")
    args = ap.parse_args()
    rows: list[tuple[str, str, dict[str, float]]] = []
    for name, kind, x in cases(args.quick):
        if name.startswith("synthetic"):  # real speech decides
            continue
        got = spectral(x)
        if got is not None:
            rows.append((name, kind, {**got, **pitch(x)}))
    two = [r for r in rows if r[1] == "two"]
    one = [r for r in rows if r[1] == "one"]
    print(f"takes: {len(two)} of two people, {len(one)} of one (real speech)")
    for stat in rows[0][2]:
        low, low_name = min((r[2][stat], r[0]) for r in two)
        cleared = [r[0] for r in one if r[2][stat] < low]
        ones = sorted(r[2][stat] for r in one)
        print(
            f"  {stat:15} two people from {low:.2f} ({low_name}); one person "
            f"{ones[0]:.2f}-{ones[-1]:.2f}: cleared at no miss {len(cleared)}/{len(one)}"
        )
        if args.v and cleared:
            print(f"    {', '.join(cleared)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

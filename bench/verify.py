"""How well the voiceprint tells people apart, on real human speech.

    python bench/verify.py [-v]

Embeds every clip of the real-speech corpus (tests/data/speech/, 12 people; its clips that are
not speech, a modem's signal, are left out) and scores every pair: same speaker (different
sentences) and different speakers of the same sex. Prints both distributions, the equal error
rate (all clips, and clean speech only: no ham-radio takes), the thresholds in
bland_clone/audio/voiceprint.py with the errors each makes, OTHER_TAKES_BELOW's trials (a take
against the mean voiceprint of two or more takes of one person, its own or another's, as
validate --each compares a folder's takes), and the time to embed 10 s of speech (the target:
under 150 ms). -v lists every pair.
Goal: an equal error rate at or under 10% on clean speech.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from realspeech import eer, load, pairs  # noqa: E402

from bland_clone.audio import voiceprint as vp  # noqa: E402


def spread(name: str, scores: list[float]) -> None:
    q = np.percentile(scores, [0, 10, 50, 90, 100])
    print(
        f"  {name:28} n={len(scores):3}  min {q[0]:.2f}  p10 {q[1]:.2f}  median {q[2]:.2f}"
        f"  p90 {q[3]:.2f}  max {q[4]:.2f}"
    )
    bins = np.linspace(0, 1, 21)
    counts, _ = np.histogram(scores, bins)
    print("  " + " " * 28 + " ".join(f"{c:2d}" if c else " ." for c in counts[6:]))


def other_takes(clips: list, embs: list[np.ndarray]) -> tuple[list[float], list[float]]:
    """(own, other): every clip against the mean voiceprint of every set of two or more takes
    of one person, without the clip itself: its own speaker's takes, or another person's."""
    by: dict[str, list[int]] = {}
    for i, c in enumerate(clips):
        by.setdefault(c.speaker, []).append(i)
    own, other = [], []
    for speaker, idx in by.items():
        for n in range(2, len(idx) + 1):
            for folder in itertools.combinations(idx, n):
                mean = np.mean([embs[k] for k in folder], axis=0)
                for t, c in enumerate(clips):
                    if t not in folder:
                        score = vp.similarity(embs[t], mean)
                        (own if c.speaker == speaker else other).append(score)
    return own, other


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    clips = load()
    embs = []
    for c in clips:
        x, rate = c.samples()
        embs.append(vp.embed(x, rate))
    print(f"{len(clips)} clips of {len({c.speaker for c in clips})} speakers")
    print("  histogram columns: similarity 0.30 to 1.00 in steps of 0.05")
    for label, clean in (("all clips", False), ("clean speech only", True)):
        same, diff = pairs(clips, clean_only=clean)
        s = [vp.similarity(embs[i], embs[j]) for i, j in same]
        d = [vp.similarity(embs[i], embs[j]) for i, j in diff]
        print(f"\n{label}:")
        spread("same speaker", s)
        spread("different, same sex", d)
        rate, at = eer(s, d)
        print(f"  equal error rate {rate:.1%} at a similarity of {at:.2f}")
        print(
            f"  similar (>= {vp.SIMILAR_AT:.2f}): same {sum(x >= vp.SIMILAR_AT for x in s)}/{len(s)},"
            f" different {sum(x >= vp.SIMILAR_AT for x in d)}/{len(d)}"
        )
        print(
            f"  different (< {vp.DIFFERENT_BELOW:.2f}): same {sum(x < vp.DIFFERENT_BELOW for x in s)}/{len(s)},"
            f" different {sum(x < vp.DIFFERENT_BELOW for x in d)}/{len(d)}"
        )
        if args.v:
            for (i, j), x in sorted(zip(same + diff, s + d, strict=True), key=lambda p: p[1]):
                kind = "same" if clips[i].speaker == clips[j].speaker else "diff"
                print(f"    {x:.3f} {kind} {clips[i].file} {clips[j].file}")
    print(f"\nthresholds: similar at {vp.SIMILAR_AT}, different below {vp.DIFFERENT_BELOW}")
    own, other = other_takes(clips, embs)
    limit = vp.OTHER_TAKES_BELOW
    print(f"a take against the mean of 2 or more takes of one person (under {limit} warns):")
    spread("its own speaker's", own)
    spread("another person's", other)
    print(
        f"  under {limit}: own {sum(x < limit for x in own)}/{len(own)}, "
        f"another's {sum(x < limit for x in other)}/{len(other)} "
        f"({sum(x < limit for x in other) / len(other):.1%})"
    )
    ten = np.concatenate([clips[0].samples()[0]] * 3)[: 10 * 16000]
    vp.embed(ten, 16000)
    wall, cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        vp.embed(ten, 16000)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"embed() of 10 s of speech: median {statistics.median(wall) * 1000:.0f} ms wall, "
        f"{statistics.median(cpu) * 1000:.0f} ms CPU (target < 150 ms; load average {busy:.1f} "
        f"on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()

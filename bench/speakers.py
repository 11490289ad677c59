"""The two-speaker check with and without its screen: the same verdicts, for less work.

    python bench/speakers.py [--quick] [-v]

The voiceprint's speaker check (quality.speaker_similarity) first embeds only the speech's
windows end to end and stops there when they are plainly one voice (the screen, see
voiceprint.speakers). This runs the check both ways on:
- two people taking turns: every pair of the real-speech corpus' 12 people (tests/data/speech),
  four turns of 2.0, 2.6 and 3.5 s (ABAB) and three of 4 s (ABA), each also through one shared
  8 kHz channel so that only the voices differ (--quick: 2.6 s turns only);
- one person: each corpus speaker's clips back to back (and reversed, and through the channel),
  the synthetic corpus of tests/corpus.py (bench/quality.py's), and bench/run.py's tone.
It prints the takes flagged as two speakers each way (every take flagged without the screen
must be flagged with it), the takes the screen cleared, the encoder's windows and the CPU time
of the check each way. -v lists every take. --together N also runs the screened check as
validate runs it (quality.measure_many): N takes' windows through the encoder at once
(voiceprint.speakers_of), BLAS on its threads, and compares each take's verdict and similarity
with its own check's. Exit 1 when a verdict differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from corpus import build, default_dir  # noqa: E402
from realspeech import load  # noqa: E402

from bland_clone.audio import quality  # noqa: E402
from bland_clone.audio import voiceprint as vp  # noqa: E402
from bland_clone.core.audioinfo import AudioInfo  # noqa: E402

RATE = 16000
#: the check without its screen: nothing ever scores this alike
FULL = dataclasses.replace(quality.THRESHOLDS, speaker_screen_pairs=math.inf)


def channel(x: np.ndarray) -> np.ndarray:
    """Through 8 kHz and back: one phone-like channel shared by both voices."""
    import soxr

    return np.asarray(soxr.resample(soxr.resample(x, RATE, 8000), 8000, RATE), np.float32)


def cases(quick: bool) -> Iterator[tuple[str, str, np.ndarray]]:
    """(name, 'two' or 'one', mono samples at 16 kHz)."""
    import soundfile as sf
    import soxr

    by: dict[str, list[np.ndarray]] = {}
    for c in load():
        x, rate = c.samples()
        assert rate == RATE
        by.setdefault(c.speaker, []).append(x)

    def gap(s: float) -> np.ndarray:
        return np.zeros(round(s * RATE), np.float32)

    def two_parts(speaker: str, seg: float) -> tuple[np.ndarray, np.ndarray]:
        clips, n = by[speaker], round(seg * RATE)
        return (clips[0][:n], clips[1][:n]) if len(clips) > 1 else (clips[0][:n], clips[0][-n:])

    for a, b in itertools.combinations(sorted(by), 2):
        for seg in (2.6,) if quick else (2.0, 2.6, 3.5):
            (a1, a2), (b1, b2) = two_parts(a, seg), two_parts(b, seg)
            x = np.concatenate([a1, gap(0.3), b1, gap(0.3), a2, gap(0.3), b2, gap(0.3)])
            yield f"{a}+{b} ABAB {seg:g} s", "two", x
            yield f"{a}+{b} ABAB {seg:g} s, one channel", "two", channel(x)
        if not quick:
            (a1, a2), (b1, _) = two_parts(a, 4.0), two_parts(b, 4.0)
            x = np.concatenate([a1, gap(0.4), b1, gap(0.4), a2])
            yield f"{a}+{b} ABA 4 s", "two", x
            yield f"{a}+{b} ABA 4 s, one channel", "two", channel(x)
    for speaker, clips in sorted(by.items()):
        if len(clips) < 2:
            continue
        x = np.concatenate([p for c in clips for p in (c, gap(0.4))])
        yield speaker, "one", x
        yield f"{speaker}, one channel", "one", channel(x)
        if len(clips) > 2:
            yield (
                f"{speaker} reversed",
                "one",
                np.concatenate([p for c in clips[::-1] for p in (c, gap(0.4))]),
            )
    for item in build(default_dir()):
        y, rate = sf.read(item.path, dtype="float32", always_2d=True)
        mono = y.mean(axis=1)
        if rate != RATE:
            mono = np.asarray(soxr.resample(mono, rate, RATE), np.float32)
        kind = "two" if "two_speakers" in item.expect else "one"
        yield f"synthetic {item.name}", kind, mono
    t = np.arange(int(12.5 * RATE)) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 150 * t) * np.clip(np.sin(2 * np.pi * 3 * t), 0, None)
    yield "synthetic bench/run.py tone", "one", tone.astype(np.float32)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="2.6 s turns only")
    ap.add_argument("-v", action="store_true", help="every take")
    ap.add_argument("--together", type=int, default=0, metavar="N", help="also batched by N")
    args = ap.parse_args()
    rows: list[tuple[str, str, bool, bool, bool, bool]] = []
    # (row, info, verdict with the screen, its similarity, the take's windows): for --together
    later: list[tuple[int, AudioInfo, quality.Quality, float | None, vp.Windows | None]] = []
    cpu = {"full": 0.0, "screen": 0.0}
    windows = {"full": 0, "screen": 0}
    for name, kind, x in cases(args.quick):
        q = quality.analyse(x[:, None], RATE, FULL)
        info = AudioInfo(name, 2 * len(x), "WAV", "PCM_16", len(x) / RATE, RATE, 1)
        flagged = {}
        measured = q.speech_seconds >= FULL.speaker_min_speech_s
        cleared = False
        for way, t in (("full", FULL), ("screen", quality.THRESHOLDS)):
            if measured:
                w0, c0, start = vp.work.windows, vp.work.cleared, time.process_time()
                alike = quality.speaker_similarity(x, RATE, q.speaker_pitch_gap_st, t)
                cpu[way] += time.process_time() - start
                windows[way] += vp.work.windows - w0
                cleared = cleared or vp.work.cleared > c0
                q = dataclasses.replace(q, speaker_similarity=alike)
            flagged[way] = any(p.code == "quality_two_speakers" for p in quality.problems(info, q))
        if args.together and measured:
            mine = quality.speaker_windows(x, RATE, q.speaker_pitch_gap_st)
            later.append((len(rows), info, q, q.speaker_similarity, mine))
        rows.append((name, kind, measured, flagged["full"], flagged["screen"], cleared))
        if args.v:
            print(
                f"  {name:48} {kind}  flagged {flagged['full']!s:5} -> {flagged['screen']!s:5}"
                + ("  cleared by the screen" if cleared else ""),
                flush=True,
            )

    def count(*conds: bool) -> int:
        return sum(1 for c in conds if c)

    two = [r for r in rows if r[1] == "two"]
    one = [r for r in rows if r[1] == "one"]
    real = [r for r in one if not r[0].startswith("synthetic")]
    synthetic = [r for r in one if r[0].startswith("synthetic")]
    print(
        f"takes: {len(two)} of two people, {len(one)} of one ({len(real)} real, "
        f"{len(synthetic)} synthetic); the speaker check ran on "
        f"{count(*(r[2] for r in rows))} (6.4 s of speech or more)"
    )
    lost = [r[0] for r in rows if r[3] and not r[4]]
    new = [r[0] for r in rows if r[4] and not r[3]]
    flag_full = [r for r in rows if r[3]]
    print(
        f"flagged as two speakers: {len(flag_full)} without the screen "
        f"({count(*(r[1] == 'one' for r in flag_full))} of them one person), "
        f"{count(*(r[4] for r in rows))} with it"
    )
    print(f"  flagged without the screen, not with it: {lost or 'none'}")
    print(f"  flagged with the screen, not without it: {new or 'none'}")
    for label, group in (
        ("one person, real", [r for r in real if r[2]]),
        ("one person, synthetic", [r for r in synthetic if r[2]]),
        ("two people, flagged", [r for r in two if r[2] and r[3]]),
        ("two people, not flagged (similar voices)", [r for r in two if r[2] and not r[3]]),
    ):
        print(f"  cleared by the screen, {label}: {count(*(r[5] for r in group))}/{len(group)}")
    print(
        f"windows embedded: {windows['full']} without the screen, {windows['screen']} with it "
        f"({windows['screen'] / max(1, windows['full']):.0%}); CPU of the check "
        f"{cpu['full']:.1f} s -> {cpu['screen']:.1f} s"
    )
    changed = together(later, args.together, [r[4] for r in rows]) if args.together else []
    return 1 if lost or new or changed else 0


def together(
    later: list[tuple[int, AudioInfo, quality.Quality, float | None, vp.Windows | None]],
    n: int,
    screened: list[bool],
) -> list[int]:
    """The screened check batched n takes at a time, as validate runs it: the rows whose
    verdict differs from their own check's (printed with the largest change of similarity)."""
    changed, most, cpu = [], 0.0, time.process_time()
    for k in range(0, len(later), n):
        group = later[k : k + n]
        splits = vp.speakers_of([g[4] for g in group], side_by_side=False)
        for (row, info, q, alone, _), split in zip(group, splits, strict=True):
            alike = quality._similarity(split)
            if (alike is None) != (alone is None):
                changed.append(row)
                continue
            if alike is not None and alone is not None:
                most = max(most, abs(alike - alone))
            q = dataclasses.replace(q, speaker_similarity=alike)
            if (
                any(p.code == "quality_two_speakers" for p in quality.problems(info, q))
                != (screened[row])
            ):
                changed.append(row)
    print(
        f"together, {n} takes a batch: {len(later)} takes, {len(changed)} verdicts changed; "
        f"similarity within {most:.1e} of each take's own check; CPU "
        f"{time.process_time() - cpu:.1f} s"
    )
    return changed


if __name__ == "__main__":
    sys.exit(main())

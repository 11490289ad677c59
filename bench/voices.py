"""Grouping a folder's takes by voice (voiceprint.voice_groups), on real human speech.

    python bench/voices.py [--at 0.65 ...]

Takes are cut from the real-speech corpus (tests/data/speech/: 12 people, 26 clips of 4 s;
its modem signal is no person): each clip's two halves are two takes of different words (2 s
of speech each; never one clip re-ordered), in three versions: clean (as recorded), phone (the
clip through an 8 kHz channel) and noisy (white noise 15 dB under the speech). Folders:

- one person: each person with two clips or more, their takes (4-8) in one version, or the
  versions alternating (one person recorded in several places); a folder split in several
  voices is a false "another person";
- one odd take: one person's takes and one half-clip of another person (of the same sex, and
  of the other); the odd take should be the only one outside the largest group;
- two and three people: every pair and triple of people with two clips or more, all their
  takes; each person's takes should be one group and no group should hold two people.

For each threshold (average similarity at which two groups are one voice) it prints the rates
of each error, and the old rule's (each take against the mean voiceprint of all the others,
under voiceprint.OTHER_TAKES_BELOW) on the same folders, and whose takes split.
voiceprint.SAME_VOICE_AT (0.65) was chosen here: docs/samples.md#voiceprints gives the numbers.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from realspeech import load  # noqa: E402

from bland_clone.audio import voiceprint as vp  # noqa: E402

RATE = 16000
VERSIONS = ("clean", "phone", "noisy")


def version(x: np.ndarray, kind: str, seed: int) -> np.ndarray:
    import soxr

    if kind == "phone":
        return np.asarray(soxr.resample(soxr.resample(x, RATE, 8000), 8000, RATE), np.float32)
    if kind == "noisy":
        rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
        noise = np.random.default_rng(seed).normal(0, rms * 10 ** (-15 / 20), len(x))
        return np.asarray(x + noise, np.float32)
    return x


def takes() -> tuple[dict[str, str], dict[tuple[str, str], list[np.ndarray]]]:
    """(sex by person, {(person, version): voiceprints of their half-clip takes})."""
    sex: dict[str, str] = {}
    out: dict[tuple[str, str], list[np.ndarray]] = {}
    for n, c in enumerate(load()):
        x, rate = c.samples()
        assert rate == RATE
        sex[c.speaker] = c.sex or ""
        half = len(x) // 2
        for kind in VERSIONS:
            for part in (x[:half], x[half:]):
                try:
                    e = vp.embed(version(part, kind, n), RATE)
                except vp.NoSpeech:
                    continue
                out.setdefault((c.speaker, kind), []).append(e)
    return sex, out


def old_named(prints: Sequence[np.ndarray]) -> set[int]:
    """The old rule: each take against the mean of all the others."""
    named = set()
    for i, p in enumerate(prints):
        rest = np.mean([q for j, q in enumerate(prints) if j != i], axis=0)
        if vp.similarity(p, rest) < vp.OTHER_TAKES_BELOW:
            named.add(i)
    return named


def names_of(
    parts: list[list[np.ndarray]], n: int, prints: dict[tuple[str, str], list[np.ndarray]]
) -> str:
    """The person (and version) whose takes are ``parts[n]``."""
    for (person, kind), takes in prints.items():
        if takes[: len(parts[n])] and all(a is b for a, b in zip(takes, parts[n], strict=False)):
            return f"{person} {kind}"
    return "mixed versions"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--at", type=float, nargs="*", default=[0.6, 0.65, 0.68, 0.7, 0.72, 0.75])
    args = ap.parse_args()
    sex, prints = takes()
    people = sorted(
        {p for p, _ in prints if min(len(prints.get((p, k), [])) for k in VERSIONS) >= 3}
    )
    print(f"{len(sex)} people, {len(people)} with two clips or more; {VERSIONS}")

    # (kind, people's takes as lists of voiceprints, the odd take's person index or None)
    folders: list[tuple[str, list[list[np.ndarray]]]] = []
    for p in people:
        for kind in VERSIONS:
            folders.append(("one", [prints[(p, kind)]]))
        n = min(len(prints[(p, kind)]) for kind in VERSIONS)
        mixed = [prints[(p, VERSIONS[i % 3])][i] for i in range(n)]
        folders.append(("one", [mixed]))
    for p in people:
        for q in sorted(sex):
            if q == p:
                continue
            for kind in VERSIONS:
                for odd in prints.get((q, kind), [])[:2]:
                    label = "odd, same sex" if sex[p] == sex[q] else "odd, other sex"
                    folders.append((label, [prints[(p, kind)], [odd]]))
    for size in (2, 3):
        for group in itertools.combinations(people, size):
            for kind in VERSIONS:
                folders.append((f"{size} people", [prints[(p, kind)] for p in group]))

    kinds = sorted({k for k, _ in folders})
    for at in [None, *args.at]:
        print(f"\n{'old rule (vs mean of the others < 0.68)' if at is None else f'at {at:.2f}'}:")
        for kind in kinds:
            these = [f for k, f in folders if k == kind]
            wrong = {"split": 0, "merged": 0, "missed": 0}
            apart: dict[str, int] = {}  # folders where this person's takes split
            for parts in these:
                flat = [e for part in parts for e in part]
                who = [n for n, part in enumerate(parts) for _ in part]
                if at is None:
                    named = old_named(flat)
                    if kind == "one":
                        wrong["split"] += bool(named)
                    elif kind.startswith("odd"):
                        wrong["missed"] += len(flat) - 1 not in named
                        wrong["split"] += bool(named - {len(flat) - 1})
                    else:
                        wrong["missed"] += not named
                    continue
                groups = vp.voice_groups(flat, at)
                for n in {who[i] for g in groups for i in g}:
                    if sum(n in {who[i] for i in g} for g in groups) > 1:
                        key = names_of(parts, n, prints)
                        apart[key] = apart.get(key, 0) + 1
                people_of = [{who[i] for i in g} for g in groups]
                wrong["merged"] += any(len(s) > 1 for s in people_of)
                wrong["split"] += len(people_of) > len({x for s in people_of for x in s})
                if kind.startswith("odd"):
                    wrong["missed"] += groups[0] == list(range(len(flat))) or (
                        len(flat) - 1 in groups[0]
                    )
                elif kind != "one":
                    wrong["missed"] += len(groups) < len(parts)
            said = ", ".join(
                f"{k} {v}/{len(these)} ({v / len(these):.0%})" for k, v in wrong.items()
            )
            print(f"  {kind:16} {len(these):4} folders: {said}")
            if apart:
                print(f"  {'':16} split: {', '.join(f'{k} {v}' for k, v in sorted(apart.items()))}")


if __name__ == "__main__":
    main()

"""The real-speech corpus in tests/data/speech/: short clips of 12 people, cut from recordings
that ship in Debian and PyPI packages (scripts/make_speech_corpus.py; licenses in
tests/data/speech/ATTRIBUTION). Used by tests/test_speakers.py and bench/verify.py.

    clips = load()                 # [Clip] of speech, in corpus.json's order
    same, different = pairs(clips)  # same speaker / different speakers of the same sex
    signals = load(speech=False)   # the real recordings with no voice in them (a modem's signal)
    everything = load(speech=None)  # every clip, speech or not, in corpus.json's order

Not every clip is speech: codec2's wav/david4.wav (david-*.flac) is an off-air FreeDV 2020
modem signal (corpus.json: "speech": false, "kind": "modem"). load() leaves such clips out, so
no speaker set, pair or calibration counts a signal as a person; tests of the no-voice check
ask for them with load(speech=False).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent / "data" / "speech"


@dataclass(frozen=True)
class Clip:
    file: str
    speaker: str
    sex: str | None  # None where there is no voice (not speech)
    clean: bool
    path: Path
    speech: bool = True
    kind: str = "speech"

    def samples(self) -> tuple[np.ndarray, int]:
        x, rate = sf.read(self.path, dtype="float32")
        return x, rate


def load(speech: bool | None = True) -> list[Clip]:
    """The clips that are speech (speech=True, the default), the ones that are not (False), or
    every real recording (None)."""
    rows = json.loads((HERE / "corpus.json").read_text())
    clips = [
        Clip(
            r["file"],
            r["speaker"],
            r["sex"],
            r["clean"],
            HERE / r["file"],
            r["speech"],
            r.get("kind", "speech"),
        )
        for r in rows
    ]
    return [c for c in clips if speech is None or c.speech is speech]


def pairs(
    clips: list[Clip], clean_only: bool = False
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(same-speaker pairs, different-speaker pairs of the same sex) as indexes into clips."""
    same, different = [], []
    for i, j in itertools.combinations(range(len(clips)), 2):
        a, b = clips[i], clips[j]
        if clean_only and not (a.clean and b.clean):
            continue
        if a.speaker == b.speaker:
            same.append((i, j))
        elif a.sex == b.sex:
            different.append((i, j))
    return same, different


def eer(same: list[float], different: list[float]) -> tuple[float, float]:
    """(equal error rate, the threshold where it is reached): the threshold at which the share
    of same-speaker scores below it equals the share of different-speaker scores at or above."""
    best = (1.0, 0.0)
    for t in sorted({*same, *different}):
        miss = sum(s < t for s in same) / len(same)
        false = sum(d >= t for d in different) / len(different)
        rate = max(miss, false)
        if rate < best[0]:
            best = (rate, t)
    return best

"""How verify's verdict (bland_clone.ops.verifying) fares on real speech: trials in which one clip
of a speaker stands for the samples, another clip of the same speaker for a faithful clone's
preview (or a clip of another speaker of the same sex, for a clone that came out as someone
else), and three other speakers for the stock voices.

    python bench/verify_margins.py

Prints, for the voiceprint module's thresholds alone and for several margins over the baseline
(the stock voices' mean, or the closest one), how many trials end similar / unclear / different.
Uses the real-speech corpus in tests/data/speech (tests/realspeech.py).
"""

from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bland_clone.audio import voiceprint as vp
from bland_clone.ops import verifying
from tests.realspeech import load

TRIALS_PER_PAIR = 6


def main() -> None:
    clips = load()
    vectors = [vp.embed(*c.samples()) for c in clips]
    by: dict[str, list[int]] = {}
    for i, c in enumerate(clips):
        by.setdefault(c.speaker, []).append(i)
    sex = {c.speaker: c.sex for c in clips}
    rng = random.Random(1)
    genuine, impostor = [], []  # (similarity, stock similarities)
    for speaker, idx in by.items():
        others = [o for o in by if o != speaker]
        for a, b in itertools.permutations(idx, 2):
            for _ in range(TRIALS_PER_PAIR):
                stock = rng.sample(others, 3)
                sims = [vp.similarity(vectors[rng.choice(by[o])], vectors[a]) for o in stock]
                pool = [o for o in others if sex[o] == sex[speaker] and o not in stock]
                other = vectors[rng.choice(by[rng.choice(pool or others)])]
                genuine.append((vp.similarity(vectors[b], vectors[a]), sims))
                impostor.append((vp.similarity(other, vectors[a]), sims))
    print(f"{len(clips)} clips of {len(by)} speakers; {len(genuine)} trials each way")
    print(f"thresholds: similar at {vp.SIMILAR_AT}, different below {vp.DIFFERENT_BELOW}")
    print(f"{'rule':34} {'genuine s/u/d':>16} {'impostor s/u/d':>16}")

    def row(label: str, verdict: object) -> None:
        cells = []
        for trials in (genuine, impostor):
            got = [verdict(sim, sims) for sim, sims in trials]  # type: ignore[operator]
            cells.append("/".join(str(got.count(v)) for v in verifying.VERDICTS))
        print(f"{label:34} {cells[0]:>16} {cells[1]:>16}")

    def thresholds_only(sim: float, sims: list[float]) -> str:
        if sim < vp.DIFFERENT_BELOW:
            return "different"
        return "similar" if sim >= vp.SIMILAR_AT else "unclear"

    row("thresholds alone", thresholds_only)
    row(
        f"mean baseline {verifying.MARGIN_SIMILAR}/{verifying.MARGIN_DIFFERENT} (verify's)",
        lambda sim, sims: verifying.verdict(sim, float(np.mean(sims))),
    )
    row(
        f"closest baseline {verifying.MARGIN_SIMILAR}/{verifying.MARGIN_DIFFERENT}",
        lambda sim, sims: verifying.verdict(sim, max(sims)),
    )


if __name__ == "__main__":
    main()

"""How often the quality verdicts agree with the labels of a corpus made by code.

    python bench/quality.py [--dir DIR] [-v]

Builds (or reuses) the corpus of tests/corpus.py: clean espeak-ng takes and every fault at a
mild and a strong strength, and recordings with no voice in them at all (noise, a fan, tones:
made here, beside the corpus). Each recording is validated as `bland-clone validate` does, and
the warnings are compared with its labels. Prints, per cause: strong and mild recordings
flagged and missed, and false alarms (the cause flagged where it is not the fault: on a clean
take, or on another fault). Also the median validate time per file, and the median time of
quality.analyse() on a 12 s 48 kHz stereo take (the target: well under 100 ms, as it runs on
every file of a folder). -v lists every file.
Goal: no warning on a clean take; every strong fault flagged with its own cause only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from audiofiles import coloured_noise  # noqa: E402
from corpus import Item, build, default_dir  # noqa: E402

from bland_clone.audio.inspection import inspect  # noqa: E402
from bland_clone.audio.verdict import validate_upload  # noqa: E402


def verdicts(items: list[Item]) -> tuple[dict[str, set[str]], list[float]]:
    found: dict[str, set[str]] = {}
    times: list[float] = []
    for it in items:
        start = time.perf_counter()
        report = validate_upload([inspect(it.path)], quality=True)
        times.append(time.perf_counter() - start)
        # the quality errors too: no voice in a recording is one (a take with speech has none)
        found[it.name] = {
            p.code.removeprefix("quality_")
            for p in [*report.warnings, *report.errors]
            if p.code.startswith("quality_")
        }
    return found, times


def no_voice(dest: Path) -> list[Item]:
    """Recordings with sound but no voice (cause no_voice): white, pink and brown noise and
    tones above a voice's pitch (strong), quiet pink noise and a fan (mild). Made once."""
    import subprocess

    import numpy as np
    import soundfile as sf

    dest.mkdir(parents=True, exist_ok=True)
    rate = 16000
    t = np.arange(10 * rate) / rate
    rng = np.random.default_rng(11)

    def coloured(power: float, level: float) -> np.ndarray:
        return level * coloured_noise(len(t), power, rng, rate)

    made = {
        "white-noise": ("strong", "white noise at -20 dBFS", lambda: coloured(0, 0.3)),
        "pink-noise": ("strong", "pink noise peaking at -6 dBFS", lambda: coloured(1, 0.5)),
        "brown-noise": ("strong", "brown noise peaking at -6 dBFS", lambda: coloured(2, 0.5)),
        "tone-5k": ("strong", "a steady 5 kHz tone", lambda: 0.5 * np.sin(2 * np.pi * 5000 * t)),
        "tone-1k": ("strong", "a steady 1 kHz tone", lambda: 0.5 * np.sin(2 * np.pi * 1000 * t)),
        "pink-quiet": ("mild", "pink noise peaking at -40 dBFS", lambda: coloured(1, 0.01)),
    }
    items = []
    for name, (strength, note, make) in made.items():
        path = dest / f"no-voice-{name}.wav"
        if not path.exists():
            sf.write(path, make().astype(np.float32), rate, subtype="PCM_16")
        items.append(
            Item(f"no-voice-{name}", str(path), strength, "no_voice", ["no_voice"], [], note)
        )
    fan = dest / "no-voice-fan.wav"
    graph = (
        "anoisesrc=color=brown:amplitude=0.5:duration=10:sample_rate=44100:seed=3,"
        "highpass=f=40,lowpass=f=1200,equalizer=f=120:t=q:w=2:g=10,tremolo=f=8:d=0.1"
    )
    if not fan.exists():
        cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", graph, str(fan)]
        subprocess.run(cmd, check=True, capture_output=True)
    note = "a fan: brown noise under 1.2 kHz, a resonance at 120 Hz, swelling 8 times a second"
    items.append(Item("no-voice-fan", str(fan), "mild", "no_voice", ["no_voice"], [], note))
    return items


def analyse_ms(items: list[Item]) -> tuple[float, float]:
    import numpy as np
    import soundfile as sf

    from bland_clone.audio import quality

    clean = next(i for i in items if i.strength == "clean" and inspect(i.path).samplerate == 48000)
    data, rate = sf.read(clean.path, dtype="float32", always_2d=True)
    mono = data[:, 0]
    x = np.tile(mono, 2)[: 12 * rate]
    stereo = np.ascontiguousarray(np.stack([x, x * np.float32(0.9)], axis=1))
    times = []
    for _ in range(30):
        start = time.perf_counter()
        quality.analyse(stereo, rate)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def table(items: list[Item], found: dict[str, set[str]]) -> tuple[list[list[str]], list[str]]:
    """Rows per cause, and the failures the tests would report."""
    causes = sorted({c for it in items for c in it.expect} | {c for f in found.values() for c in f})
    hit: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    failures: list[str] = []
    for it in items:
        got = found[it.name]
        for c in it.expect:
            hit[c][f"{it.strength}_{'flagged' if c in got else 'missed'}"] += 1
        wrong = got - set(it.expect) - set(it.allow)
        for c in wrong:
            hit[c]["false_clean" if it.strength == "clean" else "false_fault"] += 1
        if it.strength == "clean" and got:
            failures.append(f"{it.name} (clean) warned: {sorted(got)}")
        if it.strength == "strong" and (set(it.expect) - got or wrong):
            failures.append(
                f"{it.name} (strong {it.fault}) expected {it.expect}, got {sorted(got)}"
            )
    rows = [
        [
            "cause",
            "strong flagged",
            "strong missed",
            "mild flagged",
            "mild missed",
            "false alarms (clean)",
            "false alarms (other faults)",
        ]
    ]
    for c in causes:
        h = hit[c]
        rows.append(
            [
                c,
                *(
                    str(h[k])
                    for k in (
                        "strong_flagged",
                        "strong_missed",
                        "mild_flagged",
                        "mild_missed",
                        "false_clean",
                        "false_fault",
                    )
                ),
            ]
        )
    return rows, failures


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=default_dir(), help="corpus folder (cached)")
    ap.add_argument("-v", "--verbose", action="store_true", help="every file and its warnings")
    args = ap.parse_args()
    items = build(args.dir)
    items += no_voice(args.dir / "no-voice")
    found, times = verdicts(items)
    clean = sum(1 for i in items if i.strength == "clean")
    print(
        f"corpus: {len(items)} recordings ({clean} clean, {len(items) - clean} faulty) in {args.dir}"
    )
    if args.verbose:
        for it in items:
            got = ", ".join(sorted(found[it.name])) or "-"
            print(
                f"  {it.name:20} {it.strength:6} expect {','.join(it.expect) or '-':40} got {got}   ({it.note})"
            )
    rows, failures = table(items, found)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    print(
        f"validate with quality (decode + analyse), median per file: {statistics.median(times) * 1000:.1f} ms"
    )
    med, best = analyse_ms(items)
    print(
        f"analyse() of a 12 s 48 kHz stereo take, 30 runs: median {med:.1f} ms, fastest {best:.1f} ms "
        f"(target: well under 100; load average {os.getloadavg()[0]:.1f})"
    )
    clean_ok = sum(1 for i in items if i.strength == "clean" and not found[i.name])
    print(f"clean takes without a warning: {clean_ok}/{clean}")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

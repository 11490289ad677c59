"""Audio benchmarks: prepare and validate in flat memory, prepare's time against FFmpeg's decode.

    python bench/audio.py [--minutes 60] [--runs 1]

Makes (in a temporary folder) a recording of MINUTES minutes from espeak-ng speech with pauses:
a 48 kHz stereo 16-bit WAV and a 44.1 kHz stereo MP3 (VBR, as phones and editors write it),
plus a 330 KB FLAC whose header declares 8 channels at 655 kHz. For each, prints:

- prepare: wall seconds (median), peak memory (the child's VmHWM), and the ratio of its wall
  time to `ffmpeg -i FILE -f null -` on the same file (the decoder's own time; where ffmpeg
  is absent, a decode-only loop of bland-clone's decoder is the baseline), and the same ratio
  in CPU seconds (steadier on a machine shared with other work);
- validate: wall seconds and peak memory.

Targets (issue 10): peak memory <= 200 MiB for both 60-minute files; prepare <= 1.5x ffmpeg.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import _PEAK, PY  # noqa: E402


def run_cpu(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and exit code of one run of cmd. On a
    machine shared with other work, CPU time is the steadier figure; both are printed."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def peak_cpu(args: list[str], env: dict[str, str], tmp: Path) -> tuple[float, float, int, int]:
    """Run `bland-clone ARGS`: wall and CPU seconds, exit code, its own peak memory in KiB."""
    out = tmp / "peak.txt"
    wall, cpu, code = run_cpu([PY, "-c", _PEAK, str(out), *args], env)
    return wall, cpu, code, int(out.read_text())


TEXT = (
    "Every recording people have should be read right and judged right. "
    "A phone memo, a video, a browser recording: each one is read with its true length."
)


def make_corpus(folder: Path, minutes: float) -> dict[str, Path]:
    speech = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(speech), TEXT], check=True)
    # speech, then 2 s of pause, looped for the whole length
    seconds = str(int(minutes * 60))
    loop = [
        "ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(speech),
        "-af", "apad=pad_dur=2", "-t", seconds,
    ]  # fmt: skip
    wav = folder / "long.wav"
    subprocess.run([*loop, "-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le", str(wav)], check=True)
    mp3 = folder / "long.mp3"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-ar", "44100",
         "-c:a", "libmp3lame", "-q:a", "4", str(mp3)],
        check=True,
    )  # fmt: skip
    absurd = folder / "absurd.flac"
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(0)
    sf.write(absurd, rng.standard_normal((20000, 8)).astype(np.float32) * 0.1, 48000, format="FLAC")
    raw = bytearray(absurd.read_bytes())
    bits = int.from_bytes(raw[18:26], "big")
    bps = (bits >> 36) & 0x1F
    total = 655350 * 30
    raw[18:26] = ((655350 << 44) | (7 << 41) | (bps << 36) | total).to_bytes(8, "big")
    absurd.write_bytes(bytes(raw))
    return {"WAV 48 kHz stereo": wav, "MP3 44.1 kHz stereo": mp3, "FLAC 8ch 655 kHz": absurd}


def decode_only(path: Path) -> list[str]:
    code = (
        "import sys\n"
        "from bland_clone.audio.inspection import inspect\n"
        "from bland_clone.audio import decode\n"
        "info = inspect(sys.argv[1])\n"
        "rate, blocks = decode.stream(sys.argv[1], info, max_rate=10**7)\n"
        "for b in blocks: pass\n"
    )
    return [PY, "-c", code, str(path)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--corpus", metavar="DIR", help="make the recordings here once, and reuse them")
    args = ap.parse_args()
    env = dict(os.environ)
    ffmpeg = shutil.which("ffmpeg")
    with tempfile.TemporaryDirectory(prefix="bland-bench-audio-") as tmp_:
        tmp = Path(tmp_)
        t0 = time.perf_counter()
        where = Path(args.corpus) if args.corpus else tmp
        where.mkdir(parents=True, exist_ok=True)
        made = {p.name for p in where.glob("*")}
        if {"long.wav", "long.mp3", "absurd.flac"} <= made and args.corpus:
            files = {
                "WAV 48 kHz stereo": where / "long.wav",
                "MP3 44.1 kHz stereo": where / "long.mp3",
                "FLAC 8ch 655 kHz": where / "absurd.flac",
            }
        else:
            files = make_corpus(where, args.minutes)
        print(f"corpus: {args.minutes:g} min, made in {time.perf_counter() - t0:.0f}s")
        header = (
            f"{'file':22} {'size':>9} {'baseline s':>10} {'prepare s':>9} {'ratio':>6} "
            f"{'cpu ratio':>9} {'prep MiB':>8} {'valid. s':>8} {'valid. MiB':>10}"
        )
        print(header)
        for label, path in files.items():
            base_cmd = (
                [ffmpeg, "-v", "error", "-i", str(path), "-f", "null", "-"]
                if ffmpeg
                else decode_only(path)
            )
            base, prep, prep_mem, val, val_mem = [], [], [], [], []
            base_cpu, prep_cpu = [], []
            for _ in range(args.runs):
                wall, cpu, _code = run_cpu(base_cmd, env)
                base.append(wall)
                base_cpu.append(cpu)
                out = tmp / "out.wav"
                w, c, code, kib = peak_cpu(
                    ["prepare", str(path), "-o", str(out), "--force", "-q"], env, tmp
                )
                if code not in (0, 1):
                    print(f"  prepare of {label} exited {code}")
                prep.append(w)
                prep_cpu.append(c)
                prep_mem.append(kib)
                w, _c, code, kib = peak_cpu(["validate", "--no-cache", str(path), "-q"], env, tmp)
                val.append(w)
                val_mem.append(kib)
            b, p = statistics.median(base), statistics.median(prep)
            bc, pc = statistics.median(base_cpu), statistics.median(prep_cpu)
            print(
                f"{label:22} {path.stat().st_size / 2**20:7.1f}MB {b:10.2f} {p:9.2f} "
                f"{p / b:6.2f} {pc / bc:9.2f} {statistics.median(prep_mem) / 1024:8.0f} "
                f"{statistics.median(val):8.2f} {statistics.median(val_mem) / 1024:10.0f}"
            )
        print(f"baseline: {'ffmpeg -i FILE -f null -' if ffmpeg else 'decode-only loop'}")
        print("targets: prepare and validate <= 200 MiB; prepare <= 1.5x the baseline")


if __name__ == "__main__":
    main()

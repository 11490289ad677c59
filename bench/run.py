"""bland-clone benchmarks: medians, as ratios against baselines measured in the same run.

    python bench/run.py [--runs N] [--quick] [--goals only|skip|first] [--goal ROW ...]
                        [--against BIN ...] [--minutes M] [--no-install]

First, issue 22's goals, each a ratio against a baseline run in the same run (interleaved), with
the load average while it ran: every help and the bare command against `python -c pass`;
`validate` of 5 takes of 12.5 s with quality against `python -c "import soundfile"`; the
quality analysis of a folder of 1-3 s takes in ms per file; `apply -j4` against `-j1` (50
voices, 200 ms a clone: bench/apply.py); `prepare` of a 60-minute MP3 against
`ffmpeg -f null` (wall, and CPU); a fresh venv's `pip install .`: seconds and megabytes.
The package is compiled first (as pip does), so no run pays for compiling it. `--goal ROW`
(help, validate, folder, apply, prepare, install; repeatable) runs only those rows of the table.

Then the earlier rows:
 1. `bland-clone --version` and `--help` against `python -c pass`;
 2. `validate` of 5 typical files (3 WAV, 2 MP3) against `python -c "import soundfile"`:
    header checks only (--no-quality), and with the quality analysis that decodes the audio;
 3. `validate` of a folder of 500 files: milliseconds per file beyond start-up;
 4. `clone` of 5 x 5 MB to the local sandbox: wall time and the client's peak memory, against
    `curl -F` uploading the same files to the same sandbox;
 5. `voices list` against the sandbox, against `python -c "import requests"` (the HTTP stack
    alone), and the modules it imports without needing them (none).
Absolute times vary between machines; the ratios are what the targets are about.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PY = sys.executable
BIN = Path(PY).with_name("bland-clone")
KEY = "sk-bench-0123456789abcdef"


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int, float]:
    """Wall seconds, exit code, peak RSS (KiB) and CPU seconds (user + system) of one run of
    cmd. On a machine shared with other work the CPU time is the steadier figure."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, proc.returncode, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


# A child's ru_maxrss counts the memory of the process that forked it (this one holds numpy),
# so peak memory is read from the child's own /proc/self/status (VmHWM) as it exits.
_PEAK = (
    "import atexit, sys\n"
    "out = sys.argv[1]; sys.argv = sys.argv[1:]; sys.argv[0] = 'bland-clone'\n"
    "def _peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            open(out, 'w').write(line.split()[1])\n"
    "atexit.register(_peak)\n"
    "from bland_clone.__main__ import main\n"
    "sys.exit(main())\n"
)


# Which modules `voices list` imports that it does not need (printed, space-separated).
_UNNEEDED = (
    "import sys\n"
    "from bland_clone.__main__ import main\n"
    "import io, contextlib\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    main(['voices', 'list'])\n"
    "bad = ('bland_clone.audio', 'numpy', 'soundfile', 'requests_toolbelt', 'rich')\n"
    "print(' '.join(sorted(m for m in sys.modules if m.startswith(bad))))\n"
)


def peak_kib(args: list[str], env: dict[str, str], tmp: Path) -> tuple[float, int, int]:
    """Run `bland-clone ARGS`; wall seconds, exit code and its own peak RSS in KiB."""
    out = tmp / "peak.txt"
    w, code, _, _ = timed([PY, "-c", _PEAK, str(out), *args], env)
    return w, code, int(out.read_text())


def median_of(
    cmds: dict[str, list[str]], runs: int, env: dict[str, str] | None = None, warmup: int = 2
) -> dict[str, tuple[float, float, float]]:
    """Interleave the commands run by run (so drift hits all alike); median wall seconds,
    peak KiB and CPU seconds."""
    got: dict[str, list[tuple[float, int, float]]] = {k: [] for k in cmds}
    for i in range(warmup + runs):
        for k, cmd in cmds.items():
            w, _, m, c = timed(cmd, env)
            if i >= warmup:
                got[k].append((w, m, c))
    med = statistics.median
    return {
        k: (med(w for w, _, _ in v), med(m for _, m, _ in v), med(c for *_, c in v))
        for k, v in got.items()
    }


def make_audio(
    folder: Path, count: int, seconds: float = 12.0, *, mp3_every: int = 0
) -> list[Path]:
    import numpy as np
    import soundfile as sf

    rate = 16000
    t = np.arange(int(seconds * rate)) / rate
    x = (0.3 * np.sin(2 * np.pi * 150 * t) * np.clip(np.sin(2 * np.pi * 3 * t), 0, None)).astype(
        np.float32
    )
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        if mp3_every and i % mp3_every == mp3_every - 1:
            p = folder / f"take{i:03d}.mp3"
            sf.write(p, x, rate, format="MP3")
        else:
            p = folder / f"take{i:03d}.wav"
            sf.write(p, x, rate, subtype="PCM_16")
        out.append(p)
    return out


#: The people of bench/run.py's real takes (tests/data/speech): a woman, studio readers, a
#: ham-radio operator; each with three clips or more.
REAL_SPEAKERS = ("allison", "austen-reader", "mfa-author", "ve9qrp", "leak-test")


def real_takes(folder: Path, seconds: float = 12.5) -> list[Path]:
    """Five takes of real speech, one person each (REAL_SPEAKERS): their clips of
    tests/data/speech (16 kHz) back to back, 0.3 s apart, repeated where they are short of
    ``seconds`` and cut there, as 16-bit WAV. The voiceprint's two-speaker check runs on each,
    as on any take of a clone's length."""
    import numpy as np
    import soundfile as sf

    corpus = HERE.parent / "tests" / "data" / "speech"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for speaker in REAL_SPEAKERS:
        parts: list[np.ndarray] = []
        rate = 16000
        for clip in sorted(corpus.glob(f"{speaker}-*.flac")):
            x, rate = sf.read(clip, dtype="float32")
            parts += [x, np.zeros(round(0.3 * rate), np.float32)]
        one = np.concatenate(parts)
        x = np.tile(one, int(np.ceil(seconds * rate / len(one))))[: round(seconds * rate)]
        p = folder / f"{speaker}.wav"
        sf.write(p, x, rate, subtype="PCM_16")
        out.append(p)
    return out


def big_wavs(folder: Path, count: int, size: int) -> list[Path]:
    """WAVs of `size` bytes each: 48 kHz stereo noise (5 MB is 27 s, within the limits)."""
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(0)
    frames = (size - 44) // 4
    out = []
    for i in range(count):
        p = folder / f"big{i}.wav"
        sf.write(
            p, (rng.standard_normal((frames, 2)) * 0.1).astype(np.float32), 48000, subtype="PCM_16"
        )
        out.append(p)
    return out


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def row(name: str, value: str, baseline: str, ratio: float | None, target: str) -> list[str]:
    return [name, value, baseline, f"{ratio:.2f}x" if ratio is not None else "-", target]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def long_mp3(folder: Path, minutes: float) -> Path:
    """A recording of espeak-ng speech with 2 s pauses, as a 44.1 kHz stereo VBR MP3."""
    speech = folder / "speech.wav"
    mp3 = folder / f"long-{minutes:g}.mp3"
    if mp3.exists():
        return mp3
    text = "Every recording people have should be read right and judged right."
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(speech), text], check=True)
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(speech),
         "-af", "apad=pad_dur=2", "-t", str(int(minutes * 60)), "-ar", "44100", "-ac", "2",
         "-c:a", "libmp3lame", "-q:a", "4", str(mp3)],
        check=True,
    )  # fmt: skip
    return mp3


def install_size(tmp: Path) -> list[str]:
    """A fresh venv, `pip install .` of this checkout: seconds, and megabytes over the empty
    venv, with the largest packages."""
    venv = tmp / "venv"
    subprocess.run([PY, "-m", "venv", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))

    def du(path: Path) -> int:
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())

    empty = du(venv)
    start = time.perf_counter()
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(HERE.parent)],
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - start
    if proc.returncode != 0:
        return row("install: fresh venv + pip install .", "failed", proc.stderr[-200:], None, "-")
    grown = du(venv) - empty
    sizes = sorted(
        ((du(d), d.name) for d in site.iterdir() if d.is_dir() and not d.name.endswith("-info")),
        reverse=True,
    )
    top = ", ".join(f"{name} {size / 1e6:.0f} MB" for size, name in sizes[:4])
    return row(
        "install: fresh venv + pip install .",
        f"{took:.0f} s, {grown / 1e6:.0f} MB",
        f"over an empty venv ({empty / 1e6:.0f} MB); largest: {top}",
        None,
        "measured (no target)",
    )


GOAL_ROWS = ("help", "validate", "folder", "apply", "prepare", "install")


def goals(
    runs: int,
    quick: bool,
    minutes: float,
    install: bool,
    env: dict[str, str],
    only: Sequence[str] = GOAL_ROWS,
    against: Sequence[str] = (),
) -> None:
    """Issue 22's table: every row (of ``only``) as a ratio against a baseline measured in the
    same run, commands interleaved run by run, with the load average (1/5 min) while it ran."""
    rows: list[list[str]] = []
    tmp = Path(tempfile.mkdtemp(prefix="bland-bench-goals-"))
    try:
        if "help" in only:
            goal_help(rows, runs, env)
        if "validate" in only:
            goal_validate(rows, runs, env, tmp, against)
        if "folder" in only:
            goal_folder(rows, runs, quick, env, tmp, against)
        if "apply" in only:
            goal_apply(rows, quick, tmp)
        if "prepare" in only:
            goal_prepare(rows, quick, minutes, env, tmp)
        if install and "install" in only:
            rows.append(install_size(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(rows, f"issue 22's goals; runs: {runs}; load average (1/5 min) now {load()}")


def goal_help(rows: list[list[str]], runs: int, env: dict[str, str]) -> None:
    """1. every help: the bare command, a command's help, the root's at 60 columns."""
    before = load()
    r = median_of(
        {
            "pass": [PY, "-c", "pass"],
            "validate --help": [str(BIN), "validate", "--help"],
            "bland-clone (no arguments)": [str(BIN)],
            "voices list --help": [str(BIN), "voices", "list", "--help"],
        },
        runs,
        env,
    )
    r60 = median_of(
        {"pass": [PY, "-c", "pass"], "--help": [str(BIN), "--help"]},
        runs,
        dict(env, COLUMNS="60"),
    )
    for name, res, k in (
        ("validate --help", r, "validate --help"),
        ("bland-clone (no arguments)", r, "bland-clone (no arguments)"),
        ("voices list --help", r, "voices list --help"),
        ("--help at 60 columns", r60, "--help"),
    ):
        (wall, _, cpu), (base, _, base_cpu) = res[k], res["pass"]
        rows.append(
            row(
                name,
                f"{wall * 1000:.1f} ms (CPU {cpu / base_cpu:.2f}x)",
                f"python -c pass {base * 1000:.1f} ms",
                wall / base,
                "<= 2x",
            )
        )
    rows[-4][0] += f" [load {before}]"


#: `validate --no-quality` (the CLI, the headers read) in a process that has imported what the
#: analysis imports (numpy, soxr, the voice detector...) and loaded the voiceprint's model:
#: the part of the --no-cache row no analysis can save. argv: the files.
VALIDATE_FLOOR = (
    "import sys, numpy.fft, soxr, threadpoolctl\n"
    "from bland_clone.audio import acoustics, decode, heap, quality, timeline, vad, voiceprint\n"
    "vad.available(); voiceprint._weights()\n"
    "from bland_clone.__main__ import main\n"
    "sys.exit(main(['validate', '--no-quality', *sys.argv[1:]]))\n"
)


def goal_validate(
    rows: list[list[str]], runs: int, env: dict[str, str], tmp: Path, against: Sequence[str] = ()
) -> None:
    """2. validate of 5 takes of 12.5 s, with the quality analysis: every run analysing again
    (--no-cache: a take seen for the first time) and with the verdicts remembered from the
    first run (a take validated again); the same of 5 takes of real speech (:func:`real_takes`:
    the synthetic takes are a gated tone, which no speaker check finds hard); ``against``:
    other builds' bland-clone, run interleaved in the same run on both (a before/after,
    analysing every run)."""
    before = load()
    five = make_audio(tmp / "five", 5, seconds=12.5)
    speech = real_takes(tmp / "speech")
    cache_home = tmp / "cache-home"
    env = dict(env, XDG_CACHE_HOME=str(cache_home))
    cmds = {
        "sf": [PY, "-c", "import soundfile"],
        "validate": [str(BIN), "validate", "--no-cache", *map(str, five)],
        "warm": [str(BIN), "validate", *map(str, five)],
        "floor": [PY, "-c", VALIDATE_FLOOR, *map(str, five)],
        "speech": [str(BIN), "validate", "--no-cache", *map(str, speech)],
    }
    for other in against:
        cmds[other] = [other, "validate", "--no-cache", *map(str, five)]
        cmds[f"speech {other}"] = [other, "validate", "--no-cache", *map(str, speech)]
    r = median_of(cmds, runs, env)
    before = f"{before} -> {load()}"  # the load rises as the runs go on (2 cores, shared)
    labels = (
        ("validate", " (--no-cache: analysed every run)"),
        ("warm", " (verdicts cached by the first run)"),
        ("floor", ": imports, model and headers, no analysis (the floor)"),
        *((o, f" ({o})") for o in against),
        ("speech", " of real speech (--no-cache)"),
        *((f"speech {o}", f" of real speech ({o})") for o in against),
    )
    for k, label in labels:
        rows.append(
            row(
                f"validate 5 takes of 12.5 s, quality{label} [load {before}]",
                f"{r[k][0] * 1000:.0f} ms (CPU {r[k][2] / r['sf'][2]:.2f}x)",
                f"python -c 'import soundfile' {r['sf'][0] * 1000:.0f} ms",
                r[k][0] / r["sf"][0],
                "<= 1.6x",
            )
        )


def goal_folder(
    rows: list[list[str]],
    runs: int,
    quick: bool,
    env: dict[str, str],
    tmp: Path,
    against: Sequence[str] = (),
) -> None:
    """3. quality analysis of a folder of 1-3 s takes: wall (and CPU) ms per file beyond one
    file; ``against``: other builds' bland-clone, run interleaved in the same run."""
    before = load()
    count = 100 if quick else 500
    folder = tmp / "short"
    for i, seconds in enumerate((1.0, 2.0, 3.0)):
        make_audio(folder / str(i), count // 3 + (i < count % 3), seconds=seconds)
    one = make_audio(tmp / "one", 1, seconds=2.0)[0]
    subs = [str(folder / str(i)) for i in range(3)]
    builds = [str(BIN), *against]
    cmds: dict[str, list[str]] = {}
    for b in builds:
        cmds[f"one {b}"] = [b, "validate", "--no-cache", str(one)]
        cmds[f"many {b}"] = [b, "validate", "--no-cache", *subs]
    r = median_of(cmds, max(3, runs // 5), env, warmup=1)
    for b in builds:
        one_r, many_r = r[f"one {b}"], r[f"many {b}"]
        per_file = (many_r[0] - one_r[0]) / (count - 1) * 1000
        cpu_file = (many_r[2] - one_r[2]) / (count - 1) * 1000
        rows.append(
            row(
                f"quality of a folder of {count} takes of 1-3 s"
                f"{'' if b == str(BIN) else f' ({b})'} [load {before}, now {load()}]",
                f"{per_file:.2f} ms/file (CPU {cpu_file:.2f} ms/file)",
                f"1 file {one_r[0] * 1000:.0f} ms, {count} files {many_r[0]:.1f} s",
                per_file / 1.0,
                "<= 1 ms/file (ratio to 1 ms)",
            )
        )


def goal_apply(rows: list[list[str]], quick: bool, tmp: Path) -> None:
    """4. apply --jobs 4 against --jobs 1: 50 voices, 200 ms per clone (bench/apply.py), every
    sample's verdict cached (as after validate or plan) so both time the same work; and with
    nothing cached, --keep-going (each voice uploads as soon as its own check passed) against
    the plain run (every check passes before the first upload), both at --jobs 4. Rounds
    interleaved in alternating order."""
    from apply import bench_modes  # bench/apply.py

    modes = bench_modes(
        tmp / "apply", 50, 1 if quick else 5, ["warm", "cold", "cold, --keep-going"]
    )
    jobs = modes["warm"]
    j1, j4, pairs = statistics.median(jobs.j1), statistics.median(jobs.j4), jobs.pairs
    rows.append(
        row(
            f"apply -j4, 50 voices, 200 ms a clone, verdicts cached [load {jobs.load}]",
            f"{j4:.2f} s (rounds {pairs[0]:.2f}-{pairs[-1]:.2f}x)",
            f"apply -j1 {j1:.2f} s",
            jobs.ratio,
            "<= 0.30",
        )
    )
    plain, kept = modes["cold"], modes["cold, --keep-going"]
    p4, k1, k4 = (statistics.median(x) for x in (plain.j4, kept.j1, kept.j4))
    rows.append(
        row(
            "apply -j4 --keep-going, nothing cached",
            f"{k4:.2f} s (CPU {kept.cpu[4][0]:.1f} s; -j1 {k1:.2f} s, {kept.ratio:.2f}x)",
            f"apply -j4 {p4:.2f} s (CPU {plain.cpu[4][0]:.1f} s; -j1 {plain.ratio:.2f}x)",
            k4 / p4,
            "no target",
        )
    )


def goal_prepare(
    rows: list[list[str]], quick: bool, minutes: float, env: dict[str, str], tmp: Path
) -> None:
    """5. prepare of a long MP3 against FFmpeg's own decode of it."""
    before = load()
    mp3 = long_mp3(tmp, minutes)
    walls: dict[str, list[float]] = {"ffmpeg": [], "prepare": []}
    cpus: dict[str, list[float]] = {"ffmpeg": [], "prepare": []}
    out = tmp / "prepared.wav"
    cmds = {
        "ffmpeg": ["ffmpeg", "-v", "error", "-i", str(mp3), "-f", "null", "-"],
        "prepare": [str(BIN), "prepare", str(mp3), "-o", str(out), "--force", "-q"],
    }
    for _ in range(1 if quick else 3):
        for k, cmd in cmds.items():
            w, code, _, c = timed(cmd, env)
            if code != 0:
                raise SystemExit(f"{k} of the long MP3 exited {code}")
            walls[k].append(w)
            cpus[k].append(c)
    wf, wp = statistics.median(walls["ffmpeg"]), statistics.median(walls["prepare"])
    cf, cp = statistics.median(cpus["ffmpeg"]), statistics.median(cpus["prepare"])
    rows.append(
        row(
            f"prepare of a {minutes:g}-min MP3 [load {before}]",
            f"{wp:.2f} s (CPU {cp:.2f} s, {cp / cf:.2f}x)",
            f"ffmpeg -f null {wf:.2f} s (CPU {cf:.2f} s)",
            wp / wf,
            "<= 1.3",
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=21, help="runs per command (median taken)")
    ap.add_argument("--quick", action="store_true", help="fewer runs, for a smoke test")
    ap.add_argument(
        "--goals", choices=("only", "skip", "first"), default="first",
        help="issue 22's table: alone, not at all, or before the other rows (default)",
    )  # fmt: skip
    ap.add_argument(
        "--goal", action="append", choices=GOAL_ROWS, default=None,
        help="run only this row of issue 22's table (repeatable; implies --goals only)",
    )  # fmt: skip
    ap.add_argument(
        "--against", metavar="BLAND_CLONE", action="append", default=[],
        help="another build's bland-clone: the validate and folder rows run it too, interleaved (repeatable)",
    )  # fmt: skip
    ap.add_argument("--minutes", type=float, default=60.0, help="length of the long MP3")
    ap.add_argument("--no-install", action="store_true", help="skip the fresh-venv install")
    args = ap.parse_args()
    runs = 5 if args.quick else args.runs
    if not BIN.exists():
        print(f"{BIN} not found: install the project into this Python first (pip install .)")
        return 2
    env = dict(os.environ, NO_COLOR="1")
    env.pop("BLAND_API_KEY", None)
    # as an installed wheel: the package compiled once (pip does it), whatever
    # PYTHONDONTWRITEBYTECODE says, so no run pays for compiling bland_clone
    import bland_clone

    subprocess.run(
        [PY, "-m", "compileall", "-q", str(Path(bland_clone.__file__).parent)], check=True
    )
    if args.goal:
        args.goals = "only"
    if args.goals != "skip":
        goals(
            runs,
            args.quick,
            args.minutes,
            not args.no_install,
            env,
            args.goal or GOAL_ROWS,
            args.against,
        )
        if args.goals == "only":
            return 0
    rows: list[list[str]] = []
    tmp = Path(tempfile.mkdtemp(prefix="bland-bench-"))
    try:
        # 1. start-up
        r = median_of(
            {
                "pass": [PY, "-c", "pass"],
                "version": [str(BIN), "--version"],
                "help": [str(BIN), "--help"],
            },
            runs,
            env,
        )
        base = r["pass"][0]
        rows.append(
            row(
                "--version",
                f"{r['version'][0] * 1000:.1f} ms",
                f"python -c pass {base * 1000:.1f} ms",
                r["version"][0] / base,
                "<= 2x",
            )
        )
        rows.append(
            row(
                "--help",
                f"{r['help'][0] * 1000:.1f} ms",
                f"python -c pass {base * 1000:.1f} ms",
                r["help"][0] / base,
                "<= 6x",
            )
        )

        # 2. validate 5 typical files: header checks only, then with the quality analysis
        five = make_audio(tmp / "five", 5, mp3_every=3)
        r = median_of(
            {
                "sf": [PY, "-c", "import soundfile"],
                "headers": [str(BIN), "validate", "--no-quality", *map(str, five)],
                "quality": [str(BIN), "validate", *map(str, five)],
            },
            runs,
            env,
        )
        sf_ms = f"import soundfile {r['sf'][0] * 1000:.1f} ms"
        rows.append(
            row(
                "validate --no-quality 5 files (3 WAV, 2 MP3)",
                f"{r['headers'][0] * 1000:.1f} ms",
                sf_ms,
                r["headers"][0] / r["sf"][0],
                "<= 1.4x",
            )
        )
        rows.append(
            row(
                "validate 5 files, with quality analysis",
                f"{r['quality'][0] * 1000:.1f} ms",
                sf_ms,
                r["quality"][0] / r["sf"][0],
                "(decodes; no target)",
            )
        )

        # 3. a folder of 500 files, both modes
        folder = tmp / "many"
        make_audio(folder, 500, seconds=11.0, mp3_every=5)
        one = tmp / "one"
        make_audio(one, 1, seconds=11.0)
        for label, flags in (("--no-quality", ["--no-quality"]), ("with quality", ["--no-cache"])):
            r = median_of(
                {
                    "one": [str(BIN), "validate", *flags, str(one)],
                    "many": [str(BIN), "validate", *flags, str(folder)],
                },
                max(5, runs // 3),
                env,
                warmup=1,
            )
            per_file = (r["many"][0] - r["one"][0]) / 499 * 1000
            rows.append(
                row(
                    f"validate folder of 500 (1 in 5 MP3), {label}",
                    f"{per_file:.2f} ms/file",
                    f"1 file {r['one'][0] * 1000:.1f} ms, 500 files {r['many'][0] * 1000:.0f} ms",
                    None,
                    # header checks: 2 ms; the full quality analysis (voice detector, reverb,
                    # music, hum, band and speaker checks since issue 10): 50 ms a file
                    "<= 2 ms/file" if label == "--no-quality" else "<= 50 ms/file",
                )
            )

        # 4. clone 5 x 5 MB to the sandbox, against curl
        files = big_wavs(tmp, 5, 5_000_000)
        port = free_port()
        server = subprocess.Popen(
            [str(BIN), "sandbox", "--port", str(port), "--key", KEY, "--no-log"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()  # listening
            url = f"http://127.0.0.1:{port}"
            cenv = dict(env, BLAND_API_URL=url, BLAND_API_KEY=KEY)
            counter = iter(range(10_000))
            walls: dict[str, list[float]] = {"clone": [], "curl": [], "imports": []}
            peak: list[int] = []
            curl = shutil.which("curl")
            n = max(5, runs // 3)
            for i in range(n + 1):
                w, code, rss = peak_kib(
                    [
                        "clone",
                        "--name",
                        f"bench {next(counter)}",
                        # v3: all five files are sent (the service keeps the first); v2 takes one
                        "--engine",
                        "v3",
                        *map(str, files),
                    ],
                    cenv,
                    tmp,
                )
                if code != 0:
                    raise SystemExit(f"clone failed with exit code {code}")
                if curl:
                    cmd = [
                        curl,
                        "-s",
                        "-o",
                        "/dev/null",
                        "-H",
                        f"Authorization: {KEY}",
                        "-F",
                        f"name=curl {next(counter)}",
                        "-F",
                        "isBTTS_V2=true",
                    ]
                    for f in files:
                        cmd += ["-F", f"audio_samples=@{f}"]
                    cw, *_ = timed([*cmd, url + "/v1/voices/clone"], cenv)
                iw, *_ = timed([PY, "-c", "import requests, soundfile, rich"], cenv)
                if i:  # the first round warms caches
                    walls["clone"].append(w)
                    peak.append(rss)
                    walls["imports"].append(iw)
                    if curl:
                        walls["curl"].append(cw)
        finally:
            server.terminate()
            server.wait(timeout=10)
        clone_t = statistics.median(walls["clone"])
        imports_t = statistics.median(walls["imports"])
        peak_mib = statistics.median(peak) / 1024
        if walls["curl"]:
            curl_t = statistics.median(walls["curl"])
            budget = imports_t + 3 * curl_t
            rows.append(
                row(
                    "clone 5 x 5 MB: wall",
                    f"{clone_t * 1000:.0f} ms",
                    f"curl {curl_t * 1000:.0f} ms; budget imports+3x curl {budget * 1000:.0f} ms",
                    clone_t / budget,
                    "<= 1.00x of budget",
                )
            )
        else:
            rows.append(
                row(
                    "clone 5 x 5 MB: wall",
                    f"{clone_t * 1000:.0f} ms",
                    "curl not installed",
                    None,
                    "-",
                )
            )
        rows.append(
            row(
                "clone 5 x 5 MB: client peak RSS",
                f"{peak_mib:.1f} MiB",
                "upload is 25 MB",
                peak_mib / 40,
                "<= 40 MiB",
            )
        )

        # 5. a network command's own cost: voices list against the sandbox, against the bare
        #    import of the HTTP stack; and the modules it imports that it does not need
        port = free_port()
        server = subprocess.Popen(
            [str(BIN), "sandbox", "--port", str(port), "--key", KEY, "--no-log"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()
            lenv = dict(env, BLAND_API_URL=f"http://127.0.0.1:{port}", BLAND_API_KEY=KEY)
            r = median_of(
                {
                    "pass": [PY, "-c", "pass"],
                    "requests": [PY, "-c", "import requests"],
                    "list": [str(BIN), "voices", "list"],
                },
                runs,
                lenv,
            )
            probe = subprocess.run(
                [PY, "-c", _UNNEEDED],
                env=lenv,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
        stack = r["requests"][0] - r["pass"][0]
        rows.append(
            row(
                "voices list (sandbox): wall",
                f"{r['list'][0] * 1000:.1f} ms",
                f"python -c 'import requests' {r['requests'][0] * 1000:.1f} ms "
                f"(HTTP stack {stack / r['list'][0]:.0%} of the command)",
                r["list"][0] / r["requests"][0],
                "<= 1.6x",
            )
        )
        rows.append(
            row(
                "voices list: modules it does not need",
                probe.stdout.strip() or "none",
                "audio, numpy, soundfile, toolbelt, rich",
                None,
                "none",
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print_table(rows, f"runs: {runs}; load average (1/5 min) now {load()}")
    return 0


def print_table(rows: list[list[str]], title: str) -> None:
    headers = ["benchmark", "median", "baseline (same run)", "ratio", "target"]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    print(f"{title}; python {sys.version.split()[0]}; {os.cpu_count()} cores")
    for r in [headers, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""bland-clone benchmarks: medians, as ratios against baselines measured in the same run.

    python bench/run.py [--runs N] [--quick]

Rows:
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
BIN = Path(PY).with_name("bland-clone")
KEY = "sk-bench-0123456789abcdef"


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (KiB) of one run of cmd."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, proc.returncode, usage.ru_maxrss


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
    w, code, _ = timed([PY, "-c", _PEAK, str(out), *args], env)
    return w, code, int(out.read_text())


def median_of(
    cmds: dict[str, list[str]], runs: int, env: dict[str, str] | None = None, warmup: int = 2
) -> dict[str, tuple[float, float]]:
    """Interleave the commands run by run (so drift hits all alike); median seconds and KiB."""
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    rss: dict[str, list[int]] = {k: [] for k in cmds}
    for i in range(warmup + runs):
        for k, cmd in cmds.items():
            w, _, m = timed(cmd, env)
            if i >= warmup:
                walls[k].append(w)
                rss[k].append(m)
    return {k: (statistics.median(walls[k]), statistics.median(rss[k])) for k in cmds}


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


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=21, help="runs per command (median taken)")
    ap.add_argument("--quick", action="store_true", help="fewer runs, for a smoke test")
    args = ap.parse_args()
    runs = 5 if args.quick else args.runs
    if not BIN.exists():
        print(f"{BIN} not found: install the project into this Python first (pip install .)")
        return 2
    env = dict(os.environ, NO_COLOR="1")
    env.pop("BLAND_API_KEY", None)
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
        for label, flags in (("--no-quality", ["--no-quality"]), ("with quality", [])):
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
                    cw, _, _ = timed([*cmd, url + "/v1/voices/clone"], cenv)
                iw, _, _ = timed([PY, "-c", "import requests, soundfile, rich"], cenv)
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

    headers = ["benchmark", "median", "baseline (same run)", "ratio", "target"]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    print(f"runs: {runs}; python {sys.version.split()[0]}; {os.cpu_count()} cores")
    for r in [headers, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Large outputs on a terminal against the same output piped.

    python bench/output.py [--runs N] [--files 1000] [--voices 5000] [--many 5000] [--before DIR]

Rows (medians of --runs runs, the terminal and the pipe measured in the same run):
 1. `validate` of a folder of --files short WAV files (the quality analysis on, so a terminal also
    gets the level strips), stdout and stderr on a pseudo-terminal against both piped. Every run
    analyses again: the verdict cache's folder is one that cannot exist (XDG_CACHE_HOME under
    /dev/null), so no run reads what an earlier one remembered, whatever the version.
 2. `voices list` of --voices voices from the sandbox, on a pseudo-terminal against piped.
 3. `validate --json` of the same folder: the size of the one JSON object, bytes per file.
 5. `validate --no-quality` of the --files folder, on a terminal against piped: the report alone
    (the quality analysis of row 1 is most of its time, and varies with the machine's load).
 4. `validate --no-quality` of --many files piped (headers only: what is left is the report,
    a problem per file; its verdicts once grouped by file, not scanned per file).
With --before DIR (a checkout of an earlier version, e.g. `git archive main | tar -x -C DIR`),
every row is also measured with DIR's code, interleaved in the same run.
Target: the terminal within about 1.3x of the pipe (the pipe is the baseline: same work, plain text).
The server runs in this process, the CLI in a child process; the pseudo-terminal is read to the end
as a terminal emulator would, so its time counts what Rich writes.
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bland_clone.sandbox import Sandbox, SandboxState, make_server  # noqa: E402

KEY = "sk-bench-0123456789abcdef"
CMD = [sys.executable, "-m", "bland_clone"]
#: the children's working folder: not the checkout, whose bland_clone `-m` would find first
CWD = tempfile.gettempdir()


def _env(url: str = "", src: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLAND_", "NO_COLOR", "CI"))}
    env.update(TERM="xterm-256color", COLUMNS="160", LINES="50", BLAND_API_KEY=KEY)
    env.pop("GITHUB_ACTIONS", None)
    if url:
        env["BLAND_API_URL"] = url
    if src:  # PYTHONPATH comes before the editable install's path
        env["PYTHONPATH"] = src
    return env


def on_pty(args: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Wall seconds, exit code and bytes written, with stdout and stderr on a pseudo-terminal."""
    primary, secondary = os.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*CMD, *args],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
        cwd=CWD,
    )
    os.close(secondary)
    seen = 0
    while True:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(primary, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            seen += len(chunk)
        elif proc.poll() is not None:
            break
    code = proc.wait()
    wall = time.perf_counter() - start
    os.close(primary)
    return wall, code, seen


def piped(args: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    start = time.perf_counter()
    proc = subprocess.run([*CMD, *args], capture_output=True, env=env, cwd=CWD)
    wall = time.perf_counter() - start
    return wall, proc.returncode, len(proc.stdout) + len(proc.stderr)


def write_files(folder: Path, count: int) -> None:
    """Short files (2 s: each gets a warning line) of a harmonic tone, varied per file."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rate = 16000
    t = np.arange(2 * rate) / rate
    for i in range(count):
        f0 = 110 + (i % 50)
        x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 5))
        x = x * (0.4 + 0.6 * np.abs(np.sin(np.pi * 2.5 * t)))
        x = (x / np.max(np.abs(x)) * 0.3 * 32767).astype("<i2")
        with wave.open(str(folder / f"take{i:05d}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(x.tobytes())


def compare(
    label: str, args: list[str], env: dict[str, str], runs: int, before: str = "", tty: bool = True
) -> None:
    versions = {"": env} | ({"before ": env | {"PYTHONPATH": before}} if before else {})
    times: dict[str, list[float]] = {f"{v}{m}": [] for v in versions for m in ("tty", "pipe")}
    written: dict[str, int] = {}
    for _ in range(runs):  # interleaved, so all see the same machine load
        for v, e in versions.items():
            modes = (("tty", on_pty), ("pipe", piped)) if tty else (("pipe", piped),)
            for m, fn in modes:
                w, code, n = fn(args, e)
                if code not in (0, 1):
                    raise SystemExit(f"{label}: exit {code} ({v}{m})")
                times[f"{v}{m}"].append(w)
                written[f"{v}{m}"] = n
    for v in versions:
        p = statistics.median(times[f"{v}pipe"])
        if not tty:
            print(f"{v + label:<41} piped {p:6.2f} s", flush=True)
            continue
        t = statistics.median(times[f"{v}tty"])
        print(
            f"{v + label:<41} terminal {t:6.2f} s   piped {p:6.2f} s   ratio {t / p:4.2f}x"
            f"   ({written[v + 'tty'] // 1024} KB / {written[v + 'pipe'] // 1024} KB written)",
            flush=True,
        )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--voices", type=int, default=5000)
    ap.add_argument("--many", type=int, default=5000)
    ap.add_argument("--before", default="", help="a checkout of an earlier version to compare")
    ap.add_argument("--skip", default="", help="rows to leave out, e.g. 1,3")
    ns = ap.parse_args()
    skip = set(ns.skip.split(","))
    with tempfile.TemporaryDirectory(prefix="bench-output-") as d:
        tmp = Path(d)
        folder = tmp / "takes"
        write_files(folder, max(ns.files, ns.many))
        few = [str(p) for p in sorted(folder.iterdir())[: ns.files]]
        uncached = dict(_env(), XDG_CACHE_HOME="/dev/null/no-cache")
        if "1" not in skip:
            compare(
                f"validate ({ns.files} files)", ["validate", *few], uncached, ns.runs, ns.before
            )
        if "5" not in skip:
            args = ["validate", "--no-quality", *few]
            compare(f"validate --no-quality ({ns.files} files)", args, _env(), ns.runs, ns.before)
        if "3" not in skip:
            proc = subprocess.run(
                [*CMD, "validate", "--json", *few], capture_output=True, env=uncached, cwd=CWD
            )
            print(
                f"{'validate --json':<41} {len(proc.stdout) / ns.files / 1024:.1f} KB per file "
                f"({len(proc.stdout) / 1024 / 1024:.1f} MB)",
                flush=True,
            )
        if "4" not in skip:
            args = ["validate", "--no-quality", "--engine", "v2", str(folder)]
            compare(
                f"validate --no-quality ({ns.many} files)",
                args,
                _env(),
                ns.runs,
                ns.before,
                tty=False,
            )

        state = SandboxState(api_key=KEY)
        for i in range(ns.voices):
            state.add_voice(f"Voice {i:05d}")
        server = make_server(Sandbox(state), "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        try:
            if "2" not in skip:
                compare(
                    f"voices list ({ns.voices} voices)",
                    ["voices", "list"],
                    _env(url),
                    ns.runs,
                    ns.before,
                )
        finally:
            server.shutdown()
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

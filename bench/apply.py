"""Voices as code at scale: apply in parallel, plan of a large unchanged manifest.

    python bench/apply.py [--runs N] [--voices 50] [--large 1000] [--only jobs|plan] [--cold]

Rows:
 1. `apply --jobs 4` of 50 new voices against `apply --jobs 1`, both against a stand-in of the
    service that takes 200 ms per clone (the sandbox behind a delay, as a remote service would),
    with every sample's verdict already in the lock's cache (a `validate` run first), so both
    time the same work; runs interleaved, order alternating, medians. Target: jobs 4 takes at
    most 0.30x the wall time of jobs 1. With --cold, also with nothing cached (no target): plain
    (every check passes before the first upload, so the analysis adds the same seconds to both)
    and with --keep-going (each voice uploads once its own check passed, while the next voices
    are analysed: the uploads hide behind the analysis).
 2. `plan` of 1,000 unchanged voices, each with its own sample and a lock that matches: the first
    run hashes every sample (cold), later runs find the hashes cached by size and mtime (warm).
    Target: a few seconds. Also `apply` of the same (nothing to do) and `validate` of the
    manifest (header checks and the quality analysis), for scale.
Medians of --runs runs (5), with the load average (1/5 min); the server runs in this process,
the CLI in a child process.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bland_clone.core import lockfile  # noqa: E402
from bland_clone.sandbox import Sandbox, SandboxState, make_server  # noqa: E402

KEY = "sk-bench-0123456789abcdef"
CLONE_DELAY = 0.2


class SlowClones:
    def __init__(self, app: Any, delay: float) -> None:
        self.app, self.delay = app, delay

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and environ.get("PATH_INFO") == "/v1/voices/clone":
            time.sleep(self.delay)
        return self.app(environ, start_response)


class Server:
    def __init__(self, state: SandboxState, delay: float = 0.0) -> None:
        self.state = state
        app: Any = Sandbox(state)
        self.server = make_server(SlowClones(app, delay) if delay else app, "127.0.0.1", 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def speechy_wav(path: Path, seconds: float, seed: int, rate: int = 16000) -> None:
    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    f0 = 130 + 10 * (seed % 7)
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))
    x = x * (0.35 + 0.65 * np.abs(np.sin(np.pi * 3.0 * t)))
    x = (x / np.max(np.abs(x)) * 0.3 * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(x.tobytes())


def write_manifest(folder: Path, count: int, seconds: float, prefix: str) -> Path:
    samples = folder / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    parts = []
    for i in range(count):
        f = samples / f"{prefix}{i:04d}.wav"
        if not f.exists():
            speechy_wav(f, seconds, i)
        parts.append(f'[[voice]]\nname = "{prefix}{i:04d}"\nsamples = ["samples/{f.name}"]\n')
    m = folder / "voices.toml"
    m.write_text("\n".join(parts))
    return m


def cli(args: list[str], url: str, cache_home: Path) -> tuple[float, int, str]:
    """The real program in a subprocess; ``cache_home``: its user cache folder (verdicts are
    read from the user cache as well as the lock's, so a "nothing cached" run needs both
    empty, and the bench never reads or fills the user's own)."""
    env = {**os.environ, "BLAND_API_URL": url, "BLAND_API_KEY": KEY, "NO_PROXY": "*"}
    env["XDG_CACHE_HOME"] = str(cache_home)
    env.pop("GITHUB_ACTIONS", None)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bland_clone", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return time.perf_counter() - start, proc.returncode, proc.stderr[-500:]


@dataclass(frozen=True)
class Jobs:
    """Paired runs of `apply --jobs 1` and `--jobs 4`: wall seconds run by run, the order
    alternating (1 then 4, then 4 then 1) so a load that drifts weighs on both alike."""

    j1: list[float]
    j4: list[float]
    load: str
    #: CPU seconds of a run (median): the CLI's, and the stand-in service's (this process)
    cpu: dict[int, tuple[float, float]]

    @property
    def ratio(self) -> float:
        """The goal's number: the median of -j4 over the median of -j1."""
        return statistics.median(self.j4) / statistics.median(self.j1)

    @property
    def pairs(self) -> list[float]:
        """Each round's own ratio (its spread is the noise)."""
        return sorted(b / a for a, b in zip(self.j1, self.j4, strict=True))

    def line(self) -> str:
        p = self.pairs
        return (
            f"--jobs 1: {statistics.median(self.j1):.2f} s   --jobs 4: "
            f"{statistics.median(self.j4):.2f} s   ratio {self.ratio:.3f} "
            f"(rounds {p[0]:.3f}-{p[-1]:.3f}, {len(p)} rounds, load {self.load}); CPU a run, "
            + ", ".join(
                f"-j{j}: CLI {c:.2f} s, service {s:.2f} s" for j, (c, s) in self.cpu.items()
            )
        )


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


#: How a run of bench_modes finds the verdicts, and what it adds to `apply`: warm (every
#: verdict cached, as after `validate`), cold (none: every sample analysed before the first
#: upload), cold with --keep-going (each voice uploads as soon as its own check passed).
MODES: dict[str, tuple[bool, list[str]]] = {
    "warm": (True, []),
    "cold": (False, []),
    "cold, --keep-going": (False, ["--keep-going"]),
}


def bench_jobs(
    tmp: Path, voices: int, runs: int, *, warm: bool = True, keep_going: bool = False
) -> Jobs:
    """`apply` of ``voices`` new voices at --jobs 1 and 4, ``runs`` rounds. ``warm``: every
    sample's verdict is in the lock's cache (as after `validate`, or an earlier apply), so the
    runs time the uploads and what apply does around them; else the cache is removed before
    each run and every run analyses every sample: without ``keep_going`` before the first
    upload (the promise: no upload before every check passed), with it (`--keep-going`) each
    voice uploads as soon as its own check passed while the next are analysed."""
    mode = "warm" if warm else "cold, --keep-going" if keep_going else "cold"
    return bench_modes(tmp, voices, runs, [mode])[mode]


def bench_modes(tmp: Path, voices: int, runs: int, modes: Sequence[str]) -> dict[str, Jobs]:
    """:func:`bench_jobs` of each of ``modes`` (keys of MODES), their runs interleaved round by
    round (the order reversed every other round), so a load that drifts weighs on all alike."""
    _adopt_orphans()
    folders = {}
    for mode in modes:
        warm, _ = MODES[mode]
        folder = tmp / ("jobs" if warm else "cold")
        m = write_manifest(folder, voices, 11.0, "J")
        if warm and not (folder / ".voices.lock.cache").exists():
            _, code, err = cli(  # the cache
                ["validate", str(m), "-q"], "http://127.0.0.1:9", folder / "user-cache"
            )
            if code != 0:
                raise SystemExit(f"validate failed ({code}): {err}")
        folders[mode] = folder, m
    times: dict[tuple[str, int], list[float]] = {(k, j): [] for k in modes for j in (1, 4)}
    cpus: dict[tuple[str, int], list[tuple[float, float]]] = {k: [] for k in times}
    before = load()
    for r in range(runs):
        for mode, jobs in list(times) if r % 2 == 0 else reversed(list(times)):
            (folder, m), (warm, extra) = folders[mode], MODES[mode]
            server = Server(SandboxState(api_key=KEY, max_voices=voices + 10), CLONE_DELAY)
            (folder / "voices.lock").unlink(missing_ok=True)
            if not warm:
                (folder / ".voices.lock.cache").unlink(missing_ok=True)
                shutil.rmtree(folder / "user-cache", ignore_errors=True)
            child, here = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
            try:
                args = ["apply", str(m), "--jobs", str(jobs), "-q", *extra]
                wall, code, err = cli(args, server.url, folder / "user-cache")
                _reap()
                used = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus[mode, jobs].append(
                    (
                        used.ru_utime + used.ru_stime - child.ru_utime - child.ru_stime,
                        time.process_time() - here,
                    )
                )
                if code != 0:
                    raise SystemExit(f"apply --jobs {jobs} {extra} failed ({code}): {err}")
                made = sum(1 for v in server.state.live() if v.name.startswith("J0"))
                assert made == voices, made
            finally:
                server.close()
            times[mode, jobs].append(wall)
    after = f"{before} -> {load()}"
    out = {}
    for mode in modes:
        cpu = {
            j: (
                statistics.median(c for c, _ in cpus[mode, j]),
                statistics.median(s for _, s in cpus[mode, j]),
            )
            for j in (1, 4)
        }
        out[mode] = Jobs(times[mode, 1], times[mode, 4], after, cpu)
    return out


def _adopt_orphans() -> None:
    """Reap this process's orphaned grandchildren (Linux: PR_SET_CHILD_SUBREAPER), so the CPU
    of the analysis' worker processes counts in RUSAGE_CHILDREN: they are children of
    multiprocessing's fork server, which outlives the CLI a moment and is not waited for."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _reap(within: float = 5.0) -> None:
    """Wait for the orphans a run left (its fork server ends once the CLI is gone)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.01)


def bench_plan(tmp: Path, count: int, runs: int) -> dict[str, float]:
    folder = tmp / "large"
    m = write_manifest(folder, count, 2.0, "L")
    state = SandboxState(api_key=KEY, max_voices=count + 10)
    entries = []
    for i in range(count):
        name = f"L{i:04d}"
        v = state.add_voice(name)
        f = f"samples/{name}.wav"
        entries.append(
            lockfile.LockedVoice(
                name,
                v.id,
                "v3",
                "2026-01-01T00:00:00Z",
                [lockfile.LockedSample(f, lockfile.file_sha256(str(folder / f)))],
            )
        )
    lock = folder / "voices.lock"
    lockfile.write(lock, entries)
    cache = folder / ".voices.lock.cache"
    cache.unlink(missing_ok=True)
    shutil.rmtree(folder / "user-cache", ignore_errors=True)
    before = lock.read_bytes()
    server = Server(state)
    out: dict[str, float] = {}
    try:

        def run(args: list[str]) -> float:
            wall, code, err = cli(args, server.url, folder / "user-cache")
            if code != 0:
                raise SystemExit(f"{' '.join(args)} failed ({code}): {err}")
            return wall

        out["plan, cold cache"] = run(["plan", str(m), "--detailed-exitcode", "-q"])
        out["plan, warm cache"] = statistics.median(
            run(["plan", str(m), "--detailed-exitcode", "-q"]) for _ in range(runs)
        )
        out["apply, nothing to do"] = statistics.median(
            run(["apply", str(m), "-q"]) for _ in range(runs)
        )
        assert lock.read_bytes() == before, "the lock changed"
        out["validate --no-quality"] = run(["validate", str(m), "--no-quality", "-q"])
        out["validate (quality)"] = run(["validate", str(m), "-q"])  # a manifest: the lock cache
    finally:
        server.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--voices", type=int, default=50)
    ap.add_argument("--large", type=int, default=1000)
    ap.add_argument(
        "--only",
        choices=("jobs", "plan"),
        help="one row: jobs (apply -j4 against -j1, the goal) or plan (the large manifest)",
    )
    ap.add_argument("--cold", action="store_true", help="jobs: also time it with no verdict cached")
    a = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="bland-bench-apply-") as t:
        tmp = Path(t)
        if a.only in (None, "jobs"):
            jobs = bench_jobs(tmp, a.voices, a.runs)
            print(
                f"apply of {a.voices} voices, {CLONE_DELAY * 1000:.0f} ms per clone, verdicts cached:"
            )
            print(f"  {jobs.line()}")
            print(f"  target <= 0.30: {'PASS' if jobs.ratio <= 0.30 else 'FAIL'}")
            ok = jobs.ratio <= 0.30
            if a.cold:
                both = bench_modes(tmp, a.voices, a.runs, ["cold", "cold, --keep-going"])
                cold, kept = both["cold"], both["cold, --keep-going"]
                print("  nothing cached: every sample analysed before the first upload:")
                print(f"  {cold.line()}")
                print("  nothing cached, --keep-going: each voice uploads once its check passed:")
                print(f"  {kept.line()}")
                print(
                    f"  --keep-going against the plain run: -j1 "
                    f"{statistics.median(kept.j1) / statistics.median(cold.j1):.2f}x, -j4 "
                    f"{statistics.median(kept.j4) / statistics.median(cold.j4):.2f}x"
                )
        if a.only in (None, "plan"):
            plan = bench_plan(tmp, a.large, a.runs)
            print(f"{a.large} unchanged voices (median of {a.runs} where repeated):")
            for k, v in plan.items():
                print(f"  {k:<24} {v:.2f} s")
            ok = ok and plan["plan, warm cache"] <= 5.0
            print(
                "plan of the unchanged voices: "
                + ("PASS" if plan["plan, warm cache"] <= 5.0 else "FAIL")
                + " (target: a few seconds, <= 5 s)"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

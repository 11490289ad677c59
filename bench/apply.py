"""Voices as code at scale: apply in parallel, plan of a large unchanged manifest.

    python bench/apply.py [--runs N] [--voices 50] [--large 1000]

Rows:
 1. `apply --jobs 4` of 50 new voices against `apply --jobs 1`, both against a stand-in of the
    service that takes 200 ms per clone (the sandbox behind a delay, as a remote service would).
    Target: jobs 4 takes at most 0.35x the wall time of jobs 1.
 2. `plan` of 1,000 unchanged voices, each with its own sample and a lock that matches: the first
    run hashes every sample (cold), later runs find the hashes cached by size and mtime (warm).
    Target: a few seconds. Also `apply` of the same (nothing to do) and `validate` of the
    manifest (header checks and the quality analysis), for scale.
Medians of --runs runs; the server runs in this process, the CLI in a child process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bland_clone import lockfile  # noqa: E402
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


def cli(args: list[str], url: str) -> tuple[float, int, str]:
    env = {**os.environ, "BLAND_API_URL": url, "BLAND_API_KEY": KEY, "NO_PROXY": "*"}
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


def bench_jobs(tmp: Path, voices: int, runs: int) -> dict[int, float]:
    folder = tmp / "jobs"
    m = write_manifest(folder, voices, 11.0, "J")
    times: dict[int, list[float]] = {1: [], 4: []}
    for _ in range(runs):
        for jobs in (1, 4):
            server = Server(SandboxState(api_key=KEY, max_voices=voices + 10), CLONE_DELAY)
            (folder / "voices.lock").unlink(missing_ok=True)
            try:
                wall, code, err = cli(["apply", str(m), "--jobs", str(jobs), "-q"], server.url)
                if code != 0:
                    raise SystemExit(f"apply --jobs {jobs} failed ({code}): {err}")
                made = sum(1 for v in server.state.live() if v.name.startswith("J0"))
                assert made == voices, made
            finally:
                server.close()
            times[jobs].append(wall)
    return {j: statistics.median(t) for j, t in times.items()}


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
    before = lock.read_bytes()
    server = Server(state)
    out: dict[str, float] = {}
    try:

        def run(args: list[str]) -> float:
            wall, code, err = cli(args, server.url)
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
        out["validate (quality)"] = run(["validate", str(m), "-q"])
    finally:
        server.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--voices", type=int, default=50)
    ap.add_argument("--large", type=int, default=1000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bland-bench-apply-") as t:
        tmp = Path(t)
        jobs = bench_jobs(tmp, a.voices, a.runs)
        ratio = jobs[4] / jobs[1]
        print(
            f"apply of {a.voices} voices, {CLONE_DELAY * 1000:.0f} ms per clone (median of {a.runs}):"
        )
        print(
            f"  --jobs 1: {jobs[1]:.2f} s   --jobs 4: {jobs[4]:.2f} s   "
            f"ratio {ratio:.2f}x (target <= 0.35x): {'PASS' if ratio <= 0.35 else 'FAIL'}"
        )
        plan = bench_plan(tmp, a.large, a.runs)
        print(f"{a.large} unchanged voices (median of {a.runs} where repeated):")
        for k, v in plan.items():
            print(f"  {k:<24} {v:.2f} s")
        ok = ratio <= 0.35 and plan["plan, warm cache"] <= 5.0
        print(
            "plan of the unchanged voices: "
            + ("PASS" if plan["plan, warm cache"] <= 5.0 else "FAIL")
            + " (target: a few seconds, <= 5 s)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

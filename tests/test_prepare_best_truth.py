"""prepare --best tells the truth about each take: a `takes` row's numbers are those of the file
it names (the prepared copy's are under `prepared`), and a take it skipped is said on the
terminal, one line each with the reason, not only in the JSON's `failed`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from .audiofiles import write_wav

RATE = 16000


def _folder(tmp_path: Path) -> Path:
    small = tmp_path / "small"
    small.mkdir()
    write_wav(small / "austen.wav", 16.0)
    write_wav(small / "b.wav", 20.0, level=0.05)
    noise = 0.3 * np.random.default_rng(3).uniform(-1, 1, 12 * RATE)
    sf.write(small / "noise.wav", noise.astype(np.float32), RATE, subtype="PCM_16")
    t = np.arange(12 * RATE) / RATE
    sf.write(small / "tone.wav", (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), RATE)
    return small


def test_each_take_row_describes_the_file_it_names(cli, tmp_path: Path) -> None:
    small = _folder(tmp_path)
    r = cli("prepare", small, "--best", "-o", tmp_path / "best.wav", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    for row in doc["takes"]:
        src = Path(row["input"])
        assert row["name"] == src.name
        assert row["size"] == src.stat().st_size, row
        assert abs(row["duration"] - sf.info(src).duration) < 0.01, row
        assert row["prepared"]["verdict"] == "ok" and "quality" in row["prepared"]
    best = next(t for t in doc["takes"] if t["input"] == doc["best"])
    written = tmp_path / "best.wav"
    assert best["prepared"]["size"] == written.stat().st_size
    assert {Path(f["input"]).name for f in doc["failed"]} == {"noise.wav", "tone.wav"}


def test_skipped_takes_are_said_one_line_each(cli, tmp_path: Path) -> None:
    small = _folder(tmp_path)
    r = cli("prepare", small, "--best", "-o", tmp_path / "best.wav")
    assert r.code == 0, r.err
    skipped = [line for line in r.err.splitlines() if "Skipped" in line]
    assert len(skipped) == 2, r.err
    assert '"noise.wav"' in skipped[0] and '"tone.wav"' in skipped[1], skipped
    assert all("no voice heard" in line for line in skipped), skipped

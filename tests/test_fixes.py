"""Findings from testing the merged code: each drives the real CLI and checks what a user sees."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .audiofiles import write_wav


def test_prepare_to_a_missing_or_read_only_folder_says_so(cli, tmp_path: Path) -> None:
    src = write_wav(tmp_path / "speech.wav", 12.0)
    missing = tmp_path / "nodir" / "x.wav"
    for extra in ([], ["--best"]):
        r = cli("prepare", src, "-o", missing, *extra)
        assert (r.code, r.err) == (
            1,
            f"error: Cannot write {missing}: folder {missing.parent} does not exist.\n",
        ), r.err
        r = cli("prepare", src, "-o", missing, "--json", *extra)
        assert r.code == 1 and "does not exist" in r.json()["errors"][0]["message"]
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        r = cli("prepare", src, "-o", ro / "x.wav")
        assert (r.code, r.err) == (1, f"error: Cannot write {ro / 'x.wav'}: folder {ro} is not writable.\n")
    assert not missing.parent.exists()

"""plan's details and the lock: values spelled as the manifest spells them, and a converted sample
locked by the path the manifest names."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from bland_clone.core.plan import toml_value

from .audiofiles import write_wav
from .manifests import THREE, live_id, manifest
from .servers import Service


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_a_converted_sample_is_locked_by_its_manifest_path(
    cli, service: Service, tmp_path: Path
) -> None:
    (tmp_path / "samples").mkdir()
    wav = write_wav(tmp_path / "x-src.wav", 12.0)
    m4a = tmp_path / "samples" / "x.m4a"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", wav, "-c:a", "aac", m4a], check=True
    )
    m = tmp_path / "voices.toml"
    m.write_text('[[voice]]\nname = "Memo"\nsamples = ["samples/x.m4a"]\n')
    r = cli("apply", m, "--yes")
    assert r.code == 0, r.err
    lock = (tmp_path / "voices.lock").read_text()
    sha = hashlib.sha256(m4a.read_bytes()).hexdigest()
    assert f'{{ file = "samples/x.m4a", sha256 = "{sha}" }}' in lock, lock
    assert tempfile.gettempdir() not in lock
    r = cli("apply", m, "--yes")
    assert r.code == 0, r.err
    assert (tmp_path / "voices.lock").read_text() == lock
    assert service.posts("/v1/voices/clone") == 1
    r = cli("plan", m, "--detailed-exitcode", "--json")
    assert r.code == 0, r.out
    assert [v["action"] for v in r.json()["voices"] if v["name"] == "Memo"] == ["nothing"]


def test_plan_details_spell_values_as_the_manifest_does(
    cli, service: Service, tmp_path: Path
) -> None:
    m = manifest(tmp_path, THREE)
    assert cli("apply", m).code == 0
    gamma = live_id(service, "Gamma")
    assert cli("voices", "set", gamma, "--no-boost-language-consistency").code == 0
    r = cli("plan", m)
    (row,) = [x for x in r.out.splitlines() if "Gamma" in x]
    assert "boost_language_consistency: false -> true" in row, r.out
    assert "False" not in r.out and "True" not in r.out
    assert [toml_value(v) for v in (None, 0.5, 8, "warm 'n' dry", [1, True], {"a": None})] == [
        "unset",
        "0.5",
        "8",
        "\"warm 'n' dry\"",
        "[1, true]",
        "{a = unset}",
    ]

"""clone never calls a file `ok` it has not judged: it judges the audio as validate does (a
take no verdict judged yet is analysed before anything is sent), and a file whose audio cannot
be analysed is said to be unchecked (the dry run's verdict column, its JSON); a file `validate`
refused (its verdict cached) is refused by clone too, and nothing is uploaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from .audiofiles import write_wav
from .servers import Service

RATE = 16000


def _noise(path: Path) -> Path:
    x = 0.3 * np.random.default_rng(7).uniform(-1, 1, 12 * RATE)
    sf.write(path, x.astype(np.float32), RATE, subtype="PCM_16")
    return path


def test_the_dry_run_judges_a_file_no_verdict_judged(cli, tmp_path: Path) -> None:
    noise = _noise(tmp_path / "noise.wav")
    r = cli("clone", "--name", "Vac", noise, "--dry-run")
    assert r.code == 1, r.err
    (row,) = [x for x in r.err.splitlines() if x.startswith(str(noise))]
    assert row.split("\t")[-1] == "error", r.err
    assert 'File "noise.wav": no speech found: no voice heard' in r.err
    assert "quality not checked" not in r.err
    doc = cli("clone", "--name", "Vac", noise, "--dry-run", "--json").json()
    assert [f["verdict"] for f in doc["files"]] == ["error"]
    assert [w["code"] for w in doc["errors"]] == ["quality_no_voice"]


def test_the_dry_run_does_not_call_a_file_it_could_not_analyse_ok(cli, tmp_path: Path) -> None:
    """A FLAC damaged past its headers: read, but none of its audio can be decoded for the
    analysis. clone and validate both say it was not checked, never "ok". (Damaged further
    on, what decodes is judged: tests/test_damaged.py.)"""
    flac = write_wav(tmp_path / "take.flac", 12.0, fmt="FLAC")
    data = bytearray(flac.read_bytes())
    first = data.find(b"\xff\xf8", 42)  # the first frame, after the metadata
    data[first:] = bytes((b * 7 + 13) & 0xFF for b in data[first:])
    flac.write_bytes(bytes(data))
    for args in (("clone", "--name", "Vac", flac, "--dry-run"), ("validate", flac)):
        r = cli(*args)
        assert r.code == 0, r.err
        (row,) = [x for x in (r.out + r.err).splitlines() if x.startswith(str(flac))]
        assert row.split("\t")[-1] == "warning", r.err
        assert 'File "take.flac": quality not checked' in r.out + r.err
    doc = cli("clone", "--name", "Vac", flac, "--dry-run", "--json").json()
    assert [f["verdict"] for f in doc["files"]] == ["warning"]
    assert [w["code"] for w in doc["warnings"]] == ["quality_unchecked"]


def test_a_file_validate_refused_is_refused_by_clone(cli, service: Service, tmp_path: Path) -> None:
    noise = _noise(tmp_path / "noise.wav")
    assert cli("validate", noise).code == 1
    r = cli("clone", "--name", "Vac", noise, "--dry-run")
    assert r.code == 1 and "no voice heard" in r.err, r.err
    r = cli("clone", "--name", "Vac", noise)
    assert r.code == 1 and "no voice heard" in r.err, r.err
    assert service.posts("/v1/voices/clone") == 0


def test_a_validated_good_take_is_ok_without_a_warning(
    cli, service: Service, tmp_path: Path
) -> None:
    take = write_wav(tmp_path / "take.wav", 12.0)
    assert cli("validate", take).code == 0
    r = cli("clone", "--name", "Vac", take, "--dry-run", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert [f["verdict"] for f in doc["files"]] == ["ok"] and doc["warnings"] == []
    r = cli("clone", "--name", "Vac", take)
    assert r.code == 0 and "quality not checked" not in r.err, r.err
    assert service.posts("/v1/voices/clone") == 1

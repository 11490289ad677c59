"""clone judges the audio of a take no verdict judged before anything is sent, by validate's own
rules (a take validate refuses, clone refuses: same exit code, same problems, nothing reaches
the service), and remembers the verdict. One verdict store: a take validate, clone, plan or
apply judged is not analysed again by another of them (the lock's cache, then the user cache).
"Analysed" is seen as a user would: the analysis' imports in a subprocess (numpy is imported
only to analyse), the verdict file in the cache, or a verdict the cache holds that the audio
does not have."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bland_clone import __version__
from bland_clone.audio import quality

from .audiofiles import write_wav
from .servers import Service

RATE = 16000


def _write(path: Path, x: np.ndarray) -> Path:
    sf.write(path, x.astype(np.float32), RATE, subtype="PCM_16")
    return path


def _noise(path: Path) -> Path:
    return _write(path, 0.3 * np.random.default_rng(7).uniform(-1, 1, 12 * RATE))


def _silence(path: Path) -> Path:
    return _write(path, np.zeros(12 * RATE))


def _tone(path: Path) -> Path:
    return _write(path, 0.3 * np.sin(2 * np.pi * 5000 * np.arange(12 * RATE) / RATE))


def _user_verdict(take: Path) -> Path:
    sha = hashlib.sha256(take.read_bytes()).hexdigest()
    home = Path(os.environ["HOME"])
    name = f"{__version__}-{quality.ANALYSIS_VERSION}-{sha}.json"
    return home / ".cache" / "bland-clone" / "verdicts" / name


def _run(*args: object, env: dict[str, str] | None = None) -> tuple[int, set[str], str]:
    """The real program in a subprocess (with this test's home and sandbox): its exit code,
    the modules it imported and what it said (stdout, then stderr)."""
    cmd = [sys.executable, "-X", "importtime", "-m", "bland_clone", *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env or dict(os.environ))
    imported = {x.split("|")[-1].strip() for x in r.stderr.splitlines() if "|" in x}
    return r.returncode, imported, r.stdout + r.stderr


# numpy, and the voice detector's C module: both imported only when audio is analysed
# (bland_clone.audio.acoustics is no marker since the voice detector's module imports its
# resampler at its top; it imports no numpy itself)
ANALYSIS = {"numpy", "_webrtcvad"}


@pytest.mark.parametrize("make", [_noise, _silence, _tone], ids=["noise", "silence", "tone"])
def test_a_take_never_validated_that_validate_refuses_is_refused_and_nothing_is_sent(
    cli, service: Service, tmp_path: Path, make
) -> None:
    take = make(tmp_path / "take.wav")
    r = cli("clone", "--name", "Vac", take)
    cloned = cli("clone", "--name", "Vac", take, "--json")
    dry = cli("clone", "--name", "Vac", take, "--dry-run", "--json")
    assert service.faults.seen == []  # not a request of any kind, let alone a clone
    checked = cli("validate", take, "--json")
    assert checked.code == 1
    assert r.code == cloned.code == dry.code == checked.code, (r.err, dry.err)
    problems = [(e["code"], e["message"]) for e in checked.json()["errors"]]
    assert problems and all(c.startswith("quality_") or "speech" in m for c, m in problems)
    for doc in (cloned.json(), dry.json()):
        assert [(e["code"], e["message"]) for e in doc["errors"]] == problems
        assert "quality_unchecked" not in json.dumps(doc)
    for _, message in problems:  # said to a person as validate says it
        said = cli("validate", take)
        assert f"error: {message}" in r.err and f"error: {message}" in said.out + said.err
    assert r.err.rstrip().endswith("nothing was uploaded."), r.err


def test_a_good_take_never_validated_is_cloned_once_and_its_verdict_kept(
    cli, service: Service, tmp_path: Path
) -> None:
    take = write_wav(tmp_path / "take.wav", 12.0)
    assert not _user_verdict(take).exists()
    r = cli("clone", "--name", "Vac", take, "--json")
    assert r.code == 0, r.err
    assert service.posts("/v1/voices/clone") == 1 and len(service.voices_named("Vac")) == 1
    doc = r.json()
    assert [f["verdict"] for f in doc["files"]] == ["ok"] and doc["warnings"] == []
    assert doc["files"][0]["quality"]["speech_seconds"] > 5  # judged, not just read
    assert _user_verdict(take).is_file()
    # the next dry run (offline: no key) and validate read it: nothing analysed again
    env = {k: v for k, v in os.environ.items() if k != "BLAND_API_KEY"}
    code, imported, err = _run("clone", "--name", "Vac2", take, "--dry-run", env=env)
    assert code == 0, err[-800:]
    assert not ANALYSIS & imported
    code, imported, err = _run("validate", take)
    assert code == 0 and not ANALYSIS & imported, err[-800:]


def test_a_take_never_validated_with_warnings_is_cloned_with_validates_warnings(
    cli, service: Service, tmp_path: Path
) -> None:
    take = write_wav(tmp_path / "clip.wav", 12.0, level=1.2)  # clipped and very loud
    r = cli("clone", "--name", "Vac", take, "--json")
    assert r.code == 0, r.err
    assert service.posts("/v1/voices/clone") == 1
    checked = cli("validate", take, "--json").json()
    assert {w["code"] for w in checked["warnings"]} >= {"quality_clipped"}
    assert r.json()["warnings"] == checked["warnings"]
    assert [f["verdict"] for f in r.json()["files"]] == ["warning"]
    said = cli("clone", "--name", "Vac2", take)  # for a person: each on stderr, as validate
    assert said.code == 0, said.err
    for w in checked["warnings"]:
        assert f"warning: {w['message']}" in said.err, said.err


def test_a_take_validated_earlier_is_not_analysed_at_clone_time(
    service: Service, tmp_path: Path
) -> None:
    take = write_wav(tmp_path / "take.wav", 12.0)
    code, imported, err = _run("validate", take)
    assert code == 0 and ANALYSIS.issubset(imported), err[-800:]  # validate analysed it
    code, imported, err = _run("clone", "--name", "Vac", take)
    assert code == 0, err[-800:]
    assert not ANALYSIS & imported  # clone read validate's verdict
    assert "Cloned voice 'Vac'" in err
    assert service.posts("/v1/voices/clone") == 1


def test_the_verdict_a_take_was_given_is_what_clone_uses(cli, service: Service, tmp_path):
    """The cached verdict, not a new analysis, decides: a good take whose remembered verdict is
    a noise's is refused (what a person sees when validate refused it)."""
    take = write_wav(tmp_path / "take.wav", 12.0)
    noise = _noise(tmp_path / "noise.wav")
    assert cli("validate", take).code == 0 and cli("validate", noise).code == 1
    _user_verdict(take).write_bytes(_user_verdict(noise).read_bytes())
    r = cli("clone", "--name", "Vac", take)
    assert r.code == 1 and "no voice heard" in r.err, r.err
    assert service.posts("/v1/voices/clone") == 0


def test_clone_prepare_still_judges_the_prepared_copy(cli, service: Service, tmp_path) -> None:
    take = write_wav(tmp_path / "take.wav", 12.0)
    r = cli("clone", "--name", "Vac", take, "--prepare", "--json")
    assert r.code == 0, r.err
    assert [f["verdict"] for f in r.json()["files"]] == ["ok"]
    assert service.posts("/v1/voices/clone") == 1
    r = cli("clone", "--name", "Vac2", _noise(tmp_path / "noise.wav"), "--prepare")
    assert r.code == 1 and "no voice heard" in r.err, r.err
    assert service.posts("/v1/voices/clone") == 1


# -- one verdict store: validate and clone (user cache), plan and apply (the lock's cache too) --


def _manifest(tmp_path: Path, sample: str) -> Path:
    m = tmp_path / "voices.toml"
    m.write_text(f'[[voice]]\nname = "VacOne"\nsamples = ["{sample}"]\n')
    return m


def test_a_take_validate_judged_is_not_analysed_again_by_plan_or_apply(
    cli, service: Service, tmp_path: Path
) -> None:
    take = write_wav(tmp_path / "one.wav", 12.0)
    noise = _noise(tmp_path / "noise.wav")
    m = _manifest(tmp_path, "one.wav")
    assert cli("validate", take).code == 0 and cli("validate", noise).code == 1
    r = cli("plan", m, "--json")
    assert r.code == 0, r.err
    assert not r.json()["voices"][0].get("quality_unchecked")  # validate's verdict, read
    assert "Quality not checked" not in r.err
    # what plan and apply read is that verdict: were it a noise's, they refuse the voice
    _user_verdict(take).write_bytes(_user_verdict(noise).read_bytes())
    (tmp_path / ".voices.lock.cache").unlink()
    r = cli("plan", m, "--json")
    assert r.code == 1 and r.json()["voices"][0]["action"] == "invalid", r.out
    (tmp_path / ".voices.lock.cache").unlink()
    r = cli("apply", m, "--yes")
    assert r.code == 1 and "no voice heard" in r.out + r.err, (r.out, r.err)
    assert service.posts("/v1/voices/clone") == 0


def test_a_take_apply_judged_is_not_analysed_again_by_validate_or_clone(
    cli, service: Service, tmp_path: Path
) -> None:
    take = write_wav(tmp_path / "one.wav", 12.0)
    m = _manifest(tmp_path, "one.wav")
    r = cli("apply", m, "--yes")
    assert r.code == 0, r.err
    assert _user_verdict(take).is_file()  # beside the lock's cache
    assert service.posts("/v1/voices/clone") == 1
    code, imported, err = _run("validate", take)
    assert code == 0 and not ANALYSIS & imported, err[-800:]
    code, imported, err = _run("clone", "--name", "VacTwo", take)
    assert code == 0 and not ANALYSIS & imported, err[-800:]
    assert service.posts("/v1/voices/clone") == 2


def test_plan_reads_a_verdict_only_the_user_cache_holds_into_the_locks_cache(
    cli, service: Service, tmp_path: Path
) -> None:
    """A verdict found in the user cache is copied into the lock's cache beside voices.lock
    (where apply looks first); voices.lock itself is not written by validate or plan."""
    take = write_wav(tmp_path / "one.wav", 12.0)
    m = _manifest(tmp_path, "one.wav")
    assert cli("validate", take).code == 0
    assert not (tmp_path / "voices.lock").exists()
    assert cli("plan", m).code == 0
    assert not (tmp_path / "voices.lock").exists()
    cache = json.loads((tmp_path / ".voices.lock.cache").read_text())
    assert list(cache["verdicts"].values()) == [json.loads(_user_verdict(take).read_text())]


# -- add-samples uploads too: the same checks ---------------------------------------------------


def test_add_samples_judges_the_audio_as_validate_does(
    cli, service: Service, tmp_path: Path
) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    before = len(legacy.samples)
    noise = _noise(tmp_path / "noise.wav")
    r = cli("add-samples", "Legacy Narrator", noise, "--json")
    assert service.faults.seen == []  # refused before the voice is even looked up
    checked = cli("validate", noise, "--json")
    assert r.code == checked.code == 1
    assert r.json()["errors"] == checked.json()["errors"]
    take = write_wav(tmp_path / "take.wav", 11.0)
    r = cli("add-samples", "Legacy Narrator", take, "--json")
    assert r.code == 0, r.err
    assert [f["verdict"] for f in r.json()["files"]] == ["ok"]
    assert service.posts("/v1/voices/samples") == 1 and len(legacy.samples) == before + 1
    assert _user_verdict(take).is_file()


def test_a_converted_take_is_named_as_the_user_gave_it(cli, service: Service, tmp_path) -> None:
    """An M4A is converted to a WAV to be sent; its problems name the M4A, as validate does, not
    a WAV the user never had."""
    wav = _noise(tmp_path / "made.wav")
    take = tmp_path / "noise.m4a"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(wav), str(take)], check=True, timeout=60
    )
    r = cli("clone", "--name", "Vac", take)
    assert r.code == 1 and service.faults.seen == []
    assert 'File "noise.m4a": no speech found' in r.err, r.err
    assert 'File "noise.wav"' not in r.err
    said = cli("validate", take)
    assert said.code == 1 and 'File "noise.m4a": no speech found' in said.out + said.err

"""The quality verdicts of a manifest's samples: analysed in worker processes, remembered in the
lock's cache under each sample's hash and the analysis' version, and read back by the next run;
a failing check still stops every upload."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from bland_clone import __version__
from bland_clone.audio import quality
from bland_clone.core.lockfile import verdict_key

from .audiofiles import write_wav
from .manifests import manifest
from .servers import Service


def _cache(tmp_path: Path) -> dict:
    return json.loads((tmp_path / ".voices.lock.cache").read_text())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _clipped(doc: dict) -> set[str]:
    """The files a validate --json of a manifest warns are clipped."""
    return {
        Path(w["file"]).name
        for voice in doc["voices"]
        for w in voice["warnings"]
        if w["code"] == "quality_clipped"
    }


def test_a_second_check_reads_each_verdict_back_until_the_sample_changes(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = manifest(tmp_path)
    r = cli("validate", m, "--json")
    assert r.code == 0, r.err
    assert "quality_clipped" not in r.out
    verdicts = _cache(tmp_path)["verdicts"]
    samples = [tmp_path / "samples" / f"{n}.wav" for n in "abd"]  # the manifest's
    v = quality.ANALYSIS_VERSION
    assert sorted(verdicts) == sorted(verdict_key(v, _sha(p)) for p in samples)

    # A remembered verdict is what the next run reports: no second analysis.
    for d in verdicts.values():
        d["clipped_ratio"] = 0.25
    doc = _cache(tmp_path)
    doc["verdicts"] = verdicts
    (tmp_path / ".voices.lock.cache").write_text(json.dumps(doc))
    r = cli("validate", m, "--json")
    assert _clipped(r.json()) == {"a.wav", "b.wav", "d.wav"}

    # New bytes are analysed again; the others keep their verdicts.
    write_wav(tmp_path / "samples" / "a.wav", 11.5, level=0.25)
    r = cli("validate", m, "--json")
    assert _clipped(r.json()) == {"b.wav", "d.wav"}

    # Another version of the analysis does not trust them.
    monkeypatch.setattr(quality, "ANALYSIS_VERSION", v + 1)
    r = cli("validate", m, "--json")
    assert "quality_clipped" not in r.out


NAMES = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota"]


def _nine(tmp_path: Path) -> Path:
    """Nine voices of one sample each (what v3 takes), of different lengths (different bytes)."""
    (tmp_path / "samples").mkdir()
    body = []
    for i, name in enumerate(NAMES):
        write_wav(tmp_path / "samples" / f"s{i}.wav", 4.0 + i / 10)
        body.append(f'[[voice]]\nname = "{name}"\nsamples = ["samples/s{i}.wav"]\n')
    p = tmp_path / "voices.toml"
    p.write_text("\n".join(body))
    return p


def test_apply_checks_nine_samples_in_workers_and_still_uploads_nothing_on_a_failure(
    cli, service: Service, tmp_path: Path
) -> None:
    m = _nine(tmp_path)
    write_wav(tmp_path / "samples" / "s8.wav", 4.8, level=0.0)  # silent: no speech
    r = cli("apply", m)
    assert r.code == 1
    assert 'error: File "s8.wav": no speech found (the recording is silent)' in r.out
    assert r.err.startswith("error: 1 voice(s) fail validation; nothing was uploaded")
    assert service.posts("/v1/voices/clone") == 0

    write_wav(tmp_path / "samples" / "s8.wav", 4.8)
    r = cli("apply", m, "--json")
    assert r.code == 0, r.err
    assert {v["name"]: v["status"] for v in r.json()["voices"]} == dict.fromkeys(NAMES, "created")
    # one verdict a sample; the silent take's, whose bytes are gone, is not kept
    samples = (tmp_path / "samples").glob("*.wav")
    v = quality.ANALYSIS_VERSION
    assert sorted(_cache(tmp_path)["verdicts"]) == sorted(verdict_key(v, _sha(p)) for p in samples)


def test_a_cached_verdict_is_the_analysis_itself_pictures_included(tmp_path: Path) -> None:
    from bland_clone.audio.inspection import inspect

    take = write_wav(tmp_path / "take.wav", 11.0)
    q = quality.measure(inspect(str(take)))
    assert q is not None and q.timeline is not None and q.timeline.spectrum is not None
    again = quality.from_verdict(json.loads(json.dumps(quality.to_verdict(q))))
    assert again == q


# -- validate of plain files: the user cache folder ------------------------------------------


def _user_verdict(home: Path, take: Path) -> Path:
    return (
        home
        / ".cache"
        / "bland-clone"
        / "verdicts"
        / f"{__version__}-{quality.ANALYSIS_VERSION}-{_sha(take)}.json"
    )


def test_validate_reuses_a_takes_verdict_until_its_bytes_change(cli, tmp_path: Path) -> None:
    """validate remembers each take's measurements under its sha256 in the user cache folder:
    the next run reads them instead of analysing again (shown here by a remembered level the
    audio does not have), --no-cache analyses again, and changed bytes are a new key."""
    home = Path(os.environ["HOME"])
    take = write_wav(tmp_path / "take.wav", 12.0, level=0.3)
    first = cli("validate", take, "--json")
    assert first.code == 0, first.err
    entry = _user_verdict(home, take)
    assert entry.is_file()
    again = cli("validate", take, "--json")
    assert again.out == first.out  # the same report, from the cache

    doc = json.loads(entry.read_text())
    doc["speech_level_dbfs"] = -50.0  # a level this take does not have
    entry.write_text(json.dumps(doc))
    cached = cli("validate", take, "--json").json()["files"][0]["quality"]
    assert cached["speech_level_dbfs"] == -50.0  # read, not measured
    fresh = cli("validate", take, "--json", "--no-cache").json()["files"][0]["quality"]
    assert fresh == first.json()["files"][0]["quality"]
    each = cli("validate", take, "--each", "--json").json()
    assert each["files"][0]["quality"]["speech_level_dbfs"] == -50.0  # --each reads it too

    write_wav(take, 12.0, level=0.1)  # new bytes: a new verdict, measured
    changed = cli("validate", take, "--json").json()["files"][0]["quality"]
    assert changed["speech_level_dbfs"] < first.json()["files"][0]["quality"]["speech_level_dbfs"]


def test_validate_works_when_the_cache_folder_cannot_be_written(cli, tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])
    (home / ".cache").mkdir(parents=True, exist_ok=True)
    (home / ".cache" / "bland-clone").write_text("not a folder")
    take = write_wav(tmp_path / "take.wav", 12.0)
    r = cli("validate", take, "--json")
    assert r.code == 0, r.err
    assert r.json()["files"][0]["quality"]["speech_seconds"] > 5


def test_the_user_cache_keeps_the_most_recently_used_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_ENTRIES the least recently used verdicts go, down to KEEP_AFTER_PRUNE; a
    verdict read is used, so it stays."""
    from bland_clone.core import verdicts

    monkeypatch.setattr(verdicts, "MAX_ENTRIES", 4)
    monkeypatch.setattr(verdicts, "KEEP_AFTER_PRUNE", 2)
    store = verdicts.VerdictStore(tmp_path / "cache")
    takes = [write_wav(tmp_path / f"t{i}.wav", 1.0 + i * 0.1) for i in range(5)]
    for i, t in enumerate(takes):
        store.remember(str(t), 1, {"n": i})
        entry = store._key(str(t), 1)
        os.utime(entry, ns=(i * 10**9, i * 10**9))  # written in order, a second apart
    assert store.verdict(str(takes[0]), 1) == {"n": 0}  # read now: the most recently used
    store.prune()
    kept = {n for n, t in enumerate(takes) if store.verdict(str(t), 1) is not None}
    assert kept == {0, 4}


def test_a_validate_answered_from_the_cache_imports_no_analysis(tmp_path: Path) -> None:
    """The second validate of the same takes reads every verdict back: no numpy, no
    voiceprint (importing them was two thirds of such a run, 140 against 85 ms)."""
    import subprocess
    import sys

    takes = [write_wav(tmp_path / f"take{i}.wav", 8.0, 16000) for i in range(3)]
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    cmd = [sys.executable, "-X", "importtime", "-m", "bland_clone", "validate", *map(str, takes)]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env)
    second = subprocess.run(cmd, capture_output=True, text=True, env=env)

    def imported(err: str) -> set[str]:
        return {line.split("|")[-1].strip() for line in err.splitlines() if "|" in line}

    assert first.returncode == second.returncode, second.stderr[-500:]
    assert {"numpy", "bland_clone.audio.voiceprint"} <= imported(first.stderr)
    assert not {"numpy", "bland_clone.audio.voiceprint"} & imported(second.stderr)
    assert any(p.suffix == ".json" for p in (tmp_path / "cache").rglob("*"))


def test_the_locks_cache_keeps_the_verdicts_of_samples_still_on_disk(cli, tmp_path: Path) -> None:
    """A run that does not use a sample's verdict (its voice left the manifest for a while)
    keeps it while the sample's bytes are on disk; only a sample whose bytes are gone loses it."""
    for n in ("a", "b"):
        write_wav(tmp_path / f"{n}.wav", 11.0 + (n == "b"))
    m = tmp_path / "voices.toml"
    both = (
        '[[voice]]\nname = "A"\nsamples = ["a.wav"]\n\n[[voice]]\nname = "B"\nsamples = ["b.wav"]\n'
    )
    m.write_text(both)
    assert cli("validate", m).code == 0
    v = quality.ANALYSIS_VERSION
    b_key = verdict_key(v, _sha(tmp_path / "b.wav"))
    assert b_key in _cache(tmp_path)["verdicts"]
    m.write_text('[[voice]]\nname = "A"\nsamples = ["a.wav"]\n')
    write_wav(tmp_path / "a.wav", 11.5)  # new bytes: this run writes the cache
    assert cli("validate", m).code == 0
    kept = _cache(tmp_path)["verdicts"]
    assert b_key in kept and verdict_key(v, _sha(tmp_path / "a.wav")) in kept

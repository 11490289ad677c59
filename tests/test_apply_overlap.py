"""apply overlaps its checks and its uploads only as far as its promise allows: with --keep-going
each voice uploads as soon as its own full check (quality included) passed, while the next
voices are still analysed, and a voice whose check fails is skipped; without it nothing reaches
the service until every check passed. Against the sandbox on 127.0.0.1; one sample's analysis
is held back on purpose (a slow check) and the sandbox's log of clone arrivals is read against
it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomllib

from bland_clone.audio import quality

from .audiofiles import write_wav
from .manifests import manifest
from .servers import Service

BODY = """\
    [[voice]]
    name = "Alpha"
    samples = ["samples/a.wav"]

    [[voice]]
    name = "Beta"
    samples = ["samples/b.wav"]

    [[voice]]
    name = "Gamma"
    samples = ["samples/slow.wav"]
"""
CLONE = "/v1/voices/clone"
#: seconds a held-back check waits at most for what it waits for
LIMIT = 20.0


def _slow_check(
    monkeypatch: pytest.MonkeyPatch, name: str, until: Callable[[], bool], limit: float
) -> dict[str, float]:
    """The analysis of the sample called ``name`` holds back until ``until()`` or ``limit``
    seconds (then runs as usual); returns when it started and ended (time.monotonic), once
    known. The samples here are fewer than the worker pool starts for: they are analysed in
    this process, where the patched function is the one called."""
    real = quality.measure
    seen: dict[str, float] = {}

    def measure(info: Any) -> Any:
        if Path(info.path).name != name:
            return real(info)
        seen["start"] = time.monotonic()
        while not until() and time.monotonic() - seen["start"] < limit:
            time.sleep(0.02)
        found = real(info)
        seen["end"] = time.monotonic()
        return found

    monkeypatch.setattr(quality, "measure", measure)
    return seen


def _arrivals(service: Service, method: str = "POST", path: str = CLONE) -> list[float]:
    """When each request of ``method`` to ``path`` reached the sandbox (time.monotonic)."""
    times: list[float] = []
    service.faults.add(
        method, path, passthrough=True, times=1000, arrive=lambda: times.append(time.monotonic())
    )
    return times


def _locked(tmp_path: Path) -> list[str]:
    doc = tomllib.loads((tmp_path / "voices.lock").read_text())
    return [v["name"] for v in doc.get("voice", [])]


def _three(tmp_path: Path) -> Path:
    m = manifest(tmp_path, BODY)
    write_wav(tmp_path / "samples" / "slow.wav", 11.3)
    return m


def test_keep_going_uploads_each_voice_as_soon_as_its_own_check_passed(
    cli, service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = _three(tmp_path)
    clones = _arrivals(service)
    # Gamma's check holds back until Alpha and Beta reached the service: without the overlap it
    # would wait LIMIT seconds and every upload would come after it
    seen = _slow_check(monkeypatch, "slow.wav", lambda: len(clones) >= 2, LIMIT)
    r = cli("apply", m, "--keep-going", "--jobs", "1", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert [(v["name"], v["status"]) for v in doc["voices"]] == [
        ("Alpha", "created"),
        ("Beta", "created"),
        ("Gamma", "created"),
    ]
    assert len(clones) == 3
    assert clones[0] < clones[1] < seen["end"], "Alpha and Beta waited for Gamma's check"
    assert seen["end"] - seen["start"] < LIMIT / 2
    assert clones[2] > seen["end"], "Gamma was sent before its check ended"
    assert {n: len(service.voices_named(n)) for n in ("Alpha", "Beta", "Gamma")} == dict.fromkeys(
        ("Alpha", "Beta", "Gamma"), 1
    )
    assert _locked(tmp_path) == ["Alpha", "Beta", "Gamma"]
    assert cli("plan", m, "--detailed-exitcode").code == 0


def test_keep_going_skips_a_voice_whose_analysis_fails_and_uploads_the_others(
    cli, service: Service, tmp_path: Path
) -> None:
    m = _three(tmp_path)
    write_wav(tmp_path / "samples" / "b.wav", 11.1, level=0.0)  # silent: only the analysis knows
    r = cli("apply", m, "--keep-going", "--json")
    assert r.code == 1
    doc = r.json()
    rows = doc["voices"]
    assert [(v["name"], v["status"]) for v in rows] == [
        ("Alpha", "created"),
        ("Beta", "invalid"),
        ("Gamma", "created"),
    ]
    assert rows[1]["voice_id"] is None
    assert rows[1]["message"] == 'File "b.wav": no speech found (the recording is silent)'
    assert (doc["created"], doc["invalid"], doc["failed"]) == (2, 1, 0)
    assert doc["errors"][0]["voice"] == "Beta"
    assert service.posts(CLONE) == 2
    assert service.voices_named("Beta") == []
    assert _locked(tmp_path) == ["Alpha", "Gamma"]

    # the same shape as a voice refused by its header (known before the plan): keys and rows
    write_wav(tmp_path / "samples" / "b.wav", 0.5)  # too short
    early = cli("apply", m, "--keep-going", "--json").json()
    assert list(early) == list(doc)
    assert [list(v) for v in early["voices"]] == [list(v) for v in rows]
    assert [v["status"] for v in early["voices"]] == ["present", "invalid", "present"]

    # once the sample is fixed, only Beta is uploaded
    write_wav(tmp_path / "samples" / "b.wav", 11.1)
    r = cli("apply", m, "--keep-going")
    assert r.code == 0, r.err
    assert [line.split("\t")[:2] for line in r.out.splitlines()[1:]] == [
        ["Alpha", "present"],
        ["Beta", "created"],
        ["Gamma", "present"],
    ]
    assert service.posts(CLONE) == 3


def test_keep_going_shows_the_result_in_manifest_order(
    cli, service: Service, tmp_path: Path
) -> None:
    m = _three(tmp_path)
    write_wav(tmp_path / "samples" / "a.wav", 11.0, level=0.0)
    r = cli("apply", m, "--keep-going", "--jobs", "3")
    assert r.code == 1
    assert [line.split("\t")[:2] for line in r.out.splitlines()[1:]] == [
        ["Alpha", "invalid"],
        ["Beta", "created"],
        ["Gamma", "created"],
    ]
    assert 'invalid: Alpha (File "a.wav": no speech found (the recording is silent))' in r.err
    assert r.err.rstrip().endswith("error: 1 of 3 voice(s) not applied.")


@pytest.mark.parametrize("bad", [False, True])
def test_without_keep_going_nothing_is_sent_until_every_check_passed(
    cli, service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: bool
) -> None:
    m = _three(tmp_path)
    if bad:
        write_wav(tmp_path / "samples" / "slow.wav", 11.3, level=0.0)
    clones = _arrivals(service)
    lists = _arrivals(service, "GET", "/v1/voices")
    # Gamma's check takes a second; Alpha's and Beta's passed long before it ends
    changed: list[int] = []
    seen = _slow_check(
        monkeypatch, "slow.wav", lambda: bool(changed.append(service.faults.changes)), 1.0
    )
    r = cli("apply", m, "--jobs", "4")
    assert max(changed) == 0, "something reached the service while a check ran"
    assert lists and lists[0] < seen["end"], "the service's voices were not read meanwhile"
    if bad:
        assert r.code == 1
        assert r.err.startswith("error: 1 voice(s) fail validation; nothing was uploaded")
        assert service.faults.changes == 0 and clones == []
        assert [n for n in ("Alpha", "Beta", "Gamma") if service.voices_named(n)] == []
        assert not (tmp_path / "voices.lock").exists()
    else:
        assert r.code == 0, r.err
        assert len(clones) == 3 and min(clones) > seen["end"]
        assert _locked(tmp_path) == ["Alpha", "Beta", "Gamma"]


def test_a_failing_cheap_check_stops_apply_before_any_analysis(
    cli, service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = _three(tmp_path)
    write_wav(tmp_path / "samples" / "b.wav", 0.5)  # too short: its header says so
    analysed: list[str] = []
    real = quality.measure

    def measure(info: Any) -> Any:
        analysed.append(Path(info.path).name)
        return real(info)

    monkeypatch.setattr(quality, "measure", measure)
    r = cli("apply", m)
    assert r.code == 1
    assert r.err.startswith("error: 1 voice(s) fail validation; nothing was uploaded")
    assert analysed == [] and service.faults.seen == []


def test_keep_going_keeps_the_old_voice_when_its_new_sample_fails_its_analysis(
    cli, service: Service, tmp_path: Path
) -> None:
    m = _three(tmp_path)
    assert cli("apply", m).code == 0
    old = {n: service.voices_named(n)[0].id for n in ("Alpha", "Beta", "Gamma")}
    lock = (tmp_path / "voices.lock").read_text()
    write_wav(tmp_path / "samples" / "b.wav", 11.4, level=0.0)  # changed, and silent
    r = cli("apply", m, "--keep-going", "--yes", "--json")
    assert r.code == 1
    rows = {v["name"]: (v["status"], v["voice_id"]) for v in r.json()["voices"]}
    assert rows == {
        "Alpha": ("present", old["Alpha"]),
        "Beta": ("invalid", old["Beta"]),
        "Gamma": ("present", old["Gamma"]),
    }
    assert service.posts(CLONE) == 3  # the first apply's: nothing was replaced
    assert {n: [v.id for v in service.voices_named(n)] for n in old} == {
        n: [i] for n, i in old.items()
    }
    assert (tmp_path / "voices.lock").read_text() == lock  # Beta still locked with its old sample

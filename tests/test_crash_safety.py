"""Voices as code survives a crash at any step: the replacement journal, settling what a killed
apply left, lost answers to renames and deletes, and the apply lock. Everything runs against the
sandbox on 127.0.0.1 behind a fault injector (tests/servers.py), apply in a real process where
it is killed."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bland_clone.audio import quality
from bland_clone.core.lockfile import verdict_key
from bland_clone.core.names import name_key
from bland_clone.sandbox.voice_api import extras

from .audiofiles import write_wav
from .conftest import KEY
from .servers import Service
from .test_voices_as_code import SlowService, manifest

NARRATOR = (
    '[[voice]]\nname = "Narrator"\nsamples = ["samples/a.wav"]\n'
    "settings = { boost_language_consistency = true }\n"
)
TAKEN = json.dumps(
    {
        "data": None,
        "errors": [{"error": "Validation Error", "message": "Voice name is already taken"}],
    }
).encode()
JSON = {"Content-Type": "application/json"}
#: The requests of a replacement that change something, in order (GETs are not counted).
STEPS = {1: "clone", 2: "settings", 3: "rename old", 4: "rename new", 5: "delete old"}


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "BLAND_API_URL": url,
        "BLAND_API_KEY": KEY,
        "NO_PROXY": "*",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }


def _spawn(url: str, *args: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bland_clone", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(url),
        text=True,
    )


def _named(svc: Service, name: str) -> list[Any]:
    return [v for v in svc.state.live() if name_key(v.name) == name_key(name)]


def _temporary(svc: Service) -> list[str]:
    return [v.name for v in svc.state.live() if "~new" in v.name or "~old" in v.name]


def _locked_id(tmp_path: Path, name: str) -> str:
    import tomllib

    doc = tomllib.loads((tmp_path / "voices.lock").read_text())
    [v] = [v for v in doc["voice"] if v["name"] == name]
    return str(v["voice_id"])


def _converged(cli: Any, svc: Service, tmp_path: Path, m: Path) -> str:
    """The name has exactly one voice, no temporary voice is left, the lock holds its id and
    nothing is left to do. Returns its id."""
    [v] = _named(svc, "Narrator")
    assert _temporary(svc) == []
    assert _locked_id(tmp_path, "Narrator") == v.id
    assert not (tmp_path / ".voices.lock.journal").exists()
    r = cli("plan", m, "--detailed-exitcode")
    assert r.code == 0, r.out + r.err
    return str(v.id)


def _clones(svc: Service) -> int:
    return svc.posts("/v1/voices/clone")


# -- lost answers ------------------------------------------------------------------------------

LOST = {
    "503": {"after": True, "status": 503},
    "dropped": {"after": True, "drop": True},
}


@pytest.mark.parametrize("lost", sorted(LOST))
def test_voices_rename_whose_answer_was_lost_reports_the_rename_made(
    cli, service: Service, lost: str
) -> None:
    v = service.state.add_voice("Before")
    path = f"/v1/voices/{v.id}/rename"
    service.faults.add("PATCH", path, **LOST[lost])
    # a service that calls the voice's own name taken, as a blind resend would meet it
    service.faults.add("PATCH", path, status=400, body=TAKEN, headers=JSON)
    r = cli("voices", "rename", "Before", "After", "--json")
    assert r.code == 0, r.err
    assert r.json()["name"] == "After" and v.name == "After"
    assert [p for m, p, _ in service.faults.seen if m == "PATCH"] == [path]  # not resent


def test_voices_rename_to_its_own_name_called_taken_is_a_success(cli, service: Service) -> None:
    v = service.state.add_voice("Same")
    service.faults.add("PATCH", f"/v1/voices/{v.id}/rename", status=400, body=TAKEN, headers=JSON)
    r = cli("voices", "rename", v.id, "Same")
    assert r.code == 0, r.err
    # another voice's name stays refused
    service.state.add_voice("Other")
    r = cli("voices", "rename", v.id, "other")
    assert (r.code, r.err) == (1, "error: Voice name is already taken\n")


def test_a_rename_lost_before_it_was_made_is_sent_again(cli, service: Service) -> None:
    v = service.state.add_voice("Before")
    service.faults.add("PATCH", f"/v1/voices/{v.id}/rename", status=503)  # never reached it
    r = cli("voices", "rename", v.id, "After")
    assert r.code == 0, r.err
    assert v.name == "After"
    assert sum(1 for m, _, _ in service.faults.seen if m == "PATCH") == 2


@pytest.mark.parametrize("lost", sorted(LOST))
def test_voices_delete_whose_answer_was_lost_reports_the_delete_made(
    cli, service: Service, lost: str
) -> None:
    v = service.state.add_voice("Doomed")
    service.faults.add("DELETE", f"/v1/voices/{v.id}", **LOST[lost])
    r = cli("voices", "delete", "Doomed", "--yes", "--json")
    assert r.code == 0, r.err
    assert r.json()["deleted"] == [{"id": v.id, "name": "Doomed"}]
    assert v.deleted
    assert sum(1 for m, _, _ in service.faults.seen if m == "DELETE") == 1


def test_a_lost_answer_when_the_voice_cannot_be_read_says_the_outcome_is_unknown(
    cli, service: Service
) -> None:
    v = service.state.add_voice("Doomed")
    service.faults.add(  # made, answered 503, and from then on the voice list fails
        "DELETE",
        f"/v1/voices/{v.id}",
        after=True,
        status=503,
        then=lambda: service.faults.add("GET", "/v1/voices", status=503, times=50),
    )
    r = cli("voices", "delete", v.id, "--yes")
    assert r.code == 4
    assert "could not be read to tell whether it was done" in r.err
    assert "voices list" in r.err


def test_settings_set_whose_answers_stay_lost_reads_the_voice(cli, service: Service) -> None:
    v = service.state.add_voice("Tuned")
    # every attempt is made, then answered 503: the settings are set all the same
    service.faults.add("POST", f"/v1/voices/{v.id}/settings", after=True, status=503, times=10)
    r = cli("voices", "set", v.id, "--boost-language-consistency", "--json")
    assert r.code == 0, r.err
    assert extras(service.state).settings[v.id] == {"boost_language_consistency": True}
    # answers lost before anything was set: the failure is reported
    w = service.state.add_voice("Untuned")
    service.faults.add("POST", f"/v1/voices/{w.id}/settings", status=503, times=10)
    r = cli("voices", "set", w.id, "--boost-language-consistency")
    assert r.code == 4 and "503" in r.err
    assert w.id not in extras(service.state).settings


@pytest.mark.parametrize("lost", sorted(LOST))
def test_apply_whose_rename_answer_was_lost_keeps_the_new_voice(
    cli, service: Service, tmp_path: Path, lost: str
) -> None:
    m = manifest(tmp_path, NARRATOR)
    assert cli("apply", m).code == 0
    [old] = _named(service, "Narrator")
    write_wav(tmp_path / "samples" / "a.wav", 13.0)
    # the new voice takes the name; the answer is lost; a resend would be told "already taken"
    service.faults.at_step(4, "PATCH", **LOST[lost])
    service.faults.at_step(5, "PATCH", status=400, body=TAKEN, headers=JSON)
    r = cli("apply", m, "--yes", "--json")
    assert r.code == 0, r.err
    [row] = r.json()["voices"]
    assert row["status"] == "replaced" and row["replaced_id"] == old.id
    assert _converged(cli, service, tmp_path, m) == row["voice_id"] != old.id
    assert old.deleted


# -- killed at every step ------------------------------------------------------------------------


def _start_replacing(cli: Any, svc: Service, tmp_path: Path) -> tuple[Path, str]:
    m = manifest(tmp_path, NARRATOR)
    assert cli("apply", m).code == 0
    [old] = _named(svc, "Narrator")
    write_wav(tmp_path / "samples" / "a.wav", 13.0)  # the sample changed: apply replaces
    return m, str(old.id)


def _killed(svc: Service, m: Path, step: int, how: str, *extra: str) -> subprocess.Popen[str]:
    """Run apply --yes (and ``extra``) in a process and stop it at ``step`` of the replacement
    (the Nth request that changes something): SIGKILL as the request arrives ("before": not
    made) or once the service made it ("after"), or SIGINT while the service, having made it,
    is slow to answer ("sigint"). Its stdout is kept as ``proc.output``."""
    box: list[subprocess.Popen[str]] = []

    def kill(sig: int) -> None:
        while not box:
            time.sleep(0.01)
        os.kill(box[0].pid, sig)

    if how == "before":
        rule = svc.faults.at_step(step, arrive=lambda: kill(signal.SIGKILL), status=503)
    elif how == "after":
        rule = svc.faults.at_step(step, after=True, then=lambda: kill(signal.SIGKILL), status=503)
    else:
        rule = svc.faults.at_step(
            step, arrive=lambda: kill(signal.SIGINT), passthrough=True, stall=5.0
        )
    proc = _spawn(svc.url, "apply", m, "--yes", "--jobs", "1", *extra)
    box.append(proc)
    proc.output, _ = proc.communicate(timeout=60)  # type: ignore[attr-defined]
    assert rule.hits == 1, "the apply never reached the step"
    if how != "before":
        assert rule.handled.wait(10)
    return proc


@pytest.mark.parametrize("how", ["before", "after", "sigint"])
@pytest.mark.parametrize("step", sorted(STEPS))
def test_apply_killed_at_any_step_of_a_replacement_is_settled_by_the_next(
    cli, service: Service, tmp_path: Path, step: int, how: str
) -> None:
    m, old = _start_replacing(cli, service, tmp_path)
    proc = _killed(service, m, step, how)
    assert proc.returncode == (130 if how == "sigint" else -signal.SIGKILL)
    made = _clones(service)

    # plan shows what settling does, and changes nothing
    before = {v.id: v.name for v in service.state.live()}
    doc = cli("plan", m, "--json").json()
    first = doc["voices"][0]
    forward = step >= 3  # the new voice was complete (cloned, its settings set): finish
    assert first["action"] == ("finish replacement" if forward else "undo replacement"), first
    assert first["detail"].startswith(f"apply was cut off while replacing it (step: {STEPS[step]}")
    assert cli("plan", m, "--detailed-exitcode").code == 2
    dry = cli("apply", m, "--dry-run", "--json").json()["voices"][0]["status"]
    assert dry == ("would finish replacement" if forward else "would undo replacement")
    assert {v.id: v.name for v in service.state.live()} == before

    r = cli("apply", m, "--yes", "--json")
    assert r.code == 0, r.err
    rows = r.json()["voices"]
    assert rows[0]["status"] == ("finished replacement" if forward else "undid replacement")
    now = _converged(cli, service, tmp_path, m)
    assert now != old and service.state.voices[old].deleted
    # a finished swap keeps the voice the killed run uploaded; an undone one uploads again
    assert _clones(service) == made + (0 if forward else 1)
    assert extras(service.state).settings[now] == {"boost_language_consistency": True}


#: Four voices: the last two with long samples, still being analysed while the first two upload.
OVERLAPPED = "".join(
    f'[[voice]]\nname = "V{i}"\nsamples = ["samples/{f}.wav"]\n\n'
    for i, f in enumerate(("a", "b", "long1", "long2"), 1)
)


@pytest.mark.parametrize("how", ["before", "after", "sigint"])
def test_apply_keep_going_stopped_while_later_voices_are_checked_makes_each_voice_once(
    cli, service: Service, tmp_path: Path, how: str
) -> None:
    m = manifest(tmp_path, OVERLAPPED)
    for n, seconds in (("long1", 55.0), ("long2", 54.0)):
        write_wav(tmp_path / "samples" / f"{n}.wav", seconds)
    names = ["V1", "V2", "V3", "V4"]
    # stopped as V2's clone arrives, is made, or is slow to answer, with V3's and V4's checks
    # still to come: V4's verdict is not in the cache (a run saves the verdicts once its checks
    # ended or stopped; Ctrl-C stops them after the voice under way)
    proc = _killed(service, m, 2, how, "--keep-going", "--json")
    assert proc.returncode == (130 if how == "sigint" else -signal.SIGKILL)
    cache = json.loads((tmp_path / ".voices.lock.cache").read_text())
    last = hashlib.sha256((tmp_path / "samples" / "long2.wav").read_bytes()).hexdigest()
    assert verdict_key(quality.ANALYSIS_VERSION, last) not in cache.get("verdicts", {})
    assert _clones(service) == 2
    made = {v.name: v.id for n in names for v in _named(service, n)}
    assert sorted(made) == (["V1"] if how == "before" else ["V1", "V2"])
    if how == "sigint":  # the result names what was made, cut off, never started
        doc = json.loads(proc.output)  # type: ignore[attr-defined]
        assert [(v["name"], v["status"]) for v in doc["voices"]] == [
            ("V1", "created"),
            ("V2", "interrupted"),
            ("V3", "not started"),
            ("V4", "not started"),
        ]
        assert _locked_id(tmp_path, "V1") == made["V1"]

    r = cli("apply", m, "--json")
    assert r.code == 0, r.err
    status = {v["name"]: v["status"] for v in r.json()["voices"]}
    assert status == {n: "present" if n in made else "created" for n in names}
    assert _clones(service) == 2 + len(names) - len(made)
    for n in names:
        [v] = _named(service, n)
        assert _locked_id(tmp_path, n) == v.id and made.get(n, v.id) == v.id
    assert cli("plan", m, "--detailed-exitcode").code == 0


def test_settling_deletes_only_the_temporary_voice_its_journal_names(
    cli, service: Service, tmp_path: Path
) -> None:
    m, old = _start_replacing(cli, service, tmp_path)
    _killed(service, m, 1, "after")  # the clone was made, its answer (and id) never came
    [temp] = [v for v in service.state.live() if "~new" in v.name]
    mine = service.state.add_voice("Narrator ~new0000")  # someone's voice, a look-alike name
    r = cli("apply", m, "--yes")
    assert r.code == 0, r.err
    assert service.state.voices[temp.id].deleted
    assert not mine.deleted
    [v] = _named(service, "Narrator")
    assert v.id != old and _locked_id(tmp_path, "Narrator") == v.id


def test_settling_leaves_alone_a_voice_renamed_by_hand_since(
    cli, service: Service, tmp_path: Path
) -> None:
    m, old = _start_replacing(cli, service, tmp_path)
    _killed(service, m, 4, "after")  # the new voice has the name, the old one is aside
    service.state.voices[old].name = "Keep me"  # someone takes the old voice over
    r = cli("apply", m, "--yes")
    assert r.code == 0, r.err
    assert not service.state.voices[old].deleted
    assert _converged(cli, service, tmp_path, m) != old


def test_a_clone_whose_outcome_is_unknown_stays_journaled_until_it_is_known(
    cli, service: Service, tmp_path: Path
) -> None:
    m, old = _start_replacing(cli, service, tmp_path)
    service.faults.add("POST", "/v1/voices/clone", status=503)  # lost; no voice appears
    r = cli("apply", m, "--yes", "--timeout", "1")
    assert r.code == 4 and "whether" in r.err
    [entry] = json.loads((tmp_path / ".voices.lock.journal").read_text())["replacements"]
    # the service makes the voice late, under the temporary name the journal holds
    late = service.state.add_voice(entry["temp_new"])
    assert cli("plan", m, "--json").json()["voices"][0]["action"] == "undo replacement"
    assert cli("apply", m, "--yes").code == 0
    assert service.state.voices[late.id].deleted
    assert _converged(cli, service, tmp_path, m) != old


def test_a_dry_run_without_a_key_says_a_replacement_is_under_way(
    cli, service: Service, tmp_path: Path, monkeypatch
) -> None:
    m, _ = _start_replacing(cli, service, tmp_path)
    _killed(service, m, 4, "after")
    monkeypatch.delenv("BLAND_API_KEY")
    r = cli("apply", m, "--dry-run")
    assert r.code == 0, r.err
    assert "A replacement a previous apply left under way is journaled" in r.err


def test_a_journal_that_is_damaged_is_a_clear_error(cli, service: Service, tmp_path: Path) -> None:
    m = manifest(tmp_path, NARRATOR)
    good = {
        "name": "Narrator",
        "old_id": "a",
        "old_name": "Narrator",
        "temp_new": "Narrator ~new1234",
        "temp_old": "Narrator ~old1234",
        "engine": "v3",
        "samples": [],
        "step": "rename new",
        "new_id": "b",
    }
    for bad in (
        {"version": 1, "replacements": [{"name": 1}]},
        {"version": 1, "replacements": [good | {"settings": {"x": {"nested": 1}}}]},
        {"version": 1, "replacements": [good | {"step": "dance"}]},
        {"version": 1, "replacements": [good | {"samples": [1]}]},
        [1],
        "[" * 100000,
    ):
        text = bad if isinstance(bad, str) else json.dumps(bad)
        (tmp_path / ".voices.lock.journal").write_text(text)
        for cmd in ("plan", "apply"):
            r = cli(cmd, m)
            assert r.code == 1, (bad, r.err)
            assert ".voices.lock.journal: damaged" in r.err and "Traceback" not in r.err
    assert _named(service, "Narrator") == []


# -- the apply lock ---------------------------------------------------------------------------


def test_a_second_apply_says_who_holds_the_lock(cli, service: Service, tmp_path: Path) -> None:
    m, old = _start_replacing(cli, service, tmp_path)
    release = threading.Event()
    # the new voice's upload is held until the test lets it through
    slow = service.faults.at_step(1, passthrough=True, arrive=lambda: release.wait(60))
    first = _spawn(service.url, "apply", m, "--yes")
    try:
        deadline = time.monotonic() + 20
        while not slow.hits:  # the first apply is uploading: it holds the lock, its journal is open
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.02)
        r = cli("apply", m, "--yes", "--lock-timeout", "0")
        assert r.code == 75
        assert r.err.startswith(
            f"error: Another apply of this manifest is running (pid {first.pid} on "
        )
        assert "nothing was changed" in r.err
        # plan does not wait, and does not take the running replacement for a cut-off one
        r = cli("plan", m, "--json")
        assert r.code == 0
        assert f"An apply of this manifest is running (pid {first.pid} on " in r.err
        assert [v["action"] for v in r.json()["voices"] if v["name"] == "Narrator"] == ["replace"]
        # a second apply that waits long enough runs after it, and has nothing left to do
        threading.Timer(1.0, release.set).start()
        r = cli("apply", m, "--yes", "--lock-timeout", "30")
        assert r.code == 0, r.err
        assert f"Waiting up to 30s for another apply to end (pid {first.pid} on " in r.err
        assert "Narrator\tpresent\t" in r.out
        _, err = first.communicate(timeout=30)
        assert first.returncode == 0, err
    finally:
        release.set()
        if first.poll() is None:
            first.kill()
    assert _converged(cli, service, tmp_path, m) != old


def test_three_applies_at_once_make_each_voice_once(cli, tmp_path: Path, monkeypatch) -> None:
    svc = SlowService(delay=0.3)
    monkeypatch.setenv("BLAND_API_URL", svc.url)
    monkeypatch.setenv("BLAND_API_KEY", KEY)
    try:
        names = [f"V{i}" for i in range(1, 5)]
        body = "".join(
            f'[[voice]]\nname = "{n}"\nsamples = ["samples/{"abcd"[i]}.wav"]\n\n'
            for i, n in enumerate(names)
        )
        m = manifest(tmp_path, body)
        procs = [_spawn(svc.url, "apply", m, "--jobs", "4", "--json") for _ in range(3)]
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], [e for _, e in results]
        for n in names:
            assert len(_named(svc, n)) == 1, n
        assert _clones(svc) == len(names)
        ids = {n: _named(svc, n)[0].id for n in names}
        assert {n: _locked_id(tmp_path, n) for n in names} == ids
        statuses = sorted(
            tuple(sorted(v["status"] for v in json.loads(out)["voices"])) for out, _ in results
        )
        assert statuses[0] == ("created",) * 4 and statuses[1:] == [("present",) * 4] * 2
        assert cli("plan", m, "--detailed-exitcode").code == 0
    finally:
        svc.close()

"""Voices as code that notices change: the lock, plan, safe replacement, prune, export, settings,
the GitHub job summary and Ctrl-C, end to end against the sandbox on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

import requests

from bland_clone.sandbox import Sandbox, SandboxState

from .audiofiles import write_wav
from .conftest import KEY
from .manifests import THREE, live_id, manifest
from .servers import Faults, ServerThread, Service


def actions(doc: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["action"] for v in doc["voices"]}


class SlowClones:
    """WSGI middleware: each clone takes ``delay`` seconds more, as a remote service would. It
    records when each clone arrives (time.time) and each request's (method, path, arrived,
    handled) on time.monotonic."""

    def __init__(self, app: Any, delay: float) -> None:
        self.app, self.delay = app, delay
        self.clone_starts: list[float] = []
        self.handled: list[tuple[str, str, float, float]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method, path, arrived = (
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO", ""),
            time.monotonic(),
        )
        if method == "POST" and path == "/v1/voices/clone":
            self.clone_starts.append(time.time())
            time.sleep(self.delay)
        body = list(self.app(environ, start_response))
        self.handled.append((method, path, arrived, time.monotonic()))
        return body


class SlowService(Service):
    def __init__(self, delay: float) -> None:
        self.state = SandboxState(api_key=KEY)
        self.slow = SlowClones(Sandbox(self.state), delay)
        self.faults = Faults(self.slow)  # logs each request as it arrives, before the delay
        self.http = ServerThread(self.faults)


# -- the lock ---------------------------------------------------------------------------------


def test_apply_writes_a_lock_that_stays_byte_identical(
    cli, service: Service, tmp_path: Path
) -> None:
    m = manifest(tmp_path)
    r = cli("apply", m, "--json")
    assert r.code == 0, r.err
    lock = tmp_path / "voices.lock"
    text = lock.read_text()
    sha = hashlib.sha256((tmp_path / "samples" / "b.wav").read_bytes()).hexdigest()
    beta = live_id(service, "Beta")
    assert text.startswith("# voices.lock: written by bland-clone; commit it with voices.toml.")
    block = text[text.index('name = "Beta"') : text.index('name = "Gamma"')]
    assert f'voice_id = "{beta}"' in block
    assert 'engine = "v2"' in block
    assert f'  {{ file = "samples/b.wav", sha256 = "{sha}" }},' in block
    assert "settings = { consistency = 8 }" in block
    assert [line for line in text.splitlines() if line.startswith("name = ")] == [
        'name = "Alpha"',
        'name = "Beta"',
        'name = "Gamma"',
    ]
    stamp = lock.stat().st_mtime_ns

    time.sleep(0.01)
    r = cli("apply", m, "--json")
    assert r.code == 0, r.err
    assert {v["status"] for v in r.json()["voices"]} == {"present"}
    assert lock.read_text() == text and lock.stat().st_mtime_ns == stamp  # not even rewritten
    assert service.posts("/v1/voices/clone") == 3
    r = cli("plan", m, "--detailed-exitcode", "--json")
    assert r.code == 0, r.err
    assert actions(r.json()) == {
        "Alpha": "nothing",
        "Beta": "nothing",
        "Gamma": "nothing",
        "Legacy Narrator": "unmanaged",
    }
    assert r.json()["changes"] is False


def test_plan_shows_every_action(cli, service: Service, tmp_path: Path) -> None:
    m = manifest(tmp_path)
    assert cli("apply", m).code == 0
    write_wav(tmp_path / "samples" / "a.wav", 12.5)  # Alpha's sample re-recorded
    service.state.voices[live_id(service, "Beta")].deleted = True  # Beta deleted by hand
    stranger = service.state.add_voice("Stranger")
    m.write_text(m.read_text().replace('name = "Gamma"', 'name = "Delta"'))  # Gamma dropped
    r = cli("plan", m, "--detailed-exitcode", "--json")
    assert r.code == 2, r.err
    doc = r.json()
    assert actions(doc) == {
        "Alpha": "replace",
        "Beta": "missing on the service",
        "Delta": "create",
        "Gamma": "not in the manifest",
        "Stranger": "unmanaged",
        "Legacy Narrator": "unmanaged",
    }
    alpha = next(v for v in doc["voices"] if v["name"] == "Alpha")
    assert alpha["detail"] == "sample changed: samples/a.wav"
    assert next(v for v in doc["voices"] if v["name"] == "Stranger")["voice_id"] == stranger.id
    kept = "kept; apply --prune deletes it"  # the remedy, in the command line's words
    assert next(v for v in doc["voices"] if v["name"] == "Gamma")["detail"] == kept
    assert cli("plan", m, "--prune", "--json").json()["voices"][3]["action"] == "delete"

    r = cli("apply", m, "--plan")  # the same plan, for people
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == "NAME\tACTION\tVOICE ID\tDETAIL"
    assert "Alpha\treplace\t" in r.out
    assert f"\tnot in the manifest\t{live_id(service, 'Gamma')}\t{kept}\n" in r.out
    assert lines[-1] == (
        "Plan: 1 to create, 1 to replace, 0 settings to update, 0 to delete; "
        "1 missing on the service, 1 not in the manifest, 2 unmanaged."
    )
    assert service.posts("/v1/voices/clone") == 3  # a plan changes nothing

    r = cli("apply", m, "--dry-run", "--json")
    assert r.code == 0, r.err
    assert {v["name"]: v["status"] for v in r.json()["voices"]} == {
        "Alpha": "would replace",
        "Beta": "would create",
        "Delta": "would create",
        "Gamma": "kept",
    }
    assert next(v for v in r.json()["voices"] if v["name"] == "Gamma")["message"] == kept
    assert service.posts("/v1/voices/clone") == 3
    r = cli("apply", m, "--yes", "--json")
    assert r.code == 0, r.err
    assert {v["name"]: v["status"] for v in r.json()["voices"]} == {
        "Alpha": "replaced",
        "Beta": "created",
        "Delta": "created",
        "Gamma": "kept",
    }
    assert next(v for v in r.json()["voices"] if v["name"] == "Gamma")["message"] == kept
    r = cli("plan", m, "--detailed-exitcode", "--json")
    assert r.code == 0, r.err
    assert actions(r.json())["Beta"] == "nothing"


def test_a_voice_renamed_on_the_service_gets_its_name_back(
    cli, service: Service, tmp_path: Path
) -> None:
    m = manifest(tmp_path)
    assert cli("apply", m).code == 0
    gamma = live_id(service, "Gamma")
    service.state.voices[gamma].name = "Gamma by hand"
    r = cli("plan", m, "--detailed-exitcode", "--json")
    assert r.code == 2
    row = next(v for v in r.json()["voices"] if v["name"] == "Gamma")
    assert (row["action"], row["voice_id"], row["detail"]) == (
        "rename",
        gamma,
        "named 'Gamma by hand' on the service",
    )
    r = cli("apply", m, "--json")
    assert r.code == 0, r.err
    assert {v["name"]: v["status"] for v in r.json()["voices"]}["Gamma"] == "renamed"
    assert live_id(service, "Gamma") == gamma
    assert cli("plan", m, "--detailed-exitcode").code == 0


def test_a_damaged_lock_is_a_clear_error(cli, service: Service, tmp_path: Path) -> None:
    m = manifest(tmp_path)
    (tmp_path / "voices.lock").write_text("version = 1\n[[voice]\n")
    for command in ("plan", "apply"):
        r = cli(command, m)
        assert r.code == 1
        assert r.err.startswith(f"error: {tmp_path / 'voices.lock'}: invalid TOML:")
        assert r.err.rstrip().endswith("restore it from version control")
    assert service.faults.seen == []


def test_a_changed_sample_is_replaced_with_the_name_resolving_throughout(
    cli, tmp_path: Path, monkeypatch
) -> None:
    svc = SlowService(delay=0.6)
    monkeypatch.setenv("BLAND_API_URL", svc.url)
    monkeypatch.setenv("BLAND_API_KEY", KEY)
    try:
        m = manifest(
            tmp_path,
            '[[voice]]\nname = "Narrator"\nsamples = ["samples/a.wav"]\n'
            "settings = { boost_language_consistency = true }\n",
        )
        assert cli("apply", m).code == 0
        old = live_id(svc, "Narrator")
        write_wav(tmp_path / "samples" / "a.wav", 13.0)

        r = cli("apply", m)  # off a terminal, replacing needs --yes
        assert r.code == 2
        assert r.err == (
            "error: Refusing to replace 1 voice(s) without --yes: standard input is "
            "not a terminal to confirm on.\n"
        )
        assert live_id(svc, "Narrator") == old

        seen: list[tuple[float, float, set[str]]] = []  # (sent, answered, ids with the name)
        stop = threading.Event()

        def poll() -> None:
            with requests.Session() as s:
                while not stop.is_set():
                    sent = time.monotonic()
                    voices = s.get(svc.url + "/v1/voices", headers={"Authorization": KEY}).json()[
                        "voices"
                    ]
                    ids = {v["id"] for v in voices if v["name"] == "Narrator"}
                    seen.append((sent, time.monotonic(), ids))

        t = threading.Thread(target=poll)
        t.start()
        try:
            r = cli("apply", m, "--yes", "--json")
        finally:
            stop.set()
            t.join()
        assert r.code == 0, r.err
        [row] = r.json()["voices"]
        new = row["voice_id"]
        assert (row["status"], row["replaced_id"]) == ("replaced", old)
        assert live_id(svc, "Narrator") == new and svc.state.voices[old].deleted
        assert len(svc.state.live()) == 4  # the stock voices, Legacy Narrator and the new one
        # What the server did, in order: the upload, the old renamed aside, the new one renamed to
        # the name, the old deleted. A poll answered before the upload was done saw the old voice;
        # a poll sent after the delete arrived sees the new one; a poll that found no voice was
        # in flight while the two renames were.
        done = {(m_, p_): (a, h) for m_, p_, a, h in svc.slow.handled if m_ != "GET"}
        clone = done["POST", "/v1/voices/clone"]
        aside = done["PATCH", f"/v1/voices/{old}/rename"]
        back = done["PATCH", f"/v1/voices/{new}/rename"]
        gone = done["DELETE", f"/v1/voices/{old}"]
        assert clone[1] <= aside[0] <= aside[1] <= back[0] <= back[1] <= gone[0]
        during_upload = [
            ids for sent, answered, ids in seen if clone[0] < sent and answered < clone[1]
        ]
        assert len(during_upload) >= 5 and all(ids == {old} for ids in during_upload)
        for sent, answered, ids in seen:
            if answered < clone[1]:
                assert ids == {old}
            elif sent > gone[0]:
                assert ids == {new}
            elif not ids:
                assert answered > aside[0] and sent < back[1]  # in flight during the swap
        assert seen[0][2] == {old} and seen[-1][2] == {new}
        lock = (tmp_path / "voices.lock").read_text()
        assert f'voice_id = "{new}"' in lock and old not in lock
        assert "settings = { boost_language_consistency = true }" in lock
        assert cli("plan", m, "--detailed-exitcode").code == 0
    finally:
        svc.close()


def test_a_failed_replacement_leaves_the_old_voice_under_its_name(
    cli, service: Service, tmp_path: Path
) -> None:
    m = manifest(tmp_path, '[[voice]]\nname = "Narrator"\nsamples = ["samples/a.wav"]\n')
    assert cli("apply", m).code == 0
    old = live_id(service, "Narrator")
    before = (tmp_path / "voices.lock").read_bytes()
    write_wav(tmp_path / "samples" / "a.wav", 13.0)
    service.faults.add(
        "POST",
        "/v1/voices/clone",
        status=500,
        times=10,
        body=b'{"status":500,"data":null,"errors":[{"error":"Server Error","message":"An unknown error occurred"}]}',
        headers={"Content-Type": "application/json"},
    )
    r = cli("apply", m, "--yes", "--json")
    assert r.code == 4
    assert r.json()["voices"][0]["status"] == "failed"
    assert [v.id for v in service.state.live() if v.name.startswith("Narrator")] == [old]
    assert (tmp_path / "voices.lock").read_bytes() == before
    assert not (tmp_path / ".voices.lock.journal").exists()  # rolled back at once
    assert actions(cli("plan", m, "--json").json())["Narrator"] == "replace"


# -- prune ------------------------------------------------------------------------------------


def test_prune_deletes_only_what_the_lock_manages(cli, service: Service, tmp_path: Path) -> None:
    m = manifest(tmp_path)
    assert cli("apply", m).code == 0
    gamma = live_id(service, "Gamma")
    stranger = service.state.add_voice("Stranger")
    m.write_text(m.read_text().split('[[voice]]\nname = "Gamma"')[0])

    r = cli("apply", m)  # without --prune the dropped voice is kept
    assert r.code == 0, r.err
    assert "Gamma\tkept\t" in r.out and not service.state.voices[gamma].deleted
    r = cli("apply", m, "--prune")
    assert r.code == 2 and "Refusing to delete 1 voice(s) without --yes" in r.err
    r = cli("apply", m, "--prune", "-y", "-j", "1", "--format", "text", "--json")
    assert r.code == 0, r.err
    assert {v["name"]: v["status"] for v in r.json()["voices"]} == {
        "Alpha": "present",
        "Beta": "present",
        "Gamma": "deleted",
    }
    assert service.state.voices[gamma].deleted
    assert {v.name for v in service.state.live()} == {
        "Maya",
        "Josh",
        "Legacy Narrator",
        "Alpha",
        "Beta",
        "Stranger",
    }
    assert not stranger.deleted
    assert "Gamma" not in (tmp_path / "voices.lock").read_text()
    r = cli("plan", m, "--prune", "--detailed-exitcode", "--json")
    assert r.code == 0 and actions(r.json())["Stranger"] == "unmanaged"


# -- adoption ---------------------------------------------------------------------------------


def test_export_then_plan_has_nothing_to_do(cli, service: Service, tmp_path: Path) -> None:
    legacy = service.voices_named("Legacy Narrator")[0]
    solo = service.state.add_voice("Solo")  # a V3 clone: the service keeps no sample of it
    assert cli("voices", "set", legacy.id, "--consistency", "0.75").code == 0
    out = tmp_path / "repo" / "voices.toml"
    out.parent.mkdir()
    r = cli("export", "--cloned", "-o", out, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["without_samples"] == [
        {
            "name": "Solo",
            "voice_id": solo.id,
            "reason": "the service keeps no retrievable sample of it",
        }
    ]
    [managed] = [v for v in doc["voices"] if v["managed"]]
    assert managed["name"] == "Legacy Narrator" and managed["engine"] == "v1"
    assert managed["samples"] == [
        "samples/Legacy_Narrator/seed1.wav",
        "samples/Legacy_Narrator/seed2.wav",
    ]
    assert (out.parent / managed["samples"][0]).read_bytes() == legacy.samples[0].audio
    text = out.read_text()
    assert "settings = { consistency = 0.75, expressiveness = 0.5 }" in text
    assert f"# {solo.id}: the service keeps no retrievable sample of it." in text
    assert '# name = "Solo"' in text
    assert text.count("no retrievable sample") == 1  # the reason, said once
    said = cli("export", "--cloned", "-o", tmp_path / "again.toml")
    assert "Solo" not in said.err, said.err  # no progress line for it: the table and summary
    assert f"'Solo' ({solo.id}): the service keeps no retrievable sample of it." in said.out
    assert said.out.count("retrievable") == 1, said.out  # the table and the summary: said once
    assert said.out.count("Solo") == 2, said.out
    assert f"Solo\t{solo.id}\tv3\tnone\n" in said.out
    assert f"Legacy Narrator ({legacy.id}): 2 sample(s)" in said.err  # the progress of the rest
    assert cli("validate", out, "--no-quality").code == 0

    r = cli("plan", out, "--detailed-exitcode", "--json")
    assert r.code == 0, r.err
    assert actions(r.json()) == {"Legacy Narrator": "nothing", "Solo": "unmanaged"}
    r = cli("export", "-o", out)
    assert r.code == 1 and r.err == f"error: {out} exists; use --force to overwrite it.\n"


# -- settings ---------------------------------------------------------------------------------


def test_settings_are_validated_offline_applied_and_drift_checked(
    cli, service: Service, tmp_path: Path
) -> None:
    m = manifest(
        tmp_path,
        """\
        [[voice]]
        name = "Beta"
        samples = ["samples/b.wav"]
        engine = "v2"
        settings = { consistency = 70, boost_language_consistency = true }
    """,
    )
    r = cli("validate", m)
    assert r.code == 1
    assert r.err.splitlines()[1:] == [
        f"{m}:5: voice 'Beta': setting 'boost_language_consistency' applies to v3 voices, not v2 (a v2 voice takes: consistency, expressiveness)",
        f"{m}:5: voice 'Beta': setting 'consistency' must be an integer from 0 to 64, not 70",
    ]
    assert service.faults.seen == []

    m = manifest(tmp_path, THREE)
    assert cli("apply", m).code == 0
    beta, gamma = live_id(service, "Beta"), live_id(service, "Gamma")
    assert cli("voices", "settings", beta, "--json").json()["settings"]["consistency"] == 8
    assert (
        cli("voices", "settings", gamma, "--json").json()["settings"]["boost_language_consistency"]
        is True
    )
    assert cli("voices", "set", beta, "--consistency", "20").code == 0  # tuned by hand
    r = cli("plan", m, "--detailed-exitcode", "--json")
    assert r.code == 2
    row = next(v for v in r.json()["voices"] if v["name"] == "Beta")
    assert (row["action"], row["settings"]) == (
        "update settings",
        {"consistency": {"service": 20, "manifest": 8}},
    )
    r = cli("apply", m, "--json")
    assert r.code == 0, r.err
    assert {v["name"]: v["status"] for v in r.json()["voices"]}["Beta"] == "settings updated"
    assert cli("voices", "settings", beta, "--json").json()["settings"]["consistency"] == 8
    assert cli("plan", m, "--detailed-exitcode").code == 0


def test_manifest_names_match_as_the_service_matches_them(cli, tmp_path: Path) -> None:
    nfc, nfd = unicodedata.normalize("NFC", "Café"), unicodedata.normalize("NFD", "Café")
    assert nfc != nfd
    m = manifest(
        tmp_path,
        "".join(
            f'[[voice]]\nname = "{n}"\nsamples = ["samples/a.wav"]\n\n'
            for n in (nfc, nfd, "Narr", "narr ")
        ),
    )
    r = cli("validate", m, "--no-quality")
    assert r.code == 1
    assert r.err.splitlines()[1:] == [
        f"{m}:6: voice {nfd!r}: the name is also used at line 1",
        f"{m}:14: voice 'narr ': the name is also used at line 9",
    ]


# -- CI and scale -----------------------------------------------------------------------------


def test_plan_and_apply_write_the_github_job_summary(cli, service: Service, tmp_path: Path) -> None:
    m = manifest(tmp_path, '[[voice]]\nname = "Pipe|Name"\nsamples = ["samples/a.wav"]\n')
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    assert cli("plan", m, env=env).code == 0
    assert cli("apply", m, env=env).code == 0
    text = summary.read_text()
    vid = live_id(service, "Pipe|Name")
    assert f"### `bland-clone plan {m}`" in text and f"### `bland-clone apply {m}`" in text
    assert (
        "| Name | Action | Voice id | Detail |\n|---|---|---|---|\n| Pipe\\|Name | create | - |   |"
        in text
    )
    assert f"| Pipe\\|Name | created | {vid} |   |" in text
    assert "Plan: 1 to create" in text


# -- Ctrl-C -----------------------------------------------------------------------------------


def _interrupt(svc: SlowService, m: Path, *extra: str) -> tuple[int, str, str, float, float]:
    env = {
        **os.environ,
        "BLAND_API_URL": svc.url,
        "BLAND_API_KEY": KEY,
        "NO_PROXY": "*",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    started = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bland_clone", "apply", str(m), "--jobs", "1", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    # interrupt at 1.5 s, once a first voice exists (a loaded machine may start slower)
    while time.time() - started < 1.5 or not any(
        v.name.startswith("Slow") for v in svc.state.live()
    ):
        time.sleep(0.02)
        assert time.time() - started < 20
    sent = time.time()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    return proc.returncode, out, err, sent, time.time() - sent


def test_ctrl_c_stops_every_upload_and_names_what_was_made(tmp_path: Path) -> None:
    body = "".join(
        f'[[voice]]\nname = "Slow{i}"\nsamples = ["samples/a.wav"]\n\n' for i in range(5)
    )
    m = manifest(tmp_path, body)
    for extra in ([], ["--json"]):
        svc = SlowService(delay=0.5)
        try:
            code, out, err, sent, took = _interrupt(svc, m, *extra)
            assert code == 130, err
            assert took < 2.5, took
            # An upload already on its way when the signal came (the client looks the name up
            # just before it uploads) may arrive a moment later; none may start after that.
            late = [t - sent for t in svc.slow.clone_starts if t > sent]
            assert len(late) <= 1 and all(d < 0.25 for d in late), late
            made = {v.name: v.id for v in svc.state.live() if v.name.startswith("Slow")}
            assert 1 <= len(made) < 5
            assert "Traceback" not in err
            if extra:
                doc = json.loads(out)
                assert doc["ok"] is False and doc["errors"][0]["error"] == "Interrupted"
                status = {v["name"]: v["status"] for v in doc["voices"]}
                created = {
                    v["name"]: v["voice_id"] for v in doc["voices"] if v["status"] == "created"
                }
                # the upload running at the interrupt finishes within the grace period, or is
                # reported as cut off with its outcome unknown; the others never started
                assert created and all(made[n] == vid for n, vid in created.items())
                assert all(status[n] == "interrupted" for n in set(made) - set(created))
                assert sum(1 for s in status.values() if s == "interrupted") <= 1
                assert sum(1 for s in status.values() if s == "not started") >= 5 - len(made) - 1
            else:
                for name, vid in made.items():
                    assert f"{name}\tcreated\t{vid}" in out
                assert f"error: Interrupted: {len(made)} voice(s) created before it" in err
            lock = (tmp_path / "voices.lock").read_text()
            assert all(f'voice_id = "{vid}"' in lock for vid in made.values())
        finally:
            svc.close()
            (tmp_path / "voices.lock").unlink(missing_ok=True)


def test_replacing_and_pruning_ask_on_a_terminal(cli, service: Service, tmp_path: Path) -> None:
    from .test_terminal import _env, run_on_tty

    m = manifest(tmp_path)
    assert cli("apply", m).code == 0
    alpha, gamma = live_id(service, "Alpha"), live_id(service, "Gamma")
    write_wav(tmp_path / "samples" / "a.wav", 12.5)
    m.write_text(m.read_text().split('[[voice]]\nname = "Gamma"')[0])
    env = _env(service)
    code, seen = run_on_tty(["apply", str(m), "--prune"], env, answer=b"n\n")
    assert code == 0 and "error:" not in seen  # a "no" is not an error
    assert (
        "Apply will replace 1 voice(s) and delete 1 voice(s): 'Alpha' (replace), 'Gamma' (delete). Go on? [y/N]"
        in seen
    )
    assert "Nothing was changed." in seen
    assert live_id(service, "Alpha") == alpha and not service.state.voices[gamma].deleted
    code, seen = run_on_tty(["apply", str(m), "--prune"], env, answer=b"y\n")
    assert code == 0, seen
    assert live_id(service, "Alpha") != alpha and service.state.voices[gamma].deleted


HOSTILE = {
    "not JSON": (200, b"\xff\xfe<html>", "text/html"),
    "empty": (200, b"", "application/json"),
    "fields of the wrong type": (
        200,
        json.dumps(
            {
                "voices": [
                    {"id": 7, "name": ["x"], "is_custom": "yes", "tags": 3},
                    {"id": "v1", "name": "Alpha\x1b[2J", "is_custom": True},
                ],
                "samples": {"a": 1},
                "settings": 5,
                "data": {"voice_id": 9},
            }
        ).encode(),
        "application/json",
    ),
    "escape sequences": (
        400,
        json.dumps({"data": None, "errors": [{"error": 3, "message": "\x1b[2J" * 3}]}).encode(),
        "application/json",
    ),
}


def test_plan_apply_and_export_survive_hostile_answers(
    cli, service: Service, tmp_path: Path
) -> None:
    m = manifest(tmp_path)
    assert cli("apply", m).code == 0
    write_wav(tmp_path / "samples" / "a.wav", 12.5)
    for what, (status, body, ctype) in HOSTILE.items():
        service.faults.rules.clear()
        for method in ("GET", "POST", "PATCH", "DELETE"):
            service.faults.add(
                method, "/", status=status, body=body, headers={"Content-Type": ctype}, times=10**6
            )
        for args in (
            ["plan", m],
            ["apply", m, "--yes", "--prune"],
            ["export", "-o", tmp_path / "x" / "v.toml", "--force"],
        ):
            (tmp_path / "x").mkdir(exist_ok=True)
            for mode in ([], ["--json"]):
                r = cli(*args, *mode)
                assert r.code in (0, 1, 4), (what, args, r.code, r.err)
                assert "Traceback" not in r.err and "internal error" not in r.err, (
                    what,
                    args,
                    r.err,
                )
                assert "\x1b" not in r.out + r.err, (what, args)
                if mode:
                    assert json.loads(r.out)["ok"] is (r.code == 0)

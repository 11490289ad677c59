"""Issue 20, "No exit 70 from anything a server, a file or an argument can hold": each finding
of the adversarial review, reproduced against the sandbox on 127.0.0.1 (hostile answers come
from the sandbox's own state or from tests/servers.py's fault injector), and its fix."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from bland_clone.sandbox.voice_api import extras

from .audiofiles import write_wav
from .conftest import KEY
from .servers import Service, trickle


def _legacy(service: Service):  # type: ignore[no-untyped-def]
    return service.voices_named("Legacy Narrator")[0]


def _this_code() -> str:
    """PYTHONPATH for a child process: the bland_clone these tests import."""
    import bland_clone

    return str(Path(bland_clone.__file__).parent.parent)


def _no_nan(text: str) -> object:
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


# -- export --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, {}, []], ids=["null", "table", "array"])
def test_export_with_a_setting_that_is_no_value_writes_the_lock(
    cli, service: Service, tmp_path: Path, value: object
) -> None:
    legacy = _legacy(service)
    extras(service.state).settings[legacy.id] = {"consistency": value}
    out = tmp_path / "voices.toml"
    r = cli("export", "--cloned", "-o", out)
    assert r.code == 0, r.err
    lock = (tmp_path / "voices.lock").read_text()
    assert legacy.id in lock and "consistency" not in lock  # left out, not written as junk
    assert "settings = { expressiveness = 0.5 }" in out.read_text()
    r = cli("plan", out, "--json")  # the export is usable: nothing to do
    assert r.code == 0, r.err
    assert {v["name"]: v["action"] for v in r.json()["voices"]}["Legacy Narrator"] == "nothing"
    assert cli("export", "--cloned", "-o", out, "--force").code == 0  # a re-run is no refusal


def test_export_of_a_voice_whose_name_is_over_255_bytes(
    cli, service: Service, tmp_path: Path
) -> None:
    long = service.state.add_voice("N" * 300, service="BTTS", samples=1)
    r = cli("export", "--cloned", "-o", tmp_path / "voices.toml", "--json")
    assert r.code == 0, r.err
    [mine] = [v for v in r.json()["voices"] if v["voice_id"] == long.id]
    assert mine["managed"] and len(mine["samples"]) == 1
    assert len(Path(mine["samples"][0]).parent.name.encode()) <= 64
    assert long.id in (tmp_path / "voices.lock").read_text()


def test_export_of_a_voice_listing_300_samples_takes_the_five_a_voice_holds(
    cli, service: Service, tmp_path: Path
) -> None:
    many = service.state.add_voice("Many", service="BTTS", samples=300)
    r = cli("export", "--cloned", "-o", tmp_path / "voices.toml", "--json")
    assert r.code == 0, r.err
    [mine] = [v for v in r.json()["voices"] if v["voice_id"] == many.id]
    assert len(mine["samples"]) == 5
    asked = [
        p
        for m, p, _ in service.faults.seen
        if m == "GET" and p.startswith(f"/v1/voices/{many.id}/samples/")
    ]
    assert len(asked) == 5
    assert len(list((tmp_path / "samples" / "Many").iterdir())) == 5
    r = cli("export", "--cloned", "-o", tmp_path / "voices.toml", "--force")
    assert f"Many ({many.id}): 5 sample(s) (the service listed 300; a voice holds 5)" in r.err


def test_export_comments_hold_no_control_or_bidi_character(
    cli, service: Service, tmp_path: Path
) -> None:
    solo = service.state.add_voice("Solo")
    service.faults.add(
        "GET",
        f"/v1/voices/{solo.id}/samples",
        status=400,
        body=json.dumps(
            {"data": None, "errors": [{"error": "x", "message": "no\x1b[2J\u202e\x85\nsamples"}]}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    r = cli("export", "--cloned", "-o", tmp_path / "voices.toml")
    assert r.code == 0, r.err
    text = (tmp_path / "voices.toml").read_text()
    for raw in ("\x1b", "\u202e", "\x85"):
        assert raw not in text
    note = next(line for line in text.splitlines() if line.startswith(f"# {solo.id}"))
    assert "\\x1b[2J\\u202e\\x85\\nsamples" in note


# -- the lock ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    ["{ nested = { a = 1 } }", "{ consistency = [1, 2] }", "{ consistency = 2026-01-01 }"],
    ids=["table", "array", "date"],
)
def test_a_lock_with_settings_no_voice_has_is_refused_before_any_request(
    cli, service: Service, tmp_path: Path, settings: str
) -> None:
    write_wav(tmp_path / "a.wav", 11.0)
    write_wav(tmp_path / "b.wav", 11.5)
    (tmp_path / "voices.toml").write_text(
        '[[voice]]\nname = "Old"\nsamples = ["a.wav"]\n\n[[voice]]\nname = "New"\nsamples = ["b.wav"]\n'
    )
    (tmp_path / "voices.lock").write_text(
        textwrap.dedent(
            f"""\
            version = 1

            [[voice]]
            name = "Old"
            voice_id = "00000000-0000-0000-0000-000000000001"
            engine = "v3"
            created = "2026-01-01T00:00:00Z"
            samples = []
            settings = {settings}
            """
        )
    )
    r = cli("apply", tmp_path / "voices.toml", "--yes")
    assert r.code == 1, r.err
    assert "voices.lock: voice #1 is incomplete" in r.err
    assert service.posts("/v1/voices/clone") == 0 and service.voices_named("New") == []


# -- answers of the wrong type -------------------------------------------------------------


@pytest.mark.parametrize("cost", ["abc", [None], float("nan")], ids=["text", "list", "nan"])
def test_speak_history_with_a_cost_that_is_no_number(cli, service: Service, cost: object) -> None:
    extras(service.state).generations.append(
        {"id": "g1", "voice_id": "v", "text": "Hi.", "cost": cost, "created_at": "2026"}
    )
    r = cli("speak", "history")
    assert r.code == 0, r.err
    assert r.out.splitlines()[1].split("\t")[3] == "-"
    doc = _no_nan(cli("speak", "history", "--json").out)
    assert doc["generations"][0]["cost"] is None  # type: ignore[index]
    assert cli("speak", "history", "g1").code == 0


def test_rate_with_an_average_that_is_no_number(cli, service: Service) -> None:
    maya = service.voices_named("Maya")[0]
    service.faults.add(
        "POST",
        f"/v1/voices/{maya.id}/rate",
        status=200,
        body=b'{"data": {"average_rating": "x", "total_ratings": [1]}}',
        headers={"Content-Type": "application/json"},
    )
    r = cli("voices", "rate", "Maya", "4")
    assert (r.code, r.out) == (0, "Rated 'Maya' 4/5.\n")


def test_models_with_engines_as_a_number(cli, service: Service) -> None:
    # /v2/models lists models as OpenAI does; fields of the wrong type are no crash
    first = extras(service.state).models[0]
    first.update(engines=3, name=7, encodings=3)
    r = cli("models")
    assert r.code == 0, r.err
    assert "btts-3\t7\t-" in r.out
    assert "Encodings:\t-" in r.out
    assert cli("models", "--json").json()["models"][0]["engines"] == ["3"]


def test_settings_whose_engine_is_a_list(cli, service: Service) -> None:
    maya = service.voices_named("Maya")[0]
    body = {"data": {"service": [["BTTS_V2"]], "settings": {"consistency": ["x"]}, "limits": {}}}
    service.faults.add(
        "GET",
        f"/v1/voices/{maya.id}/settings",
        status=200,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        times=2,
    )
    r = cli("voices", "settings", "Maya")
    assert r.code == 0, r.err
    assert '[["BTTS_V2"]]' in r.out + r.err
    r = cli("voices", "set", "Maya", "--consistency", "3")
    assert r.code == 1, r.err
    assert r.err.startswith("error: consistency applies to V1 (BTTS) and V2 voices, not to [[")


def test_x_cost_nan_is_null_in_json(cli, service: Service, tmp_path: Path) -> None:
    wav = service.faults  # the sandbox speaks; only its x-cost header is replaced
    maya = service.voices_named("Maya")[0]
    audio = requests.post(
        f"{service.url}/v1/speak",
        json={"voice_id": maya.id, "text": "Hello.", "output_format": "wav"},
        headers={"Authorization": KEY},
        timeout=10,
    ).content
    for endpoint in ("/v2/tts", "/v1/speak"):
        wav.add(
            "POST",
            endpoint,
            status=200,
            body=audio,
            headers={"Content-Type": "audio/wav", "x-cost": "nan"},
        )
    r = cli("speak", "Maya", "Hello.", "-o", tmp_path / "p.wav", "--json")
    assert r.code == 0, r.err
    doc = _no_nan(r.out)
    assert doc["cost"] is None  # type: ignore[index]


def test_a_nan_nested_deep_in_an_answer_is_null_in_json(cli, service: Service) -> None:
    deep: object = [float("nan")]
    for _ in range(800):
        deep = [deep]
    extras(service.state).generations.append(
        {"id": "g1", "voice_id": "v", "text": "Hi.", "extra": deep, "created_at": "2026"}
    )
    for args in (["speak", "history"], ["speak", "history", "g1"]):
        r = cli(*args, "--json")
        assert r.code == 0, r.err
        _no_nan(r.out)


def test_json_is_valid_whatever_a_result_holds() -> None:
    from bland_clone.cli.output import dump_json

    text = dump_json({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5]})
    assert json.loads(text) == {"a": None, "b": [None, None, 1.5]}


# -- ids that are not ids ------------------------------------------------------------------


@pytest.mark.parametrize("vid", ["", "..", True, {"id": 1}, "a/b", "\udcff"])
def test_a_clone_answer_whose_id_is_no_id(cli, service: Service, sample: Path, vid: object) -> None:
    service.faults.add(
        "POST",
        "/v1/voices/clone",
        after=True,  # the voice is made; the answer names no usable id
        status=200,
        body=json.dumps({"data": {"voice_id": vid, "name": "Heidi"}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    r = cli("clone", "--name", "Heidi", sample, "--json")
    assert r.code == 4, r.err
    assert "The clone's answer has a voice_id that is not an id" in r.err
    assert "The voice 'Heidi' may have been created" in r.err
    assert "voices list" in r.err
    assert r.json()["ok"] is False


@pytest.mark.parametrize("vid", ["", "..", True, {"a": 1}])
def test_a_recovered_voice_whose_id_is_no_id(
    cli, service: Service, sample: Path, vid: object
) -> None:
    service.faults.add("GET", "/v1/voices", passthrough=True)  # the list before the upload
    service.faults.add("POST", "/v1/voices/clone", after=True, status=503)  # answer lost
    listed = {"voices": [{"id": vid, "name": "Heidi", "tags": ["cloned"], "is_custom": True}]}
    service.faults.add(
        "GET",
        "/v1/voices",
        status=200,
        body=json.dumps(listed).encode(),
        headers={"Content-Type": "application/json"},
        times=50,
    )
    r = cli("clone", "--name", "Heidi", sample)
    assert r.code == 4, r.err
    assert "'Heidi' is listed with no usable id" in r.err
    assert service.posts("/v1/voices/clone") == 1


# -- arguments that are not UTF-8 ----------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["speak", "history", "--voice", "\udcff"],
        ["speak", "history", "caf\udce9"],
        ["voices", "add-shared", "\udcff"],
        ["voices", "shared", "--search", "caf\udce9"],
        ["voices", "shared", "--language", "\udcff"],
        ["speak", "Maya", "caf\udce9", "-o", "{tmp}/p.wav"],
        ["voices", "show", "\udcff"],
    ],
)
def test_arguments_that_are_not_utf8_are_refused_before_sending(
    cli, service: Service, tmp_path: Path, args: list[str]
) -> None:
    args = [a.format(tmp=tmp_path) for a in args]
    before = len(service.faults.seen)
    r = cli(*args)
    assert r.code == 1, r.err
    assert r.err.count("\n") == 1 and "\\udc" in r.err and "\udcff" not in r.err
    assert "it is not valid UTF-8 text" in r.err or "No voice with id or name" in r.err
    # nothing was sent but the reads that find the voice, the formats and the text limit
    seen = {p for m, p, _ in service.faults.seen[before:]}
    assert seen <= {"/v1/voices", "/v2/models", "/v1/models"}


# -- service text on one line --------------------------------------------------------------


def test_a_service_message_cannot_start_a_line(cli, service: Service) -> None:
    service.faults.add(
        "GET",
        "/v1/voices",
        status=400,
        body=json.dumps(
            {"data": None, "errors": [{"error": "x", "message": "bad\n::error::forged\r\nx"}]}
        ).encode(),
        headers={"Content-Type": "application/json"},
        times=4,
    )
    for extra in ([], ["--json"]):
        r = cli("voices", "list", *extra, env={"GITHUB_ACTIONS": "true"})
        assert r.code == 1
        assert r.err == "error: bad\\n::error::forged\\nx\n"
        assert not any(line.startswith("::") for line in (r.out + r.err).splitlines())


def test_an_id_holding_a_line_break_cannot_start_a_line(
    cli, service: Service, tmp_path: Path
) -> None:
    forged = {"id": "v1\n::error::forged", "name": "Evil", "tags": ["cloned"], "is_custom": True}
    service.faults.add(
        "GET",
        "/v1/voices",
        status=200,
        body=json.dumps({"voices": [forged]}).encode(),
        headers={"Content-Type": "application/json"},
        times=10,
    )
    for args in (
        ["export", "-o", tmp_path / "voices.toml"],
        ["voices", "list"],
        ["voices", "delete", "Evil", "--yes"],
    ):
        r = cli(*args, env={"GITHUB_ACTIONS": "true"})
        assert r.code in (0, 1), r.err
        lines = (r.out + r.err).splitlines()
        assert not any(line.startswith("::") for line in lines), r.out + r.err
    assert "v1\\x0a::error::forged" in (tmp_path / "voices.toml").read_text()


# -- signals -------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_during_a_download_leaves_no_part_file(
    service: Service, tmp_path: Path, sig: int
) -> None:
    legacy = _legacy(service)
    sid = legacy.samples[0].id
    service.faults.add(
        "GET",
        f"/v1/voices/{legacy.id}/samples/{sid}",
        status=200,
        headers={"Content-Type": "audio/wav"},
        stream=trickle(200, 0.05),
        times=4,
    )
    env = {
        **os.environ,
        "BLAND_API_URL": service.url,
        "BLAND_API_KEY": service.key,
        "PYTHONPATH": _this_code(),
    }
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bland_clone", "samples", "get", legacy.id, sid, "-o", "s.wav"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".s.wav.*.part")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".s.wav.*.part")), "the download did not start"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Interrupted." in err
    assert "\n\nInterrupted." not in "\n" + err, err  # off a terminal: no blank line first
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# -- api_key_command, config set -----------------------------------------------------------


def _config(home: Path, body: str) -> Path:
    cfg = home / ".config" / "bland-clone"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config.toml").write_text(body)
    return cfg / "config.toml"


def test_api_key_command_output_is_read_up_to_4_kb(
    cli, service: Service, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BLAND_API_KEY")
    _config(isolated, '[profiles.default]\napi_key_command = "yes sk-0123456789abcdef"\n')
    started = time.monotonic()
    r = cli("voices", "list")
    assert time.monotonic() - started < 10
    assert r.code == 3, r.err
    assert r.err == (
        "error: api_key_command printed more than 4 KB; it should print the key alone\n"
    )
    assert service.faults.seen == []


def test_config_set_refuses_a_key_a_header_cannot_carry(
    cli, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("sk-0123\x7f456789abcdef\n"))
    r = cli("config", "set", "api_key")
    assert r.code == 2, r.err
    assert "a header cannot carry; nothing was written" in r.err
    assert not (isolated / ".config" / "bland-clone" / "config.toml").exists()


def test_config_set_refuses_a_url_that_is_no_url(cli, isolated: Path) -> None:
    r = cli("config", "set", "api_url", 'https://x.example/"]\n[x]')
    assert r.code == 2, r.err
    assert r.err.startswith("error: Invalid API URL")
    assert not (isolated / ".config" / "bland-clone" / "config.toml").exists()


def test_config_set_writes_through_a_symlinked_config(cli, isolated: Path) -> None:
    dotfiles = isolated / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "bland.toml").write_text('[profiles.default]\napi_url = "https://a.example"\n')
    cfg = isolated / ".config" / "bland-clone"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").symlink_to(dotfiles / "bland.toml")
    r = cli("config", "set", "api_url", "https://b.example")
    assert r.code == 0, r.err
    assert (cfg / "config.toml").is_symlink()
    assert 'api_url = "https://b.example"' in (dotfiles / "bland.toml").read_text()


def test_config_set_refuses_a_link_to_a_folder_that_is_not_there(cli, isolated: Path) -> None:
    cfg = isolated / ".config" / "bland-clone"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").symlink_to(isolated / "gone" / "bland.toml")
    r = cli("config", "set", "api_url", "https://b.example")
    assert r.code == 2, r.err
    assert "is a link to" in r.err and "nothing was written" in r.err
    assert (cfg / "config.toml").is_symlink() and not (isolated / "gone").exists()


# -- the sandbox ---------------------------------------------------------------------------


def test_sandbox_caps_the_length_of_speech(service: Service) -> None:
    maya = service.voices_named("Maya")[0]
    # within the documented 1,000 characters, asking for 28 minutes of silence
    text = "<|10|>" * 166
    started = time.monotonic()
    resp = requests.post(
        f"{service.url}/v2/tts",
        json={"voice": maya.id, "text": text, "audio": {"sample_rate": 8000}},
        headers={"Authorization": KEY},
        timeout=60,
    )
    assert resp.status_code == 200, resp.text
    assert time.monotonic() - started < 15
    from bland_clone.sandbox.voice_api import MAX_SPEECH_S

    assert len(resp.content) <= MAX_SPEECH_S * 8000 * 2 + 1024


def test_sandbox_drops_connections_whose_headers_never_end(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bland_clone.sandbox import server

    monkeypatch.setattr(server, "HEADER_DEADLINE", 1.0)
    slow = []
    for _ in range(server.MAX_CONNECTIONS):
        s = socket.create_connection(("127.0.0.1", service.http.port))
        s.sendall(b"GET /v1/voices HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    try:
        time.sleep(0.5)
        for s in slow:  # one more header line each: alive, never done
            s.sendall(b"X-Slow: 1\r\n")
        started = time.monotonic()
        resp = requests.get(f"{service.url}/v1/voices", headers={"Authorization": KEY}, timeout=20)
        assert resp.status_code == 200
        assert time.monotonic() - started < 8
    finally:
        for s in slow:
            s.close()


# -- record's "Microphone:" line -----------------------------------------------------------


def test_record_shows_the_microphones_name_escaped_on_a_terminal(
    isolated: Path, tmp_path: Path
) -> None:
    """PortAudio lists an ALSA device by the name its configuration gives: here one holding a
    clear-screen sequence and a bidi override."""
    from .test_record import Screen

    (isolated / ".asoundrc").write_text(
        'pcm."mic\\033[2J\\342\\200\\256evil" {\n  type file\n  slave.pcm "null"\n'
        '  file "/dev/null"\n  infile "/dev/zero"\n  format "raw"\n}\n'
    )
    shown = Screen(["--device", "evil", "-o", "t.wav"], tmp_path, {"PYTHONPATH": _this_code()})
    try:
        shown.expect("Room check")
    finally:
        shown.proc.kill()
        shown.close()
    screen = shown.raw.decode("utf-8", "replace")
    assert "Microphone: mic\\x1b[2J\\u202eevil" in screen, screen
    assert "\x1b[2J" not in screen and "\u202e" not in screen

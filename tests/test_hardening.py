"""Hostile files, a hostile network, and a key that never leaks."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bland_clone import Client, InputError, inspect

from .audiofiles import write_wav
from .conftest import KEY
from .servers import BreakingProxy, Service

# -- names and file names -------------------------------------------------------------------


def test_odd_file_names_reach_the_server_readable(cli, service: Service, tmp_path: Path) -> None:
    """Sent as browsers send them (HTML5 multipart): quotes and CR/LF escaped, never raw in a
    header; bytes that are not UTF-8 become U+FFFD."""
    folder = os.fsencode(tmp_path)
    names = [b'q"uote.wav', b"new\nline.wav", b"caf\xe9-latin1.wav", "é€😀.wav".encode()]
    for n in names:
        write_wav(tmp_path / "t.wav", 11.0)
        os.rename(os.path.join(folder, b"t.wav"), os.path.join(folder, n))
    paths = [os.fsdecode(os.path.join(folder, n)) for n in names]
    # a V1 voice takes up to 5 added samples in one upload (a clone takes exactly one file)
    v = service.state.add_voice("Odd names", service="BTTS")
    r = cli("add-samples", v.id, *paths)
    assert r.code == 0, r.err
    assert service.state.uploads[0]["filenames"] == [
        'q"uote.wav',
        "new%0Aline.wav",
        "caf\ufffd-latin1.wav",
        "é€😀.wav",
    ]


def test_non_ascii_names_count_as_the_service_counts(cli, service: Service, sample: Path) -> None:
    thirty = "ñ" * 30
    assert cli("clone", "--name", thirty, sample).code == 0
    assert service.voices_named(thirty)
    fifteen_emoji = "😀" * 15  # 30 UTF-16 code units: the limit exactly
    assert cli("validate", sample, "--name", fifteen_emoji).code == 0
    r = cli("validate", sample, "--name", "😀" * 16)
    assert r.code == 1 and "error: Voice name too long" in r.out


def test_control_characters_and_spaces_in_names(cli, service: Service, sample: Path) -> None:
    r = cli("clone", "--name", "bad\x07name", sample)
    assert r.code == 1 and "Voice name contains control characters" in r.err
    assert service.faults.seen == []
    r = cli("clone", "--name", "  Spaced ", sample)
    assert r.code == 0
    assert (
        "warning: Voice name has leading or trailing spaces; it is sent as is: '  Spaced '" in r.err
    )
    assert service.state.uploads[0]["fields"]["name"] == "  Spaced "


# -- paths that are not plain files -----------------------------------------------------------


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_devices_named_like_audio_are_refused_at_once(cli, tmp_path: Path, target: str) -> None:
    link = tmp_path / "x.wav"
    link.symlink_to(target)
    started = time.monotonic()
    r = cli("validate", link)
    assert time.monotonic() - started < 5
    assert r.code == 1
    assert 'error: File "x.wav" cannot be used: it is not a regular file' in r.out


def test_a_file_that_changes_after_its_check_is_not_uploaded(
    service: Service, tmp_path: Path
) -> None:
    p = write_wav(tmp_path / "moving.wav", 11.0)
    info = inspect(p)
    with open(p, "ab") as f:
        f.write(b"\0" * 1000)
    with pytest.raises(
        InputError, match=re.escape('File "moving.wav" changed after it was checked')
    ):
        Client(service.key, service.url).clone("Moving", [info])
    assert service.faults.seen == []


# -- the network ------------------------------------------------------------------------------

SERVICE_COMMANDS = [
    ["voices", "list"],
    ["voices", "show", "Maya"],
    ["voices", "rename", "Maya", "Maya 2"],
    ["voices", "delete", "Maya", "--yes"],
    ["samples", "list", "Legacy Narrator"],
    ["speak", "Maya", "hello", "-o", "{tmp}/p.wav"],
    ["clone", "--name", "N", "{sample}"],
    ["clone", "--name", "N", "{sample}", "--dry-run"],
    ["add-samples", "Legacy Narrator", "{sample}"],
]


def _argv(argv: list[str], tmp: Path, sample: Path) -> list[str]:
    return [a.format(tmp=tmp, sample=sample) for a in argv]


@pytest.mark.parametrize("argv", SERVICE_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_command_survives_an_html_500(
    cli, service: Service, sample: Path, tmp_path: Path, argv: list[str]
) -> None:
    for method in ("GET", "POST", "PATCH", "DELETE"):
        service.faults.add(
            method,
            "/v1/",
            status=500,
            times=100,
            headers={"Content-Type": "text/html"},
            body=b"<html><title>Internal Server Error</title>" + b"x" * 200_000,
        )
    r = cli(*_argv(argv, tmp_path, sample), "--json")
    assert r.code == 4, r.err
    assert (
        r.json()["errors"][0]["message"]
        == "The service answered 500 X (an HTML page: Internal Server Error)"
    )
    assert "Traceback" not in r.err


@pytest.mark.parametrize("argv", SERVICE_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_command_survives_a_200_that_is_not_json(
    cli, service: Service, sample: Path, tmp_path: Path, argv: list[str]
) -> None:
    for method in ("GET", "POST", "PATCH", "DELETE"):
        service.faults.add(
            method,
            "/v1/",
            status=200,
            times=100,
            body=b"\x89PNG not json",
            headers={"Content-Type": "application/json"},
        )
    r = cli(*_argv(argv, tmp_path, sample))
    assert r.code == 4, r.err
    assert "not JSON" in r.err


def test_every_read_times_out_against_a_stalled_service(cli, service: Service) -> None:
    proxy = BreakingProxy(service.http.port, ["stall"] * 20)
    try:
        started = time.monotonic()
        r = cli("voices", "list", "--api-url", proxy.url, "--timeout", "0.5")
        assert r.code == 4
        assert "no answer within 0.5s" in r.err
        assert time.monotonic() - started < 10  # 4 tries and their backoff, bounded
    finally:
        proxy.close()


def test_allow_insecure_lets_a_remote_http_url_through() -> None:
    with pytest.raises(Exception, match="Refusing to send the API key over plain http"):
        Client(KEY, "http://api.example.com")
    assert (
        Client(KEY, "http://api.example.com", allow_insecure=True).base_url
        == "http://api.example.com"
    )
    assert Client(KEY, "http://[::1]:8080").base_url == "http://[::1]:8080"  # loopback is fine


def test_ctrl_c_during_an_upload_exits_130_promptly(service: Service, tmp_path: Path) -> None:
    big = write_wav(tmp_path / "big.wav", 14.0, 48000, channels=2)
    proxy = BreakingProxy(service.http.port, ["pass", "pass", "slow_read"])  # name, list, upload
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLAND_")}
    env.update(BLAND_API_URL=proxy.url, BLAND_API_KEY=service.key)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bland_clone", "clone", "--name", "Int", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while proxy.received < 100_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.received < big.stat().st_size / 2  # in the middle of the upload
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=10)
        assert time.monotonic() - sent < 3
    finally:
        proc.kill()
        proxy.close()
    assert proc.returncode == 130
    assert err == "Interrupted.\n"  # off a terminal no blank line first
    assert out == ""
    assert service.voices_named("Int") == []


# -- secrets ------------------------------------------------------------------------------------

SECRET = "sk-SECRET-canary-7f3a9c2e5b1d"


def test_the_key_appears_nowhere_on_any_path(cli, tmp_path: Path, sample: Path) -> None:
    svc = Service(SECRET)
    try:
        env = {"BLAND_API_URL": svc.url, "BLAND_API_KEY": SECRET}
        runs = [
            ["clone", "--name", "Leak", sample, "-v"],
            ["clone", "--name", "Leak", sample, "-v", "--json"],  # name taken: a 400
            ["clone", "--name", "Leak2", sample, "--dry-run", "-v"],
            ["clone", "--name", "Leak2", sample, "--dry-run", "--json"],
            ["add-samples", "Legacy Narrator", sample, "-v"],
            ["voices", "list", "-v", "--json"],
            ["voices", "show", "Leak", "-v"],
            ["voices", "rename", "Leak", "Leak3", "-v"],
            ["samples", "list", "Legacy Narrator", "-v"],
            ["speak", "Leak3", "hi", "-o", tmp_path / "p.wav", "-v"],
            ["voices", "delete", "Leak3", "--yes", "-v"],
            ["voices", "show", "Nobody", "-v"],
        ]
        outputs = []
        for argv in runs:
            outputs.append(cli(*argv, env=env))
        svc.faults.add("POST", "/v1/voices/clone", status=500, body=b"boom", times=10)
        outputs.append(cli("clone", "--name", "Leak9", sample, "-v", env=env))
        outputs.append(cli("voices", "list", "-v", env={**env, "BLAND_API_KEY": SECRET + "x"}))
        outputs.append(
            cli("voices", "list", "-v", env={**env, "BLAND_API_URL": "http://127.0.0.1:9"})
        )
        outputs.append(cli("voices", "list", env={**env, "BLAND_API_URL": "http://example.com"}))
    finally:
        svc.close()
    for r in outputs:
        assert SECRET not in r.out and SECRET not in r.err
        assert SECRET[:-4] not in r.out + r.err
    verbose = outputs[0].err
    assert "> Authorization: ****9c2e5b1d"[:-8] in verbose  # masked: only the last four shown
    assert f"> Authorization: ****{SECRET[-4:]}" in verbose


def test_exception_text_never_holds_the_key(service: Service, sample: Path) -> None:
    from bland_clone import BlandCloneError

    client = Client(SECRET, service.url)
    with pytest.raises(BlandCloneError) as info:
        client.list_voices()
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.errors)
    assert SECRET not in repr(client.__dict__.get("_trace"))


# -- the sandbox under load ---------------------------------------------------------------------


def test_many_clients_cloning_and_deleting_at_once(service: Service, tmp_path: Path) -> None:
    files = [inspect(write_wav(tmp_path / f"s{i}.wav", 11.0)) for i in range(2)]
    acknowledged: list[tuple[str, str]] = []
    deleted: set[str] = set()
    refused_taken = []
    lock = threading.Lock()
    stop = time.monotonic() + 20

    def worker(n: int) -> None:
        client = Client(service.key, service.url, timeout=20)
        for i in range(6):
            if time.monotonic() > stop:
                return
            name = f"load {n}-{i}" if i % 3 else "contested"  # every worker also races for one name
            try:
                res = client.clone(name, files[:1])
            except Exception as exc:
                with lock:
                    refused_taken.append(str(exc))
                continue
            with lock:
                acknowledged.append((res.voice_id, res.name))
            if i % 2 and res.name != "contested":
                client.delete_voice(res.voice_id)
                with lock:
                    deleted.add(res.voice_id)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    live = {v.id: v for v in service.state.live()}
    for vid, _name in acknowledged:
        assert (vid in live) != (vid in deleted)  # every acknowledged voice exists unless deleted
    names = [v.name.casefold() for v in live.values() if v.is_custom]
    assert len(names) == len(set(names))  # names stay unique
    assert sum(1 for _, n in acknowledged if n == "contested") == 1
    assert all("Voice name is already taken" in e for e in refused_taken)
    clone_posts = service.posts("/v1/voices/clone")
    assert clone_posts == len(acknowledged) + len(refused_taken)  # no request lost or doubled


def test_ctrl_c_with_json_is_still_one_json_object(service: Service, tmp_path: Path) -> None:
    import json

    big = write_wav(tmp_path / "big.wav", 14.0, 48000, channels=2)
    proxy = BreakingProxy(service.http.port, ["pass", "pass", "slow_read"])  # name, list, upload
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLAND_")}
    env.update(BLAND_API_URL=proxy.url, BLAND_API_KEY=service.key)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bland_clone", "clone", "--name", "J", str(big), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while proxy.received < 100_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proxy.close()
    assert proc.returncode == 130
    assert json.loads(out) == {
        "ok": False,
        "errors": [{"error": "Interrupted", "message": "Interrupted."}],
    }
    assert err == "Interrupted.\n"  # off a terminal no blank line first


@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_during_start_up_is_one_line_not_a_traceback(tmp_path: Path, as_json: bool) -> None:
    """A Ctrl-C while the CLI is still importing (before the run's own handler is in place)
    ends as one at any other moment does: exit 130, 'Interrupted.', with --json one object.
    The interrupt is raised by the import of the CLI's environment, the first thing a run
    imports after the fast paths."""
    script = (
        "import sys\n"
        "class Stop:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'bland_clone.cli.environment':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Stop())\n"
        "from bland_clone.__main__ import run\n"
        "run()\n"
    )
    args = ["validate", "x.wav", *(["--json"] if as_json else [])]
    proc = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 130
    assert "Traceback" not in proc.stderr
    assert proc.stderr == "Interrupted.\n"  # off a terminal no blank line first
    if as_json:
        assert json.loads(proc.stdout) == {
            "ok": False,
            "errors": [{"error": "Interrupted", "message": "Interrupted."}],
        }
        from bland_clone.cli.output import dump_json
        from bland_clone.core.envelope import envelope

        error = {"error": "Interrupted", "message": "Interrupted."}
        assert proc.stdout == dump_json(envelope({}, ok=False, errors=[error])) + "\n"
    else:
        assert proc.stdout == ""


PY_CLI = (sys.executable, "-m", "bland_clone")


def test_ctrl_c_with_json_into_a_closed_pipe_is_still_one_line(tmp_path: Path) -> None:
    """`bland-clone validate takes/ --json | jq` and Ctrl-C: the same Ctrl-C stops jq, so the
    one JSON object meets a closed pipe. Still exit 130 and 'Interrupted.', no traceback (it
    was BrokenPipeError's, exit 1)."""
    takes = tmp_path / "takes"
    takes.mkdir()
    for i in range(40):
        write_wav(takes / f"t{i:02d}.wav", 12.0, 16000)
    read, write = os.pipe()
    os.close(read)  # the reader is gone
    try:
        proc = subprocess.Popen(
            [*PY_CLI, "validate", str(takes), "--each", "--no-cache", "--json"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
        )
    finally:
        os.close(write)
    try:
        time.sleep(1.5)  # imports done, analysing (40 takes of 12 s take seconds)
        assert proc.poll() is None, "the run ended before the interrupt"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert "Traceback" not in err, err[-2000:]
    assert err.strip().endswith("Interrupted.")
    assert proc.returncode == 130

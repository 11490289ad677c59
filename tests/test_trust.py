"""Trust on the wire. Each test drives the real CLI (or the client) against a real
server on 127.0.0.1: the sandbox, behind a fault injector or a TCP proxy where needed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from .conftest import KEY
from .servers import BreakingProxy, HeaderTrickler, Listener, Service, endless, sized, trickle

HTML = {
    "body": b"<html><title>Bad Gateway</title></html>",
    "headers": {"Content-Type": "text/html"},
}


def stock(service: Service, name: str) -> str:
    return next(v.id for v in service.state.live() if v.name == name and not v.is_custom)


# -- 1, 2: never the wrong voice, never twice ------------------------------------------------


def test_a_lost_answer_never_reports_a_stock_voice(cli, service: Service, sample: Path) -> None:
    service.faults.add("POST", "/v1/voices/clone", status=502, **HTML)  # nothing created
    r = cli("clone", "--name", "Maya", sample, "--timeout", "1", "--json")
    assert r.code == 4
    assert stock(service, "Maya") not in r.out + r.err
    assert "whether 'Maya' was created is unknown" in r.json()["errors"][0]["message"]
    assert service.posts("/v1/voices/clone") == 1


def test_a_dropped_answer_reports_the_voice_this_run_made_not_the_stock_one(
    cli, service: Service, sample: Path
) -> None:
    proxy = BreakingProxy(
        service.http.port, ["pass", "pass", "drop_response"]
    )  # name, list, upload
    try:
        r = cli("clone", "--name", "Josh", sample, "--api-url", proxy.url, "--json")
    finally:
        proxy.close()
    assert r.code == 0, r.err
    (mine,) = [v for v in service.voices_named("Josh") if v.is_custom]
    assert r.json()["voice_id"] == mine.id != stock(service, "Josh")
    assert r.json()["recovered"] is True


def test_a_name_the_service_trims_is_recovered(cli, service: Service, sample: Path) -> None:
    service.faults.add("POST", "/v1/voices/clone", status=503, after=True, **HTML)
    r = cli("clone", "--name", "Narr ", sample, "--json")
    assert r.code == 0, r.err
    (voice,) = service.voices_named("Narr")
    assert r.json()["voice_id"] == voice.id
    assert service.posts("/v1/voices/clone") == 1


def test_a_clone_that_outlives_the_timeout_is_never_made_twice(
    cli, service: Service, sample: Path
) -> None:
    # The service takes 4.5 s and lists the voice only when done; the client waits 0.5 s, then
    # looks for 2 s: the outcome is unknown, so it stops (exit 4) instead of uploading again.
    service.faults.add("POST", "/v1/voices/clone", delay=4.5, passthrough=True)
    started = time.monotonic()
    r = cli("clone", "--name", "Slow", sample, "--timeout", "0.5")
    assert r.code == 4
    assert time.monotonic() - started < 4.3
    assert "Check with 'bland-clone voices list' before trying again" in r.err
    time.sleep(max(0.0, 5.2 - (time.monotonic() - started)))
    assert len(service.voices_named("Slow")) == 1
    assert service.posts("/v1/voices/clone") == 1


def test_a_slow_upload_that_makes_progress_outlives_the_timeout(
    cli, service: Service, tmp_path: Path
) -> None:
    from .audiofiles import write_wav

    big = write_wav(tmp_path / "big.wav", 12.0, 48000)  # 1.1 MB at 320 KB/s: about 3.5 s
    proxy = BreakingProxy(service.http.port, ["pass", "pass", "slow_pass"])  # name, list, upload
    try:
        r = cli("clone", "--name", "Slowlink", big, "--api-url", proxy.url, "--timeout", "1.5")
    finally:
        proxy.close()
    assert r.code == 0, r.err
    assert len(service.voices_named("Slowlink")) == 1


def test_a_refused_connection_is_retried_because_nothing_was_sent(
    cli, service: Service, sample: Path
) -> None:
    service.faults.add("POST", "/v1/voices/clone", status=429, headers={"Retry-After": "0"})
    r = cli("clone", "--name", "Twice", sample)
    assert r.code == 0, r.err
    assert service.posts("/v1/voices/clone") == 2
    assert len(service.voices_named("Twice")) == 1


# -- 4, 5: the key only where the user meant -------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://0.0.0.0:{port}\\@127.0.0.1:{port}",
        "http://evil.localhost:{port}",
        "http://user:pw@127.0.0.1:{port}",
        "http://[::1",
        "http://127.0.0.1:99999",
    ],
)
def test_urls_that_could_send_the_key_elsewhere_are_refused(
    cli, service: Service, url: str
) -> None:
    r = cli("voices", "list", "--api-url", url.format(port=service.http.port))
    assert r.code == 2
    assert r.err.startswith("error: ") and r.err.count("\n") == 1
    assert service.faults.seen == []
    assert KEY not in r.err


def test_a_proxy_never_sees_the_key_of_a_plain_http_url(
    cli, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = Listener()
    try:
        monkeypatch.delenv("NO_PROXY", raising=False)
        for var in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(var, proxy.url)
        r = cli("voices", "list", "--json")
    finally:
        proxy.close()
    assert r.code == 0, r.err
    assert proxy.connections == 0 and KEY.encode() not in proxy.received
    assert service.faults.seen[-1][2]["Authorization"] == KEY


def test_over_https_a_proxy_only_tunnels(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = Listener()
    try:
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("BLAND_API_KEY", KEY)
        r = cli("voices", "list", "--api-url", "https://api.example.test", "--timeout", "2")
    finally:
        proxy.close()
    assert r.code == 4
    assert proxy.received.startswith(b"CONNECT api.example.test:443 ")
    assert KEY.encode() not in proxy.received


def test_a_netrc_entry_never_replaces_the_key(cli, service: Service, isolated: Path) -> None:
    netrc = isolated / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    netrc.chmod(0o600)
    r = cli("voices", "list", "--verbose")
    assert r.code == 0, r.err
    assert service.faults.seen[-1][2]["Authorization"] == KEY


def test_a_service_that_echoes_the_key_never_gets_it_printed(cli, service: Service) -> None:
    for _ in range(3):
        service.faults.add("GET", "/v1/voices", status=400, echo_key=True)
    for args in ([], ["--json"], ["--verbose"]):
        r = cli("voices", "list", *args)
        assert r.code == 1
        assert "bad key ****cdef here" in r.out + r.err
        assert KEY not in r.out + r.err


# -- 6, 7: bounded in time and size ----------------------------------------------------------


def test_a_trickled_answer_cannot_hold_a_command(cli, service: Service) -> None:
    for _ in range(4):
        service.faults.add(
            "GET",
            "/v1/voices",
            status=200,
            stream=trickle(60, 0.3),
            headers={"Content-Type": "application/json", "Content-Length": "60"},
        )
    started = time.monotonic()
    r = cli("voices", "list", "--timeout", "0.5")
    took = time.monotonic() - started
    assert r.code == 4
    assert "no answer within 0.5s" in r.err
    # documented: at most (retries + 1) x --timeout, plus 3.5 s of backoff between tries
    assert took < 4 * 0.5 + 3.5 + 2


def test_trickled_headers_cannot_hold_a_command(cli) -> None:
    server = HeaderTrickler()
    started = time.monotonic()
    try:
        r = cli(
            "voices",
            "list",
            "--api-url",
            server.url,
            "--timeout",
            "0.5",
            env={"BLAND_API_KEY": KEY},
        )
    finally:
        server.close()
    assert r.code == 4
    assert "no answer within 0.5s" in r.err
    assert time.monotonic() - started < 4 * 0.5 + 3.5 + 2


@pytest.mark.parametrize("command", ["speak", "samples"])
def test_an_endless_audio_answer_is_cut_at_the_cap_and_leaves_no_file(
    cli, service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    import bland_clone.api.transport as transport

    monkeypatch.setattr(transport, "MAX_AUDIO_BODY", 8 * 1024 * 1024)
    path = "/v2/tts" if command == "speak" else "/v1/voices/"
    method = "POST" if command == "speak" else "GET"
    if command == "samples":
        legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
        sid = legacy.samples[0].id
        path = f"/v1/voices/{legacy.id}/samples/{sid}"  # ?format=audio, and the older /audio
        args = ["samples", "get", "Legacy Narrator", sid]
    else:
        args = ["speak", "Maya", "Hello."]
    service.faults.add(
        method, path, status=200, stream=endless(), headers={"Content-Type": "audio/wav"}
    )
    r = cli(*args, "-o", tmp_path / "out.wav")
    assert r.code == 4, r.err
    assert "is larger than 8 MB; nothing was written" in r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # no file, no temporary


def test_audio_streams_to_disk_not_memory(cli, service: Service, tmp_path: Path) -> None:
    total = 48 * 1024 * 1024
    warm = cli("speak", "Maya", "Hi.", "-o", tmp_path / "warm.wav")  # imports, not measured
    assert warm.code == 0, warm.err
    service.faults.add(
        "POST",
        "/v2/tts",
        status=200,
        stream=sized(total, 256 * 1024),
        headers={"Content-Type": "audio/wav", "Content-Length": str(total)},
    )
    tracemalloc.start()
    try:
        r = cli("speak", "Maya", "Hello.", "-o", tmp_path / "out.wav")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.code == 0, r.err
    assert r.out == (
        f"Wrote {tmp_path / 'out.wav'} ({total} bytes, WAV) in the voice 'Maya' via /v2/tts.\n"
    )
    assert (tmp_path / "out.wav").stat().st_size == total
    assert peak < total / 4  # Python's allocations, the server's own chunks included


def test_a_body_cut_short_leaves_no_file(cli, service: Service, tmp_path: Path) -> None:
    service.faults.add(
        "POST",
        "/v2/tts",
        status=200,
        stream=sized(1000),
        headers={"Content-Type": "audio/wav", "Content-Length": "5000"},
    )
    r = cli("speak", "Maya", "Hello.", "-o", tmp_path / "out.wav")
    assert r.code == 4
    assert "cut off" in r.err
    assert not any(p.name.endswith((".wav", ".part")) for p in tmp_path.iterdir())


# -- 8: files --------------------------------------------------------------------------------


def test_a_path_swapped_for_a_fifo_cannot_hang_the_upload(service: Service, sample: Path) -> None:
    from bland_clone.api.client import Client
    from bland_clone.audio.inspection import inspect
    from bland_clone.core.errors import InputError

    info = inspect(str(sample))
    sample.unlink()
    os.mkfifo(sample)
    started = time.monotonic()
    with pytest.raises(InputError, match="changed after it was checked"):
        Client(KEY, service.url).clone("Fifo", [info])
    assert time.monotonic() - started < 5
    assert service.posts("/v1/voices/clone") == 0


def test_force_never_replaces_a_device_or_a_pipe(cli, service: Service, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    for target in ("/dev/null", str(fifo)):
        r = cli("speak", "Maya", "Hello.", "-o", target, "--force")
        assert r.code == 1
        assert "it is never replaced, even with --force" in r.err
    assert stat.S_ISFIFO(fifo.stat().st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert service.posts("/v1/speak") == 0


def test_prepare_follows_the_umask_and_never_replaces_a_pipe(cli, tmp_path: Path) -> None:
    from .audiofiles import write_wav

    long = write_wav(tmp_path / "long.wav", 20.0)
    old = os.umask(0o077)
    try:
        r = cli("prepare", long, "-o", tmp_path / "out.wav")
    finally:
        os.umask(old)
    assert r.code == 0, r.err
    assert stat.S_IMODE((tmp_path / "out.wav").stat().st_mode) == 0o600
    os.mkfifo(tmp_path / "pipe.wav")
    r = cli("prepare", long, "-o", tmp_path / "pipe.wav", "--force")
    assert r.code == 1 and "never replaced" in r.err
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_written_follow_the_umask(
    cli, service: Service, tmp_path: Path, umask: int, mode: int
) -> None:
    old = os.umask(umask)
    try:
        r = cli("speak", "Maya", "Hello.", "-o", tmp_path / "a.wav")
        legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
        r2 = cli("samples", "get", legacy.id, legacy.samples[0].id, "-o", tmp_path / "b.wav")
    finally:
        os.umask(old)
    assert r.code == 0 and r2.code == 0, r.err + r2.err
    assert stat.S_IMODE((tmp_path / "a.wav").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "b.wav").stat().st_mode) == mode


# -- 9, 10, 12: nothing raw, nothing lost ----------------------------------------------------


def test_escape_sequences_from_the_service_are_shown_escaped(cli, service: Service) -> None:
    evil = service.state.add_voice("Evil\x1b[2J\x9b31m\u202e")
    service.faults.add("DELETE", "/v1/voices/", status=400, body=b"no \x1b]0;pwned\x07 way")
    for args in (["voices", "list"], ["voices", "list", "--json"], ["voices", "show", evil.id]):
        r = cli(*args)
        assert "\x1b" not in r.out + r.err and "\x9b" not in r.out and "\u202e" not in r.out
        assert "\\x1b[2J" in r.out or "\\u001b[2J" in r.out, args
    r = cli("voices", "delete", "Legacy Narrator", "--yes")
    assert r.code == 1
    assert "\x1b" not in r.err and "\\x1b]0;pwned\\x07" in r.err


def test_a_preview_that_cannot_be_written_still_reports_the_voice(
    cli, service: Service, sample: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "previews"
    folder.mkdir()
    # the folder goes away while the voice is being made, after the output was checked
    service.faults.add(
        "POST", "/v1/voices/clone", passthrough=True, action=lambda _h: folder.rmdir()
    )
    r = cli(
        "clone", "--name", "Pv", sample, "--preview", "Hello.", "-o", folder / "p.wav", "--json"
    )
    assert r.code == 0, r.err
    (voice,) = service.voices_named("Pv")
    doc = r.json()
    assert doc["voice_id"] == voice.id and doc["preview"]["ok"] is False
    assert f"The voice {voice.id} was created, but the preview failed" in r.err


def test_ids_that_would_change_the_path_are_refused(cli, service: Service) -> None:
    from bland_clone.sandbox.server import VoiceRecord

    service.state.voices[".."] = VoiceRecord("..", "Dots", "BTTS_V3", tags=["cloned"])
    r = cli("voices", "delete", "Dots", "--yes")
    assert r.code == 1
    assert "Refusing voice id '..'" in r.err
    assert not any(m == "DELETE" for m, _, _ in service.faults.seen)


# -- 13: config set --------------------------------------------------------------------------


def test_concurrent_config_sets_lose_nothing(isolated: Path) -> None:
    env = {**os.environ, "HOME": str(isolated), "XDG_CONFIG_HOME": str(isolated / ".config")}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bland_clone",
                "config",
                "set",
                "api_url",
                f"https://api{i}.example.com",
                "--profile",
                f"p{i}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(12)
    ]
    assert all(p.wait(60) == 0 for p in procs)
    from bland_clone.core.settings import config_path, load_config

    profiles = load_config(config_path(env))["profiles"]
    assert sorted(profiles) == sorted(f"p{i}" for i in range(12))
    leftovers = [p.name for p in config_path(env).parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


# -- 14: the sandbox -------------------------------------------------------------------------


def _raw(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        return s.recv(65536)


def test_the_sandbox_refuses_a_huge_upload_before_reading_it(service: Service) -> None:
    head = (
        "POST /v1/voices/clone HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {KEY}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {1 << 30}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    answer = _raw(service.http.port, head + b"x" * 65536)
    assert answer.startswith(b"HTTP/1.1 413")
    assert time.monotonic() - started < 3


def test_the_sandbox_bounds_its_connections(service: Service) -> None:
    import socket
    import threading

    from bland_clone.sandbox.server import MAX_CONNECTIONS

    before = threading.active_count()
    idle = [socket.create_connection(("127.0.0.1", service.http.port)) for _ in range(60)]
    try:
        time.sleep(0.5)
        assert threading.active_count() - before <= MAX_CONNECTIONS + 8  # not 60
    finally:
        for s in idle:
            s.close()
    time.sleep(0.3)
    answer = _raw(
        service.http.port, f"GET /v1/voices HTTP/1.0\r\nAuthorization: {KEY}\r\n\r\n".encode()
    )
    assert answer.startswith(b"HTTP/1.1 200") or answer.startswith(b"HTTP/1.0 200")


def test_the_sandbox_takes_its_key_from_the_environment(isolated: Path) -> None:
    env = {**os.environ, "BLAND_SANDBOX_KEY": "sk-from-env-0123456789"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bland_clone", "sandbox", "--port", "0", "--no-log"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        assert proc.stdout.readline().strip() == "API key: sk-from-env-0123456789"
    finally:
        proc.terminate()
        proc.wait(10)


# -- speed: a network command imports only what it needs ---------------------------------------


def test_voices_list_imports_no_audio_module_nor_upload_machinery(service: Service) -> None:
    code = (
        "import io, sys, contextlib\n"
        "from bland_clone.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    rc = main(['voices', 'list'])\n"
        "bad = ('bland_clone.audio', 'numpy', 'soundfile', 'requests_toolbelt', 'rich')\n"
        "print(rc, sorted(m for m in sys.modules if m.startswith(bad)))\n"
    )
    env = {**os.environ, "BLAND_API_URL": service.url, "BLAND_API_KEY": KEY}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "0 []", done.stderr


# -- one upload plan: what the dry run shows is what is sent ------------------------------------


def test_the_upload_plan_shows_the_source_and_sends_the_converted_file(
    service: Service, sample: Path, tmp_path: Path
) -> None:
    from dataclasses import replace

    from bland_clone.api.client import Client
    from bland_clone.api.upload import UploadPlan
    from bland_clone.audio.inspection import inspect

    original = tmp_path / "memo.m4a"
    original.write_bytes(b"\0" * 4321)
    sent = replace(
        inspect(str(sample)),
        source=replace(
            inspect(str(sample)), path=str(original), format="M4A", subtype="AAC", size=4321
        ),
    )
    plan = UploadPlan.clone("Converted", [sent], gender="female")
    (described,) = plan.describe(service.url)["files"]
    assert described["path"] == str(sample) and described["format"] == "WAV"
    assert described["source"] == {
        "path": str(original),
        "format": "M4A AAC",
        "size": 4321,
        "duration": 12.0,
    }
    line = plan.lines(service.url)[-1]
    assert line.startswith("  audio_samples=@sample.wav (audio/wav, ")
    assert line.endswith(f"converted from {original} (M4A AAC, 4.2KB, 12.00s)")
    Client(KEY, service.url).send_clone(plan)
    (upload,) = service.state.uploads
    assert upload["fields"] == dict(plan.fields) and upload["filenames"] == ["sample.wav"]
    assert upload["sizes"] == [sample.stat().st_size]

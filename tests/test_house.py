"""Issue 14: what a newcomer trips on, and names that explain themselves (driven through the
real CLI against the sandbox)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bland_clone.sandbox.voice_api import extras

from .audiofiles import write_wav
from .servers import Service


def test_clone_says_cloned_before_the_preview_it_wrote(
    service: Service, sample: Path, tmp_path: Path
) -> None:
    """The voice is the news; the preview follows it (one terminal, both streams in order)."""
    out = tmp_path / "hello.wav"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bland_clone",
            "clone",
            "--name",
            "Ordered",
            str(sample),
            "--preview",
            "Hello.",
            "-o",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout
    assert "Cloned voice 'Ordered'" in proc.stdout and "Preview written to" in proc.stdout
    assert proc.stdout.index("Cloned voice") < proc.stdout.index("Preview written to")
    assert out.stat().st_size > 44


def test_a_dry_run_with_a_taken_name_says_so_once(cli, service: Service, sample: Path) -> None:
    service.state.add_voice("Taken")
    r = cli("clone", "--name", "Taken", sample, "--dry-run")
    assert r.code == 1
    assert r.err.count("already taken") == 1, r.err
    assert r.err.rstrip().endswith("error: Voice name is already taken")
    assert service.posts("/v1/voices/clone") == 0


def test_annotations_is_the_name_and_format_a_hidden_alias(cli, tmp_path: Path) -> None:
    short = write_wav(tmp_path / "short.wav", 0.5)
    line = (
        f"::error file={str(short).replace(':', '%3A')},title=bland-clone::"
        'File "short.wav" is too short (estimated 0.5s). Minimum duration is 1 seconds.'
    )
    for flag in ("--annotations", "--format"):
        r = cli("validate", short, flag, "github")
        assert r.code == 1 and line in r.out.splitlines(), flag
    r = cli("validate", short, "--annotations", "xml")
    assert (r.code, r.err) == (2, "error: --annotations must be text or github, not 'xml'\n")
    for cmd in ("validate", "plan", "apply"):
        shown = cli(cmd, "--help").out
        assert "--annotations text|github" in shown and "--format" not in shown, cmd


def test_one_registry_drives_help_readme_and_exit_codes(cli) -> None:
    """Every command of the registry has a README reference section and is in --help; every exit
    code (5 and 70 included) is in README's table and in --help."""
    from bland_clone.cli.app import COMMANDS, EXIT_CODES
    from bland_clone.errors import ExitCode

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    root = cli("--help").out
    for name, *_ in COMMANDS:
        assert f"### `bland-clone {name}`" in readme, name
        assert f"  {name} " in root, name
    for code in ("prepare", "record", "plan", "export", "models"):
        assert f"### `bland-clone {code}`" in readme
    assert set(EXIT_CODES) == {int(c) for c in ExitCode} | {70}
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in readme
        assert f"  {code:<4} {meaning}" in root


def test_add_samples_dry_run_with_a_key_looks_the_voice_up(
    cli, service: Service, tmp_path: Path
) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    take = write_wav(tmp_path / "take.wav", 11.0)
    r = cli("add-samples", "Legacy Narrator", take, "--dry-run", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert (doc["voice_id"], doc["name"], doc["existing_samples"]) == (
        legacy.id,
        "Legacy Narrator",
        2,
    )
    assert doc["request"]["fields"] == {"voice_id": legacy.id}
    assert len(legacy.samples) == 2 and service.posts("/v1/voices/samples") == 0
    r = cli("add-samples", "Legacy Narrator", take, "--dry-run")
    assert "Dry run: nothing was sent ('Legacy Narrator' has 2 sample(s))." in r.err
    # too many for the voice: refused in the dry run too, before anything is sent
    takes = [write_wav(tmp_path / f"t{i}.wav", 11.0) for i in range(4)]
    r = cli("add-samples", "Legacy Narrator", *takes, "--dry-run")
    assert r.code == 1 and "Voice already has 2 samples" in r.err
    assert service.posts("/v1/voices/samples") == 0


def test_no_key_suggests_a_dry_run_only_where_there_is_one(cli, sample: Path) -> None:
    r = cli("voices", "list")
    assert (r.code, r.err) == (
        3,
        "error: No API key: set BLAND_API_KEY (or a profile's api_key).\n",
    )
    r = cli("add-samples", "Legacy Narrator", sample)
    assert r.code == 3 and r.err.endswith("or use --dry-run to check files without one.\n")


def test_speak_refuses_json_and_audio_on_one_stdout(cli, service: Service) -> None:
    r = cli("speak", "Maya", "Hello.", "-o", "-", "--json")
    assert r.code == 2
    assert r.json()["errors"][0]["message"].startswith("--json and '-o -' both want stdout")
    assert not extras(service.state).generations


def test_the_same_file_twice_in_one_upload_is_said(cli, sample: Path) -> None:
    r = cli("validate", sample, str(sample.parent / "." / sample.name), "--json")
    doc = r.json()
    dup = [w for w in doc["warnings"] if w["code"] == "duplicate_file"]
    assert (
        dup
        and dup[0]["message"] == 'File "sample.wav" is given 2 times; it would be uploaded 2 times.'
    )


def test_the_sandbox_log_is_plain_text_when_redirected(tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    from .servers import closed_port

    port = closed_port()
    log = tmp_path / "log.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    with log.open("w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "bland_clone", "sandbox", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/no/such/path", timeout=10)
            except urllib.error.HTTPError as e:
                assert e.code == 404
        finally:
            server.terminate()
            server.wait(timeout=10)
    text = log.read_text()
    assert '"GET /no/such/path HTTP/1.1" 404' in text
    assert "\x1b[" not in text

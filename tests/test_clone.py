"""bland-clone clone against the sandbox on 127.0.0.1: what reaches the server, what users see."""

from __future__ import annotations

import json
from pathlib import Path

from .audiofiles import write_wav
from .conftest import KEY
from .servers import Service, closed_port


def test_clone_sends_the_documented_multipart_request(cli, service: Service, sample: Path) -> None:
    r = cli("clone", "--name", "Narrator", "--gender", "female", "--description", "warm", sample)
    assert r.code == 0, r.err
    (voice,) = service.voices_named("Narrator")
    assert r.out == f"Cloned voice 'Narrator': {voice.id}\n"
    (upload,) = service.state.uploads
    assert upload["fields"] == {"name": "Narrator", "gender": "female", "description": "warm"}
    assert upload["filenames"] == ["sample.wav"]
    assert upload["sizes"] == [sample.stat().st_size]
    assert voice.service == "BTTS_V3"
    _, _, headers = next(s for s in service.faults.seen if s[1] == "/v1/voices/clone")
    assert headers["Authorization"] == KEY  # the raw key, no "Bearer"
    assert headers["Content-Type"].startswith("multipart/form-data; boundary=")


def test_engine_v2_sends_isbtts_v2_true_and_its_one_file(
    cli, service: Service, tmp_path: Path
) -> None:
    a = write_wav(tmp_path / "a.wav", 11.0)
    b = write_wav(tmp_path / "b.wav", 12.0)
    # Bland's docs: V2 takes exactly 1 WAV file; more is refused before anything is sent
    r = cli("clone", "-n", "Two", "--engine", "v2", a, b)
    assert r.code == 1
    assert (
        "error: The v2 engine takes exactly 1 WAV file; 2 were given."
        f" To choose the best take: bland-clone validate {tmp_path}/ --each ranks them, and "
        f"bland-clone prepare {tmp_path}/ --best -o sample.wav prepares the best.\n" in r.err
    )
    assert r.err.endswith("error: 1 problem found; nothing was uploaded.\n")
    assert service.faults.seen == [] and service.voices_named("Two") == []
    r = cli("clone", "-n", "Two", "--engine", "v2", a, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["ok"] is True and doc["name"] == "Two" and doc["engine"] == "v2"
    assert doc["voice_id"] == service.voices_named("Two")[0].id
    assert doc["errors"] == [] and doc["recovered"] is False
    (upload,) = service.state.uploads
    assert upload["fields"] == {"name": "Two", "isBTTS_V2": "true"}
    assert upload["filenames"] == ["a.wav"]


def test_v3_takes_exactly_one_file_as_the_newest_clone_page_says(
    cli, service: Service, tmp_path: Path
) -> None:
    """The newest clone page: V3 takes "exactly 1 audio file"; more is a Validation Error. The
    same rule in validate, clone, and the sandbox (which refuses the upload on its own)."""
    a = write_wav(tmp_path / "a.wav", 11.0)
    b = write_wav(tmp_path / "b.wav", 12.0)
    message = (
        "error: The v3 engine takes exactly 1 audio file; 2 were given."
        f" To choose the best take: bland-clone validate {a} {b} --each ranks them, and "
        f"bland-clone prepare {a} {b} --best -o sample.wav prepares the best."
    )
    write_wav(tmp_path / "other.wav", 12.0)  # not given: the suggestion names a and b only
    r = cli("validate", a, b, "--no-quality")
    assert r.code == 1 and message in r.out.splitlines()
    r = cli("clone", "-n", "Three", a, b)
    assert r.code == 1 and message in r.err.splitlines()
    assert service.faults.seen == [] and service.voices_named("Three") == []
    r = cli("clone", "-n", "Three", a)
    assert r.code == 0, r.err
    assert "isBTTS_V2" not in service.state.uploads[0]["fields"]


def test_nothing_is_uploaded_when_a_local_check_fails(
    cli, service: Service, tmp_path: Path
) -> None:
    short = write_wav(tmp_path / "short.wav", 0.4)
    r = cli("clone", "--name", "x" * 31, "--gender", "other", short)
    assert r.code == 1
    assert service.faults.seen == []  # not one request
    assert "error: Voice name too long: --name has 31 characters, at most 30." in r.err
    assert "error: Invalid gender: --gender is 'other', not male or female." in r.err
    assert (
        'error: File "short.wav" is too short (estimated 0.4s). Minimum duration is 1 seconds.'
        in r.err
    )
    assert r.err.rstrip().endswith("error: 3 problems found; nothing was uploaded.")
    assert r.out == ""


def test_a_name_error_names_the_option_the_name_came_from(
    cli, service: Service, sample: Path
) -> None:
    """The service's words first, then the option and the limit; JSON keeps the words."""
    r = cli("clone", "--name", "", sample)
    assert r.code == 1 and "error: Voice name is required: --name is empty.\n" in r.err
    r = cli("clone", "-n", "\u00e9" * 20 + "\U0001f600" * 6, sample)  # 32 UTF-16 units
    assert "error: Voice name too long: --name has 32 characters, at most 30." in r.err
    r = cli("clone", "--name", "a\x07b", sample)
    assert "error: Voice name contains control characters (--name).\n" in r.err
    r = cli("validate", sample, "--name", "x" * 40)
    assert "error: Voice name too long: --name has 40 characters, at most 30." in r.out
    assert service.posts("/v1/voices/clone") == 0
    r = cli("voices", "rename", "Josh", "")  # a positional name: the service's words alone
    assert r.code == 1 and r.err == "error: Voice name is required\n"


def test_local_failure_as_json(cli, service: Service, tmp_path: Path) -> None:
    r = cli("clone", "--name", "", write_wav(tmp_path / "a.wav", 11.0), "--json")
    assert r.code == 1
    doc = r.json()
    assert doc["ok"] is False
    assert [e["message"] for e in doc["errors"]] == ["Voice name is required"]
    assert service.faults.seen == []


def test_dry_run_needs_no_key_and_sends_nothing(cli, sample: Path) -> None:
    port = closed_port()
    r = cli(
        "clone",
        "--name",
        "Dry",
        "--gender",
        "male",
        sample,
        "--dry-run",
        env={"BLAND_API_URL": f"http://127.0.0.1:{port}"},
    )
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        f"POST http://127.0.0.1:{port}/v1/voices/clone",
        "Authorization: <API key, not shown>",
        "Content-Type: multipart/form-data",
        "  name=Dry",
        "  gender=male",
        "  audio_samples=@sample.wav (audio/wav, 375.0KB)",
    ]
    assert "Name not checked with the service (no API key" in r.err
    assert "Dry run: nothing was sent." in r.err


def test_dry_run_with_a_key_checks_the_name_but_uploads_nothing(
    cli, service: Service, sample: Path
) -> None:
    service.state.add_voice("Taken")
    r = cli("clone", "--name", "taken", sample, "--dry-run", "--json")
    assert r.code == 1
    doc = r.json()
    assert doc["name_available"] is False
    assert doc["errors"][0]["message"] == "Voice name is already taken"
    assert service.posts("/v1/voices/clone") == 0
    assert KEY not in r.out + r.err

    r = cli("clone", "--name", "Free", sample, "--dry-run", "--json")
    assert r.code == 0
    doc = r.json()
    assert doc["dry_run"] is True and doc["name_available"] is True
    assert doc["request"]["fields"] == {"name": "Free"}
    assert doc["request"]["files"][0]["filename"] == "sample.wav"
    assert service.posts("/v1/voices/clone") == 0


def test_no_key_is_exit_3(cli, sample: Path) -> None:
    r = cli("clone", "--name", "K", sample)
    assert r.code == 3
    assert r.err == (
        "error: No API key: set BLAND_API_KEY (or a profile's api_key), "
        "or use --dry-run to check files without one.\n"
    )


def test_a_wrong_key_is_exit_3_with_the_service_message(
    cli, service: Service, sample: Path
) -> None:
    r = cli(
        "clone", "--name", "K", sample, "--json", env={"BLAND_API_KEY": "sk-wrong-key-1234567890"}
    )
    assert r.code == 3
    assert r.json()["errors"] == [{"error": "Authentication Error", "message": "Invalid token"}]
    assert "sk-wrong-key-1234567890" not in r.out + r.err


def test_service_side_refusals_are_exit_1_with_its_message(
    cli, service: Service, sample: Path
) -> None:
    service.state.add_voice("Dup")
    r = cli("clone", "--name", "Dup", sample)
    assert (r.code, r.err) == (1, "error: Voice name is already taken: --name 'Dup'.\n")
    assert r.err.count("\n") == 1
    service.state.max_voices = service.state.custom_count()
    r = cli("clone", "--name", "Another", sample)
    assert r.code == 1
    assert r.err == "error: You have reached the maximum number of voices for your plan.\n"


def test_processing_error_from_the_service(cli, service: Service, sample: Path) -> None:
    body = json.dumps(
        {
            "status": 400,
            "data": None,
            "errors": [
                {"error": "Processing Error", "message": "Failed to process audio with beige model"}
            ],
        }
    )
    service.faults.add(
        "POST",
        "/v1/voices/clone",
        status=400,
        body=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    r = cli("clone", "--name", "P", sample, "--json")
    assert r.code == 1
    assert r.json()["errors"] == [
        {"error": "Processing Error", "message": "Failed to process audio with beige model"}
    ]


def test_500_envelope_is_exit_4(cli, service: Service, sample: Path) -> None:
    body = json.dumps(
        {
            "status": 500,
            "data": None,
            "errors": [{"error": "Server Error", "message": "Failed to create voice entry"}],
        }
    )
    service.faults.add(
        "POST",
        "/v1/voices/clone",
        status=500,
        body=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    r = cli("clone", "--name", "S", sample)
    assert (r.code, r.err) == (4, "error: Failed to create voice entry\n")


def test_unreachable_service_is_exit_4(cli, sample: Path) -> None:
    port = closed_port()
    r = cli(
        "clone",
        "--name",
        "U",
        sample,
        env={"BLAND_API_URL": f"http://127.0.0.1:{port}", "BLAND_API_KEY": KEY},
    )
    assert r.code == 4
    assert r.err == (
        f"error: Could not reach the service at http://127.0.0.1:{port}: "
        "connection refused or host not found\n"
    )


def test_api_url_flag_beats_the_environment(cli, service: Service, sample: Path) -> None:
    r = cli(
        "clone",
        "--name",
        "Flag",
        sample,
        "--api-url",
        service.url,
        env={"BLAND_API_URL": f"http://127.0.0.1:{closed_port()}"},
    )
    assert r.code == 0, r.err


def test_bland_base_url_is_read_too(cli, service: Service, sample: Path, monkeypatch) -> None:
    monkeypatch.delenv("BLAND_API_URL")
    r = cli("clone", "--name", "Base", sample, env={"BLAND_BASE_URL": service.url})
    assert r.code == 0, r.err


def test_key_is_refused_over_plain_http_to_a_remote_host(cli, sample: Path) -> None:
    r = cli(
        "clone",
        "--name",
        "H",
        sample,
        env={"BLAND_API_URL": "http://api.example.com", "BLAND_API_KEY": KEY},
    )
    assert r.code == 2
    assert "Refusing to send the API key over plain http to api.example.com" in r.err


def test_a_name_with_joiners_is_shown_as_written(cli, service: Service, sample: Path) -> None:
    name = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 Family"
    r = cli("clone", "--name", name, sample)
    assert r.code == 0, r.err
    assert r.out.startswith(f"Cloned voice '{name}': "), r.out
    assert "\\u200d" not in r.out


def test_clone_says_cloned_before_the_preview_it_wrote(
    service: Service, sample: Path, tmp_path: Path
) -> None:
    """The voice is the news; the preview follows it (one terminal, both streams in order)."""
    import os
    import subprocess
    import sys

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
    assert r.err.endswith("error: Voice name is already taken: --name 'Taken'.\n")  # the option
    assert cli("clone", "-n", "Taken", sample, "--dry-run", "--json").json()["errors"] == [
        {"error": "Validation Error", "message": "Voice name is already taken"}  # the service's
    ]
    assert service.posts("/v1/voices/clone") == 0

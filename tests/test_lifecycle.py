"""The rest of a voice's life, end to end against the sandbox: list, show, rename, delete,
samples, speak, previews, and add-samples' look-ups."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest

from bland_clone.core import limits

from .audiofiles import write_wav
from .servers import Service


def test_voices_list_and_cloned_filter(cli, service: Service) -> None:
    mine = service.state.add_voice("Mine")
    r = cli("voices", "list", "--cloned")
    assert r.code == 0, r.err
    rows = [line.split("\t") for line in r.out.splitlines()]
    assert rows[0] == ["ID", "NAME", "ENGINE", "TAGS"]
    assert [row[1] for row in rows[1:]] == ["Legacy Narrator", "Mine"]
    assert rows[2] == [mine.id, "Mine", "BTTS_V3", "cloned"]
    doc = cli("voices", "list", "--json").json()
    assert {v["name"] for v in doc["voices"]} == {"Maya", "Josh", "Legacy Narrator", "Mine"}
    assert set(doc["voices"][0]) == {"id", "name", "service", "description", "tags", "is_custom"}


def test_show_by_name_with_samples(cli, service: Service) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    doc = cli("voices", "show", "legacy narrator", "--json").json()
    assert doc["voice"]["id"] == legacy.id
    assert [s["id"] for s in doc["samples"]] == [s.id for s in legacy.samples]
    r = cli("voices", "show", legacy.id)
    assert f"Id:\t{legacy.id}" in r.out and "Samples:\t2" in r.out


def test_unknown_and_ambiguous_names_are_clear_errors(cli, service: Service) -> None:
    r = cli("voices", "show", "Nobody")
    assert (r.code, r.err) == (1, "error: No voice with id or name 'Nobody'.\n")
    a = service.state.add_voice("Twin")
    b = service.state.add_voice("Twin")  # the service refuses this; old data may not
    r = cli("voices", "show", "Twin")
    assert r.code == 1
    assert r.err == (
        f"error: Voice name 'Twin' is ambiguous; it matches: Twin ({a.id}), Twin ({b.id}). "
        "Use an id.\n"
    )


def test_rename_checks_the_name_locally_first(cli, service: Service) -> None:
    v = service.state.add_voice("Before")
    r = cli("voices", "rename", "Before", "y" * 31)
    assert (r.code, r.err) == (1, "error: Voice name too long\n")
    assert not any(m == "PATCH" for m, _, _ in service.faults.seen)
    r = cli("voices", "rename", "Before", "After", "--json")
    assert r.code == 0
    assert r.json() == {
        "ok": True,
        "voice_id": v.id,
        "name": "After",
        "old_name": "Before",
        "errors": [],
    }
    assert v.name == "After"
    service.state.add_voice("Other")
    r = cli("voices", "rename", "After", "other")
    assert (r.code, r.err) == (1, "error: Voice name is already taken\n")


def test_delete_off_a_terminal_needs_yes(cli, service: Service) -> None:
    v = service.state.add_voice("Doomed")
    r = cli("voices", "delete", "Doomed")  # pytest's stdin is not a terminal
    assert r.code == 2
    assert r.err == (
        "error: Refusing to delete without --yes: standard input is not a terminal to confirm on.\n"
    )
    assert not v.deleted and service.faults.seen == []
    r = cli("voices", "delete", "Doomed", "--yes", "--json")
    assert r.code == 0
    assert r.json()["deleted"] == [{"id": v.id, "name": "Doomed"}]
    assert v.deleted
    assert cli("voices", "show", v.id).code == 1


def test_delete_resolves_every_voice_before_deleting_any(cli, service: Service) -> None:
    v = service.state.add_voice("Keep")
    r = cli("voices", "delete", "Keep", "Ghost", "--yes")
    assert r.code == 1
    assert "No voice with id or name 'Ghost'" in r.err
    assert not v.deleted


def test_samples_list_and_get(cli, service: Service, tmp_path: Path) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    r = cli("samples", "list", "Legacy Narrator", "--json")
    assert [s["id"] for s in r.json()["samples"]] == [s.id for s in legacy.samples]
    out = tmp_path / "s.wav"
    sid = legacy.samples[0].id
    r = cli("samples", "get", "Legacy Narrator", sid, "-o", out)
    assert r.code == 0, r.err
    assert out.read_bytes() == legacy.samples[0].audio
    r = cli("samples", "get", "Legacy Narrator", sid, "-o", out)
    assert (r.code, r.err) == (1, f"error: {out} exists; use --force to overwrite it.\n")
    assert cli("samples", "get", "Legacy Narrator", sid, "-o", out, "--force").code == 0
    r = cli("samples", "get", "Legacy Narrator", "nope", "-o", tmp_path / "x.wav")
    assert r.code == 1 and "has no sample 'nope'" in r.err


def test_v3_voices_expose_no_samples(cli, service: Service) -> None:
    service.state.add_voice("Fresh")
    r = cli("samples", "list", "Fresh")
    assert r.code == 0
    assert r.err == "'Fresh' has no samples the service exposes (BTTS_V3 voice).\n"


def test_speak_writes_a_wav(cli, service: Service, tmp_path: Path) -> None:
    out = tmp_path / "preview.wav"
    r = cli("speak", "Maya", "Hello there.", "-o", out, "--format", "pcm_16000")
    assert r.code == 0, r.err
    with wave.open(str(out)) as w:
        assert w.getframerate() == 16000 and w.getnframes() > 0


def test_speak_refuses_text_over_the_limit_locally(cli, service: Service, tmp_path: Path) -> None:
    """The limit is /v1/models' max_characters (1,000 on the pages), read before speaking;
    1,000 when /v1/models does not answer. Nothing is spoken past it."""
    text = "a" * (limits.SPEAK_TEXT_MAX_CHARS + 1)
    r = cli("speak", "Maya", text, "-o", tmp_path / "p.wav")
    assert (r.code, r.err) == (
        1,
        "error: Text is too long (1001 characters). Maximum is 1000 characters.\n",
    )
    assert not [p for m, p, _ in service.faults.seen if m == "POST"]
    assert not (tmp_path / "p.wav").exists()
    from bland_clone.sandbox.voice_api import extras

    extras(service.state).max_characters = 1200  # the service's own word decides
    assert cli("speak", "Maya", text, "-o", tmp_path / "p.wav").code == 0
    service.faults.add("GET", "/v1/models", status=404, body=b"Not found")
    r = cli("speak", "Maya", text, "-o", tmp_path / "q.wav")
    assert r.code == 1 and "Maximum is 1000 characters." in r.err


def test_clone_with_a_preview(cli, service: Service, sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "hello.wav"
    r = cli("clone", "--name", "Previewed", sample, "--preview", "Hello.", "-o", out, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["preview"] == {
        "ok": True,
        "played": False,
        "path": str(out),
        "bytes": out.stat().st_size,
        "format": "pcm_24000",
        "file_format": "WAV",
        "endpoint": "/v2/tts",
        "model": "btts-3",
        "cost": None,
    }
    with wave.open(str(out)) as w:
        assert w.getnframes() > 0


def test_clone_preview_problems_are_found_before_the_upload(
    cli, service: Service, sample: Path, tmp_path: Path
) -> None:
    out = tmp_path / "exists.wav"
    out.write_bytes(b"x")
    r = cli("clone", "--name", "P2", sample, "--preview", "Hi", "-o", out)
    assert r.code == 1 and "exists; use --force" in r.err
    r = cli("clone", "--name", "P2", sample, "--preview", "Hi")
    assert (r.code, r.err) == (
        2,
        "error: --preview needs --output FILE for the audio; see 'bland-clone clone -h'.\n",
    )
    assert service.posts("/v1/voices/clone") == 0


def test_add_samples_to_a_v1_voice(cli, service: Service, tmp_path: Path) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    take = write_wav(tmp_path / "take.wav", 11.0)
    r = cli("add-samples", "Legacy Narrator", take, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["voice_id"] == legacy.id and doc["existing_samples"] == 2
    assert len(doc["samples"]) == 1 and len(legacy.samples) == 3
    assert service.state.uploads[-1]["fields"] == {"voice_id": legacy.id}
    assert service.state.uploads[-1]["filenames"] == ["take.wav"]


def test_add_samples_refuses_to_pass_five_before_uploading(
    cli, service: Service, tmp_path: Path
) -> None:
    takes = [write_wav(tmp_path / f"t{i}.wav", 11.0) for i in range(4)]
    r = cli("add-samples", "Legacy Narrator", *takes)
    assert r.code == 1
    assert (
        "error: Cannot add 4 sample(s). Voice already has 2 samples. "
        "Maximum allowed is 5 samples per voice."
    ) in r.err
    assert service.posts("/v1/voices/samples") == 0


def test_add_samples_to_a_v3_voice_stops_before_uploading(
    cli, service: Service, sample: Path
) -> None:
    service.state.add_voice("Modern")
    r = cli("add-samples", "Modern", sample)
    assert r.code == 1
    assert r.err.startswith("error: Adding samples is only supported for BTTS voices: 'Modern' ")
    assert "Clone a new voice with the new sample instead" in r.err
    assert service.posts("/v1/voices/samples") == 0


def test_add_samples_dry_run_is_offline(cli, sample: Path) -> None:
    r = cli(
        "add-samples",
        "some-id",
        sample,
        "--dry-run",
        "--json",
        env={"BLAND_API_URL": "http://127.0.0.1:9"},
    )
    assert r.code == 0
    doc = r.json()
    assert doc["request"]["url"] == "http://127.0.0.1:9/v1/voices/samples"
    assert doc["request"]["fields"] == {"voice_id": "some-id"}


@pytest.mark.parametrize(
    "argv", [["voices", "list"], ["voices", "show", "x"], ["samples", "list", "x"]]
)
def test_read_commands_fail_cleanly_on_html_502(cli, service: Service, argv: list[str]) -> None:
    service.faults.add(
        "GET",
        "/v1/voices",
        status=502,
        times=10,
        body=b"<html><title>Bad Gateway</title></html>",
        headers={"Content-Type": "text/html"},
    )
    r = cli(*argv, "--json")
    assert r.code == 4
    assert (
        r.json()["errors"][0]["message"] == "The service answered 502 X (an HTML page: Bad Gateway)"
    )
    assert io.StringIO(r.out).read().count("\n{") == 0  # one object


def test_python_api_get_voice_by_id_and_name(service: Service) -> None:
    from bland_clone import Client, NotFoundError

    v = service.state.add_voice("Api Voice")
    client = Client(service.key, service.url)
    assert client.get_voice(v.id).name == "Api Voice"
    assert client.get_voice("Api Voice").id == v.id  # GET /v1/voices/{id} takes a name too
    with pytest.raises(NotFoundError, match="Voice not found"):
        client.get_voice("no-such-voice")


def test_speak_to_stdout_writes_only_the_wav(service: Service) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("BLAND_")}
    env.update(BLAND_API_URL=service.url, BLAND_API_KEY=service.key)
    proc = subprocess.run(
        [sys.executable, "-m", "bland_clone", "speak", "Maya", "Hi.", "-o", "-"],
        capture_output=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout[:4] == b"RIFF" and proc.stdout[8:12] == b"WAVE"
    with wave.open(io.BytesIO(proc.stdout)) as w:
        assert w.getnframes() > 0
    assert proc.stderr == b""

"""Findings from testing the merged code: each drives the real CLI and checks what a user sees."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .audiofiles import write_wav
from .ptys import run_on_pty
from .servers import Service


def test_prepare_to_a_missing_or_read_only_folder_says_so(cli, tmp_path: Path) -> None:
    src = write_wav(tmp_path / "speech.wav", 12.0)
    missing = tmp_path / "nodir" / "x.wav"
    for extra in ([], ["--best"]):
        r = cli("prepare", src, "-o", missing, *extra)
        assert (r.code, r.err) == (
            1,
            f"error: Cannot write {missing}: folder {missing.parent} does not exist.\n",
        ), r.err
        r = cli("prepare", src, "-o", missing, "--json", *extra)
        assert r.code == 1 and "does not exist" in r.json()["errors"][0]["message"]
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        r = cli("prepare", src, "-o", ro / "x.wav")
        assert (r.code, r.err) == (
            1,
            f"error: Cannot write {ro / 'x.wav'}: folder {ro} is not writable.\n",
        )
    assert not missing.parent.exists()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_a_converted_sample_is_locked_by_its_manifest_path(
    cli, service: Service, tmp_path: Path
) -> None:
    (tmp_path / "samples").mkdir()
    wav = write_wav(tmp_path / "x-src.wav", 12.0)
    m4a = tmp_path / "samples" / "x.m4a"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", wav, "-c:a", "aac", m4a], check=True
    )
    m = tmp_path / "voices.toml"
    m.write_text('[[voice]]\nname = "Memo"\nsamples = ["samples/x.m4a"]\n')
    r = cli("apply", m, "--yes")
    assert r.code == 0, r.err
    lock = (tmp_path / "voices.lock").read_text()
    sha = hashlib.sha256(m4a.read_bytes()).hexdigest()
    assert f'{{ file = "samples/x.m4a", sha256 = "{sha}" }}' in lock, lock
    assert tempfile.gettempdir() not in lock
    r = cli("apply", m, "--yes")
    assert r.code == 0, r.err
    assert (tmp_path / "voices.lock").read_text() == lock
    assert service.posts("/v1/voices/clone") == 1
    r = cli("plan", m, "--detailed-exitcode", "--json")
    assert r.code == 0, r.out
    assert [v["action"] for v in r.json()["voices"] if v["name"] == "Memo"] == ["nothing"]


def test_ctrl_c_at_a_prompt_is_interrupted_130(service: Service) -> None:
    v = service.state.add_voice("Asked")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLAND_", "NO_COLOR"))}
    env.update(BLAND_API_URL=service.url, BLAND_API_KEY=service.key, TERM="xterm", COLUMNS="120")
    code, screen, sent = run_on_pty(
        ["-m", "bland_clone", "voices", "delete", "Asked"], env, answer=b"\x03", controlling=True
    )
    assert sent, screen
    assert code == 130, screen
    assert "Interrupted." in screen and "Aborted" not in screen
    assert not v.deleted


def test_prepare_writes_only_wav_names(cli, tmp_path: Path) -> None:
    src = write_wav(tmp_path / "speech.wav", 12.0)
    for extra in ([], ["--best"]):
        r = cli("prepare", src, "-o", tmp_path / "x.mp3", *extra)
        assert (r.code, r.err) == (
            2,
            f"error: prepare writes WAV: name the output {tmp_path / 'x'}.wav, not .mp3.\n",
        )
        assert not (tmp_path / "x.mp3").exists()
    r = cli("prepare", src, "-o", tmp_path / "x.WAV")
    assert r.code == 0, r.err


def test_samples_get_warns_when_the_name_says_another_format(
    cli, service: Service, tmp_path: Path
) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    sid = legacy.samples[0].id
    out = tmp_path / "s.mp3"
    r = cli("samples", "get", "Legacy Narrator", sid, "-o", out)
    assert r.code == 0, r.err
    assert out.read_bytes()[:4] == b"RIFF"  # what the service sent, unchanged
    assert f"warning: {out} holds WAV audio (what the service sent), not MP3: name it " in r.err
    r = cli("samples", "get", "Legacy Narrator", sid, "-o", tmp_path / "s.wav")
    assert r.code == 0 and "warning" not in r.err


def test_a_silent_file_is_no_speech_found(cli, tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(12 * 16000, dtype="int16"), 16000, subtype="PCM_16")
    msg = 'error: File "silent.wav": no speech found (the recording is silent)'
    r = cli("validate", silent)
    assert r.code == 1 and msg in r.out, r.out
    assert "dBFS" not in r.out and "of silence at the start" not in r.out
    good = write_wav(tmp_path / "good.wav", 12.0)
    r = cli("validate", silent, good, "--each", "--json")
    doc = r.json()
    assert doc["best"] == str(good)
    rows = {Path(f["path"]).name: f for f in doc["files"]}
    assert rows["silent.wav"]["verdict"] == "error", rows["silent.wav"]
    r = cli("validate", silent, "--each")
    assert r.code == 1 and "No take would be accepted." in r.err


def test_validate_reports_every_input_and_an_empty_folder_among_them(cli, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.wav"
    os.mkfifo(fifo)
    empty = tmp_path / "emptydir"
    empty.mkdir()
    other = write_wav(tmp_path / "other.wav", 12.0)
    r = cli("validate", fifo, empty, other)
    assert r.code == 1
    assert 'error: File "fifo.wav" cannot be used: it is not a regular file' in r.out
    assert f"error: Folder {empty} holds no audio files." in r.out
    # and, as one v3 upload, one file too many (the newest clone page: exactly 1)
    assert r.err == "error: 3 problems found; these files would be refused.\n"
    r = cli("validate", fifo, empty, other, "--json")
    assert [e.get("file") for e in r.json()["errors"]] == [None, str(fifo), str(empty)]


def test_speak_checks_the_output_can_be_created_before_the_charged_request(
    cli, service: Service
) -> None:
    r = cli("speak", "Maya", "Hi", "-o", "/proc/x.wav")
    assert r.code == 1 and r.err.startswith("error: Cannot write /proc/x.wav: "), r.err
    assert not [p for m, p, _ in service.faults.seen if p in ("/v2/tts", "/v1/speak")]
    assert not [n for n in os.listdir("/proc") if n.startswith(".x.wav")]


def test_speak_to_stdout_on_a_terminal_is_refused(service: Service) -> None:
    from .test_terminal import _env, run_on_tty

    code, screen = run_on_tty(["speak", "Maya", "Hi", "-o", "-"], _env(service))
    assert code == 2, screen
    assert "Refusing to write audio to a terminal: redirect it" in screen and "RIFF" not in screen
    assert not [p for m, p, _ in service.faults.seen if p in ("/v2/tts", "/v1/speak")]


def test_prepare_names_both_same_name_inputs_and_creates_nothing(cli, tmp_path: Path) -> None:
    a = write_wav(tmp_path / "a.wav", 12.0)
    (tmp_path / "d").mkdir()
    b = write_wav(tmp_path / "d" / "a.wav", 12.0)
    out = tmp_path / "out"
    r = cli("prepare", a, b, "-o", f"{out}/")
    assert (r.code, r.err) == (
        2,
        f"error: Two inputs have the same name: {a} and {b} would both write {out / 'a.wav'}; "
        "rename one, or prepare them separately.\n",
    )
    assert not out.exists()


@pytest.mark.parametrize("flag", ["--start", "--end"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_prepare_refuses_a_start_or_end_that_is_not_a_time(
    cli, tmp_path: Path, flag: str, value: str
) -> None:
    src = write_wav(tmp_path / "s.wav", 12.0)
    r = cli("prepare", src, "-o", tmp_path / "o.wav", flag, value)
    assert (r.code, r.err) == (
        2,
        f"error: {flag} must be a time in seconds (a finite number), not {value}\n",
    )
    assert not (tmp_path / "o.wav").exists()


def test_a_cut_off_answer_is_said_in_words(cli, service: Service, tmp_path: Path) -> None:
    from .servers import sized

    service.faults.add(
        "POST",
        "/v2/tts",
        status=200,
        stream=sized(1000),
        headers={"Content-Type": "audio/wav", "Content-Length": "5000"},
    )
    r = cli("speak", "Maya", "Hello.", "-o", tmp_path / "out.wav")
    assert (r.code, r.err) == (
        4,
        "error: The service's answer was cut off: "
        "the connection closed before the whole answer arrived\n",
    )


def test_a_name_with_joiners_is_shown_as_written(cli, service: Service, sample: Path) -> None:
    name = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 Family"
    r = cli("clone", "--name", name, sample)
    assert r.code == 0, r.err
    assert r.out.startswith(f"Cloned voice '{name}': "), r.out
    assert "\\u200d" not in r.out


def test_voices_show_says_what_samples_list_says(cli, service: Service, sample: Path) -> None:
    assert cli("clone", "--name", "One", sample).code == 0
    r = cli("voices", "show", "One")
    assert r.code == 0, r.err
    assert "Samples:\tnone the service exposes\n" in r.out and "Samples:\t0" not in r.out
    r = cli("samples", "list", "One")
    assert "has no samples the service exposes" in r.err
    r = cli("voices", "show", "Legacy Narrator")
    assert "Samples:\t" in r.out and "none" not in r.out.split("Samples:\t")[1].split("\n")[0]


def test_an_empty_no_color_keeps_colour(sample: Path) -> None:
    from .test_terminal import run_on_tty

    env = dict(os.environ, NO_COLOR="", TERM="xterm-256color", COLUMNS="160")
    code, screen = run_on_tty(["validate", str(sample)], env)
    assert code == 0
    assert "\x1b[" in screen and ("│" in screen or "┃" in screen)  # no-color.org: non-empty only


def test_an_api_url_ending_in_v1_gets_a_hint(cli, service: Service) -> None:
    r = cli("voices", "list", "--api-url", f"{service.url}/v1")
    assert r.code == 1
    assert r.err.endswith(
        "(the API URL ends in /v1: bland-clone adds /v1 itself; leave it out)\n"
    ), r.err
    assert "Not found" in r.err


def test_empty_listings_and_a_shared_name_say_what_to_do(cli, service: Service) -> None:
    r = cli("voices", "list", "--language", "zz")
    assert (r.code, r.out, r.err) == (0, "", "No voices match.\n")
    assert cli("voices", "list", "--language", "zz", "--json").json()["voices"] == []
    r = cli("voices", "add-shared", "Ava")
    assert r.code == 1
    assert r.err.endswith("(add-shared takes a voice's id, from 'bland-clone voices shared')\n"), (
        r.err
    )


def test_every_error_line_says_error_in_lower_case(
    cli, service: Service, sample: Path, tmp_path: Path
) -> None:
    assert cli("clone", "--name", "Three", sample).code == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("x = [\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (
        ["add-samples", "Three", sample],
        ["plan", bad],
        ["prepare", empty, "-o", tmp_path / "o.wav"],
    ):
        r = cli(*args)
        assert r.code != 0 and r.err.startswith("error: "), (args, r.err)
        assert "Error:" not in r.err + r.out, (args, r.err)

"""bland-clone validate: offline, every problem of every file, stable plain text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from .audiofiles import write_sparse_wav, write_wav

MB = 1024 * 1024


def test_a_good_file_passes_with_a_stable_plain_report(cli, sample: Path) -> None:
    r = cli("validate", sample)
    assert r.code == 0
    assert r.out == (
        "FILE\tFORMAT\tDURATION\tSIZE\tRATE\tCHANNELS\tVERDICT\n"
        f"{sample}\tWAV PCM_16\t12.00s\t375.0KB\t16000\t1\tok\n"
    )
    assert r.err == "1 file OK.\n"
    assert "\x1b[" not in r.out + r.err  # no colour off a terminal


def test_every_problem_of_every_file_in_one_run(cli, tmp_path: Path) -> None:
    big = write_sparse_wav(tmp_path / "big.wav", int(12.5 * MB))  # also 409 s long
    short = write_wav(tmp_path / "short.wav", 0.5)
    long_ = write_wav(tmp_path / "long.wav", 75.3, 8000)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp3"
    text.write_text("not audio")
    r = cli("validate", big, short, long_, empty, text, tmp_path / "missing.wav")
    assert r.code == 1
    lines = r.out.splitlines()
    problems = [x for x in lines if x.startswith(("error:", "warning:"))]
    assert problems == [
        "error: The v3 engine takes exactly 1 audio file; 6 were given. To choose the best "
        f"take: bland-clone validate {tmp_path}/ --each ranks them, and bland-clone prepare "
        f"{tmp_path}/ --best -o sample.wav prepares the best.",
        'error: File "big.wav" is too large (12.5MB). Maximum allowed size is 10MB.'
        f" Keep its best 10-15 s with: bland-clone prepare {big} -o sample.wav",
        'error: File "big.wav" is too long (estimated 409.6s). Maximum duration is 60 seconds.'
        f" Keep its best 10-15 s with: bland-clone prepare {big} -o sample.wav",
        'error: File "short.wav" is too short (estimated 0.5s). Minimum duration is 1 seconds.',
        'error: File "long.wav" is too long (estimated 75.3s). Maximum duration is 60 seconds.'
        f" Keep its best 10-15 s with: bland-clone prepare {long_} -o sample.wav",
        'error: File "empty.wav" cannot be used: it is empty',
        'error: File "notes.mp3" cannot be used: it is not audio that can be read '
        "(format not recognised)",
        'error: File "missing.wav" cannot be used: no such file',
    ]
    assert r.err == "error: 8 problems found; these files would be refused.\n"
    verdicts = [x.split("\t")[-1] for x in lines[1:7]]
    assert verdicts == ["error"] * 6


def test_total_upload_size(cli, tmp_path: Path) -> None:
    files = [write_sparse_wav(tmp_path / f"f{i}.wav", 9 * MB, rate=96000) for i in range(3)]
    r = cli("validate", *files, "--engine", "v2")
    assert r.code == 1
    (total,) = [x for x in r.out.splitlines() if "Total upload size" in x]
    # the service's words, then the way out
    assert total.startswith(
        "error: Total upload size is too large (27.0MB). Maximum allowed total size is 25MB. "
        "Keep the best 10-15 s of each with: bland-clone prepare "
    )
    assert "after conversion" not in total  # nothing was converted
    assert "too large (9.0MB)" not in r.out  # each file alone is within 10MB


def test_name_and_gender_checks(cli, sample: Path) -> None:
    r = cli("validate", sample, "--name", "x" * 31, "--gender", "robot")
    assert r.code == 1
    lines = r.out.splitlines()
    assert "error: Voice name too long: --name has 31 characters, at most 30." in lines
    assert "error: Invalid gender: --gender is 'robot', not male or female." in lines


def test_warnings_do_not_fail(cli, tmp_path: Path) -> None:
    a = write_wav(tmp_path / "a.wav", 4.0)
    r = cli("validate", a)
    assert r.code == 0
    assert (
        'warning: File "a.wav": the take is 4.0s long (first word to last, pauses included); '
        "10-15 seconds of clear speech is recommended: record a longer take." in r.out
    )
    assert r.err == "1 file OK, 1 warning.\n"


def test_a_folder_is_its_audio_files(cli, tmp_path: Path) -> None:
    d = tmp_path / "takes"
    d.mkdir()
    write_wav(d / "one.wav", 11.0)
    (d / "readme.txt").write_text("x")
    r = cli("validate", d, "--json")
    assert r.code == 0
    assert [f["name"] for f in r.json()["files"]] == ["one.wav"]


def test_json_report_schema(cli, sample: Path, tmp_path: Path) -> None:
    short = write_wav(tmp_path / "short.wav", 0.5)
    r = cli("validate", sample, short, "--json", "--engine", "v2")
    assert r.code == 1
    doc = json.loads(r.out)  # exactly one JSON object
    assert doc["ok"] is False
    first, *rest = doc["errors"]
    assert first["message"].startswith(
        "The v2 engine takes exactly 1 WAV file; 2 were given. To choose the best take: "
    )
    assert (first["code"], first["severity"]) == ("engine_files", "error")
    assert rest == [
        {
            "message": 'File "short.wav" is too short (estimated 0.5s). '
            "Minimum duration is 1 seconds.",
            "code": "too_short",
            "severity": "error",
            "file": str(short),
        },
    ]
    f0 = doc["files"][0]
    assert {
        k: f0[k] for k in ("name", "format", "duration", "samplerate", "channels", "verdict")
    } == {
        "name": "sample.wav",
        "format": "WAV",
        "duration": 12.0,
        "samplerate": 16000,
        "channels": 1,
        "verdict": "ok",
    }
    assert doc["files"][1]["verdict"] == "error"
    assert r.err.startswith("error: 2 problems found")


def test_quiet_prints_nothing_but_errors(cli, sample: Path, tmp_path: Path) -> None:
    assert cli("validate", sample, "-q").out == ""
    r = cli("validate", tmp_path / "nope.wav", "-q")
    assert (r.code, r.out) == (1, "")
    lines = r.err.splitlines()  # the file's own error, then the summary: no table, no warning
    assert len(lines) == 2 and lines[0].startswith('error: File "nope.wav"'), r.err
    assert lines[1] == "error: 1 problem found; these files would be refused."


def test_validate_needs_no_key_and_no_network(cli, sample: Path) -> None:
    # BLAND_API_URL points nowhere reachable: validate must not care.
    r = cli("validate", sample, env={"BLAND_API_URL": "http://192.0.2.1:9"})
    assert r.code == 0


def test_no_quality_reads_headers_only(cli, tmp_path: Path) -> None:
    a = write_wav(tmp_path / "a.wav", 4.0)
    r = cli("validate", a, "--no-quality", "--json")
    assert r.code == 0
    doc = r.json()
    assert doc["warnings"][0]["message"] == (
        'File "a.wav" is 4.0s long; 10-15 seconds of clear speech is recommended.'
    )
    assert "quality" not in doc["files"][0]


def test_a_silent_file_is_no_speech_found(cli, tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(12 * 16000, dtype="int16"), 16000, subtype="PCM_16")
    r = cli("validate", silent)
    assert r.code == 1
    (line,) = [x for x in r.out.splitlines() if x.startswith("error: ")]
    assert '"silent.wav"' in line and "no speech found" in line and "silent" in line, r.out
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
    import os

    fifo = tmp_path / "fifo.wav"
    os.mkfifo(fifo)
    empty = tmp_path / "emptydir"
    empty.mkdir()
    other = write_wav(tmp_path / "other.wav", 12.0)
    r = cli("validate", fifo, empty, other)
    assert r.code == 1
    errors = [x for x in r.out.splitlines() if x.startswith("error: ")]
    assert len(errors) == 3, r.out
    # as one v3 upload, one file too many (the newest clone page: exactly 1)
    assert "takes exactly 1" in errors[0]
    assert '"fifo.wav"' in errors[1] and "not a regular file" in errors[1]
    assert str(empty) in errors[2] and "holds no audio files" in errors[2]
    assert r.err.startswith("error: 3 problems found") and r.err.count("\n") == 1, r.err
    r = cli("validate", fifo, empty, other, "--json")
    assert [e.get("file") for e in r.json()["errors"]] == [None, str(fifo), str(empty)]


def test_annotations_is_the_name_and_format_a_hidden_alias(cli, tmp_path: Path) -> None:
    short = write_wav(tmp_path / "short.wav", 0.5)
    line = (  # the service's words for a short file, as a GitHub annotation
        f"::error file={str(short).replace(':', '%3A')},title=bland-clone::"
        'File "short.wav" is too short (estimated 0.5s). Minimum duration is 1 seconds.'
    )
    for flag in ("--annotations", "--format"):
        r = cli("validate", short, flag, "github")
        assert r.code == 1 and line in r.out.splitlines(), flag
    r = cli("validate", short, "--annotations", "xml")
    assert r.code == 2
    (said,) = r.err.splitlines()
    assert said.startswith("error: --annotations ") and "text or github" in said, r.err
    assert "'xml'" in said
    for cmd in ("validate", "plan", "apply"):
        shown = cli(cmd, "--help").out
        assert "--annotations text|github" in shown and "--format" not in shown, cmd


def test_the_same_file_twice_in_one_upload_is_said(cli, sample: Path) -> None:
    r = cli("validate", sample, str(sample.parent / "." / sample.name), "--json")
    doc = r.json()
    (dup,) = [w for w in doc["warnings"] if w["code"] == "duplicate_file"]
    assert '"sample.wav"' in dup["message"] and "given 2 times" in dup["message"]
    assert "uploaded 2 times" in dup["message"]

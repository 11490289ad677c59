"""File sizes as the tables show them, and an upload's size and count limits: the service's words,
then what the files are made of and the way out, with nothing sent."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile as sf

from bland_clone.core.units import fmt_size

from .audiofiles import speech_like, write_wav
from .servers import Service


def test_sizes_under_a_kilobyte_are_shown_in_bytes(cli, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.wav"
    tiny.write_bytes(b"RIFF" + b"\0" * 21)  # 25 bytes, not "0.0KB"
    r = cli("validate", tiny)
    assert r.code == 1
    row = r.out.splitlines()[1].split("\t")
    assert row[0] == str(tiny) and row[3] == "25B"
    assert [fmt_size(n) for n in (0, 1023, 1024, 1536, 1048575, int(26.6 * 1024 * 1024))] == [
        "0B",
        "1023B",
        "1.0KB",
        "1.5KB",
        "1.0MB",
        "26.6MB",
    ]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_memos_too_large_after_conversion_say_so_and_the_way_out(
    cli, service: Service, tmp_path: Path
) -> None:
    sf.write(tmp_path / "long.wav", speech_like(58.0, 48000), 48000)
    first = tmp_path / "memo0.m4a"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-i",
            tmp_path / "long.wav",
            "-c:a",
            "aac",
            "-b:a",
            "48k",
            first,
        ],
        check=True,
    )
    memos = [first]
    for i in range(1, 5):  # five memos of about a minute (copies: the names differ)
        memos.append(tmp_path / f"memo{i}.m4a")
        shutil.copy(first, memos[-1])
    r = cli("clone", *memos, "--name", "Memos", "--engine", "v3")
    assert r.code == 1
    (line,) = [x for x in r.err.splitlines() if "Total upload size" in x]
    # the service's message word for word, then what it is made of and the way out
    assert line.startswith("error: Total upload size is too large (26.")
    assert "MB). Maximum allowed total size is 25MB. That is after conversion to WAV" in line
    assert "5 of the files were converted; as given they are " in line
    assert f"bland-clone prepare {memos[0]} " in line and "-o prepared/" in line
    assert service.posts("/v1/voices/clone") == 0


def test_a_folder_of_25_takes_points_at_validate_each_and_prepare_best(
    cli, service: Service, tmp_path: Path
) -> None:
    takes = tmp_path / "takes"
    takes.mkdir()
    first = write_wav(takes / "take-01.wav", 12.0)
    for i in range(2, 26):
        shutil.copy(first, takes / f"take-{i:02}.wav")
    r = cli("clone", takes, "--name", "Many")
    assert r.code == 1
    # a v3 clone takes exactly 1 file (Bland's newest clone page)
    (line,) = [x for x in r.err.splitlines() if "takes exactly 1" in x]
    assert line.startswith("error: The v3 engine takes exactly 1 audio file; 25 were given.")
    assert f"bland-clone validate {takes}/ --each" in line
    assert f"bland-clone prepare {takes}/ --best -o sample.wav" in line
    assert service.posts("/v1/voices/clone") == 0
    # and the way out works as written
    assert cli("validate", f"{takes}/", "--each").code == 0
    assert cli("prepare", f"{takes}/", "--best", "-o", tmp_path / "sample.wav").code == 0

"""A file converted for the upload (an m4a sent as a WAV made in a temporary folder) is named as
the user gave it wherever a user or a script reads a file's name: the JSON's ``files[].path``
and ``errors[]/warnings[].file``, GitHub's annotations, the terminal's waveform label. The
temporary WAV is gone after the run; only what is sent (``files[].name``, the format) says WAV.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from .audiofiles import write_wav
from .ptys import run_on_pty
from .servers import Service

TEMP = "bland-clone-send-"


def _m4a(tmp_path: Path, name: str, **kw: float) -> Path:
    wav = write_wav(tmp_path / f"made-{name}.wav", 12.0, **kw)
    take = tmp_path / f"{name}.m4a"
    cmd = ["ffmpeg", "-loglevel", "error", "-i", str(wav), str(take)]
    subprocess.run(cmd, check=True, timeout=60)
    return take


def test_clone_json_names_the_m4a_as_validate_does(cli, service: Service, tmp_path: Path) -> None:
    take = _m4a(tmp_path, "quiet", level=0.02)  # accepted, with a warning: speech is quiet
    said = cli("validate", take, "--json").json()
    r = cli("clone", "--name", "Quiet", take, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert TEMP not in r.out
    (f,) = doc["files"]
    assert f["path"] == said["files"][0]["path"] == str(take)
    assert (f["name"], f["format"]) == ("quiet.wav", "WAV")  # what was sent
    assert f["source"]["path"] == str(take) and f["source"]["format"] == "MP4"
    assert [w["file"] for w in doc["warnings"]] == [w["file"] for w in said["warnings"]]
    assert [w["file"] for w in doc["warnings"]] == [str(take)]
    (upload,) = service.state.uploads
    assert upload["filenames"] == ["quiet.wav"]


def test_a_refused_m4a_is_named_in_the_error_and_the_annotation(
    cli, service: Service, tmp_path: Path
) -> None:
    wav = tmp_path / "made.wav"
    sf.write(wav, 0.3 * np.random.default_rng(7).uniform(-1, 1, 12 * 16000), 16000)
    take = tmp_path / "noise.m4a"
    cmd = ["ffmpeg", "-loglevel", "error", "-i", str(wav), str(take)]
    subprocess.run(cmd, check=True, timeout=60)

    r = cli("clone", "--name", "G", take, "--json")
    assert r.code == 1 and TEMP not in r.out
    assert [e["file"] for e in r.json()["errors"]] == [str(take)]
    assert r.json()["files"][0]["path"] == str(take)

    r = cli("clone", "--dry-run", "--name", "G", take, env={"GITHUB_ACTIONS": "true"})
    assert r.code == 1
    assert f"::error file={take},title=bland-clone::" in r.out, r.out
    assert TEMP not in r.out + r.err
    assert service.posts("/v1/voices/clone") == 0

    # a manifest's sample: validate converts it as apply will send it, and names the m4a
    m = tmp_path / "voices.toml"
    m.write_text('[[voice]]\nname = "Noisy"\nsamples = ["noise.m4a"]\n')
    r = cli("validate", m, env={"GITHUB_ACTIONS": "true"})
    assert r.code == 1
    assert re.search(r"::error file=[^,]*noise\.m4a,", r.out), r.out
    assert TEMP not in r.out + r.err
    r = cli("validate", m, "--json")
    assert TEMP not in r.out
    (voice,) = r.json()["voices"]
    assert [e["file"] for e in voice["errors"]] == [voice["files"][0]["path"]]
    assert voice["files"][0]["path"].endswith("noise.m4a")


@pytest.mark.parametrize("command", ["clone", "validate"])
def test_the_waveform_on_a_terminal_is_labelled_with_the_m4a(command: str, tmp_path: Path) -> None:
    take = _m4a(tmp_path, "memo", level=0.02)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLAND_", "NO_COLOR"))}
    env.update(TERM="xterm-256color", COLUMNS="160", BLAND_API_URL="http://127.0.0.1:9")
    args = ["clone", "--dry-run", "--name", "M"] if command == "clone" else ["validate"]
    code, screen, _ = run_on_pty(["-m", "bland_clone", *args, str(take)], env, stdin=False)
    assert code == 0, screen
    plain = re.sub(r"\x1b\[[0-9;]*m", "", screen)
    label = [x for x in plain.splitlines() if "dBFS, SNR" in x]
    assert label and label[0].lstrip().startswith("memo.m4a  "), plain


def test_plan_names_an_unjudged_m4a_sample_as_given(cli, service: Service, tmp_path: Path) -> None:
    _m4a(tmp_path, "memo")
    m = tmp_path / "voices.toml"
    m.write_text('[[voice]]\nname = "Memo"\nsamples = ["memo.m4a"]\n')
    r = cli("plan", m, "--json")
    assert r.code == 0, r.err
    (voice,) = [v for v in r.json()["voices"] if v["name"] == "Memo"]
    assert voice["quality_unchecked"] == ["memo.m4a"]

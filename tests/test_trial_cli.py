"""Three rough edges a new user met: the line above a manifest voice's table agrees with the
table's verdict; a closed pipe (``| head -1``) ends the run as cat's does (SIGPIPE, 141 in the
shell), never with exit 1 ("the input was refused"); an unknown option that looks like a file
(``-take.wav``) says how to give it as one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .audiofiles import write_wav

PY_CLI = (sys.executable, "-m", "bland_clone")


# -- the voice's line agrees with its table ---------------------------------------------------


def test_a_voice_with_warnings_is_not_said_to_be_ok(cli, tmp_path: Path) -> None:
    write_wav(tmp_path / "quiet.wav", 12.0, level=0.02)  # accepted, speech is quiet
    write_wav(tmp_path / "clean.wav", 12.0)
    m = tmp_path / "voices.toml"
    m.write_text(
        '[[voice]]\nname = "Narrator"\nsamples = ["quiet.wav"]\n\n'
        '[[voice]]\nname = "Guide"\nsamples = ["clean.wav"]\n'
    )
    r = cli("validate", m)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == "voice 'Narrator' (line 1): warning (1 warning)"
    assert lines[2].split("\t")[-1] == "warning"  # the table's verdict of its sample
    assert "voice 'Guide' (line 5): ok" in lines
    assert r.err.rstrip().endswith("2 voice(s) OK, 1 warning.")
    # --strict: the warning refuses the voice, and the line says so
    r = cli("validate", m, "--strict")
    assert r.code == 1
    assert r.out.splitlines()[0] == "voice 'Narrator' (line 1): refused"


# -- a closed pipe ----------------------------------------------------------------------------


def _takes(tmp_path: Path, n: int = 3) -> Path:
    takes = tmp_path / "takes"
    takes.mkdir()
    for i in range(n):
        write_wav(takes / f"t{i}.wav", 11.0 + i / 10)
    return takes


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path)}


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="no SIGPIPE here")
@pytest.mark.parametrize("args", [["validate", "--each", "TAKES"], ["--help"], ["clone", "-h"]])
def test_a_closed_pipe_ends_the_run_as_sigpipe_does(tmp_path: Path, args: list[str]) -> None:
    """Every take is accepted, but the reader of stdout is gone before the table is written:
    the process dies of SIGPIPE (no exit 1, which says the input was refused), silently."""
    takes = _takes(tmp_path)
    args = [str(takes) if a == "TAKES" else a for a in args]
    read, write = os.pipe()
    os.close(read)  # the reader is gone
    try:
        proc = subprocess.run(
            [*PY_CLI, *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
            timeout=120,
        )
    finally:
        os.close(write)
    assert proc.returncode == -signal.SIGPIPE, proc.stderr
    assert proc.stderr == ""


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="no SIGPIPE here")
def test_a_closed_pipe_leaves_no_converted_copy_behind(tmp_path: Path) -> None:
    """An M4A is converted to a WAV in a temporary folder for the upload; the run that dies of
    SIGPIPE removes that folder first, as any other end of the run does."""
    wav = _takes(tmp_path) / "t0.wav"
    memo = tmp_path / "memo.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), str(memo)], check=True)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [*PY_CLI, "clone", "--name", "Memo", str(memo), "--dry-run"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env={**_env(tmp_path), "TMPDIR": str(scratch)},
            timeout=120,
        )
    finally:
        os.close(write)
    assert proc.returncode == -signal.SIGPIPE, proc.stderr
    assert list(scratch.iterdir()) == []


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks here")
def test_sigpipe_ends_the_run_even_when_the_parent_blocked_it(tmp_path: Path) -> None:
    """A blocked signal mask is inherited through exec (a test run, a supervisor): the signal
    bland-clone sends itself would wait, and the run went on to exit 141 by hand."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [*PY_CLI, "--help"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
            timeout=120,
            preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPIPE}),
        )
    finally:
        os.close(write)
    assert proc.returncode == -signal.SIGPIPE and proc.stderr == ""


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="no SIGPIPE here")
def test_the_shell_sees_141_through_a_real_pipe(tmp_path: Path) -> None:
    takes = _takes(tmp_path)
    cli = " ".join(map(str, PY_CLI))
    script = f"set -o pipefail; {cli} validate --each {takes} 2>err.txt | true; echo $?"
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.strip() == "141"
    assert (tmp_path / "err.txt").read_text() == ""
    # read to the end, the same run succeeds
    script = f"set -o pipefail; {cli} validate --each {takes} | cat >/dev/null; echo $?"
    proc = subprocess.run(
        ["bash", "-c", script], env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.strip() == "0"


# -- an option that is a file -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["-take.wav", "-take"])
def test_a_file_named_like_an_option_gets_the_way_to_give_it(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_wav(tmp_path / name, 12.0, fmt="WAV")
    r = cli("clone", "--name", "X", name)
    assert r.code == 2
    assert r.err == (
        f"error: No such option: -t ('{name}' looks like a file: put -- before it, or write "
        f"'./{name}'); see 'bland-clone clone -h'.\n"
    )
    # as it says: both ways read the file (a dry run, no key needed)
    env = {"BLAND_API_URL": "http://127.0.0.1:9"}
    for given in (["--", name], [f"./{name}"]):
        r = cli("clone", "--name", "X", "--dry-run", *given, env=env)
        assert r.code == 0, r.err


def test_an_audio_name_gets_the_hint_even_when_missing_and_others_do_not(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli("validate", "--memo.m4a")
    assert r.code == 2
    assert "('--memo.m4a' looks like a file: put -- before it, or write './--memo.m4a')" in r.err
    r = cli("validate", "-x")
    assert r.err == "error: No such option: -x; see 'bland-clone validate -h'.\n"

"""bland-clone prepare through the CLI: where it may write, which windows and times it takes, and
what it says it did (the gain it applied, what it cannot undo, a window with little speech)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from .audiofiles import speech_like, write_wav
from .expect import one_error_line


def test_prepare_to_a_missing_or_read_only_folder_says_so(cli, tmp_path: Path) -> None:
    src = write_wav(tmp_path / "speech.wav", 12.0)
    missing = tmp_path / "nodir" / "x.wav"
    for extra in ([], ["--best"]):
        r = cli("prepare", src, "-o", missing, *extra)
        assert r.code == 1, r.err
        line = one_error_line(r.err)
        assert str(missing) in line and str(missing.parent) in line
        assert "does not exist" in line
        r = cli("prepare", src, "-o", missing, "--json", *extra)
        assert r.code == 1 and "does not exist" in r.json()["errors"][0]["message"]
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        r = cli("prepare", src, "-o", ro / "x.wav")
        assert r.code == 1
        line = one_error_line(r.err)
        assert str(ro / "x.wav") in line and "is not writable" in line
    assert not missing.parent.exists()


def test_prepare_writes_only_wav_names(cli, tmp_path: Path) -> None:
    src = write_wav(tmp_path / "speech.wav", 12.0)
    for extra in ([], ["--best"]):
        r = cli("prepare", src, "-o", tmp_path / "x.mp3", *extra)
        assert r.code == 2
        line = one_error_line(r.err)
        assert "prepare writes WAV" in line
        assert f"{tmp_path / 'x'}.wav" in line and ".mp3" in line  # the name to use instead
        assert not (tmp_path / "x.mp3").exists()
    r = cli("prepare", src, "-o", tmp_path / "x.WAV")
    assert r.code == 0, r.err


def test_prepare_names_both_same_name_inputs_and_creates_nothing(cli, tmp_path: Path) -> None:
    a = write_wav(tmp_path / "a.wav", 12.0)
    (tmp_path / "d").mkdir()
    b = write_wav(tmp_path / "d" / "a.wav", 12.0)
    out = tmp_path / "out"
    r = cli("prepare", a, b, "-o", f"{out}/")
    assert r.code == 2
    line = one_error_line(r.err)
    assert "same name" in line
    assert f"{a} and {b}" in line and str(out / "a.wav") in line
    assert "rename one" in line
    assert not out.exists()


@pytest.mark.parametrize("flag", ["--start", "--end"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_prepare_refuses_a_start_or_end_that_is_not_a_time(
    cli, tmp_path: Path, flag: str, value: str
) -> None:
    src = write_wav(tmp_path / "s.wav", 12.0)
    r = cli("prepare", src, "-o", tmp_path / "o.wav", flag, value)
    assert r.code == 2
    line = one_error_line(r.err)
    assert flag in line and "finite number" in line and line.endswith(f" {value}\n")
    assert not (tmp_path / "o.wav").exists()


def test_an_end_before_the_start_is_a_usage_error(cli, tmp_path: Path) -> None:
    take = write_wav(tmp_path / "t.wav", 12.0)
    r = cli("prepare", take, "--start", "700", "--end", "600", "-o", tmp_path / "w.wav")
    assert r.code == 2
    line = one_error_line(r.err)
    assert "--end (600s)" in line and "after" in line and "--start (700s)" in line
    assert not (tmp_path / "w.wav").exists()


def _clipped_take(path: Path) -> Path:
    x = np.clip(speech_like(12.0, 16000, level=1.0) * 4, -0.999, 0.999)  # 5 dB past the rails
    sf.write(path, x, 16000, subtype="PCM_16")
    return path


def test_a_clipped_take_stays_clipped_after_prepare_lowers_it(cli, tmp_path: Path) -> None:
    take = _clipped_take(tmp_path / "hot.wav")
    r = cli("prepare", take, "-o", tmp_path / "out.wav", "--json")
    assert r.code == 0, r.err
    (done,) = r.json()["outputs"]
    assert any("clipping cannot be undone" in n for n in done["notes"])
    # the output's flat tops sit at -1 dBFS, under full scale: still clipped by their shape
    r = cli("validate", tmp_path / "out.wav")
    assert r.code == 0
    assert r.out.splitlines()[1].split("\t")[-1] == "warning"
    assert "of samples are clipped (flat tops)" in r.out


def test_prepare_reports_the_whole_gain_it_applied(cli, tmp_path: Path) -> None:
    take = write_wav(tmp_path / "faint.wav", 12.0, level=0.004)  # speech near -56 dBFS
    before = cli("validate", take, "--json").json()["files"][0]["quality"]["speech_level_dbfs"]
    r = cli("prepare", take, "-o", tmp_path / "out.wav")
    assert r.code == 0, r.err
    after = cli("validate", tmp_path / "out.wav", "--json").json()["files"][0]["quality"]
    raised = after["speech_level_dbfs"] - before
    assert raised > 30
    shown = float(r.err.split(" dB")[0].rsplit(" ", 1)[1])  # "... 12.0s, gain +36.1 dB"
    assert shown == pytest.approx(raised, abs=1.0)
    assert "gain +" in r.err  # a bare "-2.0 dB" reads as a level, not as what was done


def test_clone_prepare_names_no_temporary_file(cli, service, tmp_path: Path) -> None:
    """clone --prepare works in a folder it deletes: its note names the input, not a path that
    is gone by the time the user reads it."""
    take = write_wav(tmp_path / "faint.wav", 12.0, level=0.004)
    r = cli("clone", "--name", "Prepared", take, "--prepare")
    assert r.code == 0, r.err
    assert "faint.wav: prepared: 12.0s, gain +" in r.err
    assert "bland-clone-prepare-" not in r.out + r.err


def _long_recording(path: Path, minutes: float) -> Path:
    """Speech for the first 20 s, then a quiet room: a long recording's tail."""
    rate = 16000
    x = np.random.default_rng(3).standard_normal(int(minutes * 60 * rate)) * 1e-4
    x[: 20 * rate] += speech_like(20.0, rate)
    x[600 * rate : 604 * rate] += speech_like(4.0, rate, seed=2)  # a few words at 10 minutes
    sf.write(path, x.astype(np.float32), rate, subtype="PCM_16")
    return path


def test_a_short_window_speaks_of_the_window_not_the_recording(cli, tmp_path: Path) -> None:
    rec = _long_recording(tmp_path / "talk.wav", 11)
    r = cli("prepare", rec, "--start", "600", "--end", "605", "-o", tmp_path / "w.wav", "--json")
    assert r.code == 0, r.err
    notes = " ".join(r.json()["outputs"][0]["notes"])
    assert "record more" not in notes and "in the recording" not in notes
    assert "of speech between 600s and 605s" in notes and "choose a longer window" in notes


def test_best_with_a_folder_for_output_is_a_usage_error(cli, tmp_path: Path) -> None:
    """--best keeps one take: -o naming a folder is a wrong combination of options (exit 2,
    one line naming both), and nothing is written."""
    a = write_wav(tmp_path / "a.wav", 12.0)
    b = write_wav(tmp_path / "b.wav", 11.0)
    (tmp_path / "out").mkdir()
    r = cli("prepare", a, b, "--best", "-o", f"{tmp_path / 'out'}/")
    assert r.code == 2, r.err
    assert r.err.startswith("error: --best writes one file: give --output a file name")
    assert list((tmp_path / "out").iterdir()) == []
    doc = cli("prepare", a, b, "--best", "-o", f"{tmp_path / 'out'}/", "--json").json()
    assert doc["ok"] is False and doc["errors"][0]["error"] == "Usage Error"


def test_clone_prepare_dry_run_names_each_sample_by_its_input(cli, tmp_path: Path) -> None:
    """A dry run of clone --prepare: the table shows the input and what is sent, never the
    temporary folder, and --json gives each prepared file its input as ``source``."""
    take = write_wav(tmp_path / "take.wav", 12.0, level=0.05)
    env = {"BLAND_API_URL": "http://127.0.0.1:9"}  # no key, no service: a dry run needs none
    r = cli("clone", "--name", "P", take, "--prepare", "--dry-run", env=env)
    assert r.code == 0, r.err
    shown = r.out + r.err
    assert f"{take} -> take.wav" in shown and "bland-clone-prepare-" not in shown
    doc = cli("clone", "--name", "P", take, "--prepare", "--dry-run", "--json", env=env).json()
    assert doc["files"][0]["source"]["path"] == str(take)
    assert doc["request"]["files"][0]["source"]["path"] == str(take)


def test_best_says_the_gain_it_applied_as_prepare_does(cli, tmp_path: Path) -> None:
    """The kept take's line says its length and gain, as each prepared file's line does, and
    the same gain as --json reports."""
    quiet = write_wav(tmp_path / "quiet.wav", 12.0, level=0.05)
    loud = write_wav(tmp_path / "loud.wav", 12.0)
    out = tmp_path / "best.wav"
    r = cli("prepare", quiet, loud, "--best", "-o", out, "--json")
    assert r.code == 0, r.err
    (done,) = r.json()["outputs"]
    r = cli("prepare", quiet, loud, "--best", "-o", out, "--force")
    assert r.code == 0, r.err
    line = next(x for x in r.err.splitlines() if x.startswith("Best take: "))
    assert line.endswith(f"-> {out}: {done['output_seconds']:.1f}s, gain {done['gain_db']:+.1f} dB")

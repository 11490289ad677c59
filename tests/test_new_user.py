"""What a new user hit (issue 20): each rough edge, through the CLI, as the user meets it."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_sizes_under_a_kilobyte_are_shown_in_bytes(cli, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.wav"
    tiny.write_bytes(b"RIFF" + b"\0" * 21)  # 25 bytes: the table said "0.0KB"
    r = cli("validate", tiny)
    assert r.code == 1
    row = r.out.splitlines()[1].split("\t")
    assert row[0] == str(tiny) and row[3] == "25B"
    from bland_clone.units import fmt_size

    assert [fmt_size(n) for n in (0, 1023, 1024, 1536, 1048575, int(26.6 * 1024 * 1024))] == [
        "0B",
        "1023B",
        "1.0KB",
        "1.5KB",
        "1.0MB",
        "26.6MB",
    ]


def _clipped_take(path: Path) -> Path:
    import numpy as np
    import soundfile as sf

    from .audiofiles import speech_like

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


def test_a_loud_clean_take_is_not_called_clipped(cli, tmp_path: Path) -> None:
    from .audiofiles import write_wav

    take = write_wav(tmp_path / "loud.wav", 12.0, level=0.98)  # a peak, not a flat top
    r = cli("validate", take, "--json")
    doc = r.json()
    assert doc["files"][0]["quality"]["clipped_ratio"] < 0.001
    assert "quality_clipped" not in {w["code"] for w in doc["warnings"]}


def test_prepare_reports_the_whole_gain_it_applied(cli, tmp_path: Path) -> None:
    from .audiofiles import write_wav

    take = write_wav(tmp_path / "faint.wav", 12.0, level=0.004)  # speech near -56 dBFS
    before = cli("validate", take, "--json").json()["files"][0]["quality"]["speech_level_dbfs"]
    r = cli("prepare", take, "-o", tmp_path / "out.wav")
    assert r.code == 0, r.err
    after = cli("validate", tmp_path / "out.wav", "--json").json()["files"][0]["quality"]
    raised = after["speech_level_dbfs"] - before
    assert raised > 30
    shown = float(r.err.split(" dB")[0].rsplit(" ", 1)[1])  # "... 12.0s, +36.1 dB"
    assert shown == pytest.approx(raised, abs=1.0)


def _long_recording(path: Path, minutes: float) -> Path:
    """Speech for the first 20 s, then a quiet room: a long recording's tail."""
    import numpy as np
    import soundfile as sf

    from .audiofiles import speech_like

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


def test_an_end_before_the_start_is_a_usage_error(cli, tmp_path: Path) -> None:
    from .audiofiles import write_wav

    take = write_wav(tmp_path / "t.wav", 12.0)
    r = cli("prepare", take, "--start", "700", "--end", "600", "-o", tmp_path / "w.wav")
    assert r.code == 2
    assert r.err == "error: --end (600s) must be after --start (700s).\n"
    assert not (tmp_path / "w.wav").exists()


def _active_dbfs(x) -> float:  # type: ignore[no-untyped-def]
    import numpy as np

    loud = x[np.abs(x) > 0.01]
    return float(20 * np.log10(np.sqrt(np.mean(loud.astype(np.float64) ** 2))))


@pytest.mark.skipif(not __import__("shutil").which("ffmpeg"), reason="needs ffmpeg")
def test_a_video_with_the_voice_on_one_channel_is_sent_at_its_level(
    cli, service, tmp_path: Path
) -> None:
    import io
    import subprocess

    import numpy as np
    import soundfile as sf

    from .audiofiles import speech_like

    voice = speech_like(12.0, 48000, level=0.5)
    sf.write(tmp_path / "st.wav", np.stack([voice, np.zeros_like(voice)], axis=1), 48000)
    video = tmp_path / "interview.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-i",
            tmp_path / "st.wav",
            "-c:a",
            "aac",
            "-b:a",
            "192k",
            video,
        ],
        check=True,
    )
    r = cli("clone", video, "--name", "Interview")
    assert r.code == 0, r.err
    (v,) = service.voices_named("Interview")
    sent, _ = sf.read(io.BytesIO(v.samples[0].audio))
    assert sent.ndim == 1
    # the live channel, as it was: averaging with the dead one lost 6 dB
    assert _active_dbfs(sent) == pytest.approx(_active_dbfs(voice), abs=1.0)


def test_a_wav_whose_header_says_no_samples_is_sent_repaired(cli, service, tmp_path: Path) -> None:
    import io
    import wave

    from .audiofiles import streamed_wav

    take = streamed_wav(tmp_path / "unfinished.wav", 12.0)
    r = cli("clone", take, "--name", "Unfinished")
    assert r.code == 0, r.err
    (v,) = service.voices_named("Unfinished")
    assert v.samples[0].filename == "unfinished.wav"
    with wave.open(io.BytesIO(v.samples[0].audio)) as w:  # what a decoder believing it reads
        assert w.getnframes() == 12 * 16000
    assert take.read_bytes()[40:44] == b"\0\0\0\0"  # the user's file is left as it was


@pytest.mark.skipif(not __import__("shutil").which("ffmpeg"), reason="needs ffmpeg")
def test_memos_too_large_after_conversion_say_so_and_the_way_out(
    cli, service, tmp_path: Path
) -> None:
    import shutil
    import subprocess

    import soundfile as sf

    from .audiofiles import speech_like

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
    cli, service, tmp_path: Path
) -> None:
    import shutil

    from .audiofiles import write_wav

    takes = tmp_path / "takes"
    takes.mkdir()
    first = write_wav(takes / "take-01.wav", 12.0)
    for i in range(2, 26):
        shutil.copy(first, takes / f"take-{i:02}.wav")
    r = cli("clone", takes, "--name", "Many")
    assert r.code == 1
    (line,) = [x for x in r.err.splitlines() if "Too many files" in x]
    assert line.startswith("error: Too many files (25). Maximum allowed is 5 files per upload.")
    assert f"bland-clone validate {takes}/ --each" in line
    assert f"bland-clone prepare {takes}/ --best -o sample.wav" in line
    assert service.posts("/v1/voices/clone") == 0
    # and the way out works as written
    assert cli("validate", f"{takes}/", "--each").code == 0
    assert cli("prepare", f"{takes}/", "--best", "-o", tmp_path / "sample.wav").code == 0


@pytest.mark.skipif(not __import__("shutil").which("ffmpeg"), reason="needs ffmpeg")
def test_validate_each_prefers_the_lossless_take_to_a_lossy_copy_as_clean(
    cli, tmp_path: Path
) -> None:
    import subprocess

    import numpy as np
    import soundfile as sf

    from .audiofiles import speech_like

    noise = np.random.default_rng(1).standard_normal(12 * 48000).astype(np.float32) * 0.001
    sf.write(tmp_path / "take.wav", speech_like(12.0, 48000) + noise, 48000, subtype="PCM_16")
    copy = tmp_path / "take.opus"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-i",
            tmp_path / "take.wav",
            "-c:a",
            "libopus",
            "-b:a",
            "32k",
            copy,
        ],
        check=True,
    )
    r = cli("validate", copy, tmp_path / "take.wav", "--each", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    snr = [f["quality"]["snr_db"] for f in doc["files"]]
    assert abs(snr[0] - snr[1]) < 1.0  # the codec smoothed the noise: a hair "cleaner"
    assert doc["best"] == str(tmp_path / "take.wav")


def test_a_quiet_take_in_a_quiet_room_is_not_called_noisy(cli, tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    from .audiofiles import speech_like

    voice = speech_like(12.0, 48000, level=0.003)  # speech near -57 dBFS: far from the mic
    room = np.random.default_rng(1).standard_normal(len(voice)).astype(np.float32)
    take = tmp_path / "quiet.wav"
    sf.write(take, voice + room * 0.003 * 10 ** (-55 / 20), 48000, subtype="PCM_24")
    r = cli("validate", take, "--json")
    doc = r.json()
    codes = {w["code"] for w in doc["warnings"]}
    assert codes == {"quality_too_quiet"}  # quiet, yes; the room is 45 dB under the voice
    q = doc["files"][0]["quality"]
    assert q["noise_floor_dbfs"] < -95 and q["snr_db"] > 40
    r = cli("prepare", take, "-o", tmp_path / "p.wav")
    assert r.code == 0 and "background noise" not in r.err


def test_a_refused_key_names_where_it_came_from(
    cli, service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "sk-wrong-key-0000000000000000"
    r = cli("voices", "list", env={"BLAND_API_KEY": wrong})
    assert r.code == 3
    assert r.err == ("error: Invalid token (the API key used: the BLAND_API_KEY variable)\n"), r.err
    # from a profile: the profile and its file, never the key
    monkeypatch.delenv("BLAND_API_KEY")
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.work]\napi_key = "{wrong}"\n')
    config.chmod(0o600)
    r = cli("voices", "list", "--profile", "work", env={"BLAND_CLONE_CONFIG": str(config)})
    assert r.code == 3
    assert f"(the API key used: api_key of profile 'work' in {config})" in r.err
    assert wrong not in r.err + r.out


def test_a_terminal_of_0_columns_gets_an_80_column_table(service, tmp_path: Path) -> None:
    import os

    from .ptys import run_on_pty

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    code, screen, _ = run_on_pty(["-m", "bland_clone", "voices", "list"], env)  # 0 x 0
    assert code == 0, screen
    import re

    lines = [re.sub(r"\x1b\[[0-9;]*m", "", x) for x in screen.splitlines()]
    assert any("│ Legacy Narrator " in x for x in lines), screen  # one cell, one line
    assert 60 < max(len(x) for x in lines) <= 80, screen  # the fallback width, not 1


def test_the_sandbox_logs_a_client_that_leaves_mid_upload_in_one_line(tmp_path: Path) -> None:
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("BLAND_")}
    env["BLAND_SANDBOX_KEY"] = "sk-sandbox-test-key"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bland_clone", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(re.search(r":(\d+)$", proc.stdout.readline().strip()).group(1))  # type: ignore[union-attr]
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(
            b"POST /v1/voices/clone HTTP/1.1\r\nHost: x\r\nAuthorization: sk-sandbox-test-key\r\n"
            b"Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: 5000000\r\n\r\n"
            + b"x"
            * 100_000
        )
        time.sleep(0.3)
        s.close()  # gone, 4.9 MB short
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err and "Error on request" not in err, err
    (line,) = [x for x in err.splitlines() if "/v1/voices/clone" in x]
    assert line.endswith('"POST /v1/voices/clone HTTP/1.1" 400 -')


def test_plan_details_spell_values_as_the_manifest_does(cli, service, tmp_path: Path) -> None:
    from .test_voices_as_code import THREE, live_id, manifest

    m = manifest(tmp_path, THREE)
    assert cli("apply", m).code == 0
    gamma = live_id(service, "Gamma")
    assert cli("voices", "set", gamma, "--no-boost-language-consistency").code == 0
    r = cli("plan", m)
    (row,) = [x for x in r.out.splitlines() if "Gamma" in x]
    assert "boost_language_consistency: false -> true" in row, r.out
    assert "False" not in r.out and "True" not in r.out
    from bland_clone.plan import toml_value

    assert [toml_value(v) for v in (None, 0.5, 8, "warm 'n' dry", [1, True], {"a": None})] == [
        "unset",
        "0.5",
        "8",
        "\"warm 'n' dry\"",
        "[1, true]",
        "{a = unset}",
    ]

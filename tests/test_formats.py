"""Every recording people have: phone, browser and video formats read with their true length,
converted to WAV before an upload, prepared in blocks; folders of takes; ways out of dead ends.

The corpus is made here, from espeak-ng speech encoded with ffmpeg (and PyAV for AMR, which the
system ffmpeg cannot encode)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio import decode
from bland_clone.audio.inspection import inspect

from .audiofiles import write_wav
from .ptys import run_on_pty

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs ffmpeg and espeak-ng (apt-get install ffmpeg espeak-ng)",
)

TEXT = (
    "Every recording people have should be read right and judged right. A phone memo, a video, "
    "a browser recording: each one is read with its true length, and what is uploaded is "
    "something the service reads."
)

#: name -> (ffmpeg output arguments, samples in one codec frame at the file's rate)
ENCODINGS: dict[str, tuple[list[str], int]] = {
    "memo.m4a": (["-c:a", "aac", "-b:a", "64k"], 1024),
    "lossless.m4a": (["-c:a", "alac"], 4096),
    "video.mp4": (["-c:a", "aac"], 1024),
    "video.mov": (["-c:a", "aac"], 1024),
    "browser.webm": (["-ar", "48000", "-c:a", "libopus"], 960),
    "video.mkv": (["-c:a", "libvorbis"], 2048),
    "raw.aac": (["-c:a", "aac", "-f", "adts"], 1024),
    "old.wma": (["-c:a", "wmav2"], 2048),
    "cbr.mp3": (["-c:a", "libmp3lame", "-b:a", "96k"], 1152),
    "vbr-no-xing.mp3": (["-c:a", "libmp3lame", "-q:a", "5", "-write_xing", "0"], 1152),
    "take.flac": (["-c:a", "flac"], 4608),
    "take.ogg": (["-c:a", "libvorbis"], 2048),
}


def _ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *map(str, args)], check=True)


def _amr(src: Path, dst: Path, fmt: str) -> None:
    """AMR-NB at 8 kHz through PyAV's own FFmpeg (the system ffmpeg has no AMR encoder)."""
    import av

    data, rate = sf.read(src, dtype="int16")
    assert rate == 8000
    with av.open(str(dst), "w", format=fmt) as out:
        stream = out.add_stream("libopencore_amrnb", rate=8000)
        stream.bit_rate = 12200
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpus")
    speech = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(speech), TEXT], check=True)
    base = folder / "base.wav"  # 44.1 kHz stereo: what a phone or camera records
    _ffmpeg("-i", speech, "-ar", "44100", "-ac", "2", base)
    files = {}
    for name, (args, _) in ENCODINGS.items():
        _ffmpeg("-i", base, *args, folder / name)
        files[name] = folder / name
    narrow = folder / "narrow.wav"
    _ffmpeg("-i", speech, "-ar", "8000", "-ac", "1", narrow)
    for name, fmt in (("phone.amr", "amr"), ("phone.3gp", "3gp")):
        _amr(narrow, folder / name, fmt)
        files[name] = folder / name
    files["base.wav"] = base
    return files


FRAME = {**{k: v[1] for k, v in ENCODINGS.items()}, "phone.amr": 160, "phone.3gp": 160}


@pytest.mark.parametrize("name", sorted(FRAME))
def test_every_format_is_read_with_its_true_length(corpus: dict[str, Path], name: str) -> None:
    info = inspect(corpus[name])
    assert info.error is None, info.error
    truth = sf.info(corpus["base.wav"]).duration
    rate = info.samplerate or 0
    # the reported duration: the recording's own, within a codec frame (ADTS, AMR and an MP3
    # without a Xing/LAME frame carry no priming information: the encoder's start-up counts)
    unmarked = ("raw.aac", "phone.amr", "phone.3gp", "vbr-no-xing.mp3")
    slack = FRAME[name] * (3 if name in unmarked else 1)
    assert abs((info.duration or 0) - truth) * rate <= slack + 1, (info.duration, truth)
    # and what is decoded agrees with it within one codec frame
    out_rate, blocks = decode.stream(str(corpus[name]), info, max_rate=10**6)
    decoded = sum(len(b) for b in blocks)
    assert out_rate == rate
    assert abs(decoded - (info.duration or 0) * rate) <= FRAME[name] + 1


def test_vbr_mp3_without_xing_is_decoded_whole(cli, tmp_path: Path) -> None:
    """The one libsndfile decoded as 5.7 s of 12.6 s: the verdict and prepare now see it all."""
    from bland_clone.audio.quality import decode as verdict_decode

    from .audiofiles import vbr_mp3_without_xing

    # a voice: prepare refuses noise (it holds no voice)
    p = vbr_mp3_without_xing(tmp_path / "vbr.mp3", head_s=2.0, tail_s=10.6, voice=True)
    info = inspect(p)
    assert info.duration == pytest.approx(12.6, abs=0.1)
    assert sf.info(p).duration < 8  # what libsndfile believes
    data, rate = verdict_decode(str(p), info)
    assert abs(len(data) - info.duration * rate) <= 1152
    r = cli("prepare", p, "-o", tmp_path / "out.wav", "--json")
    assert r.code == 0, r.err
    (done,) = r.json()["outputs"]
    assert done["source_seconds"] == pytest.approx(info.duration, abs=0.03)
    assert done["output_seconds"] >= 12.0


def test_validate_reads_a_phone_memo(cli, corpus: dict[str, Path]) -> None:
    r = cli("validate", corpus["memo.m4a"], "--json")
    assert r.code == 0, r.out
    (f,) = r.json()["files"]
    assert (f["format"], f["subtype"], f["samplerate"], f["channels"]) == ("MP4", "AAC", 44100, 2)
    assert "quality" in f  # decoded and judged, not just listed
    assert "libsndfile" not in r.out + r.err


def test_clone_converts_a_container_to_wav_and_sends_that(
    cli, service, corpus: dict[str, Path]
) -> None:
    r = cli("clone", "--name", "Memo", corpus["memo.m4a"], "--json")
    assert r.code == 0, r.err
    (upload,) = service.state.uploads
    assert upload["filenames"] == ["memo.wav"]
    (f,) = r.json()["files"]
    assert (f["format"], f["subtype"], f["channels"], f["samplerate"]) == (
        "WAV",
        "PCM_16",
        1,
        44100,
    )
    assert f["source"]["format"] == "MP4" and f["source"]["path"] == str(corpus["memo.m4a"])
    truth = inspect(corpus["memo.m4a"]).duration
    assert f["duration"] == pytest.approx(truth, abs=0.001)  # no trim
    # 16-bit mono at 44.1 kHz: the size on the wire is what was checked
    assert upload["sizes"][0] == pytest.approx(44 + 2 * 44100 * truth, abs=64)


def test_dry_run_shows_source_and_sent(cli, corpus: dict[str, Path]) -> None:
    r = cli("clone", "--name", "Memo", corpus["browser.webm"], "--dry-run")
    assert r.code == 0, r.err
    assert "audio_samples=@browser.wav (audio/wav," in r.out
    assert f"converted from {corpus['browser.webm']} (WEBM OPUS," in r.out
    r = cli("clone", "--name", "Memo", corpus["browser.webm"], "--dry-run", "--json")
    (planned,) = r.json()["request"]["files"]
    assert planned["content_type"] == "audio/wav" and planned["format"] == "WAV"
    assert planned["source"]["format"] == "WEBM OPUS"


def test_mp3_goes_as_it_is_but_v2_takes_a_wav(cli, service, corpus: dict[str, Path]) -> None:
    r = cli("clone", "--name", "Plain", corpus["cbr.mp3"])
    assert r.code == 0, r.err
    r = cli("clone", "--name", "Newer", corpus["cbr.mp3"], "--engine", "v2")
    assert r.code == 0, r.err
    first, second = service.state.uploads
    assert first["filenames"] == ["cbr.mp3"]
    assert second["filenames"] == ["cbr.wav"]


def test_the_sandbox_reads_the_same_formats(service, corpus: dict[str, Path]) -> None:
    import requests

    with open(corpus["memo.m4a"], "rb") as f:
        resp = requests.post(
            service.url + "/v1/voices/clone",
            headers={"Authorization": service.key},
            data={"name": "Direct"},
            files={"audio_samples": ("memo.m4a", f, "audio/mp4")},
            timeout=30,
        )
    assert resp.status_code == 200, resp.text  # not "too short (estimated 0.0s)"


def test_prepare_reads_containers_and_keeps_the_speech(
    cli, corpus: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "p.wav"
    r = cli("prepare", corpus["video.mov"], "-o", out, "--json")
    assert r.code == 0, r.err
    info = inspect(out)
    assert (info.format, info.subtype, info.channels, info.samplerate) == (
        "WAV",
        "PCM_16",
        1,
        44100,
    )
    assert 10.0 <= (info.duration or 0) <= 15.0


def test_prepare_start_and_end_choose_the_part(cli, tmp_path: Path) -> None:
    src = write_wav(tmp_path / "long.wav", 40.0)
    r = cli("prepare", src, "-o", tmp_path / "o.wav", "--start", "20", "--end", "32", "--json")
    assert r.code == 0, r.err
    (done,) = r.json()["outputs"]
    assert 20.0 <= done["window_start_s"] <= 21.0
    assert done["window_start_s"] + done["output_seconds"] <= 32.0 + 0.01
    r = cli("prepare", src, "-o", tmp_path / "x.wav", "--start", "50")
    assert (r.code, r.err) == (1, 'error: File "long.wav": --start 50s is past its end (40.0s).\n')
    r = cli("prepare", src, "-o", tmp_path / "x.wav", "--start", "5", "--end", "5")
    assert r.code == 2 and "--end (5s) must be after --start (5s)" in r.err  # a usage error
    assert not (tmp_path / "x.wav").exists()


def test_one_unreadable_input_does_not_stop_the_others(cli, tmp_path: Path) -> None:
    good = write_wav(tmp_path / "good.wav", 14.0)
    bad = tmp_path / "bad.m4a"
    bad.write_bytes(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 2000)
    other = write_wav(tmp_path / "other.wav", 13.0)
    out = tmp_path / "prepared"
    r = cli("prepare", good, bad, other, "-o", out, "--json")
    assert r.code == 1
    assert sorted(p.name for p in out.iterdir()) == ["good.wav", "other.wav"]
    doc = r.json()
    assert [f["input"] for f in doc["failed"]] == [str(bad)]
    assert len(doc["outputs"]) == 2
    r = cli("prepare", good, bad, other, "-o", out, "--force")
    assert r.code == 1
    assert 'error: File "bad.m4a" cannot be used: its MP4 container is damaged' in r.err
    assert r.err.endswith("error: 1 input could not be prepared; 2 written.\n")


def test_too_long_points_at_prepare(cli, corpus: dict[str, Path], tmp_path: Path) -> None:
    long_ = tmp_path / "podcast.m4a"
    _ffmpeg("-stream_loop", "5", "-i", corpus["base.wav"], "-ac", "1", "-ar", "16000", long_)
    r = cli("validate", long_)
    assert r.code == 1
    assert (
        'error: File "podcast.m4a" is too long (estimated 78.2s). Maximum duration is 60 seconds.'
        f" Keep its best 10-15 s with: bland-clone prepare {long_} -o sample.wav"
    ) in r.out
    r = cli("prepare", long_, "-o", tmp_path / "sample.wav")
    assert r.code == 0, r.err


# -- folders of takes ---------------------------------------------------------------------------


def _noisy(path: Path, seconds: float, noise: float) -> Path:
    from .audiofiles import speech_like

    rng = np.random.default_rng(3)
    x = speech_like(seconds, 16000) + noise * rng.standard_normal(int(seconds * 16000))
    sf.write(path, x.astype(np.float32), 16000)
    return path


def test_a_folder_skips_hidden_and_appledouble_files(cli, tmp_path: Path) -> None:
    takes = tmp_path / "takes"
    takes.mkdir()
    write_wav(takes / "one.wav", 12.0)
    (takes / "._one.wav").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 100)  # AppleDouble
    (takes / ".hidden.wav").write_bytes(b"junk")
    r = cli("validate", takes, "--json")
    assert r.code == 0, r.out
    assert [f["name"] for f in r.json()["files"]] == ["one.wav"]


def test_an_empty_folder_is_named(cli, tmp_path: Path) -> None:
    empty = tmp_path / "takes"
    empty.mkdir()
    (empty / ".DS_Store").write_bytes(b"x")
    r = cli("prepare", empty, "-o", tmp_path / "o")
    # quoted, as files are: "Folder takes holds..." misread a folder named "empty" or "takes"
    assert (r.code, r.err) == (1, f'error: Folder "{empty}" holds no audio files.\n')
    # validate reports it as one problem among the others'
    r = cli("validate", empty)
    assert r.code == 1 and f'error: Folder "{empty}" holds no audio files.\n' in r.out


def test_validate_each_judges_take_by_take_and_names_the_best(cli, tmp_path: Path) -> None:
    takes = tmp_path / "takes"
    takes.mkdir()
    for i in range(6):  # more than one upload may carry: judged one by one
        _noisy(takes / f"take{i}.wav", 12.0, 0.02 if i != 4 else 0.0005)
    r = cli("validate", takes)
    assert r.code == 1 and "The v3 engine takes exactly 1 audio file; 6 were given." in r.out
    r = cli("validate", takes, "--each", "--json")
    assert r.code == 0, r.out
    doc = r.json()
    assert doc["best"] == str(takes / "take4.wav")
    assert len(doc["files"]) == 6
    assert not [w for w in doc["warnings"] if w["code"] == "too_many_files"]
    r = cli("validate", takes, "--each")
    assert r.err.endswith(f"6 of 6 takes would be accepted. Best: {takes / 'take4.wav'}\n")


def test_prepare_best_writes_the_best_take(cli, tmp_path: Path) -> None:
    takes = tmp_path / "takes"
    takes.mkdir()
    for i in range(3):
        _noisy(takes / f"take{i}.wav", 20.0, 0.03 if i != 1 else 0.0005)
    out = tmp_path / "best.wav"
    r = cli("prepare", takes, "--best", "-o", out, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["best"] == str(takes / "take1.wav")
    assert [t["input"] for t in doc["takes"]] == [str(takes / f"take{i}.wav") for i in range(3)]
    assert inspect(out).channels == 1 and 10 <= (inspect(out).duration or 0) <= 15


# -- bounded work on absurd headers ---------------------------------------------------------------


def _flac_declaring(path: Path, rate: int, channels: int, total: int) -> Path:
    """A real FLAC whose STREAMINFO is rewritten to claim another rate, layout and length."""
    sf.write(path, np.zeros((4000, 8), np.float32) + 0.01, 48000, format="FLAC")
    raw = bytearray(path.read_bytes())
    bits = int.from_bytes(raw[18:26], "big")
    bps = (bits >> 36) & 0x1F
    bits = (rate << 44) | ((channels - 1) << 41) | (bps << 36) | total
    raw[18:26] = bits.to_bytes(8, "big")
    path.write_bytes(bytes(raw))
    return path


def test_absurd_headers_are_handled_in_bounded_work(cli, tmp_path: Path) -> None:
    big = _flac_declaring(tmp_path / "absurd.flac", 655350, 8, 2**36 - 1)
    r = cli("validate", big, "--json")
    assert r.code == 1
    assert r.json()["errors"][0]["code"] == "too_long"  # refused from the header, not decoded
    odd = _flac_declaring(tmp_path / "odd.flac", 655350, 8, 655350 * 12)
    info = inspect(odd)
    assert (info.samplerate, info.channels) == (655350, 8)
    r = cli("validate", odd, "--json")  # the data does not match the header: judged by it
    # and its audio, of which FFmpeg decodes 4000 samples, is damaged (never a plain "ok")
    assert r.code == 1
    (error,) = r.json()["errors"]
    assert error["code"] == "unreadable"
    assert error["message"].startswith('File "odd.flac" is damaged: its header says 12.00 s but')
    # a high-rate recording longer than any upload: only what a verdict needs is decoded
    wide = tmp_path / "wide.wav"
    frames = 96000 * 70
    head = b"RIFF" + struct.pack("<I", 36 + frames * 4) + b"WAVE"
    head += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 2, 96000, 96000 * 4, 4, 16)
    head += b"data" + struct.pack("<I", frames * 4)
    with open(wide, "wb") as f:
        f.write(head)
        f.truncate(len(head) + frames * 4)
    data, rate = decode.excerpt(str(wide), inspect(wide), seconds=65.0)
    assert rate == 48000 and data.shape == (48000 * 65, 2)


def test_wav_blocks_agree_with_libsndfile(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(-0.9, 0.9, (200_000, 2)).astype(np.float32)
    p = tmp_path / "a.wav"
    sf.write(p, x, 16000, subtype="PCM_24")
    info = inspect(p)
    ref, _ = sf.read(p, dtype="float32", always_2d=True)
    rate, blocks = decode.stream(str(p), info, start=1.5, end=9.25)
    got = np.concatenate(list(blocks))
    assert rate == 16000
    assert np.allclose(got, ref[24000:148000], atol=1e-6)
    assert struct.calcsize("<h") == 2


def test_apply_and_add_samples_send_the_converted_wav(
    cli, service, corpus: dict[str, Path], tmp_path: Path
) -> None:
    memo = tmp_path / "memo.m4a"
    shutil.copy(corpus["memo.m4a"], memo)
    m = tmp_path / "voices.toml"
    m.write_text('[[voice]]\nname = "FromPhone"\nsamples = ["memo.m4a"]\n')
    r = cli("apply", m, "--json")
    assert r.code == 0, r.err
    service.state.add_voice("Old", service="BTTS")
    r = cli("add-samples", "Old", corpus["old.wma"])
    assert r.code == 0, r.err
    assert [u["filenames"] for u in service.state.uploads] == [["memo.wav"], ["old.wav"]]


@pytest.mark.parametrize("name", ["cbr.mp3", "vbr-no-xing.mp3", "browser.webm", "lossless.m4a"])
def test_a_window_decoded_again_is_the_same_audio(corpus: dict[str, Path], name: str) -> None:
    """prepare reads its chosen window back by decoding from a second before it, not from the
    start: the samples are those of a decode from the start."""
    info = inspect(corpus[name])
    seeker = decode.Seeker()
    _, blocks = decode.stream(str(corpus[name]), info, seeker=seeker)
    full = np.concatenate(list(blocks))
    lo, hi = len(full) // 2, len(full) // 2 + len(full) // 4
    again = decode.window(str(corpus[name]), info, seeker, lo, hi)
    assert again is not None
    assert np.array_equal(again, full[lo:hi])


def test_ffmpeg_is_loaded_only_for_the_files_that_need_it(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    import sys

    wav = write_wav(tmp_path / "plain.wav", 12.0)
    code = (
        "import sys\n"
        "from bland_clone.__main__ import main\n"
        "main(['validate', '-q', *sys.argv[1:]])\n"
        "print('av' in sys.modules, 'soundfile' in sys.modules)\n"
    )

    def loaded(*files: Path) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", code, *map(str, files)],
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout.strip()

    assert loaded(wav) == "False False"  # a plain WAV: numpy alone
    assert loaded(corpus["memo.m4a"]) == "True False"


def _long_mp3(path: Path, minutes: float) -> Path:
    """A long speech MP3, made in a moment: 10 s encoded once (CBR, 44.1 kHz stereo), its
    frames repeated (no Xing header: the length comes from walking the frames)."""
    import soundfile as sf

    from .audiofiles import _mp3_frames, speech_like

    seg = path.with_suffix(".seg.mp3")
    x = speech_like(10.0, 44100, level=0.3)
    with sf.SoundFile(seg, "w", 44100, 2, format="MP3", bitrate_mode="CONSTANT") as f:
        f.write(np.stack([x, x], axis=1))
    path.write_bytes(_mp3_frames(seg.read_bytes()) * int(minutes * 6))
    seg.unlink()
    return path


#: Runs the CLI with prepare's progress delay (2 s) shortened, so a second of work shows the
#: bar whatever the machine's speed (bland_clone/ops/preparing.py reads it at each update).
_QUICK_BAR = (
    "import sys\n"
    "import bland_clone.ops.preparing as p\n"
    "p.PROGRESS_AFTER_S = float(sys.argv.pop(1))\n"
    "from bland_clone.__main__ import main\n"
    "sys.argv[0] = 'bland-clone'\n"
    "sys.exit(main())\n"
)


def _on_tty(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run ``python ARGV`` with stdin, stdout and stderr on a pseudo-terminal: (code, screen)."""

    code, screen, _ = run_on_pty(argv, env, timeout=timeout)
    return code, screen


def test_prepare_shows_progress_on_a_terminal_and_nothing_else_off_one(tmp_path: Path) -> None:
    """prepare of a 5-minute MP3 (0.3-1 s of work, with the delay shortened to 0.05 s for the
    test: at 0.3 s an idle machine could finish first): on a terminal a progress bar names the
    file once the work outlasts the delay; piped, only the result is printed."""
    import os
    import sys

    src = _long_mp3(tmp_path / "podcast.mp3", 5)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLAND_", "NO_COLOR", "CI"))}
    env.update(TERM="xterm-256color", COLUMNS="120")
    out = tmp_path / "sample.wav"
    argv = ["-c", _QUICK_BAR, "0.05", "prepare", str(src), "-o", str(out)]
    code, screen = _on_tty(argv, env, timeout=120)
    assert code == 0, screen
    assert "Preparing podcast.mp3" in screen
    assert "━" in screen and "MB" in screen  # Rich's bar, with bytes done / total
    assert f"{src} -> {out}" in " ".join(screen.split())  # wrapped at spaces to the width
    assert out.exists()
    proc = subprocess.run(
        [sys.executable, *argv, "--force"], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout + proc.stderr
    assert "Preparing" not in text and "━" not in text and "\r" not in text
    assert "\x1b[" not in text
    # the result: what was written (stderr, as every human message), then the check of it
    assert proc.stderr.startswith(f"{src} -> {out}: ")
    assert all(line.startswith("  ") for line in proc.stderr.splitlines()[1:])  # its notes
    assert proc.stdout.startswith("FILE\tFORMAT\tDURATION") and f"{out}\tWAV PCM_16" in proc.stdout


def _active_dbfs(x: np.ndarray) -> float:
    loud = x[np.abs(x) > 0.01]
    return float(20 * np.log10(np.sqrt(np.mean(loud.astype(np.float64) ** 2))))


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_a_video_with_the_voice_on_one_channel_is_sent_at_its_level(
    cli, service, tmp_path: Path
) -> None:
    import io

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
    # the live channel, as it was: averaging it with the silent one would lose 6 dB
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

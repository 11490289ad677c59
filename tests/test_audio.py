"""Audio inspection: true durations, and one clear line for anything that is not usable audio."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio.inspection import expand_paths, inspect

from .audiofiles import streamed_wav, vbr_mp3_without_xing, write_wav


@pytest.mark.parametrize(
    ("fmt", "ext", "subtype"),
    [
        ("WAV", "wav", "PCM_16"),
        ("WAV", "wav", "FLOAT"),
        ("FLAC", "flac", "PCM_16"),
        ("OGG", "ogg", "VORBIS"),
        ("AIFF", "aiff", "PCM_16"),
    ],
)
def test_durations_of_common_formats(tmp_path: Path, fmt: str, ext: str, subtype: str) -> None:
    p = tmp_path / f"s.{ext}"
    rate = 48000 if subtype == "OPUS" else 16000
    sf.write(p, np.zeros(rate * 7, dtype=np.float32), rate, format=fmt, subtype=subtype)
    info = inspect(p)
    assert info.error is None
    assert info.duration == pytest.approx(7.0, abs=0.01)
    assert (info.samplerate, info.channels) == (rate, 1)
    assert (info.format, info.subtype) == (fmt, subtype)
    assert info.duration == pytest.approx(sf.info(p).duration, abs=0.01)  # agrees with libsndfile
    assert info.size == p.stat().st_size


def test_stereo_wav(tmp_path: Path) -> None:
    info = inspect(write_wav(tmp_path / "st.wav", 3.0, 44100, channels=2))
    assert (info.channels, info.samplerate) == (2, 44100)
    assert info.duration == pytest.approx(3.0)


def test_cbr_mp3_length_from_its_frames(tmp_path: Path) -> None:
    p = tmp_path / "s.mp3"
    sf.write(p, np.zeros(44100 * 12, dtype=np.float32), 44100, format="MP3")
    info = inspect(p)
    assert info.format == "MP3" and info.error is None
    # the frames hold 12.05 s; the LAME tag's encoder delay and padding are dropped, as mpg123 does
    assert info.duration == pytest.approx(12.0, abs=1 / 44100)


def test_vbr_mp3_without_xing_header_reads_its_true_length(tmp_path: Path) -> None:
    p = vbr_mp3_without_xing(tmp_path / "vbr.mp3", 5.0, 70.0)
    libsndfile_says = sf.info(p).duration
    info = inspect(p)
    assert libsndfile_says < 20  # the misreading this guards against
    assert info.duration == pytest.approx(75.0, abs=0.2)


def test_wav_whose_header_says_no_samples_is_measured_from_its_data(tmp_path: Path) -> None:
    p = streamed_wav(tmp_path / "rec.wav", 9.0)
    info = inspect(p)
    assert info.error is None
    assert info.duration == pytest.approx(9.0, abs=0.01)


def test_wav_with_a_list_chunk_before_data(tmp_path: Path) -> None:
    pcm = np.zeros(16000 * 2, dtype="<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    lst = b"INFOISFT" + struct.pack("<I", 5) + b"test\x00\x00"
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    body += b"LIST" + struct.pack("<I", len(lst)) + lst
    body += b"data" + struct.pack("<I", len(pcm)) + pcm
    p = tmp_path / "list.wav"
    p.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert inspect(p).duration == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_bytes(b""), "it is empty"),
        (lambda p: p.write_bytes(os.urandom(50_000)), "is not audio that can be read"),
        (
            lambda p: p.write_text("hello, this is not audio\n" * 100),
            "is not audio that can be read",
        ),
        (
            lambda p: p.write_bytes(b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\x00" * 4000),
            "its MP4 container is damaged or holds no audio",
        ),
        (
            lambda p: p.write_bytes(
                b"RIFF\x2c\x00\x00\x00WAVEfmt \x10\x00\x00\x00"
                + struct.pack("<HHIIHH", 1, 65535, 2**32 - 1, 0, 0, 16)
                + b"data\x04\x00\x00\x00\x00\x00\x00\x00"
            ),
            "WAV header is broken",
        ),
        (
            lambda p: p.write_bytes(
                b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"
                + struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
            ),
            "it holds no audio (no data chunk)",
        ),
        (
            lambda p: p.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x10" + b"\x00" * 400),
            "it holds no MPEG audio frames",
        ),
    ],
    ids=["empty", "random", "text", "m4a", "broken-wav", "no-data", "id3-only"],
)
def test_unusable_files_get_one_clear_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], make, expected: str
) -> None:
    p = tmp_path / "bad.wav"
    make(p)
    info = inspect(p)
    assert info.error is not None
    assert info.error.startswith('File "bad.wav" cannot be used: ')
    assert expected in info.error
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # no libsndfile/mpg123 chatter


def test_paths_that_are_not_files(tmp_path: Path) -> None:
    assert "no such file" in (inspect(tmp_path / "missing.wav").error or "")
    # a folder is named as such (validate reports it among the other inputs' problems)
    assert inspect(tmp_path).error == f'Folder "{tmp_path}" holds no audio files.'
    (tmp_path / "a.wav").write_bytes(b"")
    assert "is a directory" in (inspect(tmp_path).error or "")
    fifo = tmp_path / "x.wav"
    os.mkfifo(fifo)
    assert "not a regular file" in (inspect(fifo).error or "")  # and it does not hang
    loop = tmp_path / "loop.wav"
    loop.symlink_to(loop)
    assert "symbolic link loop" in (inspect(loop).error or "")


def test_unreadable_file(tmp_path: Path) -> None:
    """A file without read permission. Root reads everything, so as root the check runs as
    'nobody' (setpriv), on a file in a folder that user may enter."""
    import shutil
    import subprocess
    import sys
    import tempfile

    if os.geteuid() != 0:
        p = write_wav(tmp_path / "locked.wav", 2.0)
        p.chmod(0)
        assert inspect(p).error == 'File "locked.wav" cannot be used: permission denied'
        return
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv")
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    probe = subprocess.run(
        [*as_nobody, "-c", "import bland_clone.audio.inspection"], capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip("user 'nobody' cannot run this interpreter or import the package")
    folder = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        folder.chmod(0o755)
        p = write_wav(folder / "locked.wav", 2.0)
        p.chmod(0)
        code = f"from bland_clone.audio.inspection import inspect; print(inspect({str(p)!r}).error)"
        proc = subprocess.run([*as_nobody, "-c", code], capture_output=True, text=True, check=True)
        assert proc.stdout.strip() == 'File "locked.wav" cannot be used: permission denied'
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_directory_stands_for_the_audio_files_directly_inside_it(tmp_path: Path) -> None:
    write_wav(tmp_path / "b.wav", 2.0)
    write_wav(tmp_path / "a.flac", 2.0, fmt="FLAC")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    write_wav(tmp_path / "sub" / "c.wav", 2.0)
    assert expand_paths([tmp_path]) == [str(tmp_path / "a.flac"), str(tmp_path / "b.wav")]


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_wav_decoded_without_libsndfile_matches_it(tmp_path: Path, subtype: str) -> None:
    from bland_clone.audio.quality import decode

    rng = np.random.default_rng(2)
    x = (rng.uniform(-0.9, 0.9, (4000, 2))).astype(np.float32)
    p = tmp_path / "a.wav"
    sf.write(p, x, 16000, subtype=subtype)
    info = inspect(p)
    assert info.pcm is not None
    ours, rate = decode(str(p), info)
    ref, _ = sf.read(p, dtype="float32", always_2d=True)
    assert rate == 16000 and ours.shape == ref.shape
    assert np.allclose(ours, ref, atol=1 / 128 if subtype == "PCM_U8" else 1e-6)

"""prepare reads an MP3 that libsndfile (mpg123) reads to its true length with libsndfile:
no PyAV, no Python a frame; the window it reads back is the same audio as one pass of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from bland_clone.audio import decode, prepare
from bland_clone.audio.inspection import inspect

from .audiofiles import speech_like, vbr_mp3_without_xing


def stereo_mp3(path: Path, seconds: float = 90.0) -> Path:
    x = speech_like(seconds, 44100, level=0.4, seed=3)
    sf.write(path, np.stack([x, x * np.float32(0.8)], axis=1), 44100, format="MP3")
    return path


def test_mp3_is_decoded_by_libsndfile_and_read_back_exactly(tmp_path: Path) -> None:
    src = stereo_mp3(tmp_path / "long.mp3")
    info = inspect(src)
    assert decode.sndfile_reads(str(src), info)
    scan = prepare._scan(str(src), info, 0.0, None, None)
    assert scan.sndfile and scan.spill is None and scan.seeker is None
    assert scan.frames == round(info.duration * info.samplerate)
    whole = np.concatenate(list(decode.stream(str(src), info, sndfile=True)[1]))
    for first in (0, 1, 44100 * 30 + 577, scan.frames - 44100 * 5):
        last = min(scan.frames, first + 44100 * 4)
        got = prepare._read_window(str(src), info, scan, 0.0, first, last)
        assert np.array_equal(got, whole[first:last].mean(axis=1)), first


def test_prepare_of_an_mp3_does_not_import_pyav(tmp_path: Path) -> None:
    src = stereo_mp3(tmp_path / "take.mp3", 40.0)
    code = (
        "import sys\nfrom bland_clone.audio import prepare\n"
        f"r = prepare.prepare_file({str(src)!r}, {str(tmp_path / 'out.wav')!r})\n"
        "print(round(r.output_seconds), 'av' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, imported = proc.stdout.split()
    assert 10 <= int(seconds) <= 15 and imported == "False"


def test_an_mp3_libsndfile_cuts_short_is_left_to_ffmpeg(tmp_path: Path) -> None:
    src = vbr_mp3_without_xing(tmp_path / "vbr.mp3")
    info = inspect(src)
    assert not decode.sndfile_reads(str(src), info)
    scan = prepare._scan(str(src), info, 0.0, None, None)
    assert not scan.sndfile and scan.frames == round(info.duration * info.samplerate)

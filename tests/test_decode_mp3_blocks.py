"""An MP3 libsndfile decodes is decoded whole, block after block: the same samples as FFmpeg's
(PyAV's) decode of it, at every block boundary, not only in a file shorter than a block."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio import decode
from bland_clone.audio.inspection import inspect


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg to encode a VBR MP3")
@pytest.mark.parametrize("block", [4096, decode.BLOCK])
def test_vbr_mp3_with_xing_decodes_as_ffmpeg_does_across_blocks(tmp_path: Path, block: int) -> None:
    # VBR with a Xing header, as LAME writes it by default: mpg123 seeks in it by the Xing
    # table, fuzzily, so a seek to where a read stopped lands on another frame
    rate = 44100
    t = np.arange(rate * 10) / rate
    on = np.sin(2 * np.pi * 0.7 * t) > 0.3
    rng = np.random.default_rng(0)
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * on
    x = np.stack([tone, 0.8 * tone], axis=1) + rng.standard_normal((len(t), 2)) * 0.03 * on[:, None]
    wav, mp3 = tmp_path / "take.wav", tmp_path / "take.mp3"
    sf.write(wav, x.astype(np.float32), rate)
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(wav),
            "-c:a",
            "libmp3lame",
            "-q:a",
            "4",
            str(mp3),
        ],
        check=True,
    )
    info = inspect(str(mp3))
    assert decode.sndfile_reads(str(mp3), info)

    def decoded(sndfile: bool) -> np.ndarray:
        _, blocks = decode.stream(str(mp3), info, block=block, sndfile=sndfile)
        return np.concatenate(list(blocks))

    ours, ffmpeg = decoded(True), decoded(False)
    assert ours.shape == ffmpeg.shape
    assert float(np.abs(ours - ffmpeg).max()) < 1e-5

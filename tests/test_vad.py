"""The voice detector through webrtcvad-wheels' C module: the same verdicts as its wrapper,
without the wrapper's import (importlib.metadata, about 35 ms of every analysis)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from bland_clone.audio import vad

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample.wav"


def test_verdicts_are_the_wrappers() -> None:
    import soundfile as sf
    import soxr
    import webrtcvad

    speech, rate = sf.read(SAMPLE, dtype="float32")
    speech = soxr.resample(speech if speech.ndim == 1 else speech.mean(axis=1), rate, vad.RATE)
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(vad.RATE * 3).astype(np.float32) * 0.05
    silence = np.zeros(vad.RATE, np.float32)
    for x in (speech, np.concatenate([silence, speech * 0.1, noise])):
        pcm = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
        wrapper = webrtcvad.Vad(vad.MODE)
        n = int(vad.RATE * vad.FRAME_S) * 2
        expected = [
            wrapper.is_speech(pcm[i : i + n], vad.RATE) for i in range(0, len(pcm) - n + 1, n)
        ]
        got = vad._detect(pcm)
        assert got.tolist() == expected
        assert 0 < got.sum() < len(got)  # both answers occur: the comparison means something


def test_analysis_does_not_import_the_wrapper_or_importlib_metadata() -> None:
    code = (
        "import sys, io, contextlib\nfrom bland_clone.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['validate', {str(SAMPLE)!r}])\n"
        "print(rc, sorted(m for m in ('webrtcvad', 'importlib.metadata', '_webrtcvad') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[-1] == "0 ['_webrtcvad']"

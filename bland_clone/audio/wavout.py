"""The WAV files bland-clone writes (prepare's sample, record's takes): 16-bit PCM mono,
written complete or not at all through :func:`bland_clone.core.files.write_file` (the umask's
permissions, an unpredictable temporary name, nothing left behind on failure)."""

from __future__ import annotations

import io
import wave
from typing import TYPE_CHECKING

from ..core.files import write_file

if TYPE_CHECKING:
    import numpy as np


def wav16_bytes(pcm: np.ndarray, rate: int) -> bytes:
    """A whole WAV file of 16-bit mono samples (at most 60 s here: about 5.5 MB at 48 kHz)."""

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return buf.getvalue()


def write_wav16(path: str, pcm: np.ndarray, rate: int) -> None:
    """Write 16-bit mono ``pcm`` (integers) as ``path``."""

    write_file(path, wav16_bytes(pcm, rate))

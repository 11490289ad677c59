"""What is uploaded is something the service reads.

WAV, MP3, FLAC and Ogg go as they are. Everything else (m4a, mp4, mov, webm, aac, wma, amr,
AIFF...) is converted, with no other change (no trim, no gain), to 16-bit PCM mono WAV at the
source's rate (at most 48 kHz); so is a WAV whose header does not state its length (a decoder
that believes it reads no samples). Engines whose rule says WAV (``limits.ENGINE_RULES``: v2
takes exactly one WAV file, and V1 voices' added samples are "WAV files to append") get MP3,
FLAC and Ogg converted too. The converted file's :class:`AudioInfo` carries the original in
``source``, so that limits are checked on what is sent and reports show source -> sent.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

from ..core import limits
from . import decode
from .inspection import AudioInfo, inspect
from .quality import live_channel


def needs_conversion(info: AudioInfo, engine: str = "v3") -> bool:
    if info.error or not info.format or not info.duration:
        return False
    if info.duration > limits.MAX_DURATION_S:
        return False  # refused anyway, with the original's length; prepare is the way
    if info.unstated_length:  # a header that says 0 samples: send a repaired copy
        return True
    rule = limits.ENGINE_RULES.get(engine)
    if rule is not None and rule.wav_only:
        return info.format != "WAV"
    return info.format not in decode.SENT_AS_IS


def to_wav(info: AudioInfo, folder: str) -> AudioInfo:
    """Convert one inspected file into ``folder``/<stem>.wav; the result's ``source`` is
    ``info``. A file that cannot be decoded comes back with ``error`` set."""
    import numpy as np  # lazy: numpy

    dst = os.path.join(folder, Path(info.path).stem + ".wav")
    n = 1
    while os.path.exists(dst):
        n += 1
        dst = os.path.join(folder, f"{Path(info.path).stem}-{n}.wav")
    try:
        keep = _live_channel(info)
        rate, blocks = decode.stream(info.path, info)
        with wave.open(dst, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            for x in blocks:
                if keep is not None:
                    mono = x[:, keep]
                else:
                    mono = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
                pcm = np.clip(np.rint(mono * 32767.0), -32768, 32767).astype("<i2")
                w.writeframes(pcm.tobytes())
    except Exception as exc:
        why = str(exc) if isinstance(exc, decode.DecodeError) else type(exc).__name__
        if not isinstance(exc, decode.Damaged):  # its own line names the file
            why = f'File "{info.shown}" cannot be converted to WAV for the upload: {why}'
        return AudioInfo(path=info.path, size=info.size, format=info.format, error=why)
    sent = inspect(dst)
    sent.source = info
    return sent


def _live_channel(info: AudioInfo) -> int | None:
    """The channel to keep when the others are dead (a video with the voice on one side),
    as prepare keeps it: averaging would make the voice 6 dB quieter. A first pass over the
    file (at most a minute long here) measures each channel."""
    import numpy as np  # lazy: numpy

    if (info.channels or 1) < 2:
        return None
    _, blocks = decode.stream(info.path, info)
    energy: np.ndarray | None = None
    frames = 0
    for x in blocks:
        power = np.einsum("ij,ij->j", x, x, dtype=np.float64)
        energy = power if energy is None else energy + power
        frames += len(x)
    if energy is None:
        return None
    return live_channel([float(e) for e in np.sqrt(energy / max(1, frames))])

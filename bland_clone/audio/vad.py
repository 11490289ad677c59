"""Speech found by a voice-activity detector (WebRTC's, through webrtcvad-wheels).

An energy gate takes anything loud for speech: in a noisy room, under a hum or a music bed,
every pause counts as speech and a 12 s take reads as 18 s of it. WebRTC's detector tells a
voice from steady noise. Its C module is imported only here, when the audio is analysed; without
it (an unusual platform with no wheel) the energy gate alone decides.
"""

from __future__ import annotations

from itertools import repeat
from typing import TYPE_CHECKING, Any

from .acoustics import resample

if TYPE_CHECKING:
    import numpy as np

#: WebRTC's aggressiveness (0-3): 3 is the least ready to call noise speech.
MODE = 3
RATE = 16000
FRAME_S = 0.02


def _c_module() -> Any:
    """webrtcvad-wheels' C module, or None where the wheel is missing. Its Python wrapper,
    ``webrtcvad``, is three lines around it, but importing it asks importlib.metadata for the
    package's own version: about 35 ms of every analysis, spent before the first frame."""
    try:
        import _webrtcvad  # lazy: _webrtcvad
    except ImportError:  # pragma: no cover - the wheel exists for every platform we support
        return None
    return _webrtcvad


def available() -> bool:
    return _c_module() is not None


def speech_frames(mono: np.ndarray, rate: int, speech_db: float) -> np.ndarray | None:
    """One bool per 20 ms frame: does the detector hear a voice? None when webrtcvad is not
    installed. The signal is brought to a speech level of -20 dBFS first, so a quiet take is
    judged like a normal one."""
    import numpy as np  # lazy: numpy

    if not available():
        return None
    x = at_rate(mono, rate)
    # np.clip(x * gain, -1, 1) * 32767 in float64, in one buffer; the clip only where a
    # sample is past full scale (or NaN): its loop costs three times the two extremes' scans
    y = np.multiply(x, _gain(speech_db), dtype=np.float64)
    if not (y.max(initial=-1.0) <= 1.0 and y.min(initial=1.0) >= -1.0):
        np.clip(y, -1.0, 1.0, out=y)
    y *= 32767
    return _detect(y.astype("<i2").tobytes())


def at_rate(mono: np.ndarray, rate: int) -> np.ndarray:
    """``mono`` at the detector's 16 kHz (itself when it is at 16 kHz already)."""
    if rate == RATE:
        return mono
    return resample(mono, rate, RATE)


def frames_16k(x: np.ndarray, frame_s: float) -> np.ndarray:
    """The detector's verdict on each whole ``frame_s`` frame (0.01, 0.02 or 0.03 s) of float
    samples already at 16 kHz and at the level the caller wants judged."""
    import numpy as np  # lazy: numpy

    pcm = (np.clip(np.round(x * 32767), -32768, 32767)).astype("<i2").tobytes()
    return _detect(pcm, frame_s)


def _gain(speech_db: float) -> float:
    return 10 ** ((-20.0 - speech_db) / 20) if speech_db > -120 else 1.0


def _detect(pcm: bytes, frame_s: float = FRAME_S) -> np.ndarray:
    """The detector's verdict on each whole frame (10, 20 or 30 ms) of 16 kHz 16-bit mono
    samples."""
    import numpy as np  # lazy: numpy

    c = _c_module()
    vad = c.create()  # what webrtcvad.Vad(MODE) does
    c.init(vad)
    c.set_mode(vad, MODE)
    process = c.process  # Vad.is_speech(frame, RATE): the frame's samples are its bytes / 2
    n = round(RATE * frame_s) * 2  # bytes per frame
    count = len(pcm) // n
    view = memoryview(pcm)  # each frame a view of the bytes, not a copy
    frames = map(view.__getitem__, map(slice, range(0, count * n, n), range(n, count * n + 1, n)))
    # one C call a frame, driven by map (no Python frame a call)
    said = map(process, repeat(vad, count), repeat(RATE, count), frames, repeat(n // 2, count))
    return np.fromiter(said, dtype=bool, count=count)

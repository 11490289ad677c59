"""Test audio, made by the tests themselves (numpy + soundfile)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import soundfile as sf

from bland_clone.audio import mp3


def speech_like(
    seconds: float, rate: int = 16000, *, level: float = 0.3, seed: int = 0
) -> np.ndarray:
    """Voiced bursts (a harmonic tone with syllable-rate amplitude) with short pauses."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f0 = 140 + 20 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 8))
    syllables = 0.35 + 0.65 * np.abs(np.sin(np.pi * 3.0 * t))  # never quite silent in a word
    words = (np.sin(2 * np.pi * 0.4 * t) > -0.95).astype(float)  # pauses: about 10% of the time
    x = voice * syllables * words + 0.002 * rng.standard_normal(t.size)
    x = x / (np.max(np.abs(x)) + 1e-9) * level
    return x.astype(np.float32)


def coloured_noise(n: int, power: float, rng: np.random.Generator, rate: int = 16000) -> np.ndarray:
    """``n`` samples of noise whose power falls as 1/f**power (0: white, 1: pink, 2: brown),
    peaking at full scale."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / rate)
    spec[1:] /= f[1:] ** (power / 2)
    spec[0] = 0
    x = np.fft.irfft(spec, n=n)
    return x / np.max(np.abs(x))


def write_wav(
    path: str | os.PathLike[str],
    seconds: float = 12.0,
    rate: int = 16000,
    *,
    channels: int = 1,
    level: float = 0.3,
    subtype: str = "PCM_16",
    fmt: str | None = None,
) -> Path:
    x = speech_like(seconds, rate, level=level)
    if channels > 1:
        x = np.stack([x] * channels, axis=1)
    sf.write(os.fspath(path), x, rate, subtype=subtype if fmt is None else None, format=fmt)
    return Path(path)


def write_sparse_wav(path: str | os.PathLike[str], size: int, rate: int = 16000) -> Path:
    """A PCM WAV of exactly ``size`` bytes of silence, written sparsely (instant, no disk)."""
    data_len = size - 44
    header = b"RIFF" + struct.pack("<I", size - 8) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", data_len)
    with open(path, "wb") as f:
        f.write(header)
        f.truncate(size)
    return Path(path)


def streamed_wav(path: str | os.PathLike[str], seconds: float, rate: int = 16000) -> Path:
    """A WAV whose header says 0 bytes of data (as a recorder that never finished writes)."""
    write_wav(path, seconds, rate)
    raw = bytearray(Path(path).read_bytes())
    i = raw.find(b"data")
    raw[i + 4 : i + 8] = b"\x00\x00\x00\x00"
    raw[4:8] = b"\x00\x00\x00\x00"
    Path(path).write_bytes(bytes(raw))
    return Path(path)


def _mp3_frames(data: bytes) -> bytes:
    """The audio frames of an MP3: no ID3 tag, no Xing/Info frame."""
    start = mp3.id3v2_size(data)
    first = mp3.find_first_frame(data, start)
    info = mp3.parse_header(int.from_bytes(data[first : first + 4], "big"))
    assert info is not None
    zone = data[first + 4 : first + 44]
    if b"Xing" in zone or b"Info" in zone:
        first += info[0]
    return data[first:]


def encode_mp3(
    seconds: float, rate: int = 44100, *, level: float = 0.5, tmp: Path, voice: bool = False
) -> bytes:
    """``seconds`` of noise (or, with ``voice``, of :func:`speech_like`) as a constant-bitrate
    MP3 at the compression ``level``."""
    path = tmp / f"seg-{seconds}-{level}-{voice}.mp3"
    if voice:
        x = speech_like(seconds, rate)
    else:
        rng = np.random.default_rng(1)
        x = (rng.standard_normal(int(rate * seconds)) * 0.2).astype(np.float32)
    with sf.SoundFile(
        path, "w", rate, 1, format="MP3", compression_level=level, bitrate_mode="CONSTANT"
    ) as f:
        f.write(x)
    return path.read_bytes()


def vbr_mp3_without_xing(
    path: Path, head_s: float = 5.0, tail_s: float = 70.0, *, voice: bool = False
) -> Path:
    """High-bitrate frames first, then low-bitrate ones, and no Xing header: libsndfile
    estimates the length from the first frame and reads far less than is there. Noise, or
    with ``voice`` a voiced stand-in (what prepare keeps: it refuses noise)."""
    hi = encode_mp3(head_s, level=0.0, tmp=path.parent, voice=voice)
    lo = encode_mp3(tail_s, level=0.99, tmp=path.parent, voice=voice)
    path.write_bytes(_mp3_frames(hi) + _mp3_frames(lo))
    return path

"""Property-based tests of audio inspection: whatever the bytes, a verdict, fast, no exception.

Profiles: "ci" (default, sized for .ci/run) and "thorough" (HYPOTHESIS_PROFILE=thorough).
"""

from __future__ import annotations

import io
import math
import os
import struct
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bland_clone.audio import mp3
from bland_clone.audio.inspection import inspect
from bland_clone.core.validation import check_files

settings.register_profile(
    "ci", max_examples=200, deadline=3000, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=2000, deadline=3000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

EXTENSIONS = [".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a", ".aiff", ".bin"]


def verdict_of(data: bytes, ext: str) -> None:
    """Inspect bytes as a file; assert the verdict is coherent."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"f{ext}"
        p.write_bytes(data)
        info = inspect(p)
        problems = check_files([info])
    if info.error is None:
        assert info.duration is not None and math.isfinite(info.duration) and info.duration >= 0
        assert info.samplerate and info.samplerate > 0
        assert info.channels and info.channels > 0
    else:
        assert info.error.startswith('File "f')
        assert any(p.code == "unreadable" for p in problems)


@cache
def valid_file(fmt: str) -> bytes:
    rate = 48000 if fmt == "OPUS" else 16000
    t = np.arange(rate * 2) / rate
    x = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    buf = io.BytesIO()
    if fmt == "OPUS":
        sf.write(buf, x, rate, format="OGG", subtype="OPUS")
    elif fmt == "MP3":
        with tempfile.TemporaryDirectory() as d:
            sf.write(Path(d) / "x.mp3", x, rate, format="MP3")
            return (Path(d) / "x.mp3").read_bytes()
    else:
        sf.write(buf, x, rate, format=fmt)
    return buf.getvalue()


FORMATS = {"WAV": ".wav", "FLAC": ".flac", "OGG": ".ogg", "OPUS": ".opus", "MP3": ".mp3"}


@given(st.binary(max_size=20_000), st.sampled_from(EXTENSIONS))
def test_random_bytes_get_a_verdict(data: bytes, ext: str) -> None:
    verdict_of(data, ext)


@given(st.sampled_from(sorted(FORMATS)), st.data())
def test_truncated_files_get_a_verdict(fmt: str, data: st.DataObject) -> None:
    raw = valid_file(fmt)
    cut = data.draw(st.integers(0, len(raw)))
    verdict_of(raw[:cut], FORMATS[fmt])


@given(st.sampled_from(sorted(FORMATS)), st.data())
def test_bit_flipped_files_get_a_verdict(fmt: str, data: st.DataObject) -> None:
    raw = bytearray(valid_file(fmt))
    flips = data.draw(
        st.lists(
            st.tuples(st.integers(0, min(len(raw), 4096) - 1), st.integers(0, 7)),
            min_size=1,
            max_size=16,
        )
    )
    for pos, bit in flips:
        raw[pos] ^= 1 << bit
    verdict_of(bytes(raw), FORMATS[fmt])


@given(
    tag=st.sampled_from([0, 1, 2, 3, 6, 7, 0x11, 0xFFFE, 0xFFFF]),
    channels=st.integers(0, 70000),
    rate=st.integers(0, 2**32 - 1),
    align=st.integers(0, 65535),
    bits=st.integers(0, 65535),
    declared=st.integers(0, 2**32 - 1),
    body=st.integers(0, 5000),
)
def test_wav_headers_with_absurd_fields(
    tag: int, channels: int, rate: int, align: int, bits: int, declared: int, body: int
) -> None:
    fmt = struct.pack("<HHIIHH", tag, channels & 0xFFFF, rate, rate * 2 & 0xFFFFFFFF, align, bits)
    data = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", declared)
    data += b"\x01" * body
    verdict_of(b"RIFF" + struct.pack("<I", len(data)) + data, ".wav")


@given(st.lists(st.integers(0, 2**32 - 1), max_size=200), st.binary(max_size=2000))
def test_mp3_walker_terminates_on_any_frame_soup(headers: list[int], junk: bytes) -> None:
    blob = b"".join(h.to_bytes(4, "big") + junk[: h % 97] for h in headers)
    stream = mp3.walk(blob)
    if stream is not None:
        assert stream.frames >= 1 and stream.duration >= 0
        assert stream.frames <= len(blob)


@given(
    fmt=st.sampled_from(["WAV", "FLAC", "OGG", "MP3"]),
    rate=st.sampled_from([8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000]),
    channels=st.integers(1, 2),
    seconds=st.floats(0.3, 4.0),
)
@settings(max_examples=25)
def test_header_readers_agree_with_libsndfile(
    fmt: str, rate: int, channels: int, seconds: float
) -> None:
    frames = int(rate * seconds)
    x = np.zeros((frames, channels), dtype=np.float32)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"a.{fmt.lower()}"
        sf.write(p, x, rate, format=fmt)
        info = inspect(p)
        ref = sf.info(p)
    assert info.error is None
    assert (info.format, info.samplerate, info.channels) == (
        ref.format,
        ref.samplerate,
        ref.channels,
    )
    # (for MP3 both read the same Xing/LAME tag; the walk counts the frames themselves)
    assert info.duration == pytest.approx(ref.duration, abs=1 / rate + 1e-9)

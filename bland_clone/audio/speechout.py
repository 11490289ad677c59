"""Speech written as it arrives: the service's bytes (raw PCM, or a WAV whose header may carry
0xFFFFFFFF placeholder sizes, as /v1/speak/stream sends) read incrementally and written to the
file's format (WAV, raw, MP3, FLAC, Ogg) or played, without holding the answer in memory.

Only 16-bit PCM and mu-law are accepted (what the pages name); the decoded length is bounded
(:data:`MAX_SECONDS`), so an endless or inflated answer stops with an error instead of filling
the disk or the memory.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..core.wavsizes import PLACEHOLDER

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

#: The longest speech written or played: 1,000 characters take about two minutes to say.
MAX_SECONDS = 15 * 60
#: A WAV header longer than this is not a speech answer.
MAX_HEADER = 64 * 1024


class SpeechError(Exception):
    """The answer is not speech bland-clone can write; the message says why."""


@dataclass(frozen=True)
class Format:
    encoding: str  # "pcm_s16le" or "mulaw"
    rate: int
    channels: int = 1

    @property
    def width(self) -> int:
        return 2 if self.encoding == "pcm_s16le" else 1


class WavReader:
    """Feed a WAV's bytes as they come; get the samples' bytes back once the header is read."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.format: Format | None = None
        self._left: int | None = None  # data bytes still expected; None: up to the end

    def feed(self, chunk: bytes) -> bytes:
        if self.format is not None:
            return self._take(chunk)
        self._buf += chunk
        if len(self._buf) > MAX_HEADER:
            raise SpeechError("its WAV header is longer than 64 KB")
        parsed = self._header(bytes(self._buf))
        if parsed is None:
            return b""
        fmt, start, size = parsed
        self.format = fmt
        self._left = None if size in (PLACEHOLDER, 0) else size
        rest = bytes(self._buf[start:])
        self._buf = bytearray()
        return self._take(rest)

    def _take(self, chunk: bytes) -> bytes:
        if self._left is None:
            return chunk
        part = chunk[: self._left]
        self._left -= len(part)
        return part

    @staticmethod
    def _header(data: bytes) -> tuple[Format, int, int] | None:
        if len(data) < 12:
            return None
        if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
            raise SpeechError("it is not a WAV file")
        at, fmt = 12, None
        while at + 8 <= len(data):
            cid, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
            if cid == b"data":
                if fmt is None:
                    raise SpeechError("its WAV has no fmt chunk before the samples")
                return fmt, at + 8, size
            if size > MAX_HEADER:
                raise SpeechError("its WAV header is longer than 64 KB")
            if at + 8 + size > len(data):
                return None
            if cid == b"fmt ":
                fmt = _fmt(data[at + 8 : at + 8 + size])
            at += 8 + size + (size & 1)
        return None


def _fmt(body: bytes) -> Format:
    if len(body) < 16:
        raise SpeechError("its WAV fmt chunk is too short")
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the sub-format's tag
        tag = struct.unpack("<H", body[24:26])[0]
    if not 1 <= channels <= 8 or not 4000 <= rate <= 192000:
        raise SpeechError(f"its WAV says {channels} channel(s) at {rate} Hz")
    if tag == 1 and bits == 16:
        return Format("pcm_s16le", rate, channels)
    if tag == 7 and bits == 8:
        return Format("mulaw", rate, channels)
    raise SpeechError(f"its WAV holds format {tag} at {bits} bits, not 16-bit PCM or mu-law")


class Writer(Protocol):
    def write(self, data: bytes) -> None: ...


class OutputStream(Protocol):
    """A started output stream (sounddevice's RawOutputStream): takes 16-bit frames."""

    def start(self) -> None: ...
    def write(self, data: bytes) -> object: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


class Sink:
    """Where samples go, bounded to MAX_SECONDS; ``close`` finishes the file."""

    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        self.frames = 0
        self._carry = b""
        self._most = MAX_SECONDS * fmt.rate

    def write(self, data: bytes) -> None:
        data = self._carry + data
        frame = self.fmt.width * self.fmt.channels
        whole = len(data) - len(data) % frame
        self._carry = data[whole:]
        if not whole:
            return
        self.frames += whole // frame
        if self.frames > self._most:
            most = f"{MAX_SECONDS // 60} minutes" if MAX_SECONDS % 60 == 0 else f"{MAX_SECONDS} s"
            raise SpeechError(f"it is longer than {most} of speech")
        self._put(data[:whole])

    def _put(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Called once every sample was written."""


class RawSink(Sink):
    def __init__(self, fmt: Format, out: Writer) -> None:
        super().__init__(fmt)
        self.out = out

    def _put(self, data: bytes) -> None:
        self.out.write(data)


def wav_header(fmt: Format, data_bytes: int) -> bytes:
    """A canonical 44-byte header; ``data_bytes`` PLACEHOLDER for a stream of unknown length."""
    tag = 1 if fmt.encoding == "pcm_s16le" else 7
    align = fmt.width * fmt.channels
    riff = PLACEHOLDER if data_bytes == PLACEHOLDER else 36 + data_bytes
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVEfmt "
        + struct.pack(
            "<IHHIIHH", 16, tag, fmt.channels, fmt.rate, fmt.rate * align, align, 8 * fmt.width
        )
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class WavSink(RawSink):
    """A WAV written with placeholder sizes first, backfilled by ``patch`` (bytes 4-7 and 40-43)
    once the stream is complete, so the finished file is valid; without ``patch`` (stdout) the
    placeholders stay, as the stream page shows them."""

    def __init__(
        self, fmt: Format, out: Writer, patch: Callable[[int, bytes], None] | None = None
    ) -> None:
        super().__init__(fmt, out)
        self.patch = patch
        out.write(wav_header(fmt, PLACEHOLDER))

    def close(self) -> None:
        if self.patch is not None:
            size = self.frames * self.fmt.width * self.fmt.channels
            self.patch(4, struct.pack("<I", 36 + size))
            self.patch(40, struct.pack("<I", size))


def _floats(data: bytes, fmt: Format) -> NDArray[np.float32]:
    import numpy as np  # lazy: numpy

    if fmt.encoding == "mulaw":
        x = _ulaw_table()[np.frombuffer(data, dtype=np.uint8)]
    else:
        x = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    return x.reshape(-1, fmt.channels)


@functools.lru_cache(maxsize=1)
def _ulaw_table() -> NDArray[np.float32]:
    """G.711 mu-law byte -> float sample."""
    import numpy as np  # lazy: numpy

    u = ~np.arange(256, dtype=np.int32) & 0xFF
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return (np.where(sign, -magnitude, magnitude) / 32768.0).astype(np.float32)


#: The subtype libsndfile encodes each compressed format with.
SUBTYPES = {"MP3": "MPEG_LAYER_III", "FLAC": "PCM_16", "OGG": "VORBIS"}


class EncodedSink(Sink):
    """MP3, FLAC or Ogg Vorbis, encoded block by block by libsndfile into the file ``fd``."""

    def __init__(self, fmt: Format, fd: int, kind: str) -> None:
        super().__init__(fmt)
        import soundfile as sf  # lazy: soundfile

        self._sf = sf.SoundFile(
            fd,
            "w",
            samplerate=fmt.rate,
            channels=fmt.channels,
            format=kind,
            subtype=SUBTYPES[kind],
            closefd=False,
        )

    def _put(self, data: bytes) -> None:
        self._sf.write(_floats(data, self.fmt))

    def close(self) -> None:
        self._sf.close()


class PlaySink(Sink):
    """Played through sounddevice as it arrives (16-bit; mu-law decoded first)."""

    def __init__(self, fmt: Format, stream: OutputStream) -> None:
        super().__init__(fmt)
        self.stream = stream

    def _put(self, data: bytes) -> None:
        import numpy as np  # lazy: numpy

        pcm = data
        if self.fmt.encoding == "mulaw":
            pcm = (np.clip(_floats(data, self.fmt), -1, 1) * 32767).astype("<i2").tobytes()
        self.stream.write(pcm)


class Tee(Sink):
    """Several sinks fed alike (a file and the speakers)."""

    def __init__(self, fmt: Format, sinks: list[Sink]) -> None:
        super().__init__(fmt)
        self.sinks = sinks

    def _put(self, data: bytes) -> None:
        for s in self.sinks:
            s.write(data)

    def close(self) -> None:
        for s in self.sinks:
            s.close()

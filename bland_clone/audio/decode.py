"""Decode audio in blocks: memory stays flat in the recording's length.

Three readers, chosen by what inspection found:

- a plain PCM or float WAV is read with numpy alone, block by block from its data chunk;
- MP3 and container formats (m4a/mp4/mov, webm/mkv, ADTS AAC, WMA, AMR/3GP) go through PyAV,
  the FFmpeg decoders that ship inside its wheels (imported only for those files). FFmpeg
  drops the encoder's priming samples; the decoded length is capped at the duration
  inspection reported, which drops the padding at the end;
- everything else (FLAC, Ogg, AIFF, CAF...) through libsndfile, in blocks.

Blocks come out as float32 arrays (frames x channels) in -1..1. Rates above ``MAX_RATE`` are
resampled down with soxr as the blocks stream, so a file that declares 655 kHz never costs
more than its 48 kHz equivalent.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..core.safetext import one_line
from ..core.validation import damaged, ends_short
from .quiet import quiet_stderr

if TYPE_CHECKING:
    import numpy as np

    from ..core.audioinfo import AudioInfo

#: Rates above this are resampled down: no verdict or upload gains anything from them.
MAX_RATE = 48000
#: Frames per block handed to the caller (about 1.4 s at 48 kHz).
BLOCK = 1 << 16
#: Formats decoded through PyAV (FFmpeg). MP3 too: libsndfile's MP3 reader trusts the first
#: frame's bitrate and stops early on a variable-bitrate file without a Xing header.
PYAV_FORMATS = frozenset({"MP3", "MP4", "WEBM", "AAC", "WMA", "AMR", "CONTAINER"})
#: Formats sent as they are; everything else is converted to WAV before an upload.
SENT_AS_IS = frozenset({"WAV", "MP3", "FLAC", "OGG"})


class DecodeError(Exception):
    """The audio cannot be decoded; the message says why, in a user's words."""


class Damaged(DecodeError):
    """The audio ends materially before the length the file states: it was cut short."""


def _name(path: str) -> str:
    return one_line(os.path.basename(path) or path)


def out_rate(rate: int) -> int:
    return min(rate, MAX_RATE)


def stream(
    path: str,
    info: AudioInfo,
    *,
    start: float = 0.0,
    end: float | None = None,
    max_rate: int = MAX_RATE,
    seeker: Seeker | None = None,
    block: int = BLOCK,
    sndfile: bool = False,
    whole: bool = True,
) -> tuple[int, Iterator[np.ndarray]]:
    """(rate of the blocks, the blocks) of [start, end) seconds of the file. A ``seeker``
    notes where each frame of an FFmpeg-decoded file starts, for :func:`window` later. Blocks
    hold ``block`` frames each (the last one fewer) unless resampled. ``sndfile``: an MP3
    :func:`sndfile_reads` accepted is decoded by libsndfile, not FFmpeg. ``whole``: audio that
    ends materially before the length inspection found (a file cut short) raises
    :class:`Damaged` once the blocks that decode are given (the analysis, which judges the
    decoded length itself, reads on without it)."""
    if not info.samplerate or not info.channels:
        raise DecodeError(f'File "{_name(path)}" cannot be decoded: its header is broken.')
    rate = info.samplerate
    first = max(0, round(start * rate))
    total = round((info.duration or 0.0) * rate) if info.duration else None
    last = total
    if end is not None:
        last = round(end * rate) if last is None else min(last, round(end * rate))
    if info.pcm is not None and (info.pcm[2], info.pcm[3]) in _WAV_KINDS:
        blocks = _wav_blocks(path, info.pcm, info.channels, first, last, block)
    elif (info.format or "") in PYAV_FORMATS and not (sndfile and info.format == "MP3"):
        blocks = _pyav_blocks(path, first, last, seeker, block)
    else:
        blocks = _sf_blocks(path, first, last, block, straight=info.format == "MP3")
    if whole and last is not None:
        blocks = _all_of(blocks, path, info, first, last)
    if rate <= max_rate:
        return rate, blocks
    return max_rate, _resampled(blocks, rate, max_rate, info.channels)


def _all_of(
    blocks: Iterator[np.ndarray], path: str, info: AudioInfo, first: int, last: int
) -> Iterator[np.ndarray]:
    """The blocks; then :class:`Damaged` when they end materially before ``last``."""
    got = first
    for x in blocks:
        got += len(x)
        yield x
    rate = info.samplerate or 1
    if ends_short(last / rate, got / rate):
        said = info.duration or last / rate
        raise Damaged(damaged(_name(path), said, got / rate, past=got == first > 0))


def excerpt(
    path: str, info: AudioInfo, *, seconds: float = 65.0, max_rate: int = MAX_RATE
) -> tuple[np.ndarray, int]:
    """The first ``seconds`` of a file, as one array: what a verdict needs, never more."""
    import numpy as np  # lazy: numpy

    # a short MP3 libsndfile opens and decodes in a third of FFmpeg's time, which counts in a
    # folder of hundreds of takes
    sndfile = (info.samplerate or 0) <= max_rate and sndfile_reads(path, info)
    rate, blocks = stream(path, info, end=seconds, max_rate=max_rate, sndfile=sndfile, whole=False)
    parts = list(blocks)
    if not parts:
        return np.zeros((0, info.channels or 1), np.float32), rate
    return np.ascontiguousarray(np.concatenate(parts)), rate


def sndfile_reads(path: str, info: AudioInfo) -> bool:
    """An MP3 libsndfile (mpg123) reads to its true length: decoded by it, PyAV is not
    imported, blocks come from C whole (no Python a frame), and mpg123 decodes an hour of
    MP3 in less CPU than FFmpeg; its samples are FFmpeg's within 1e-6."""
    return info.format == "MP3" and _mpg123_agrees(path, info)


def _mpg123_agrees(path: str, info: AudioInfo) -> bool:
    """libsndfile's length of an MP3 is the frame count's, within two frames (not the case for
    a VBR file without a Xing header, which it cuts short)."""
    import soundfile as sf  # lazy: soundfile

    try:
        with quiet_stderr():
            frames = sf.info(path).frames
    except Exception:
        return False
    return bool(abs(frames - (info.duration or 0.0) * (info.samplerate or 0)) <= 2 * 1152)


# --- WAV ------------------------------------------------------------------------------------

_WAV_KINDS = {(1, 8), (1, 16), (1, 24), (1, 32), (3, 32), (3, 64)}


def _pcm_to_float(raw: bytes, tag: int, bits: int, channels: int = 1) -> np.ndarray:
    """Interleaved little-endian samples as (frames, channels) float32 in -1..1, stored
    planar (the transpose of a C-contiguous channels x frames array: analysis reads rows)."""
    import numpy as np  # lazy: numpy

    if tag == 1 and bits == 24:
        b = np.frombuffer(raw[: len(raw) // 3 * 3], np.uint8).reshape(-1, 3).astype(np.int32)
        i = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(i >= 1 << 23, i - (1 << 24), i)
        scale, offset = 1.0 / (1 << 23), 0.0
    elif tag == 1 and bits == 8:
        v = np.frombuffer(raw, np.uint8)
        scale, offset = 1.0 / 128.0, -1.0
    elif tag == 1:
        v = np.frombuffer(raw, np.dtype(f"<i{bits // 8}"))
        scale, offset = 1.0 / 2 ** (bits - 1), 0.0
    else:
        v = np.frombuffer(raw, np.dtype(f"<f{bits // 8}"))
        scale, offset = 1.0, 0.0
    frames = len(v) // channels
    planar = v[: frames * channels].reshape(frames, channels).T.astype(np.float32, order="C")
    if scale != 1.0:
        planar *= np.float32(scale)
    if offset:
        planar += np.float32(offset)
    out: np.ndarray = planar.T
    return out


def _wav_blocks(
    path: str,
    pcm: tuple[int, int, int, int],
    channels: int,
    first: int,
    last: int | None,
    block: int = BLOCK,
) -> Iterator[np.ndarray]:
    offset, nbytes, tag, bits = pcm
    align = channels * bits // 8
    frames = nbytes // align
    if last is not None:
        frames = min(frames, last)
    with open(path, "rb") as f:
        f.seek(offset + first * align)
        pos = first
        while pos < frames:
            n = min(block, frames - pos)
            raw = f.read(n * align)
            got = len(raw) // align
            if got == 0:
                return
            yield _pcm_to_float(raw[: got * align], tag, bits, channels)
            pos += got


# --- libsndfile -----------------------------------------------------------------------------


def _sf_blocks(
    path: str, first: int, last: int | None, block: int = BLOCK, *, straight: bool = False
) -> Iterator[np.ndarray]:
    """Blocks through libsndfile; ``straight`` (MP3): see :func:`_sf_reader`."""
    import soundfile as sf  # lazy: soundfile

    try:
        with quiet_stderr():
            f = sf.SoundFile(path)
    except Exception:
        # Not something libsndfile reads (an Opus file on an old libsndfile...): try FFmpeg.
        yield from _pyav_blocks(path, first, last, None, block)
        return
    with f:
        pos = first
        try:
            if first:
                f.seek(min(first, max(0, f.frames - 1)) if f.frames > 0 else 0)
            read = _sf_reader(f, straight)
            while last is None or pos < last:
                n = block if last is None else min(block, last - pos)
                with quiet_stderr():
                    x = read(n)
                if not len(x):
                    return
                yield x
                pos += len(x)
            return
        except Exception as exc:  # a header that promises more than the file holds
            # libsndfile drops the whole read a damaged frame is in (4 s of a 16 kHz FLAC):
            # FFmpeg gives every frame before it, as players and sox do
            failed = exc
    try:
        yield from _pyav_blocks(path, pos, last, None, block, unbroken=True)
    except DecodeError:
        if pos == first:
            raise DecodeError(_av_reason(path, failed)) from None


def _sf_reader(f: Any, straight: bool) -> Callable[[int], np.ndarray]:
    """read(n): the next n frames (fewer at the end) as float32 (frames, channels); ``straight``:
    from ``sf_readf_float`` directly. ``SoundFile.read`` seeks to where it stopped after every read;
    for an MP3 that seek makes mpg123 decode the next frame again without the frames before
    it (clicks of up to 0.39 at block starts: 34,098 samples of 10 minutes off FFmpeg's,
    against 1.2e-6 read straight on), and costs a tell and a seek a block. Other formats keep
    ``SoundFile.read``: a FLAC whose data does not match its header fails at that seek, and
    is judged by its header alone."""
    import numpy as np  # lazy: numpy

    def plain(n: int) -> np.ndarray:
        out: np.ndarray = f.read(n, dtype="float32", always_2d=True)
        return out

    if not straight:
        return plain
    try:
        from soundfile import LibsndfileError, _ffi, _snd  # lazy: soundfile

        handle, readf, error = f._file, _snd.sf_readf_float, _snd.sf_error
        cast, channels = _ffi.cast, f.channels
    except (ImportError, AttributeError):  # another soundfile: its own read
        return plain
    # as SoundFile.read: never past the length libsndfile reported
    at, end = f.tell(), f.frames if f.seekable() else None

    def read(n: int) -> np.ndarray:
        nonlocal at
        if end is not None:
            n = max(0, min(n, end - at))
        out = np.empty((n, channels), np.float32)
        got = readf(handle, cast("float *", out.ctypes.data), n) if n else 0
        code = error(handle)
        if code:
            raise LibsndfileError(code)
        at += got
        return out[:got]

    return read


# --- PyAV (FFmpeg) --------------------------------------------------------------------------


def open_container(path: str) -> Any:
    import av  # lazy: av

    try:
        return av.open(path, metadata_errors="ignore")
    except Exception as exc:  # av.error.FFmpegError and friends
        raise DecodeError(_av_reason(path, exc)) from None


def _av_reason(path: str, exc: BaseException) -> str:
    why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    why = why.split(":")[-1].strip().rstrip(".") or "unknown error"
    return f'File "{_name(path)}" cannot be decoded ({why}).'


def _frame_arrays(frame: Any, channels: int, resampler: Any) -> Iterator[np.ndarray]:
    """A decoded frame as (n, channels) float32 or (channels, n) planes, without copies where
    the decoder already gives float32 (MP3, AAC, Opus and Vorbis decoders do)."""
    import numpy as np  # lazy: numpy

    name = frame.format.name
    if name == "fltp" and len(frame.planes) >= channels:
        n = frame.samples
        yield np.stack([np.frombuffer(frame.planes[c], np.float32, n) for c in range(channels)])
        return
    if name == "flt":
        n = frame.samples
        yield np.frombuffer(frame.planes[0], np.float32, n * channels).reshape(n, channels).T
        return
    for out in resampler.resample(frame):  # integer or double samples: FFmpeg converts them
        n = out.samples
        yield np.frombuffer(out.planes[0], np.float32, n * channels).reshape(n, channels).T


class Seeker:
    """Where each decoded frame began (its timestamp and its first sample), noted while a file
    is decoded from its start: a window of it can then be decoded again from a little before
    the window, instead of from the start of the file."""

    #: decoded before the window and thrown away, so the decoder's state is settled
    PREROLL_S = 1.0

    def __init__(self) -> None:
        self.pts = array("q")
        self.pos = array("q")
        self.usable = True
        self.time_base: Any = None
        self.rate = 0

    def note(self, pts: int | None, pos: int) -> None:
        if pts is None or (self.pts and pts <= self.pts[-1]):
            self.usable = False
            return
        self.pts.append(pts)
        self.pos.append(pos)


def window(
    path: str, info: AudioInfo, seeker: Seeker | None, lo: int, hi: int
) -> np.ndarray | None:
    """Samples [lo, hi) of a file decoded before with ``seeker``, decoding only from a second
    before ``lo``: packets before that are read (cheap), not decoded. None when the file's
    timestamps do not allow it; the caller then decodes from the start."""
    import numpy as np  # lazy: numpy

    if seeker is None or not seeker.usable or not seeker.pos or not seeker.time_base:
        return None
    pts = np.frombuffer(seeker.pts, np.int64)
    pos = np.frombuffer(seeker.pos, np.int64)
    rate = seeker.rate
    k0 = int(np.searchsorted(pos, lo - seeker.PREROLL_S * rate, "right")) - 1
    if k0 <= 0:
        return None  # the window is at the start: decoding from the start is as quick
    start_pts = int(pts[k0])
    channels = info.channels or 1
    out = np.zeros((hi - lo, channels), np.float32)
    filled = 0
    scale = float(seeker.time_base) * rate
    import av  # lazy: av

    container = open_container(path)
    try:
        s = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout=s.layout, rate=s.rate)
        try:
            # FFmpeg reads its way there (in C) or uses the container's index: cheaper than
            # demuxing every packet before the window in Python
            container.seek(start_pts, stream=s, backward=True)
        except av.error.FFmpegError:
            container.close()
            container = open_container(path)
            s = container.streams.audio[0]
        landed = False
        for packet in container.demux(s):
            if packet.pts is not None and packet.pts < start_pts:
                landed = True
                continue
            if not landed:
                if packet.pts != start_pts:
                    return None  # the seek went past the pre-roll: decode from the start
                landed = True
            if packet.pts is None and packet.size:
                return None
            for frame in packet.decode():
                if frame.pts is None:
                    return None
                j = int(np.searchsorted(pts, frame.pts, "right")) - 1
                if j < 0:
                    continue
                at = int(pos[j]) + round((frame.pts - int(pts[j])) * scale)
                for planar in _frame_arrays(frame, channels, resampler):
                    n = planar.shape[1]
                    a, b = max(lo, at), min(hi, at + n)
                    if b > a:
                        out[a - lo : b - lo] = planar[:, a - at : b - at].T
                        filled += b - a
                    at += n
                if at >= hi:
                    return out
    except av.error.FFmpegError:
        if filled == 0:
            return None
    finally:
        container.close()
    return out


#: FFmpeg decoders that give interleaved float samples when asked (request_sample_fmt)
_INTERLEAVED_OK = frozenset({"mp3float", "mp2float", "mp1float"})


def _pyav_blocks(
    path: str,
    first: int,
    last: int | None,
    seeker: Seeker | None = None,
    block: int = BLOCK,
    *,
    unbroken: bool = False,
) -> Iterator[np.ndarray]:
    """``unbroken``: the audio ends at the first frame that does not follow the one before (a
    damaged stretch FFmpeg skipped): what decodes in one piece, for a file libsndfile found
    damaged."""
    import av  # lazy: av
    import numpy as np  # lazy: numpy

    container = open_container(path)
    try:
        if not container.streams.audio:
            raise DecodeError(f'File "{_name(path)}" holds no audio stream.')
        s = container.streams.audio[0]
        channels = s.codec_context.channels or 1
        resampler = av.AudioResampler(format="flt", layout=s.layout, rate=s.rate)
        pos = 0  # frames decoded so far
        # the decoder's own sample format: float planes (MP3, AAC, Opus, Vorbis) are copied
        # straight in; anything else goes through FFmpeg's converter
        planar_float = (s.codec_context.format is not None) and (
            s.codec_context.format.name == "fltp"
        )
        if s.codec_context.name in _INTERLEAVED_OK:
            # one interleaved plane a frame instead of one per channel: half the Python work
            # per decoded frame (137,000 frames an hour of MP3)
            s.codec_context.options = {"request_sample_fmt": "flt"}
            planar_float = False
        interleaved: bool | None = None  # the decoder's output, known at its first frame
        end = last if last is not None else 1 << 62
        note_pts = note_pos = None
        if seeker is not None:
            seeker.time_base, seeker.rate = s.time_base, s.rate
            if first:
                seeker.usable = False  # positions must count from the start of the file
            note_pts, note_pos = seeker.pts.append, seeker.pos.append
        last_pts = -(1 << 62)
        frombuffer, f32, rng = np.frombuffer, np.float32, range(channels)
        # planar, as FFmpeg's float decoders give it; handed out as (frames, channels) views
        buf = np.empty((channels, block), np.float32)
        held = 0
        # interleaved float frames (MP3): their buffers are gathered and joined once a block,
        # one copy in C instead of a numpy conversion and a slice assignment a frame
        chunks: list[Any] = []
        size = 4 * channels  # bytes per sample frame
        try:
            ticks = float(s.time_base or 0) * (s.rate or 0)  # samples a timestamp tick
            expect: float | None = None  # where the next frame starts, in samples
            for frame in container.decode(s):
                n = frame.samples
                if unbroken:
                    at = None if frame.pts is None else frame.pts * ticks
                    if at is None or (expect is not None and abs(at - expect) > 1):
                        break
                    expect = at + n
                if interleaved is None:
                    interleaved = frame.format.name == "flt" and len(frame.planes) == 1
                if note_pts is not None and note_pos is not None and seeker is not None:
                    pts = frame.pts
                    if pts is None or pts <= last_pts:
                        seeker.usable, note_pts = False, None
                    else:
                        note_pts(pts)
                        note_pos(pos)
                        last_pts = pts
                lo = first - pos if first > pos else 0
                hi = end - pos if end - pos < n else n
                pos += n
                if hi <= lo:
                    if pos >= end:
                        break
                    continue
                if interleaved:
                    plane = frame.planes[0]
                    if lo or hi * size != plane.buffer_size:  # a part, or a padded buffer
                        plane = frombuffer(plane, f32, hi * channels)[lo * channels :]
                    chunks.append(plane)
                    held += hi - lo
                    if held >= block:
                        data = frombuffer(bytearray().join(chunks), f32).reshape(-1, channels)
                        while held >= block:
                            yield data[:block]
                            data, held = data[block:], held - block
                        chunks = [data] if held else []
                elif planar_float and held + hi - lo <= block:
                    planes = frame.planes
                    if lo == 0 and hi == n:
                        for c in rng:
                            buf[c, held : held + n] = frombuffer(planes[c], f32, n)
                    else:
                        for c in rng:
                            buf[c, held : held + hi - lo] = frombuffer(planes[c], f32, n)[lo:hi]
                    held += hi - lo
                else:
                    for planar in _frame_arrays(frame, channels, resampler):
                        a, b = lo, min(hi, planar.shape[1])
                        while b > a:
                            take = min(b - a, block - held)
                            buf[:, held : held + take] = planar[:, a : a + take]
                            held += take
                            a += take
                            if held == block:
                                yield buf.copy().T
                                held = 0
                if held == block and not interleaved:
                    yield buf.copy().T
                    held = 0
                if pos >= end:
                    break
        except av.error.FFmpegError as exc:
            if pos == 0:
                raise DecodeError(_av_reason(path, exc)) from None
            # a damaged end: keep what decoded, as players do
        if held:
            if interleaved:
                yield frombuffer(bytearray().join(chunks), f32).reshape(-1, channels)
            else:
                yield buf[:, :held].copy().T
    finally:
        container.close()


# --- resampling -----------------------------------------------------------------------------


def _resampled(
    blocks: Iterator[np.ndarray], rate: int, to: int, channels: int
) -> Iterator[np.ndarray]:
    import numpy as np  # lazy: numpy
    import soxr  # lazy: soxr

    rs = soxr.ResampleStream(rate, to, channels, dtype="float32")
    for x in blocks:
        y = rs.resample_chunk(np.ascontiguousarray(x, dtype=np.float32))
        if len(y):
            yield y.reshape(-1, channels)
    y = rs.resample_chunk(np.zeros((0, channels), np.float32), last=True)
    if len(y):
        yield y.reshape(-1, channels)

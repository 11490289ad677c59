"""Read what a file is, without decoding it: format, true duration, rate, channels, size.

WAV, MP3, FLAC and Ogg (Vorbis, Opus) are read by their headers here: a WAV whose header says
0 samples is measured from the data on disk, an MP3's frames are counted, FLAC's STREAMINFO and
Ogg's last granule give exact lengths (a FLAC or Ogg cut short: what decodes of it, and an
error when that is materially less than it states). Phone, browser and video recordings
(m4a/mp4/mov with AAC or ALAC, webm/mkv with Opus or Vorbis, ADTS .aac, .wma, .amr/.3gp) are
read through PyAV (FFmpeg): the length comes from the container (an MP4's edit list drops the
encoder's priming), or, where the container only estimates it (ADTS, AMR), from its packets.
Everything else goes through libsndfile, with its chatter kept off the terminal; numpy,
soundfile and av are imported only when a file needs them.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from ..core import limits
from ..core.audioinfo import AudioInfo as AudioInfo  # its home is the core; kept here for callers
from ..core.validation import DAMAGED_SHORT_S, damaged, ends_short
from . import flac, mp3
from .quiet import quiet_stderr


def _fingerprint(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def extension(path: str) -> str:
    """The file name's extension, lower-cased, by ``Path(path).suffix``'s rule (the last dot
    not first or last in the name) without building a Path (a tenth of the time)."""
    name = os.path.basename(path)
    i = name.rfind(".")
    return name[i:].lower() if 0 < i < len(name) - 1 else ""


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """A directory stands for the audio files directly inside it (by extension, sorted).

    Hidden files and macOS AppleDouble files (``._take.m4a``) are not takes. A folder with no
    audio file in it is passed on: inspect() names it as a problem, beside the others'."""
    out: list[str] = []
    for p in paths:
        s = os.fspath(p)
        if os.path.isdir(s):
            try:
                entries = sorted(os.scandir(s), key=lambda e: e.name)
            except OSError:
                out.append(s)  # reported as unreadable by inspect()
                continue
            found = [
                os.path.join(s, e.name)
                for e in entries
                if not e.name.startswith(".")
                and extension(e.name) in limits.AUDIO_EXTENSIONS
                and not e.is_dir()
            ]
            out += found or [s]  # inspect() reports a folder with no audio files, among the rest
        else:
            out.append(s)
    return out


def _unreadable(info: AudioInfo, why: str) -> AudioInfo:
    info.error = f'File "{info.shown}" cannot be used: {why}'
    return info


_WAV_SUBTYPES = {1: "PCM", 3: "FLOAT", 6: "ALAW", 7: "ULAW"}


def _wav_subtype(tag: int, bits: int) -> str:
    """libsndfile's names, so that a format reads the same whichever reader saw it."""
    if tag == 1:
        return "PCM_U8" if bits == 8 else f"PCM_{bits}"
    if tag == 3:
        return {32: "FLOAT", 64: "DOUBLE"}.get(bits, f"FLOAT_{bits}")
    return _WAV_SUBTYPES[tag]


def _read_wav(f: BinaryIO, size: int, info: AudioInfo) -> bool:
    """Parse a RIFF/WAVE header. True when done; False to hand the file to libsndfile."""
    f.seek(12)
    fmt: tuple[int, int, int, int, int] | None = None
    while True:
        head = f.read(8)
        if len(head) < 8:
            break
        cid, clen = head[:4], struct.unpack("<I", head[4:])[0]
        start = f.tell()
        if cid == b"fmt ":
            body = f.read(min(clen, 40))
            if len(body) < 16:
                _unreadable(info, "its WAV header is broken (short fmt chunk)")
                return True
            tag, ch, rate, _byte_rate, align, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE and len(body) >= 26:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, ch, rate, align, bits)
        elif cid == b"data":
            if fmt is None:
                _unreadable(info, "its WAV header is broken (data before fmt)")
                return True
            tag, ch, rate, align, bits = fmt
            if tag not in _WAV_SUBTYPES:
                return False  # ADPCM, GSM...: libsndfile knows these
            if not (1 <= ch <= 64 and 1000 <= rate <= 768000 and align > 0 and 0 < bits <= 64):
                _unreadable(info, f"its WAV header is broken ({ch} channels, {rate} Hz)")
                return True
            available = size - start
            data_len = clen if 0 < clen <= available else available  # 0/0xFFFFFFFF: streamed WAV
            info.format = "WAV"
            info.subtype = _wav_subtype(tag, bits)
            info.channels, info.samplerate = ch, rate
            info.duration = (data_len // align) / rate
            info.pcm = (start, data_len // align * align, tag, bits)
            info.unstated_length = clen == 0 or clen == 0xFFFFFFFF
            return True
        if clen > size:
            break
        f.seek(start + clen + (clen & 1))
    if fmt is None:
        _unreadable(info, "its WAV header is broken (no fmt chunk)")
    else:
        _unreadable(info, "it holds no audio (no data chunk)")
    return True


#: Bytes of an MP3 read to count its frames. Read, not memory-mapped: a file that shrinks under
#: a mapping kills the process with SIGBUS. A longer file (far over the upload limit anyway) has
#: its duration extrapolated from this much.
MP3_SCAN_BYTES = 64 * 1024 * 1024


def _read_mp3(f: BinaryIO, size: int, info: AudioInfo) -> bool:
    f.seek(0)
    buf = f.read(MP3_SCAN_BYTES)
    stream = mp3.walk(buf)
    if stream is None:
        _unreadable(info, "it holds no MPEG audio frames")
        return True
    info.format = "MP3"
    info.subtype = f"MPEG_LAYER_{'I' * stream.layer}"
    info.samplerate, info.channels = stream.samplerate, stream.channels
    info.duration = stream.duration
    if size > len(buf) and buf:
        info.duration = stream.duration * size / len(buf)
    return True


def _read_flac(f: BinaryIO, size: int, head: bytes, info: AudioInfo) -> bool:
    """STREAMINFO holds rate, channels and the exact sample count; the last frames whether
    the file holds them all (:mod:`.flac`): one cut short is damaged."""
    start = mp3.id3v2_size(head)
    f.seek(start)
    block = f.read(4 + 4 + 34)
    if block[:4] != b"fLaC" or len(block) < 42 or block[4] & 0x7F != 0:
        return False
    si = flac.StreamInfo(block[8:42])
    if si.rate == 0 or si.total == 0:  # unknown length (a stream): libsndfile decides
        return False
    bps = si.bits
    info.format, info.subtype = "FLAC", f"PCM_{bps}" if bps in (8, 16, 24) else f"PCM_{bps}BIT"
    info.samplerate, info.channels = si.rate, si.channels
    info.duration = si.total / si.rate
    first = flac.audio_start(f, start, size)
    got = None if first is None else flac.decodable(f, si, first, size, DAMAGED_SHORT_S)
    if got is not None and got < si.total:
        _cut_short(info, si.total / si.rate, got / si.rate)
    return True


def _cut_short(info: AudioInfo, said: float, got: float, where: str = "its header") -> None:
    """A file whose audio ends before the length it states: its length is what decodes, and
    when that is materially short of what it states, it is damaged."""
    info.duration = got
    if ends_short(said, got):
        info.error = damaged(info.shown, said, got, where)


def _read_ogg(f: BinaryIO, size: int, head: bytes, info: AudioInfo) -> bool:
    """Vorbis or Opus in Ogg: rate from the first packet, length from the last page's granule."""
    if len(head) < 27 or len(head) < 27 + head[26] + 19:
        return False
    packet = head[27 + head[26] :]
    if packet[:7] == b"\x01vorbis":
        channels, rate = packet[11], struct.unpack("<I", packet[12:16])[0]
        subtype, pre_skip, clock = "VORBIS", 0, rate
    elif packet[:8] == b"OpusHead":
        channels, pre_skip = packet[9], struct.unpack("<H", packet[10:12])[0]
        rate = struct.unpack("<I", packet[12:16])[0] or 48000
        subtype, clock = "OPUS", 48000  # Opus granules count 48 kHz samples
    else:
        return False  # FLAC or Speex in Ogg: libsndfile decides
    serial = head[14:18]
    f.seek(max(0, size - 65536))
    tail = f.read(65536)
    # the last page whole and with a granule: a page the file ends inside (cut short) is not
    # decoded; what its granule says is kept to tell how much was lost
    granule = said = None
    cut = False
    pos = tail.rfind(b"OggS")
    while pos >= 0 and granule is None:
        if (
            pos + 14 <= len(tail)
            and not tail[pos + 4]
            and serial.startswith(tail[pos + 14 : pos + 18])
        ):
            value = struct.unpack("<q", tail[pos + 6 : pos + 14])[0]
            n = tail[pos + 26] if pos + 27 <= len(tail) else 256  # a header cut short: not whole
            lacing = tail[pos + 27 : pos + 27 + n]
            whole = len(lacing) == n and pos + 27 + n + sum(lacing) <= len(tail)
            if value >= 0 and whole:
                granule = value
            elif not whole:
                cut = True
                said = value if value >= 0 and said is None else said
        pos = tail.rfind(b"OggS", 0, pos)
    if granule is None or not channels or not clock:
        return False
    info.format, info.subtype = "OGG", subtype
    info.samplerate, info.channels = rate, channels
    info.duration = max(0, granule - pre_skip) / clock
    if said is not None and said > granule:
        _cut_short(info, max(0, said - pre_skip) / clock, info.duration, "its last page")
    elif cut and not info.duration:
        info.error = damaged(info.shown, None, 0.0)
    return True


def _sniff(head: bytes, ext: str) -> str | None:
    if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
        return "WAV"
    if head[:4] == b"fLaC" or (head[:3] == b"ID3" and b"fLaC" in head[:4096]):
        return "FLAC"
    if head[:4] == b"OggS":
        return "OGG"
    if mp3.looks_like_mp3(head):
        return "MP3"
    if head[4:8] == b"ftyp":
        return "MP4"
    if head[:4] == b"\x30\x26\xb2\x75":
        return "WMA"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "WEBM"
    if head[:5] == b"#!AMR":
        return "AMR"
    if len(head) >= 7 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:  # ADTS: layer bits 00
        return "AAC"
    if ext == ".mp3" and mp3.find_first_frame(head, 0, len(head)) >= 0:
        return "MP3"
    if ext in _CONTAINER_EXTENSIONS:
        return "CONTAINER"
    return None


#: Read through PyAV (FFmpeg): what libsndfile does not read.
_CONTAINERS = frozenset({"MP4", "WMA", "WEBM", "AMR", "AAC", "CONTAINER"})
_CONTAINER_EXTENSIONS = frozenset(
    {".m4a", ".m4b", ".mp4", ".mov", ".3gp", ".aac", ".wma", ".webm", ".mkv", ".mka", ".amr"}
)
#: FFmpeg's demuxer names -> the format bland-clone shows.
_AV_FORMATS = {"mov": "MP4", "matroska": "WEBM", "asf": "WMA", "aac": "AAC", "amr": "AMR"}
#: Demuxers whose duration is only an estimate from the bitrate: count packets instead.
_COUNT_PACKETS = frozenset({"aac", "amr", "amrnb", "amrwb", "mp3"})


def _read_av(path: str, info: AudioInfo, kind: str) -> None:
    """Phone, browser and video recordings, through FFmpeg (PyAV): headers and packets only."""
    from .decode import DecodeError, open_container  # lazy: start-up (validate --no-quality)

    try:
        container = open_container(path)
    except DecodeError:
        if kind == "CONTAINER":
            _unreadable(info, "it is not audio that can be read (format not recognised)")
        else:
            _unreadable(info, f"its {kind} container is damaged or holds no audio")
        return
    try:
        if not container.streams.audio:
            _unreadable(info, "it holds no audio stream")
            return
        s = container.streams.audio[0]
        ctx = s.codec_context
        rate, channels = int(s.rate or ctx.sample_rate or 0), int(ctx.channels or 0)
        if rate <= 0 or channels <= 0:
            _unreadable(info, "its header is broken")
            return
        demuxer = container.format.name.split(",")[0]
        duration: float | None = None
        # no length of the stream's own (Matroska/WebM): the container's is the longest
        # stream's, a video's where it runs past the audio, so the audio's packets are counted
        alone = len(container.streams) == 1
        if demuxer in _COUNT_PACKETS or not (s.duration or (alone and container.duration)):
            ticks = 0
            for packet in container.demux(s):
                if packet.size and packet.duration:
                    ticks += packet.duration
            duration = float(ticks * s.time_base) if s.time_base else None
        elif s.duration and s.time_base:
            duration = float(s.duration * s.time_base)
        else:
            duration = container.duration / 1_000_000
        if duration is None or duration <= 0:
            _unreadable(info, "it holds no audio")
            return
        info.format = _AV_FORMATS.get(demuxer, demuxer.upper())
        info.subtype = (ctx.name or "").upper() or None
        info.samplerate, info.channels, info.duration = rate, channels, duration
    except Exception:  # a damaged container: FFmpeg's errors
        _unreadable(info, "its container is damaged")
    finally:
        container.close()


def _read_soundfile(path: str, info: AudioInfo) -> None:
    # lazy: soundfile
    import soundfile  # numpy comes with it: only for files the header readers leave

    try:
        with quiet_stderr():
            sfi = soundfile.info(path)
    except Exception as exc:  # libsndfile raises LibsndfileError/RuntimeError/TypeError
        reason = str(exc).split(":")[-1].strip().rstrip(".") or "unknown error"
        if "not recognised" in reason or "does not exist" in reason or "not a regular" in reason:
            reason = "format not recognised"  # libsndfile's words for an unknown format
        if "sndfile" in reason.lower():
            reason = "unknown error"  # users do not know the library's name
        _unreadable(info, f"it is not audio that can be read ({reason})")
        return
    if sfi.samplerate <= 0 or sfi.channels <= 0:
        _unreadable(info, "its header is broken")
        return
    info.format = sfi.format
    info.subtype = sfi.subtype
    info.samplerate, info.channels = int(sfi.samplerate), int(sfi.channels)
    info.duration = sfi.frames / sfi.samplerate


def inspect(path: str | os.PathLike[str]) -> AudioInfo:
    """Inspect one file. Never raises for anything about the file; ``error`` says what is wrong."""
    p = os.fspath(path)
    info = AudioInfo(path=p)
    try:
        st = os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return _unreadable(info, "no such file")
        if exc.errno == errno.ELOOP:
            return _unreadable(info, "it is a symbolic link loop")
        return _unreadable(info, os.strerror(exc.errno or 0).lower() or str(exc))
    if stat.S_ISDIR(st.st_mode):  # expand_paths passes on a folder it found no audio file in
        try:
            names = os.listdir(p)
        except OSError as exc:
            return _unreadable(info, f"the folder cannot be read ({os.strerror(exc.errno or 0)})")
        if any(Path(n).suffix.lower() in limits.AUDIO_EXTENSIONS for n in names):
            return _unreadable(info, "it is a directory")
        info.error = f'Folder "{p}" holds no audio files.'
        return info
    if not stat.S_ISREG(st.st_mode):
        return _unreadable(info, "it is not a regular file (a pipe, socket or device)")
    info.size = st.st_size
    if st.st_size == 0:
        return _unreadable(info, "it is empty")
    try:
        with open(p, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):  # swapped between stat and open
                return _unreadable(info, "it is not a regular file (a pipe, socket or device)")
            info.size = st.st_size
            info.fingerprint = _fingerprint(st)
            head = f.read(4096)
            kind = _sniff(head, extension(p))
            if kind == "WAV" and head[:4] == b"RIFF" and _read_wav(f, st.st_size, info):
                return info
            if kind == "MP3" and _read_mp3(f, st.st_size, info):
                return info
            if kind == "FLAC" and _read_flac(f, st.st_size, head, info):
                return info
            if kind == "OGG" and _read_ogg(f, st.st_size, head, info):
                return info
            if kind in _CONTAINERS:
                _read_av(p, info, kind)
                return info
    except PermissionError:
        return _unreadable(info, "permission denied")
    except OSError as exc:
        return _unreadable(info, os.strerror(exc.errno or 0).lower() or str(exc))
    except (struct.error, ValueError, OverflowError, IndexError):
        return _unreadable(info, "its header is broken")
    _read_soundfile(p, info)
    return info


#: Files inspected one by one before threads are considered, and the time a file (s) under
#: which the rest are too: a header in the page cache reads in about 20 us, and eight threads
#: taking turns at the interpreter made 500 such files 3-5x slower (0.05-0.09 ms a file).
#: Threads help only where each read waits on a disk or a network share.
SERIAL_PROBE = 16
SERIAL_UNDER_S = 0.0005


def inspect_many(
    paths: Sequence[str | os.PathLike[str]], jobs: int | None = None
) -> list[AudioInfo]:
    """Inspect files in order; in parallel threads when there are many and each read waits
    (the first SERIAL_PROBE took SERIAL_UNDER_S a file or more)."""
    if len(paths) < 16 or jobs == 1:
        return [inspect(p) for p in paths]
    start = time.perf_counter()
    out = [inspect(p) for p in paths[:SERIAL_PROBE]]
    if jobs is None and time.perf_counter() - start < SERIAL_UNDER_S * SERIAL_PROBE:
        return out + [inspect(p) for p in paths[SERIAL_PROBE:]]
    from concurrent.futures import ThreadPoolExecutor  # lazy: concurrent.futures is slow to import

    workers = jobs or min(8, (os.cpu_count() or 2) * 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return out + list(pool.map(inspect, paths[SERIAL_PROBE:]))

"""Recording from a microphone through PortAudio: the room check, the capture with live levels,
and the verdict on a take.

No CLI imports: the record command renders what is measured here. sounddevice (PortAudio) and
numpy are imported only when a recording starts. Every threshold is a named constant below, with
why it was chosen; the quality thresholds themselves come from :mod:`bland_clone.audio.quality`.
"""

from __future__ import annotations

import math
import os
import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core import limits
from ..core.errors import DeviceError, InputError, NoSuchDevice
from . import decode, quality, vad
from .inspection import inspect
from .prepare import prepare_file
from .quality import THRESHOLDS
from .verdict import validate_upload
from .wavout import write_wav16

if TYPE_CHECKING:
    from types import ModuleType

    import numpy as np
    from numpy.typing import NDArray
    from sounddevice import CallbackFlags

    from ..core.validation import Problem
    from .quality import Quality
    from .verdict import Report

#: The service gains nothing above 48 kHz (decoding and prepare resample down to it); below, the
#: device's own rate is kept, so nothing is resampled on the way in.
MAX_RATE = decode.MAX_RATE
#: Seconds of silence measured before recording: long enough for a stable median and a 0.5 Hz
#: resolution spectrum (hum at 50/60 Hz), short enough that nobody gets impatient.
ROOM_SECONDS = 2.0
#: A room whose noise floor is above this is too loud: speech at a normal level (-20 dBFS, what
#: prepare normalises to) would be less than the 25 dB signal-to-noise the quality check asks.
ROOM_TOO_LOUD_DBFS = -45.0
#: Mains hum is reported when 50 or 60 Hz (and harmonics) stand this far above the spectrum
#: around them.
HUM_PROMINENCE_DB = 12.0
#: A 20 ms frame is speech when it is this far above the room's noise floor ...
SPEECH_ABOVE_FLOOR_DB = 15.0
#: ... and above this level at all (a digitally silent device has a floor of -inf).
SPEECH_MIN_DBFS = -55.0
#: Stop by itself after this much speech (the service recommends 10-15 s; prepare aims at 12.5
#: and keeps a little margin around the words) ...
SPEECH_TARGET_S = 12.0
#: ... followed by a pause this long (the end of a sentence, not a breath between words).
STOP_PAUSE_S = 1.0
#: Never record longer than the service accepts.
MAX_TAKE_S = limits.MAX_DURATION_S
#: Cues look at the last second or so of speech, so they follow what the person does now.
CUE_WINDOW_S = 1.5
#: A sample at or above this magnitude is clipping (the quality check's level).
CLIP_LEVEL = 0.99
#: Block length delivered by PortAudio: the meter moves 20 times a second.
BLOCK_S = 0.05
#: No audio for this long means the device stopped (unplugged, taken by another program).
STALL_S = 5.0

#: Varied, natural sentences (a statement, a question, an aside, numbers, an exclamation) that
#: fill about 12 seconds of speech at a normal pace, with the sounds a voice clone learns from.
DEFAULT_SCRIPT = (
    "The morning train was late again, so I walked along the river instead. "
    "Have you ever noticed how quiet the city sounds just before sunrise? "
    "Honestly, it's my favourite part of the day. "
    "Let's meet at half past nine on Thursday, and bring a warm jacket!"
)


# -- PortAudio -------------------------------------------------------------------------------


def _sounddevice() -> Any:
    """The sounddevice module, or one clear DeviceError when PortAudio is missing."""
    try:
        import sounddevice  # lazy: sounddevice
    except OSError:  # the Python package is there, the PortAudio library is not
        raise DeviceError(
            "PortAudio is not installed, so nothing can be recorded "
            "(Debian/Ubuntu: apt-get install libportaudio2; macOS: brew install portaudio)."
        ) from None
    except ImportError:
        raise DeviceError(
            "The sounddevice package is missing (pip install sounddevice); it records through "
            "PortAudio."
        ) from None
    except Exception as exc:  # PortAudioError from Pa_Initialize: the audio system is broken
        raise DeviceError(f"PortAudio could not start: {exc}") from None
    return sounddevice


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    hostapi: str
    channels: int
    default_rate: float
    is_default: bool = False

    @property
    def rate(self) -> int:
        """The rate a take is recorded at: the device's own, at most 48 kHz."""
        return min(MAX_RATE, int(self.default_rate or MAX_RATE))

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "hostapi": self.hostapi,
            "channels": self.channels,
            "default_samplerate": int(self.default_rate),
            "default": self.is_default,
        }


def _query(sd: ModuleType) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    try:
        devices = list(sd.query_devices())
        apis = list(sd.query_hostapis())
        default_in = sd.default.device[0]
    except sd.PortAudioError as exc:
        raise DeviceError(f"The audio system cannot list devices: {exc}") from None
    return devices, apis, int(default_in) if default_in is not None else -1


def input_devices() -> list[Device]:
    """Every device that can record."""
    sd = _sounddevice()
    devices, apis, default_in = _query(sd)
    out = []
    for i, d in enumerate(devices):
        if int(d.get("max_input_channels", 0)) > 0:
            out.append(
                Device(
                    index=i,
                    name=str(d["name"]),
                    hostapi=str(apis[d["hostapi"]]["name"]) if d["hostapi"] < len(apis) else "",
                    channels=int(d["max_input_channels"]),
                    default_rate=float(d["default_samplerate"]),
                    is_default=i == default_in,
                )
            )
    return out


def find_device(spec: str | None) -> Device:
    """The default input device, or the one ``spec`` names (an index or part of a name)."""
    found = input_devices()
    if not found:
        raise DeviceError("No microphone found: the audio system lists no input device.")
    if spec is None:
        default = [d for d in found if d.is_default]
        return default[0] if default else found[0]
    if spec.strip().isdigit():
        match = [d for d in found if d.index == int(spec)]
    else:
        match = [d for d in found if spec.casefold() in d.name.casefold()]
    if len(match) == 1:
        return match[0]
    raise NoSuchDevice(spec, several=bool(match))


class Microphone:
    """An open input stream: 16-bit blocks from PortAudio's thread, through a queue."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.rate = device.rate
        self._queue: queue.Queue[Any] = queue.Queue()
        self._stream: Any = None
        self.overflows = 0

    def __enter__(self) -> Microphone:
        sd = _sounddevice()

        def callback(
            indata: NDArray[np.int16], frames: int, time: object, status: CallbackFlags
        ) -> None:
            if status and status.input_overflow:
                self.overflows += 1
            self._queue.put(indata.copy())

        last: Exception | None = None
        for channels in sorted({1, min(2, self.device.channels)}):  # some devices refuse mono
            try:
                self._stream = sd.InputStream(
                    device=self.device.index,
                    samplerate=self.rate,
                    channels=channels,
                    dtype="int16",
                    blocksize=max(1, int(self.rate * BLOCK_S)),
                    callback=callback,
                )
                self._stream.start()
                return self
            except (sd.PortAudioError, ValueError) as exc:
                last = exc
                self._close()
        raise DeviceError(f"The microphone {self.device.name!r} cannot be opened: {last}")

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # closing a failed stream: nothing left to report
                pass

    def blocks(self) -> Iterator[np.ndarray]:
        """Mono int16 blocks as they arrive."""
        while True:
            try:
                block = self._queue.get(timeout=STALL_S)
            except queue.Empty:
                raise DeviceError(
                    f"The microphone {self.device.name!r} stopped sending audio."
                ) from None
            if block.shape[1] > 1:  # a stereo-only device: keep the mean (mixdown of prepare)
                block = block.mean(axis=1, dtype="float32").astype("int16")[:, None]
            yield block[:, 0]


# -- measuring -------------------------------------------------------------------------------


def _db(x: float) -> float:
    return 20 * math.log10(x) if x > 1e-10 else -200.0


#: The room check heard a person when the voice detector heard this much speech in it (runs
#: of 100 ms and more): then the floor is taken from the quietest part, not the median.
ROOM_SPEECH_S = 0.3
#: The floor of a room check that heard speech: the quietest stretch this long (seconds). Two
#: seconds of reading hold only a few gaps between words, of 40 ms and more; the median of
#: the frames the detector did not call speech is still speech (-42 dBFS in a -60 dBFS room).
ROOM_QUIET_S = 0.04


@dataclass
class Room:
    noise_floor_dbfs: float
    hum_hz: int | None
    hum_dbfs: float | None
    seconds: float
    #: seconds the voice detector heard as speech during the check (someone already talking)
    speech_seconds: float = 0.0

    @property
    def speech_heard(self) -> bool:
        return self.speech_seconds >= ROOM_SPEECH_S

    @property
    def too_loud(self) -> bool:
        return self.noise_floor_dbfs > ROOM_TOO_LOUD_DBFS

    def to_dict(self) -> dict[str, Any]:
        return {
            "noise_floor_dbfs": round(self.noise_floor_dbfs, 1),
            "hum_hz": self.hum_hz,
            "hum_dbfs": None if self.hum_dbfs is None else round(self.hum_dbfs, 1),
            "too_loud": self.too_loud,
            "speech_seconds": round(self.speech_seconds, 2),
        }


def analyse_room(samples: np.ndarray, rate: int) -> Room:
    """Noise floor (median 20 ms level) and mains hum (50 or 60 Hz and its harmonics standing
    above the spectrum around them) of what should be a stretch of silence. When the voice
    detector hears someone talking in it, the floor is the quietest part of what it did not
    hear as a voice: speech is not the room."""
    import numpy as np  # lazy: numpy

    x = samples.astype(np.float32) / 32768.0
    levels = quality.frame_levels(x, rate)
    speech = _room_speech(x, rate, levels)
    floor = quality.percentile(levels, 50)
    spoken = float(speech.sum()) * quality.FRAME_S
    if spoken >= ROOM_SPEECH_S:
        k = min(len(levels), max(1, round(ROOM_QUIET_S / quality.FRAME_S)))
        summed = np.concatenate([[0.0], np.cumsum(10 ** (levels / 10))])
        floor = 10 * math.log10(max(1e-20, float(np.min(summed[k:] - summed[:-k])) / k))
    hum_hz = hum_db = None
    if len(x) >= rate // 2:
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
        hz = np.fft.rfftfreq(len(x), 1 / rate)
        best = 0.0
        for mains in (50, 60):
            power = around = 0.0
            for k in (1, 2, 3):
                f = mains * k
                near = np.abs(hz - f) <= 1.5
                side = (np.abs(hz - f) > 4) & (np.abs(hz - f) <= 15)
                if near.any() and side.any():
                    power += float(spectrum[near].sum())
                    around += float(np.median(spectrum[side])) * int(near.sum())
            if around > 0 and power > 0:
                prominence = 10 * math.log10(power / around)
                if prominence >= HUM_PROMINENCE_DB and prominence > best:
                    best = prominence
                    # its level: the power in the hum bins, as the RMS of a sine (Hann-corrected)
                    norm = float(np.sum(np.hanning(len(x)) ** 2))
                    hum_hz, hum_db = mains, 10 * math.log10(2 * power / (len(x) * norm) + 1e-20)
    return Room(floor, hum_hz, hum_db, len(x) / rate, spoken)


def _room_speech(x: np.ndarray, rate: int, levels: np.ndarray) -> np.ndarray:
    """Frames of the room check the voice detector hears as a voice (runs of 100 ms and more,
    louder than the quietest part by 10 dB): a fan, traffic or hum is not speech."""
    import numpy as np  # lazy: numpy

    out = np.zeros(len(levels), dtype=bool)
    if not len(levels):
        return out
    quiet = quality.percentile(levels, 10)
    loud = levels > quiet + 10.0
    if not loud.any():
        return out
    active = quality.speech_level(levels[loud])
    heard = vad.speech_frames(x, rate, active)
    if heard is None or not len(heard):
        return out
    n = min(len(heard), len(levels))
    out[:n] = heard[:n] & loud[:n]
    edges = np.flatnonzero(np.diff(np.concatenate([[0], out.astype(np.int8), [0]])))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start < 5:  # under 100 ms: the detector settling, a click
            out[start:end] = False
    return out


@dataclass
class Meter:
    """Live measurements of a take, fed block by block."""

    rate: int
    floor_dbfs: float = -90.0
    samples: int = 0
    speech_frames: int = 0
    pause_frames: int = 0
    level_dbfs: float = -200.0
    peak: float = 0.0
    #: (level dBFS, is speech, clipped) of recent 20 ms frames, for the cues
    recent: list[tuple[float, bool, bool]] = field(default_factory=list)
    _rest: Any = None
    chunks: list[Any] = field(default_factory=list)

    FRAME_S = 0.02

    @property
    def seconds(self) -> float:
        return self.samples / self.rate

    @property
    def speech_seconds(self) -> float:
        return self.speech_frames * self.FRAME_S

    @property
    def threshold_dbfs(self) -> float:
        return max(self.floor_dbfs + SPEECH_ABOVE_FLOOR_DB, SPEECH_MIN_DBFS)

    def feed(self, block: np.ndarray) -> None:
        import numpy as np  # lazy: numpy

        self.chunks.append(block)
        self.samples += len(block)
        x = block.astype(np.float32) / 32768.0
        if self._rest is not None:
            x = np.concatenate([self._rest, x])
        n = max(1, int(self.rate * self.FRAME_S))
        usable = len(x) // n * n
        frames, self._rest = x[:usable].reshape(-1, n), x[usable:]
        if len(block):
            self.level_dbfs = _db(float(np.sqrt(np.mean((block.astype(np.float32) / 32768) ** 2))))
            self.peak = float(np.max(np.abs(block))) / 32768.0
        keep = int(CUE_WINDOW_S / self.FRAME_S)
        for f in frames:
            level = _db(float(np.sqrt(np.mean(f.astype(np.float64) ** 2))))
            speech = level > self.threshold_dbfs
            clipped = bool(np.max(np.abs(f)) >= CLIP_LEVEL)
            if speech:
                self.speech_frames += 1
                self.pause_frames = 0
            else:
                self.pause_frames += 1
            self.recent.append((level, speech, clipped))
        del self.recent[:-keep]

    def enough(self, target_s: float = SPEECH_TARGET_S) -> bool:
        """Enough speech, and the speaker has paused."""
        return self.speech_seconds >= target_s and self.pause_frames * self.FRAME_S >= STOP_PAUSE_S

    def cue(self) -> tuple[str, str]:
        """(code, advice) for what the person should change now: clipping, too_far, too_quiet,
        waiting (no speech yet), pause, or good."""

        if any(c for _, _, c in self.recent):
            return "clipping", "Clipping: lower the input gain or lean back a little."
        speech = [lv for lv, s, _ in self.recent if s]
        if not speech:
            if self.speech_frames == 0:
                return "waiting", "Waiting for speech: start reading when you are ready."
            return "pause", "Paused."
        level = 10 * math.log10(sum(10 ** (lv / 10) for lv in speech) / len(speech))
        if level - self.floor_dbfs < THRESHOLDS.min_snr_db:
            return "too_far", "Too far from the microphone: come closer (about a hand's width)."
        if level < THRESHOLDS.too_quiet_dbfs:
            return "too_quiet", "Too quiet: raise the input gain or speak up."
        return "good", "Good level."

    def audio(self) -> np.ndarray:
        import numpy as np  # lazy: numpy

        if not self.chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self.chunks)


def measure_room(mic: Microphone, seconds: float = ROOM_SECONDS) -> Room:
    """Listen to the room for ``seconds``."""
    import numpy as np  # lazy: numpy

    want = int(seconds * mic.rate)
    got: list[np.ndarray] = []
    have = 0
    for block in mic.blocks():
        got.append(block)
        have += len(block)
        if have >= want:
            break
    return analyse_room(np.concatenate(got)[:want], mic.rate)


def capture(
    mic: Microphone,
    meter: Meter,
    *,
    seconds: float | None = None,
    stop: Callable[[], bool] = lambda: False,
    on_block: Callable[[Meter], None] | None = None,
    target_s: float = SPEECH_TARGET_S,
) -> np.ndarray:
    """Record until ``seconds`` have been captured, or (without ``seconds``) until ``stop()``
    says so (Enter) or the meter has enough speech followed by a pause. Mono int16."""
    limit = int((seconds if seconds is not None else MAX_TAKE_S) * mic.rate)
    for block in mic.blocks():
        meter.feed(block[: limit - meter.samples])
        if on_block is not None:
            on_block(meter)
        if meter.samples >= limit:
            break
        if seconds is None and (stop() or meter.enough(target_s)):
            break
    return meter.audio()


def write_wav(path: str, samples: np.ndarray, rate: int) -> None:
    """16-bit mono WAV, written complete or not at all (a crash never leaves half a take)."""

    write_wav16(path, samples, rate)


def take_paths(output: str) -> Iterator[str]:
    """take.wav -> take-1.wav, take-2.wav, ...: the numbers not used yet."""
    stem, ext = os.path.splitext(output)
    n = 1
    while True:
        path = f"{stem}-{n}{ext or '.wav'}"
        if not os.path.lexists(path) and not os.path.lexists(prepared_path(path)):
            yield path
        n += 1


def prepared_path(take: str) -> str:
    stem, ext = os.path.splitext(take)
    return f"{stem}.prepared{ext or '.wav'}"


# -- the verdict: the one adapter to the quality checks and prepare --------------------------


@dataclass
class Verdict:
    """A take judged as recorded, then prepared and judged again (what would be uploaded)."""

    take: str
    report: Report
    prepared: str | None
    prepared_report: Report | None
    prepare: dict[str, Any] | None
    prepare_error: str | None = None

    @property
    def quality(self) -> Quality | None:
        return self.report.quality.get(self.take)

    @property
    def problems(self) -> list[Problem]:
        """What is wrong with what would be uploaded: the prepared take's problems, or the raw
        take's when it could not be prepared."""
        return (self.prepared_report or self.report).problems

    @property
    def ok(self) -> bool:
        return self.prepared_report is not None and self.prepared_report.ok

    @property
    def verdict(self) -> str:
        if not self.ok:
            return "error"
        return "warning" if self.problems else "ok"

    def to_dict(self) -> dict[str, Any]:
        raw = self.report.to_dict()
        prepared = None
        if self.prepare is not None and self.prepared_report is not None:
            files = self.prepared_report.to_dict()["files"]
            prepared = {**self.prepare, **({"file": files[0]} if files else {})}
        errors = [p.to_dict() for p in self.problems if p.severity == "error"]
        if self.prepare_error:
            errors.append({"message": self.prepare_error, "code": "prepare_failed"})
        return {
            "ok": self.ok,
            "verdict": self.verdict,
            "take": self.take,
            "file": raw["files"][0] if raw["files"] else None,
            "prepared": prepared,
            "warnings": [p.to_dict() for p in self.problems if p.severity == "warning"],
            "errors": errors,
            # what the microphone heard, before prepare fixed what it can (level, silence)
            "take_warnings": [p.to_dict() for p in self.report.problems],
        }


def judge(take: str, prepared: str) -> Verdict:
    """Quality checks on the take, then prepare it into ``prepared`` and validate that.
    This is the one place that calls the quality checks and prepare (re-point it here)."""

    report = validate_upload([inspect(take)], quality=True, engine="v2")
    try:
        done = prepare_file(take, prepared)
    except InputError as exc:  # said once when the checks said it already (no speech found)
        said = any(p.message == exc.message for p in report.problems)
        return Verdict(take, report, None, None, None, None if said else exc.message)
    prepared_report = validate_upload([inspect(prepared)], quality=True, engine="v2")
    return Verdict(take, report, prepared, prepared_report, done.to_dict())

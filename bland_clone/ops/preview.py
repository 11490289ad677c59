"""Speaking a preview: local checks first, then /v2/tts where the service offers it (GET
/v2/models answers) or /v1/speak otherwise, and a file whose format follows its extension.

Plain values in, a typed result out; nothing here prints (the commands render :class:`Preview`).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..audio import speechout
from ..audio.speechout import Format
from ..core import limits, speech, voice_settings
from ..core.errors import (
    BadChoice,
    BadForm,
    DeviceError,
    InputError,
    NotOffered,
    ServiceError,
    UsageError,
)
from ..core.files import AtomicWriter
from .notes import Uncalibrated

if TYPE_CHECKING:
    from ..api.client import Client, Voice
    from ..api.voice_endpoints import Speech
    from ..audio.speechout import OutputStream, Sink

#: Extension -> (container asked of the service, format converted to locally or None).
EXTENSIONS = {
    ".wav": ("wav", None),
    ".wave": ("wav", None),
    ".raw": ("raw", None),
    ".pcm": ("raw", None),
    ".mp3": ("wav", "MP3"),
    ".flac": ("wav", "FLAC"),
    ".ogg": ("wav", "OGG"),
    ".oga": ("wav", "OGG"),
}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class Request:
    text: str
    fmt: str = "pcm_24000"  # /v1/speak's output_format; /v2/tts gets its encoding and rate
    language: str | None = None
    expressiveness: float | None = None
    stability: float | None = None


@dataclass(frozen=True)
class Target:
    path: str
    container: str  # what the file holds: "wav" or "raw"
    convert: str | None  # "MP3", "FLAC", "OGG": encoded here from the service's WAV

    @property
    def file_format(self) -> str:
        return self.convert or ("WAV" if self.container == "wav" else "raw PCM (no header)")


@dataclass(frozen=True)
class Preview:
    path: str | None  # None: played only
    bytes: int
    endpoint: str
    file_format: str
    fmt: str
    model: str | None = None
    cost: float | None = None
    notes: list[str | Uncalibrated] = field(default_factory=list)
    played: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "played": self.played,
            "path": self.path,
            "bytes": self.bytes,
            "format": self.fmt,
            "file_format": self.file_format,
            "endpoint": self.endpoint,
            "model": self.model,
            "cost": self.cost,
        }


def check_text(text: str, limit: int | None = limits.SPEAK_TEXT_MAX_CHARS) -> None:
    """The text's local checks; its length against ``limit`` (None: checked once the service's
    own limit is known, see :func:`check_length`)."""
    if not text.strip():
        raise InputError("Text to speak is empty.")
    if limit is not None:
        check_length(text, limit)
    _, problems = speech.pauses(text)
    if problems:
        raise InputError("; ".join(problems) + ".")


def check_length(text: str, limit: int) -> None:
    if len(text) > limit:
        raise InputError(limits.speak_text_too_long(len(text), limit))


def check(req: Request, output: str, *, limit: int | None = limits.SPEAK_TEXT_MAX_CHARS) -> Target:
    """Every local check of a preview, before anything is sent (the text's length against
    ``limit``; None when the caller asks the service's own limit first)."""
    check_text(req.text, limit)
    if req.fmt not in limits.SPEAK_OUTPUT_FORMATS:
        raise BadChoice("fmt", req.fmt, limits.SPEAK_OUTPUT_FORMATS)
    if req.language is not None and not _LANGUAGE.match(req.language):
        shown = voice_settings.show_value(req.language)
        expected = "a language code such as en or pt-BR"
        raise BadForm("language", req.language, expected=expected, shown=shown)
    check_controls(req, limits.TTS_CONTROLS)
    return target_for(output)


def check_controls(req: Request, controls: dict[str, Any]) -> None:
    values = {
        k: v
        for k, v in (("expressiveness", req.expressiveness), ("stability", req.stability))
        if v is not None
    }
    rules = {k: controls.get(k) or limits.TTS_CONTROLS[k] for k in values}
    problems = voice_settings.check(None, values, rules) if values else []
    if problems:
        raise InputError("; ".join(problems) + ".")


def target_for(output: str) -> Target:
    if output == "-":
        return Target(output, "wav", None)
    ext = os.path.splitext(output)[1].lower()
    if ext not in EXTENSIONS:
        shown = voice_settings.show_value(ext or os.path.basename(output))
        raise UsageError(
            f"Cannot write {shown}: the service speaks WAV or raw PCM, and bland-clone converts "
            f"to MP3, FLAC and Ogg; name the file {', '.join(EXTENSIONS)}."
        )
    container, convert = EXTENSIONS[ext]
    if convert:
        import soundfile as sf  # lazy: soundfile

        if convert not in sf.available_formats():
            raise InputError(
                f"Cannot write {convert} here: this libsndfile ({sf.__libsndfile_version__}) "
                "has no encoder for it. Write .wav and convert it with another tool."
            )
    return Target(output, container, convert)


def text_limit(client: Client, voice: Voice) -> int:
    """The longest text ``voice`` may speak: /v1/models' ``max_characters``, else 1,000."""
    found = client.max_characters(voice.service)
    return limits.SPEAK_TEXT_MAX_CHARS if found is None else found


def pick_model(models: list[dict[str, Any]], service: str | None) -> dict[str, Any]:
    """The /v2/tts model a voice resolves to: btts-2 for V2 voices, btts-3 otherwise (the
    pages: prefer btts-3; the voice decides), else the first listed; {} when none is."""
    wanted = "btts-2" if service == "BTTS_V2" else "btts-3"
    return next((m for m in models if m.get("id") == wanted), models[0] if models else {})


def speak(
    client: Client,
    voice: Voice,
    req: Request,
    target: Target | None,
    *,
    stream: bool = False,
    player: Player | None = None,
) -> Preview:
    """Speak ``req`` with ``voice`` and write ``target`` (and/or play it through ``player``):
    through /v2/tts when the service offers it, else /v1/speak (/v1/speak/stream with
    ``stream``). Raises before anything is written when the service's offer (GET /v2/models)
    does not include what was asked. With ``stream`` or a player, /v2/tts is asked for the
    raw container and the audio is written or played as it arrives."""

    notes: list[str | Uncalibrated] = []
    if (req.expressiveness is not None or req.stability is not None) and (
        voice.service not in (None, "BTTS_V3")
    ):
        label = limits.engine_label(voice.service)
        notes.append(Uncalibrated(("expressiveness", "stability"), voice.name, label))

    try:
        listed = client.tts_models()
    except ServiceError as exc:  # /v2/models unreachable: /v1/speak, unchecked against it
        fallback = "/v1/speak/stream" if stream or player else "/v1/speak"
        notes.append(f"GET /v2/models failed ({exc.message}); speaking through {fallback}.")
        listed = None
    models = None if listed is None else pick_model(listed, voice.service)
    encoding = "mulaw" if req.fmt.startswith("ulaw") else "pcm_s16le"
    rate = int(req.fmt.split("_")[1])
    live = stream or player is not None
    if models is not None:
        wanted = target or Target("", "raw", None)
        container = _check_offer(models, req, encoding, rate, wanted)
        if live and "raw" in (models.get("containers") or ["raw"]):
            container = "raw"  # frames as they render, no header to wait for
        got = client.tts(
            voice.id,
            req.text,
            {"encoding": encoding, "sample_rate": rate, "container": container},
            language=req.language,
            expressiveness=req.expressiveness,
            stability=req.stability,
        )
    else:
        if req.stability is not None:
            raise NotOffered(
                "stability",
                endpoint="/v2/tts",
                why="GET /v2/models answered 404",
                fallback="/v1/speak",
            )
        container = "wav"
        if live:
            got = client.speak_stream(voice.id, req.text, req.fmt, language=req.language)
        else:
            got = client.speak_v1(
                voice.id,
                req.text,
                req.fmt,
                language=req.language,
                expressiveness=req.expressiveness,
            )
    passthrough = target is not None and target.convert is None and not live
    if passthrough and target is not None and target.container == container:
        size = got.save(target.path)  # the service's own file, streamed to disk
    else:
        size = write_speech(got, container, Format(encoding, rate), target, player)
    return Preview(
        target.path if target else None,
        size,
        got.endpoint,
        target.file_format if target else "played",
        req.fmt,
        got.model,
        got.cost,
        notes,
        played=player is not None,
    )


class Player(Protocol):
    """Opens an output stream for a format (see :func:`open_player`)."""

    def __call__(self, fmt: Format) -> OutputStream: ...


def open_player() -> Player:
    """The default output device, checked before anything is asked of the service; a
    DeviceError (exit 5, as record's) naming why when there is none (no PortAudio, no
    device) or it cannot be opened."""

    instead = "Write a file with -o FILE."
    try:
        import sounddevice as sd  # lazy: sounddevice
    except OSError:  # the Python package is there, the PortAudio library is not
        raise DeviceError(
            "Cannot play here: PortAudio is not installed (Debian/Ubuntu: apt-get install "
            f"libportaudio2; macOS: brew install portaudio). {instead}"
        ) from None
    except Exception as exc:  # no sounddevice package; PortAudio failed to start
        raise DeviceError(f"Cannot play here: {_said(exc)}. {instead}") from None
    try:
        sd.query_devices(kind="output")
    except sd.PortAudioError:  # "Error querying device -1": there is no default output
        raise DeviceError(f"Cannot play here: no audio output device. {instead}") from None
    except Exception as exc:
        raise DeviceError(
            f"Cannot play here: no audio output device ({_said(exc)}). {instead}"
        ) from None

    def start(fmt: Format) -> OutputStream:
        try:
            stream: OutputStream = sd.RawOutputStream(
                samplerate=fmt.rate, channels=fmt.channels, dtype="int16"
            )
            stream.start()
        except Exception as exc:  # sd.PortAudioError: the device is busy or takes no such rate
            raise DeviceError(
                f"Cannot play on the audio output device: {_said(exc)}. {instead}"
            ) from None
        return stream

    return start


def _said(exc: Exception) -> str:
    """An exception's text on one line (its type's name when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def write_speech(
    got: Speech, container: str, asked: Format, target: Target | None, player: Player | None
) -> int:
    """Write (and/or play) the speech as it arrives: raw frames in ``asked``'s format, or a
    WAV whose header (placeholder sizes included) is read as it comes. The file is complete or
    absent; a WAV's sizes are backfilled once the stream ends. Only 16-bit PCM and mu-law are
    taken, and at most speechout.MAX_SECONDS of it."""

    reader = speechout.WavReader() if container == "wav" else None
    chunks = got.chunks()
    playing: list[OutputStream] = []
    writer = AtomicWriter(target.path) if target is not None else None
    try:
        with writer if writer is not None else _nothing():
            sink: speechout.Sink | None = None
            for chunk in chunks:
                payload = reader.feed(chunk) if reader is not None else chunk
                fmt = reader.format if reader is not None else asked
                if fmt is None:
                    continue
                if sink is None:
                    sink = _sink(fmt, target, writer, player, playing)
                sink.write(payload)
            if sink is None or sink.frames == 0:
                raise ServiceError(f"{got.endpoint} answered with no audio; nothing was written.")
            sink.close()
            return writer.size if writer is not None and writer.fd < 0 else _size(writer)
    except speechout.SpeechError as exc:
        raise ServiceError(
            f"{got.endpoint} answered speech bland-clone cannot write: {exc}; nothing was written."
        ) from None
    finally:
        chunks.close()
        for stream in playing:
            stream.stop()
            stream.close()


def _size(writer: AtomicWriter | None) -> int:
    if writer is None:
        return 0
    return int(os.fstat(writer.fd).st_size)


def _sink(
    fmt: Format,
    target: Target | None,
    writer: AtomicWriter | None,
    player: Player | None,
    playing: list[OutputStream],
) -> Sink:
    sinks: list[speechout.Sink] = []
    if target is not None and writer is not None:  # a target has its writer
        if target.convert is not None:
            sinks.append(speechout.EncodedSink(fmt, writer.fd, target.convert))
        elif target.container == "wav":
            patch = writer.patch if writer.fd >= 0 else None
            sinks.append(speechout.WavSink(fmt, writer, patch))
        else:
            sinks.append(speechout.RawSink(fmt, writer))
    if player is not None:
        stream = player(fmt)
        playing.append(stream)
        sinks.append(speechout.PlaySink(fmt, stream))
    return sinks[0] if len(sinks) == 1 else speechout.Tee(fmt, sinks)


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


def _check_offer(
    models: dict[str, Any], req: Request, encoding: str, rate: int, target: Target
) -> str:
    """The container to ask for; an InputError when the service does not offer the format."""
    encodings = models.get("encodings")
    rates = models.get("sample_rates")
    if isinstance(encodings, list) and encoding not in encodings:
        raise InputError(
            f"The service does not offer {req.fmt} ({encoding}) through /v2/tts; "
            f"its encodings: {', '.join(map(str, encodings))}."
        )
    if isinstance(rates, list) and rate not in rates:
        raise InputError(
            f"The service does not offer {rate} Hz through /v2/tts; "
            f"its sample rates: {', '.join(map(str, rates))}."
        )
    controls = models.get("controls")
    check_controls(req, controls if isinstance(controls, dict) else limits.TTS_CONTROLS)
    containers = models.get("containers")
    if isinstance(containers, list) and target.container not in containers:
        if "wav" in containers:
            return "wav"  # the header is taken off here
        raise InputError(
            "The service offers no container bland-clone can write "
            f"({', '.join(map(str, containers))})."
        )
    return target.container

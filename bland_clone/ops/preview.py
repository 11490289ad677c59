"""Speaking a preview: local checks first, then /v2/tts where the service offers it (GET
/v2/models answers) or /v1/speak otherwise, and a file whose format follows its extension.

Plain values in, a typed result out; nothing here prints (the commands render :class:`Preview`).
"""

from __future__ import annotations

import io
import os
import re
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import limits, speech, voice_settings
from ..errors import InputError, UsageError

if TYPE_CHECKING:
    from ..api.client import Client, Voice

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
    path: str
    bytes: int
    endpoint: str
    file_format: str
    fmt: str
    model: str | None = None
    cost: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "bytes": self.bytes,
            "format": self.fmt,
            "file_format": self.file_format,
            "endpoint": self.endpoint,
            "model": self.model,
            "cost": self.cost,
        }


def check_text(text: str) -> None:
    if not text.strip():
        raise InputError("Text to speak is empty.")
    if len(text) > limits.SPEAK_TEXT_MAX_CHARS:
        raise InputError(limits.speak_text_too_long(len(text)))
    _, problems = speech.pauses(text)
    if problems:
        raise InputError("; ".join(problems) + ".")


def check(req: Request, output: str) -> Target:
    """Every local check of a preview, before anything is sent."""
    check_text(req.text)
    if req.fmt not in limits.SPEAK_OUTPUT_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(limits.SPEAK_OUTPUT_FORMATS)}")
    if req.language is not None and not _LANGUAGE.match(req.language):
        shown = voice_settings.show_value(req.language)
        raise UsageError(f"--language must be a language code such as en or pt-BR, not {shown}")
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
        import soundfile as sf

        if convert not in sf.available_formats():
            raise InputError(
                f"Cannot write {convert} here: this libsndfile ({sf.__libsndfile_version__}) "
                "has no encoder for it. Write .wav and convert it with another tool."
            )
    return Target(output, container, convert)


def speak(client: Client, voice: Voice, req: Request, target: Target) -> Preview:
    """Speak ``req`` with ``voice`` and write ``target``: through /v2/tts when the service
    offers it, else /v1/speak. Raises before anything is written when the service's offer
    (GET /v2/models) does not include what was asked."""
    from ..files import write_file

    notes = []
    if (req.expressiveness is not None or req.stability is not None) and (
        voice.service not in (None, "BTTS_V3")
    ):
        notes.append(
            f"--expressiveness and --stability are calibrated for V3 voices; {voice.name!r} is "
            f"a {limits.engine_label(voice.service)} voice."
        )
    from ..errors import ServiceError

    try:
        models = client.tts_models()
    except ServiceError as exc:  # /v2/models unreachable: /v1/speak, unchecked against it
        notes.append(f"GET /v2/models failed ({exc.message}); speaking through /v1/speak.")
        models = None
    encoding = "pcm_mulaw" if req.fmt.startswith("ulaw") else "pcm_s16le"
    rate = int(req.fmt.split("_")[1])
    if models is not None:
        container = _check_offer(models, req, encoding, rate, target)
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
            raise InputError(
                "--stability needs /v2/tts, which this service does not offer "
                "(GET /v2/models answered 404); /v1/speak has no stability."
            )
        container = "wav"
        got = client.speak_v1(
            voice.id,
            req.text,
            req.fmt,
            language=req.language,
            expressiveness=req.expressiveness,
        )
    if target.convert is None and target.container == container:
        size = got.save(target.path)  # streamed to disk, complete or absent
    else:
        data = _to_target(got.endpoint, got.read(), container, encoding, rate, target)
        write_file(target.path, data)
        size = len(data)
    return Preview(
        target.path,
        size,
        got.endpoint,
        target.file_format,
        req.fmt,
        got.model,
        got.cost,
        notes,
    )


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


def _to_target(
    endpoint: str, data: bytes, container: str, encoding: str, rate: int, target: Target
) -> bytes:
    """The service's audio turned into what the file's extension asks for."""
    if container == "wav" and data[:4] != b"RIFF":
        from ..errors import ServiceError

        raise ServiceError(f"{endpoint} answered something that is not a WAV file.")
    if target.convert is None:
        if target.container == container:
            return data
        return _wav_payload(data)  # raw asked, WAV received: the samples without the header
    import soundfile as sf

    source = io.BytesIO(data)
    if container == "raw":
        samples, sr = sf.read(
            source,
            format="RAW",
            samplerate=rate,
            channels=1,
            subtype="ULAW" if encoding == "pcm_mulaw" else "PCM_16",
            dtype="float32",
        )
    else:
        samples, sr = sf.read(source, dtype="float32")
    out = io.BytesIO()
    subtype = {"MP3": "MPEG_LAYER_III", "FLAC": "PCM_16", "OGG": "VORBIS"}[target.convert]
    sf.write(out, samples, sr, format=target.convert, subtype=subtype)
    return out.getvalue()


def _wav_payload(data: bytes) -> bytes:
    """The bytes of a WAV file's data chunk."""
    at = 12
    while at + 8 <= len(data):
        cid, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        if cid == b"data":
            return data[at + 8 : at + 8 + size]
        at += 8 + size + (size & 1)
    from ..errors import ServiceError

    raise ServiceError("The service's WAV has no data chunk.")

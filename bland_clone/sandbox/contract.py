"""The sandbox's own reading of Bland's documented limits, written from the pages as a server
would, not from the client's code.

The sandbox imports nothing of ``bland_clone.core.limits``, ``bland_clone.core.validation`` or
``bland_clone.audio`` (tests/test_layers.py keeps it so): when the client and this module read a
page differently, a test fails instead of both being wrong together. Keep it small: limits,
messages word for word from the pages, and one function per judgement.

Sources: shared/seeds/bland-voices-clone.md (the clone page: limits and messages) and
shared/api/bland-voices-api.md (the other endpoints; the newest pages where they disagree).
"""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any

MB = 1024 * 1024  # "10MB", as a JavaScript service computes it

# -- POST /v1/voices/clone and /v1/voices/samples ---------------------------------------------
NAME_MAX = 30  # "Must be 30 characters or less" (UTF-16 units, as JavaScript counts)
GENDERS = ("male", "female")
FILE_MAX = 10 * MB
TOTAL_MAX = 25 * MB
UPLOAD_FILES_MAX = 5
SAMPLES_PER_VOICE_MAX = 5
SECONDS_MIN, SECONDS_MAX = 1.0, 60.0
#: The newest clone page: V3 "exactly 1 audio file", V2 "exactly 1 WAV file"; V1 (BTTS) voices
#: keep the older limits (samples are appended as "WAV files", at most 5 per upload).
CLONE_FILES = {"BTTS_V3": 1, "BTTS_V2": 1}

NAME_REQUIRED = "Voice name is required"
NAME_TOO_LONG = "Voice name too long"
NAME_TAKEN = "Voice name is already taken"
INVALID_GENDER = "Invalid gender"
NO_FILES = "No files provided for voice cloning."
VOICE_LIMIT = "You have reached the maximum number of voices for your plan."
INVALID_TOKEN = "Invalid token"
METHOD_NOT_ALLOWED = "Method not allowed"
SAMPLES_ONLY_BTTS = "Adding samples is only supported for BTTS voices"


def mismatched_files(service: str, count: int) -> str:
    """Not worded on the page ("mismatched files will return a Validation Error")."""
    what = "WAV file" if service == "BTTS_V2" else "audio file"
    return f"Mismatched files: {service} takes exactly 1 {what} ({count} given)"


ONLY_WAV = "Samples must be WAV files"


def _one(x: float) -> str:
    return f"{x:.1f}"


def too_many_files(n: int) -> str:
    return f"Too many files ({n}). Maximum allowed is {UPLOAD_FILES_MAX} files per upload."


def file_too_large(name: str, size: int) -> str:
    return (
        f'File "{name}" is too large ({_one(size / MB)}MB). '
        f"Maximum allowed size is {FILE_MAX // MB}MB."
    )


def total_too_large(size: int) -> str:
    return (
        f"Total upload size is too large ({_one(size / MB)}MB). "
        f"Maximum allowed total size is {TOTAL_MAX // MB}MB."
    )


def too_short(name: str, seconds: float) -> str:
    return (
        f'File "{name}" is too short (estimated {_one(seconds)}s). '
        f"Minimum duration is {SECONDS_MIN:g} seconds."
    )


def too_long(name: str, seconds: float) -> str:
    return (
        f'File "{name}" is too long (estimated {_one(seconds)}s). '
        f"Maximum duration is {SECONDS_MAX:g} seconds."
    )


def too_many_samples(adding: int, existing: int) -> str:
    return (
        f"Cannot add {adding} sample(s). Voice already has {existing} samples. "
        f"Maximum allowed is {SAMPLES_PER_VOICE_MAX} samples per voice."
    )


def name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return NAME_REQUIRED
    if len(name.encode("utf-16-le", "surrogatepass")) // 2 > NAME_MAX:
        return NAME_TOO_LONG
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        return "Voice name contains invalid characters"
    return None


def audio_seconds(data: bytes, filename: str) -> float | None:
    """The length of an uploaded file, read with soundfile, else PyAV (FFmpeg); None when it is
    not audio either can read."""
    import soundfile as sf  # lazy: soundfile

    try:
        info = sf.info(io.BytesIO(data))
        if info.samplerate > 0 and info.frames > 0:
            return float(info.frames) / float(info.samplerate)
    except Exception:
        pass
    try:
        import av  # lazy: av

        with av.open(io.BytesIO(data)) as c:
            if c.duration:
                return float(c.duration) / 1_000_000
            stream = c.streams.audio[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except Exception:
        return None
    return None


def is_wav(data: bytes) -> bool:
    return data[:4] in (b"RIFF", b"RF64") and data[8:12] == b"WAVE"


# -- speech: POST /v1/speak, /v1/speak/stream, /v2/tts ------------------------------------------
#: GET /v1/models: "max_characters": 1000 on every model.
TEXT_MAX = 1000
PAUSE_MIN, PAUSE_MAX = 0.1, 10.0
PAUSE = re.compile(r"<\|([^|<>]{0,16})\|>")
V1_FORMATS = ("pcm_8000", "pcm_16000", "pcm_24000", "pcm_44100", "ulaw_8000")
#: The v2 pages: encoding pcm_s16le or mulaw (8 kHz only), container raw (default) or wav.
ENCODINGS = ("pcm_s16le", "mulaw")
RATES = (8000, 16000, 24000, 44100, 48000)
CONTAINERS = ("raw", "wav")
DEFAULT_AUDIO = {"encoding": "pcm_s16le", "sample_rate": 48000, "container": "raw"}
CONTROLS = {
    "expressiveness": {"type": "number", "min": 0, "max": 1, "default": 0.5},
    "stability": {"type": "number", "min": 0, "max": 1, "default": 0.5},
}


def text_problem(text: object, limit: int = TEXT_MAX) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return "Text is required"
    if len(text) > limit:
        return f"Text is too long ({len(text)} characters). Maximum is {limit} characters."
    for m in PAUSE.finditer(text):
        try:
            seconds = float(m.group(1).strip())
        except ValueError:
            seconds = math.nan
        if not PAUSE_MIN <= seconds <= PAUSE_MAX:
            shown = json.dumps(m.group(0), ensure_ascii=True)[1:-1]
            return f"Invalid pause marker {shown}: pauses are from {PAUSE_MIN:g} to {PAUSE_MAX:g} s"
    return None


def speech_pieces(text: str) -> list[str | float]:
    """Spoken pieces and pauses in order (markers already judged valid)."""
    out: list[str | float] = []
    at = 0
    for m in PAUSE.finditer(text):
        if text[at : m.start()].strip():
            out.append(text[at : m.start()])
        out.append(float(m.group(1)))
        at = m.end()
    if text[at:].strip():
        out.append(text[at:])
    return out


def audio_problem(spec: dict[str, Any]) -> str | None:
    for key, allowed in (
        ("encoding", ENCODINGS),
        ("sample_rate", RATES),
        ("container", CONTAINERS),
    ):
        if spec.get(key) not in allowed:
            return f"audio.{key} must be one of {', '.join(map(str, allowed))}"
    if spec["encoding"] == "mulaw" and spec["sample_rate"] != 8000:
        return "audio.encoding mulaw is 8000 Hz only"
    return None


# -- voice settings -----------------------------------------------------------------------------
#: GET/POST /v1/voices/{id}/settings: V1 consistency and expressiveness 0-1; V2 consistency an
#: integer 0-64 (lower is more consistent) and expressiveness 0-1; V3 a boolean.
SETTINGS = {
    "BTTS": {
        "consistency": {"type": "number", "min": 0, "max": 1, "default": 0.5},
        "expressiveness": {"type": "number", "min": 0, "max": 1, "default": 0.5},
    },
    "BTTS_V2": {
        "consistency": {"type": "integer", "min": 0, "max": 64, "default": 32},
        "expressiveness": {"type": "number", "min": 0, "max": 1, "default": 0.5},
    },
    "BTTS_V3": {"boost_language_consistency": {"type": "boolean", "default": False}},
    "LEGACY": {},
}
#: The legacy PATCH /v1/voices/{id}/config page: V2 and V3 take consistency 1-32 and boost 0/1.
LEGACY_CONFIG = {
    "consistency": {"type": "integer", "min": 1, "max": 32},
    "boost": {"type": "integer", "min": 0, "max": 1},
}


def setting_problems(values: object, rules: dict[str, Any]) -> list[str]:
    if not isinstance(values, dict) or not values:
        return ["No settings given"]
    out = []
    for name, value in values.items():
        rule = rules.get(name)
        if not isinstance(rule, dict):
            out.append(f"Unknown setting for this voice: {json.dumps(name)[:80]}")
            continue
        if rule.get("type") == "boolean":
            if not isinstance(value, bool):
                out.append(f"{name} must be a boolean")
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if (
            not number
            or not math.isfinite(value)
            or (rule.get("type") == "integer" and not float(value).is_integer())
            or not rule.get("min", -math.inf) <= value <= rule.get("max", math.inf)
        ):
            kind = "an integer" if rule.get("type") == "integer" else "a number"
            out.append(f"{name} must be {kind} from {rule.get('min')} to {rule.get('max')}")
    return out


# -- ratings, the library ---------------------------------------------------------------------
RATING_MIN, RATING_MAX = 1, 5
RATING_INVALID = "Rating must be an integer from 1 to 5"
#: Per organisation, per minute.
RATINGS_PER_MINUTE = 20
LIBRARY_ADDS_PER_MINUTE = 30
SHARED_LIMIT_MAX = 100
ALREADY_IN_LIBRARY = "This voice is already in your library"
SAMPLE_IDS_REQUIRED = "sample_ids must be a non-empty list of sample ids"
SETTINGS_NOT_YOURS = "Only your own cloned voices' settings can be changed"

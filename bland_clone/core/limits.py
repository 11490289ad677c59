"""Every rule of the Bland voice service, in one table.

This module is the single place where a limit or a service message lives.
Everything else (local checks, the sandbox, help texts) reads it from here, so a
user meets one vocabulary whether a file is refused locally or by the service.
Source: shared/seeds/bland-voices-clone.md and shared/api/bland-voices-api.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MIB: Final = 1024 * 1024

#: Limits of POST /v1/voices/clone and POST /v1/voices/samples.
NAME_MAX_CHARS: Final = 30
GENDERS: Final = ("male", "female")
ENGINES: Final = ("v3", "v2")
MAX_FILE_BYTES: Final = 10 * MIB  # "10MB": binary, as a JavaScript service computes it
MAX_TOTAL_BYTES: Final = 25 * MIB
MAX_FILES_PER_UPLOAD: Final = 5
MAX_SAMPLES_PER_VOICE: Final = 5
MIN_DURATION_S: Final = 1.0
MAX_DURATION_S: Final = 60.0
RECOMMENDED_MIN_S: Final = 10.0
RECOMMENDED_MAX_S: Final = 15.0


@dataclass(frozen=True)
class EngineRule:
    """What one engine takes in one upload."""

    files: int  # at most this many files
    wav_only: bool  # anything else is converted to WAV before it is sent
    what: str  # how the pages name the files, for the message


#: The one rule of each engine, checked alike by validate, clone, add-samples, plan and apply.
#: Bland's newest clone page (docs.bland.ai/api-v1/post/voices-clone, 2026): V3 takes "exactly 1
#: audio file" (and "mismatched files will return a Validation Error"), V2 "exactly 1 WAV file";
#: the older limits (5 files per upload) now apply to V1 (BTTS) voices, whose samples are added
#: with POST /v1/voices/samples ("WAV files to append"). The seed's older page said V3 ignores
#: files after the first; the newer page is followed (docs/commands.md: where Bland's docs
#: disagree).
ENGINE_RULES: Final = {
    "v3": EngineRule(1, False, "audio file"),
    "v2": EngineRule(1, True, "WAV file"),
    "v1": EngineRule(MAX_FILES_PER_UPLOAD, True, "WAV file"),
}


def engine_file_count(engine: str, count: int) -> str:
    rule = ENGINE_RULES[engine]
    if rule.files == MAX_FILES_PER_UPLOAD:
        return too_many_files(count)
    return f"The {engine} engine takes exactly {rule.files} {rule.what}; {count} were given."


#: Limits of POST /v1/speak and /v2/tts: /v1/models reports `max_characters` per model (1,000 on
#: every model the pages show); a client that cannot read it assumes 1,000. The older /v1/speak
#: page said 5,000.
SPEAK_TEXT_MAX_CHARS: Final = 1000
SPEAK_OUTPUT_FORMATS: Final = ("pcm_8000", "pcm_16000", "pcm_24000", "pcm_44100", "ulaw_8000")

#: Extensions taken as audio when a directory is given.
AUDIO_EXTENSIONS: Final = frozenset(
    {
        ".wav",
        ".wave",
        ".mp3",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".aif",
        ".aiff",
        ".aifc",
        ".au",
        ".snd",
        ".caf",
        ".w64",
        ".m4a",
        ".mp4",
        ".aac",
        ".wma",
        ".webm",
        ".mkv",
        ".mka",
        ".mov",
        ".m4b",
        ".3gp",
        ".amr",
    }
)

# --- The service's messages, word for word -------------------------------------------

NAME_REQUIRED: Final = "Voice name is required"
NAME_TOO_LONG: Final = "Voice name too long"
NAME_TAKEN: Final = "Voice name is already taken"
INVALID_GENDER: Final = "Invalid gender"
NO_FILES: Final = "No files provided for voice cloning."
VOICE_LIMIT: Final = "You have reached the maximum number of voices for your plan."
INVALID_TOKEN: Final = "Invalid token"
METHOD_NOT_ALLOWED: Final = "Method not allowed"
SAMPLES_ONLY_BTTS: Final = "Adding samples is only supported for BTTS voices"


def _fmt_near(value: float, limit: float) -> str:
    """One decimal, as the service prints; more where one decimal would print the limit."""
    text = f"{value:.1f}"
    if value != limit and float(text) == limit:
        text = f"{value:.3f}".rstrip("0")
    return text


def mb(size: int) -> float:
    return size / MIB


def too_many_files(count: int) -> str:
    return f"Too many files ({count}). Maximum allowed is {MAX_FILES_PER_UPLOAD} files per upload."


def file_too_large(filename: str, size: int) -> str:
    shown = _fmt_near(mb(size), MAX_FILE_BYTES / MIB)
    return (
        f'File "{filename}" is too large ({shown}MB). '
        f"Maximum allowed size is {MAX_FILE_BYTES // MIB}MB."
    )


def total_too_large(size: int) -> str:
    shown = _fmt_near(mb(size), MAX_TOTAL_BYTES / MIB)
    return (
        f"Total upload size is too large ({shown}MB). "
        f"Maximum allowed total size is {MAX_TOTAL_BYTES // MIB}MB."
    )


def too_short(filename: str, seconds: float) -> str:
    shown = _fmt_near(seconds, MIN_DURATION_S)
    return (
        f'File "{filename}" is too short (estimated {shown}s). '
        f"Minimum duration is {MIN_DURATION_S:g} seconds."
    )


def too_long(filename: str, seconds: float) -> str:
    shown = _fmt_near(seconds, MAX_DURATION_S)
    return (
        f'File "{filename}" is too long (estimated {shown}s). '
        f"Maximum duration is {MAX_DURATION_S:g} seconds."
    )


def too_many_samples(adding: int, existing: int) -> str:
    return (
        f"Cannot add {adding} sample(s). Voice already has {existing} samples. "
        f"Maximum allowed is {MAX_SAMPLES_PER_VOICE} samples per voice."
    )


def speak_text_too_long(length: int, limit: int = SPEAK_TEXT_MAX_CHARS) -> str:
    return f"Text is too long ({length} characters). Maximum is {limit} characters."


# --- Voice settings: GET/POST /v1/voices/{id}/settings ----------------------------------
# The settings pages: V1 (BTTS) consistency 0-1 and expressiveness 0-1; V2 consistency, an
# integer 0-64 (lower is more consistent), and expressiveness 0-1; V3
# boost_language_consistency, a boolean. The legacy PATCH .../config page gives V2 and V3
# `consistency` 1-32 and `boost` 0/1 instead (LEGACY_CONFIG). Clients trust the `limits` the
# service returns; these are what is assumed when it reports none.

#: The engines (a voice's `service`) a user sees, by what bland-clone calls them.
ENGINE_LABELS: Final = {"BTTS": "V1 (BTTS)", "BTTS_V2": "V2", "BTTS_V3": "V3", "LEGACY": "legacy"}
#: Which engines each setting applies to.
SETTING_ENGINES: Final = {
    "consistency": ("BTTS", "BTTS_V2"),
    "expressiveness": ("BTTS", "BTTS_V2"),
    "boost_language_consistency": ("BTTS_V3",),
}
#: The per-engine ranges of the settings pages (the shape GET .../settings returns as `limits`).
VOICE_SETTINGS_LIMITS: Final = {
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
#: What a client assumes when the service reports no `limits`.
VOICE_SETTINGS_FALLBACK: Final = {
    key: VOICE_SETTINGS_LIMITS[key] for key in ("BTTS", "BTTS_V2", "BTTS_V3")
}
#: The legacy PATCH /v1/voices/{id}/config (V2 and V3 voices): consistency 1-32, boost 0/1.
LEGACY_CONFIG: Final = {
    "consistency": {"type": "integer", "min": 1, "max": 32},
    "boost": {"type": "integer", "min": 0, "max": 1},
}
NO_SETTINGS_GIVEN: Final = (
    "No settings given: set consistency, expressiveness or boost_language_consistency"
)
SETTINGS_NOT_YOURS: Final = "Only your own cloned voices' settings can be changed"


def engine_label(service: str | None) -> str:
    return ENGINE_LABELS.get(service or "", service or "unknown")


# --- Speech, the shared library, ratings, samples (the newer endpoints) -------------------

#: Pause markers <|N|> in text to speak: N seconds, from 0.1 to 10.
PAUSE_MIN_S: Final = 0.1
PAUSE_MAX_S: Final = 10.0
#: POST /v2/tts: what the sandbox offers (GET /v2/models tells a client what a service offers).
#: The v2 pages: pcm_s16le, or mulaw at 8 kHz only; container raw (the default) or wav.
TTS_ENCODINGS: Final = ("pcm_s16le", "mulaw")
TTS_SAMPLE_RATES: Final = (8000, 16000, 24000, 44100, 48000)
TTS_MULAW_RATE: Final = 8000
TTS_CONTAINERS: Final = ("raw", "wav")
TTS_DEFAULT_AUDIO: Final = {"encoding": "pcm_s16le", "sample_rate": 48000, "container": "raw"}
#: The /v2/tts controls; both are calibrated for BTTS_V3 voices.
TTS_CONTROLS: Final = {
    "expressiveness": {"type": "number", "min": 0, "max": 1, "default": 0.5},
    "stability": {"type": "number", "min": 0, "max": 1, "default": 0.5},
}
RATING_MIN: Final = 1
RATING_MAX: Final = 5
RATING_INVALID: Final = "Rating must be an integer from 1 to 5"
SHARED_LIMIT_MAX: Final = 100
ALREADY_IN_LIBRARY: Final = "This voice is already in your library"
SAMPLE_IDS_REQUIRED: Final = "sample_ids must be a non-empty list of sample ids"
SAMPLE_FORMATS: Final = ("audio", "json")


def pause_out_of_range(marker: str) -> str:
    return (
        f"Pause marker {marker} is out of range: pauses are from {PAUSE_MIN_S:g} to "
        f"{PAUSE_MAX_S:g} seconds"
    )


def pause_invalid(marker: str) -> str:
    return (
        f"Invalid pause marker {marker}: write <|N|> with N in seconds, "
        f"from {PAUSE_MIN_S:g} to {PAUSE_MAX_S:g}"
    )

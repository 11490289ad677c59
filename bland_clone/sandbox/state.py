"""The sandbox's memory: its voices and their samples, under one lock.

Its own module so that the server and the endpoint mixins (voice_api, documented) all read it
without importing each other.
"""

from __future__ import annotations

import functools
import io
import math
import secrets
import struct
import threading
import uuid
import wave
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..core.names import name_key

JSON = dict[str, Any]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass
class Sample:
    id: str
    voice_id: str
    filename: str
    audio: bytes
    duration_seconds: float
    created_at: str = field(default_factory=_now)
    transcription: str = ""

    def to_api(self) -> JSON:
        return {
            "id": self.id,
            "voice_id": self.voice_id,
            "filename": self.filename,
            "transcription": self.transcription,
            "duration_seconds": round(self.duration_seconds, 3),
            "created_at": self.created_at,
        }


@dataclass
class VoiceRecord:
    id: str
    name: str
    service: str
    description: str | None = None
    gender: str | None = None
    is_custom: bool = True
    public: bool = False
    tags: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    deleted: bool = False
    created_at: str = field(default_factory=_now)

    def to_api(self) -> JSON:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description or "",
            "public": self.public,
            "tags": list(self.tags),
            "service": self.service,
            "is_custom": self.is_custom,
            "gender": self.gender,
            "created_at": self.created_at,
        }


class SandboxState:
    """Voices in memory; every change under one lock."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        max_voices: int = 100,
        seed: bool = True,
        clone_previews: str = "own",
    ):
        self.api_key = api_key or "sk-sandbox-" + secrets.token_hex(12)
        self.max_voices = max_voices
        #: "own": a clone's previews speak in its sample's voice; "other": in a stock voice's
        #: (previews.py).
        self.clone_previews = clone_previews
        self.lock = threading.Lock()
        self.voices: dict[str, VoiceRecord] = {}
        #: Every request's method and path, for tests that assert what reached the server.
        self.requests: list[tuple[str, str]] = []
        self.uploads: list[JSON] = []
        if seed:
            for name, service in (("Maya", "BTTS_V2"), ("Josh", "BTTS_V3")):
                vid = str(uuid.uuid4())
                self.voices[vid] = VoiceRecord(
                    vid,
                    name,
                    service,
                    f"{name}, a stock voice",
                    is_custom=False,
                    public=True,
                    tags=["english"],
                )
            self.add_voice("Legacy Narrator", service="BTTS", samples=2)

    def add_voice(self, name: str, *, service: str = "BTTS_V3", samples: int = 0) -> VoiceRecord:
        vid = str(uuid.uuid4())
        v = VoiceRecord(vid, name, service, tags=["cloned"])
        for i in range(samples):
            audio = tone_wav(12.0, 16000)
            v.samples.append(Sample(str(uuid.uuid4()), vid, f"seed{i + 1}.wav", audio, 12.0))
        with self.lock:
            self.voices[vid] = v
        return v

    def live(self) -> list[VoiceRecord]:
        return [v for v in self.voices.values() if not v.deleted]

    def custom_count(self) -> int:
        return sum(1 for v in self.live() if v.is_custom)

    def find(self, ref: str) -> VoiceRecord | None:
        v = self.voices.get(ref)
        if v and not v.deleted:
            return v
        named = [v for v in self.live() if v.name == ref]
        return named[0] if len(named) == 1 else None

    def name_taken(self, name: str, *, but: str | None = None) -> bool:
        key = name_key(name)
        return any(name_key(v.name) == key and v.id != but for v in self.live() if v.is_custom)


@functools.lru_cache(maxsize=32)
def tone_wav(seconds: float, rate: int, *, ulaw: bool = False) -> bytes:
    """A quiet two-tone WAV, standing in for speech."""
    n = int(seconds * rate)
    frames = bytearray()
    for i in range(n):
        t = i / rate
        x = 0.2 * math.sin(2 * math.pi * 220 * t) + 0.1 * math.sin(2 * math.pi * 330 * t)
        if ulaw:
            frames.append(_ulaw(int(x * 32767)))
        else:
            frames += struct.pack("<h", int(x * 32767))
    if ulaw:
        fmt = struct.pack("<HHIIHH", 7, 1, rate, rate, 1, 8)
        body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        body += b"data" + struct.pack("<I", len(frames)) + bytes(frames)
        return b"RIFF" + struct.pack("<I", len(body)) + body
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return buf.getvalue()


def _ulaw(sample: int) -> int:
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exponent = max(0, min(7, sample.bit_length() - 8))
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF

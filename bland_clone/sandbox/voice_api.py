"""The sandbox's newer voice endpoints (shared/api/bland-voices-api.md, "Newer endpoints").

A mixin of :class:`~bland_clone.sandbox.server.Sandbox`: its routes are :func:`rules`, its
handlers the ``on_*`` methods below. What it keeps beyond the voices themselves (each voice's
settings, the per-engine limits it serves) lives in :func:`extras`, one per SandboxState.

- GET /v1/voices/{id}/settings: the settings and the engine's `limits` (valid ranges).
- POST /v1/voices/{id}/settings, and the legacy PATCH /v1/voices/{id}/config: set them, checked
  by the same rules and messages as the CLI (bland_clone.core.voice_settings).
- POST /v1/voices/{id}/rate ({rating} 1-5); PATCH /v1/voices/{id} ({name}: the docs' rename).
- GET /v1/voices/shared (limit, offset, search, language), POST /v1/voices/library/add/{id}.
- GET /v1/voices/{id}/samples/{sample_id}?format=audio|json, DELETE /v1/voices/{id}/samples.
- POST /v1/speak (stored: GET /v1/speak/samples[/{id}]), POST /v2/tts in the requested encoding,
  rate and container (raw: no header), GET /v2/models (no key) and GET /v1/models.

Speech is cut from the speech the sandbox holds (previews.py): a clone speaks in its own
sample's voice, a stock voice as another person; looped to the text's length, and <|N|> adds N
seconds of silence.
"""

from __future__ import annotations

import copy
import io
import json
import re
import struct
import threading
import uuid
import wave
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from . import contract as C
from .state import SandboxState, VoiceRecord, _now

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy as np
    from numpy.typing import NDArray

JSON = dict[str, Any]


#: Endpoints answered without an API key.
PUBLIC = frozenset({"models_v2"})


def rules() -> list[Rule]:
    """The routes, made anew for each Sandbox (a Rule binds to one Map)."""
    return [
        Rule("/v1/voices/<ref>/settings", endpoint="voice_settings", methods=["GET", "POST"]),
        Rule("/v1/voices/<ref>/config", endpoint="voice_settings", methods=["PATCH"]),
        Rule("/v1/voices/<ref>/rate", endpoint="rate", methods=["POST"]),
        Rule("/v1/voices/<ref>", endpoint="rename", methods=["PATCH"]),
        Rule("/v1/voices/shared", endpoint="shared", methods=["GET"]),
        Rule("/v1/voices/library/add/<ref>", endpoint="add_shared", methods=["POST"]),
        Rule("/v1/voices/<ref>/samples/<sample_id>", endpoint="sample", methods=["GET"]),
        Rule("/v1/voices/<ref>/samples", endpoint="delete_samples", methods=["DELETE"]),
        Rule("/v1/speak", endpoint="speak", methods=["POST"]),
        Rule("/v1/speak/samples", endpoint="generations", methods=["GET"]),
        Rule("/v1/speak/samples/<gen_id>", endpoint="generation", methods=["GET"]),
        Rule("/v2/tts", endpoint="tts", methods=["POST"]),
    ]


def clone_service(form: Mapping[str, str]) -> str | None:
    """The engine a clone form asks for, in either style: the docs' isBTTS_V2/isBTTS_V3 = "true",
    or bland-tts's engine = BTTS_V2/BTTS_V3 (v2/v3 too). None when they conflict or are unknown."""
    wanted = set()
    for flag, service in (("isBTTS_V2", "BTTS_V2"), ("isBTTS_V3", "BTTS_V3")):
        if str(form.get(flag, "")).lower() == "true":
            wanted.add(service)
    engine = str(form.get("engine") or "").strip().upper()
    if engine:
        named = {"BTTS_V2": "BTTS_V2", "V2": "BTTS_V2", "BTTS_V3": "BTTS_V3", "V3": "BTTS_V3"}
        if engine not in named:
            return None
        wanted.add(named[engine])
    if len(wanted) > 1:
        return None
    return wanted.pop() if wanted else "BTTS_V3"


CLONE_ENGINE_INVALID = (
    "Invalid engine: use isBTTS_V2 or isBTTS_V3 (or engine BTTS_V2 or BTTS_V3), not both"
)


def _shared_seed() -> list[JSON]:
    out = []
    for name, lang, gender, desc in (
        ("Ava", "en", "female", "Warm narrator, US English"),
        ("Mateo", "es", "male", "Calm Spanish storyteller"),
        ("Camille", "fr", "female", "Bright French presenter"),
        ("Oliver", "en", "male", "British newsreader"),
        ("Lena", "de", "female", "Friendly German support agent"),
    ):
        vid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bland-clone-sandbox-shared/{name}"))
        out.append(
            {
                "id": vid,
                "name": name,
                "description": desc,
                "language": lang,
                "gender": gender,
                "service": "BTTS_V3",
                "public": True,
                "is_custom": False,
                "tags": ["shared", lang],
                "average_rating": 4.5,
                "total_ratings": 12,
            }
        )
    return out


def _models_v2() -> list[JSON]:
    """The /v2/tts model manifests (GET /v2/tts/models; /v2/models wraps them as OpenAI does)."""
    return [
        {
            "id": model_id,
            "name": name,
            "encodings": list(C.ENCODINGS),
            "sample_rates": list(C.RATES),
            "containers": list(C.CONTAINERS),
            "controls": copy.deepcopy(C.CONTROLS),
            "defaults": dict(C.DEFAULT_AUDIO),
        }
        for model_id, name in (("btts-3", "Bland TTS 3"), ("btts-2", "Bland TTS 2"))
    ]


@dataclass
class Extras:
    """What the sandbox keeps for the newer endpoints."""

    #: {engine: {setting: {type, min, max, default}}}: a test may narrow or widen a range.
    limits: dict[str, dict[str, JSON]] = field(default_factory=lambda: copy.deepcopy(C.SETTINGS))
    #: {voice id: {setting: value}}, only what was set; defaults come from `limits`.
    settings: dict[str, JSON] = field(default_factory=dict)
    #: {voice id: [ratings]}
    ratings: dict[str, list[int]] = field(default_factory=dict)
    #: The public library (GET /v1/voices/shared).
    shared: list[JSON] = field(default_factory=_shared_seed)
    #: Stored generations of /v1/speak, newest last.
    generations: list[JSON] = field(default_factory=list)
    #: The /v2/tts models; a test may take an encoding away.
    models: list[JSON] = field(default_factory=_models_v2)
    #: GET /v1/models' max_characters (the pages: 1,000); a test may change it.
    max_characters: int = C.TEXT_MAX
    #: Seconds of the rate limits' window (a minute; a test may shorten it).
    rate_window: float = 60.0
    #: {what: [monotonic times]} of rate-limited requests (ratings, library adds).
    hits: dict[str, list[float]] = field(default_factory=dict)


_EXTRAS: weakref.WeakKeyDictionary[Any, Extras] = weakref.WeakKeyDictionary()
_EXTRAS_LOCK = threading.Lock()


def extras(state: SandboxState) -> Extras:
    with _EXTRAS_LOCK:
        ex = _EXTRAS.get(state)
        if ex is None:
            ex = _EXTRAS[state] = Extras()
        return ex


def _answer(status: int, body: JSON) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _envelope(status: int, data: object) -> Response:
    return _answer(status, {"status": status, "data": data, "errors": None})


def _fail(status: int, kind: str, message: str) -> Response:
    return _answer(
        status, {"status": status, "data": None, "errors": [{"error": kind, "message": message}]}
    )


def _not_found(what: str = "Voice") -> Response:
    return _fail(404, "Not Found", f"{what} not found")


class VoiceAPI:
    """Handlers of the newer voice endpoints; mixed into the Sandbox application."""

    state: SandboxState

    if TYPE_CHECKING:  # from documented.Documented, mixed in beside this class

        def _text_problem(self, text: object) -> str | None: ...
        def _limited(self, what: str, per_window: int) -> Response | None: ...

    def _settings_of(self, v: VoiceRecord) -> JSON:
        ex = extras(self.state)
        rules = ex.limits.get(v.service, {})
        own = ex.settings.get(v.id, {})
        return {k: own.get(k, r.get("default")) for k, r in rules.items()}

    def _settings_answer(self, v: VoiceRecord) -> JSON:
        return {
            "voice_id": v.id,
            "service": v.service,
            "settings": self._settings_of(v),
            "limits": copy.deepcopy(extras(self.state).limits.get(v.service, {})),
        }

    def on_voice_settings(self, request: Request, ref: str) -> Response:
        st = self.state
        with st.lock:
            v = st.find(ref)
            if v is None:
                return _not_found()
            if request.method == "GET":
                return _envelope(200, self._settings_answer(v))
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _fail(400, "Validation Error", "Request body must be a JSON object")
        with st.lock:
            if not v.is_custom:
                return _fail(400, "Validation Error", C.SETTINGS_NOT_YOURS)
            rules = extras(st).limits.get(v.service, {})
            if request.method == "PATCH":  # the legacy .../config page
                if v.service not in ("BTTS_V2", "BTTS_V3"):
                    return _fail(400, "Validation Error", "config applies to V2 and V3 voices")
                rules = C.LEGACY_CONFIG
            problems = C.setting_problems(body, rules)
            if problems:
                return _answer(
                    400,
                    {
                        "status": 400,
                        "data": None,
                        "errors": [{"error": "Validation Error", "message": p} for p in problems],
                    },
                )
            if request.method == "PATCH":
                body = _from_legacy(v.service, body)
            extras(st).settings.setdefault(v.id, {}).update(body)
            return _envelope(200, self._settings_answer(v))

    # -- ratings, the docs' rename, the shared library ---------------------------------------

    def on_rate(self, request: Request, ref: str) -> Response:
        body = request.get_json(silent=True)
        rating = body.get("rating") if isinstance(body, dict) else None
        if (
            not isinstance(rating, int)
            or isinstance(rating, bool)
            or not C.RATING_MIN <= rating <= C.RATING_MAX
        ):
            return _fail(400, "Validation Error", C.RATING_INVALID)
        limited = self._limited("ratings", C.RATINGS_PER_MINUTE)
        if limited is not None:
            return limited
        st = self.state
        with st.lock:
            v = st.find(ref)
            if v is None:
                return _not_found()
            got = extras(st).ratings.setdefault(v.id, [])
            got.append(rating)
            data = {
                "voice_id": v.id,
                "rating": rating,
                "average_rating": round(sum(got) / len(got), 2),
                "total_ratings": len(got),
            }
        return _envelope(200, data)

    def on_shared(self, request: Request) -> Response:
        args = request.args
        try:
            limit = int(args.get("limit", "20"))
            offset = int(args.get("offset", "0"))
        except ValueError:
            limit, offset = -1, -1
        if not 1 <= limit <= C.SHARED_LIMIT_MAX or offset < 0:
            msg = f"limit must be from 1 to {C.SHARED_LIMIT_MAX}, offset 0 or more"
            return _fail(400, "Validation Error", msg)
        search = (args.get("search") or "").casefold()
        language = (args.get("language") or "").casefold()
        with self.state.lock:
            found = [
                dict(v)
                for v in extras(self.state).shared
                if (not search or search in f"{v['name']} {v['description']}".casefold())
                and (not language or v["language"].casefold() == language)
            ]
        page = found[offset : offset + limit]
        return _envelope(
            200, {"voices": page, "total": len(found), "limit": limit, "offset": offset}
        )

    def on_add_shared(self, request: Request, ref: str) -> Response:
        st = self.state
        limited = self._limited("library adds", C.LIBRARY_ADDS_PER_MINUTE)
        if limited is not None:
            return limited
        with st.lock:
            shared = next((v for v in extras(st).shared if v["id"] == ref), None)
            if shared is None:
                return _not_found()
            have = st.voices.get(ref)
            if have is not None and not have.deleted:
                return _fail(400, "Validation Error", C.ALREADY_IN_LIBRARY)
            v = VoiceRecord(
                ref,
                shared["name"],
                shared["service"],
                description=shared["description"],
                gender=shared["gender"],
                is_custom=False,
                public=True,
                tags=["library", shared["language"]],
            )
            st.voices[ref] = v
            return _envelope(200, {"voice": v.to_api()})

    # -- one sample, deleting samples ------------------------------------------------------------

    def on_sample(self, request: Request, ref: str, sample_id: str) -> Response:
        fmt = request.args.get("format", "json")
        if fmt not in ("audio", "json"):
            return _fail(400, "Validation Error", "format must be audio or json")
        with self.state.lock:
            v = self.state.find(ref)
            s = next((s for s in v.samples if s.id == sample_id), None) if v else None
        if v is None or s is None or v.service != "BTTS":
            return _not_found("Sample")
        if fmt == "audio":
            return Response(s.audio, status=200, content_type="audio/wav")
        return _envelope(200, s.to_api())

    def on_delete_samples(self, request: Request, ref: str) -> Response:
        body = request.get_json(silent=True)
        ids = body.get("sample_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            return _fail(400, "Validation Error", C.SAMPLE_IDS_REQUIRED)
        with self.state.lock:
            v = self.state.find(ref)
            if v is None:
                return _not_found()
            if not v.is_custom:
                return _fail(
                    400, "Validation Error", "Only your own cloned voices' samples can be deleted"
                )
            have = {s.id for s in v.samples} if v.service == "BTTS" else set()
            missing = [i for i in ids if i not in have]
            if missing:
                return _fail(404, "Not Found", f"Sample not found: {missing[0]}")
            v.samples = [s for s in v.samples if s.id not in set(ids)]
            left = len(v.samples)
        return _envelope(
            200, {"voice_id": v.id, "deleted": list(dict.fromkeys(ids)), "remaining": left}
        )

    # -- speech ------------------------------------------------------------------------------

    def on_speak(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _fail(400, "Validation Error", "Request body must be JSON")
        text, ref = body.get("text"), body.get("voice_id") or body.get("voice")
        fmt = body.get("output_format") or "pcm_24000"
        problem = self._text_problem(text)
        if problem:
            return _fail(400, "Validation Error", problem)
        if fmt not in C.V1_FORMATS:
            return _fail(400, "Validation Error", f"Invalid output_format: {fmt}")
        language = body.get("language")
        if language is not None and not _language_ok(language):
            return _fail(400, "Validation Error", "Invalid language code")
        with self.state.lock:
            v = self.state.find(str(ref or ""))
        if v is None:
            return _not_found()
        rate = int(fmt.split("_")[1])
        encoding = "mulaw" if fmt.startswith("ulaw") else "pcm_s16le"
        audio = encode(render(v, str(text), rate, self.state), rate, encoding, "wav")
        cost = f"{0.0001 * len(str(text)):.4f}"
        self._store(v, str(text), fmt, language, float(cost), "/v1/speak")
        resp = Response(audio, status=200, content_type="audio/wav")
        resp.headers["x-cost"] = cost
        resp.headers["x-latency"] = "12"
        return resp

    def _store(
        self,
        v: VoiceRecord,
        text: str,
        fmt: str,
        language: object,
        cost: float | None,
        endpoint: str,
    ) -> None:
        """Every generation is kept, as Bland keeps them (GET /v1/speak/samples)."""
        with self.state.lock:
            extras(self.state).generations.append(
                {
                    "id": str(uuid.uuid4()),
                    "voice_id": v.id,
                    "text": text,
                    "output_format": fmt,
                    "language": language,
                    "cost": cost,
                    "latency_ms": 12,
                    "endpoint": endpoint,
                    "created_at": _now(),
                    "audio_url": None,
                }
            )

    def on_generations(self, request: Request) -> Response:
        voice = request.args.get("voice_id")
        try:
            limit = int(request.args.get("limit", "20"))
            offset = int(request.args.get("offset", "0"))
        except ValueError:
            return _fail(400, "Validation Error", "limit and offset must be integers")
        with self.state.lock:
            gens = [dict(g) for g in reversed(extras(self.state).generations)]
        if voice:
            gens = [g for g in gens if g["voice_id"] == voice]
        return _envelope(200, gens[max(0, offset) : max(0, offset) + max(0, limit)])

    def on_generation(self, request: Request, gen_id: str) -> Response:
        with self.state.lock:
            g = next((dict(g) for g in extras(self.state).generations if g["id"] == gen_id), None)
        return _envelope(200, g) if g else _not_found("Sample")

    def on_tts(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _v2_fail(400, "invalid_request", "Request body must be a JSON object")
        text, ref = body.get("text"), body.get("voice")
        problem = self._text_problem(text)
        if problem:
            return _v2_fail(400, "invalid_request", problem)
        with self.state.lock:
            v = self.state.find(str(ref or ""))
            wanted = "btts-2" if v is not None and v.service == "BTTS_V2" else "btts-3"
            models = extras(self.state).models
            offered = copy.deepcopy(next((m for m in models if m["id"] == wanted), models[0]))
        audio = body.get("audio") if body.get("audio") is not None else {}
        if not isinstance(audio, dict):
            return _v2_fail(400, "invalid_request", "audio must be an object")
        spec = {**C.DEFAULT_AUDIO, **audio}
        problem = C.audio_problem(spec)
        if problem is None:
            for key, allowed in (
                ("encoding", offered["encodings"]),
                ("sample_rate", offered["sample_rates"]),
                ("container", offered["containers"]),
            ):
                if spec[key] not in allowed:
                    listing = ", ".join(str(a) for a in allowed)
                    problem = f"audio.{key} must be one of {listing}"
                    break
        if problem is not None:
            return _v2_fail(400, "invalid_request", problem)
        for name, rule in offered["controls"].items():
            if name in body:
                bad = C.setting_problems({name: body[name]}, {name: rule})
                if bad:
                    return _v2_fail(400, "invalid_request", bad[0])
        if v is None:
            return _v2_fail(404, "not_found", "Voice not found")
        rate = int(spec["sample_rate"])
        data = encode(
            render(v, str(text), rate, self.state), rate, spec["encoding"], spec["container"]
        )
        fmt = f"{spec['encoding']}_{rate}_{spec['container']}"
        self._store(v, str(text), fmt, body.get("language"), None, "/v2/tts")
        ctype = "audio/wav" if spec["container"] == "wav" else "application/octet-stream"
        resp = Response(data, status=200, content_type=ctype)
        resp.headers["x-model"] = "btts-2" if v.service == "BTTS_V2" else "btts-3"
        return resp


def _from_legacy(service: str, body: JSON) -> JSON:
    """The legacy config's names as the settings page names them (boost 0/1 for V3)."""
    out = dict(body)
    if "boost" in out:
        boost = out.pop("boost")
        if service == "BTTS_V3":
            out["boost_language_consistency"] = bool(boost)
    if service == "BTTS_V3":
        out.pop("consistency", None)
    return out


def _v2_fail(status: int, code: str, message: str) -> Response:
    return _answer(status, {"error": {"code": code, "message": message}})


_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _language_ok(code: object) -> bool:
    return isinstance(code, str) and bool(_LANGUAGE.match(code))


# -- synthetic speech ---------------------------------------------------------------------------


#: The longest speech the sandbox renders for one request (5,000 characters spoken are about
#: 5 minutes); what the text asks beyond it is cut.
MAX_SPEECH_S = 300.0


def render(v: VoiceRecord, text: str, rate: int, state: SandboxState) -> NDArray[np.float32]:
    """Float samples at ``rate``: the voice's passage (previews.py) looped to the text's length
    (a two-tone hum when the sandbox holds no speech), with the silences <|N|> asks for."""
    import numpy as np  # lazy: numpy

    base = _voice_audio(v, rate, state)
    parts = []
    left = int(MAX_SPEECH_S * rate)  # 833 pauses of 10 s would be 2.3 hours: cut, not rendered
    for piece in C.speech_pieces(text):
        if left <= 0:
            break
        if isinstance(piece, float):
            n = min(left, int(piece * rate))
            parts.append(np.zeros(n, dtype=np.float32))
            left -= n
            continue
        seconds = min(30.0, max(0.5, 0.06 * len(piece)))
        n = min(left, int(seconds * rate))
        reps = -(-n // max(1, len(base)))
        parts.append(np.tile(base, reps)[:n])
        left -= n
    return np.concatenate(parts) if parts else np.zeros(int(0.5 * rate), dtype=np.float32)


def _voice_audio(v: VoiceRecord, rate: int, state: SandboxState) -> NDArray[np.float32]:
    import numpy as np  # lazy: numpy

    from . import previews  # lazy: pulls in secrets, werkzeug

    with state.lock:
        own = [s.audio for s in v.samples]
        newest = next((x.samples[0].audio for x in reversed(state.live()) if x.samples), None)
        stock = [x.name for x in state.live() if not x.is_custom]
    speak_as = previews.stand_in(stock) if state.clone_previews == "other" and v.is_custom else None
    base = previews.passage(v.name, own, newest, rate, speak_as=speak_as)
    if base is not None and len(base):
        return base
    t = np.arange(int(0.5 * rate)) / rate
    return (0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 330 * t)).astype(
        np.float32
    )


def encode(samples: NDArray[np.floating[Any]], rate: int, encoding: str, container: str) -> bytes:
    """16-bit PCM or mu-law, in a WAV file or raw (no header at all)."""
    import numpy as np  # lazy: numpy

    clipped = np.clip(samples, -1.0, 1.0)
    pcm = (clipped * 32767).astype("<i2")
    if encoding == "mulaw":
        frames = _mulaw(pcm.astype(np.int32))
        if container == "raw":
            return frames
        fmt = struct.pack("<HHIIHH", 7, 1, rate, rate, 1, 8)
        body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        body += b"data" + struct.pack("<I", len(frames)) + frames
        return b"RIFF" + struct.pack("<I", len(body)) + body
    if container == "raw":
        return bytes(pcm.tobytes())
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def _mulaw(x: NDArray[np.int32]) -> bytes:
    import numpy as np  # lazy: numpy

    sign = np.where(x < 0, 0x80, 0)
    mag = np.minimum(np.abs(x), 32635) + 0x84
    exponent = np.clip(np.floor(np.log2(mag)).astype(np.int32) - 7, 0, 7)
    mantissa = (mag >> (exponent + 3)) & 0x0F
    return bytes((~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes())

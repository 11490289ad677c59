"""The sandbox's answers to the endpoints the newer pages document (shared/api/bland-voices-api.md):
the model lists in their documented shapes, clearing a rating, the rate limits (429 with
Retry-After), correcting a sample's transcription, samples listed with their audio, and the
streamed WAV of POST /v1/speak/stream (header sizes 0xFFFFFFFF).

A mixin of :class:`~bland_clone.sandbox.server.Sandbox`, beside :mod:`.voice_api`; its routes are
:func:`rules`. The shapes are those in tests/fixtures/api/, which the tests compare.
"""

from __future__ import annotations

import base64
import copy
import math
import struct
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from . import contract as C
from .voice_api import _answer, _envelope, _fail, _not_found, _v2_fail, encode, extras, render

if TYPE_CHECKING:
    from .state import Sample, SandboxState

JSON = dict[str, Any]
#: GET /v2/models' "created" (a fixed time: the models do not change while the sandbox runs).
CREATED = 1735689600


def rules() -> list[Rule]:
    return [
        Rule("/v2/models", endpoint="models_v2", methods=["GET"]),
        Rule("/v2/tts/models", endpoint="tts_models", methods=["GET"]),
        Rule("/v2/tts/models/<model_id>", endpoint="tts_model", methods=["GET"]),
        Rule("/v1/models", endpoint="models_v1", methods=["GET"]),
        Rule("/v1/voices/<ref>/rate", endpoint="rate_clear", methods=["DELETE"]),
        Rule("/v1/voices/<ref>/samples", endpoint="samples_text", methods=["PATCH"]),
        Rule("/v1/speak/stream", endpoint="speak_stream", methods=["POST"]),
    ]


#: bland-tts's /v1/models entries, one per cloning engine.
_V1_MODELS = (
    ("BTTS_V3", "Bland TTS V3", True),
    ("BTTS_V2", "Bland TTS V2", True),
    ("BTTS", "Bland TTS V1", False),
)


class Documented:
    """Handlers mixed into the Sandbox application."""

    state: SandboxState

    # -- what the sandbox checks the same way for every speech endpoint ---------------------------

    def _text_problem(self, text: object) -> str | None:
        with self.state.lock:
            limit = extras(self.state).max_characters
        return C.text_problem(text, limit)

    def _limited(self, what: str, per_window: int) -> Response | None:
        """A 429 with Retry-After (whole seconds until the oldest request leaves the window)
        once ``per_window`` requests of ``what`` came within the window; None otherwise."""
        now = time.monotonic()
        with self.state.lock:
            ex = extras(self.state)
            recent = [t for t in ex.hits.get(what, []) if now - t < ex.rate_window]
            if len(recent) >= per_window:
                ex.hits[what] = recent
                wait = max(1, math.ceil(ex.rate_window - (now - recent[0])))
                resp = _fail(429, "Rate Limit", f"Too many {what}: at most {per_window} a minute")
                resp.headers["Retry-After"] = str(wait)
                return resp
            ex.hits[what] = [*recent, now]
        return None

    # -- models ------------------------------------------------------------------------------------

    def _tts_models(self) -> list[JSON]:
        with self.state.lock:
            return copy.deepcopy(extras(self.state).models)

    def on_models_v2(self, request: Request) -> Response:
        """OpenAI's list format; each entry carries the same manifest as /v2/tts/models."""
        data = [
            {"id": m["id"], "object": "model", "created": CREATED, "owned_by": "bland", **m}
            for m in self._tts_models()
        ]
        resp = _answer(200, {"object": "list", "data": data})
        resp.headers["Cache-Control"] = "public, max-age=300"
        return resp

    def on_tts_models(self, request: Request) -> Response:
        return _answer(200, {"models": self._tts_models()})

    def on_tts_model(self, request: Request, model_id: str) -> Response:
        found = next((m for m in self._tts_models() if m["id"] == model_id), None)
        if found is None:
            return _v2_fail(404, "not_found", "Model not found")
        return _answer(200, found)

    def on_models_v1(self, request: Request) -> Response:
        with self.state.lock:
            most = extras(self.state).max_characters
        models = [
            {
                "model_id": model_id,
                "display_name": name,
                "description": f"{name} voices",
                "sample_rates": [8000, 16000, 24000, 44100],
                "max_characters": most,
                "can_clone": can_clone,
                "languages": ["en"],
            }
            for model_id, name, can_clone in _V1_MODELS
        ]
        return _answer(200, {"models": models})

    # -- ratings -----------------------------------------------------------------------------------

    def on_rate_clear(self, request: Request, ref: str) -> Response:
        limited = self._limited("ratings", C.RATINGS_PER_MINUTE)
        if limited is not None:
            return limited
        st = self.state
        with st.lock:
            v = st.find(ref)
            if v is None:
                return _not_found()
            extras(st).ratings.pop(v.id, None)
        return _envelope(200, {"voice_id": v.id, "rating": None})

    # -- samples: their transcriptions, and listed with their audio --------------------------------

    def on_samples_text(self, request: Request, ref: str) -> Response:
        """PATCH /v1/voices/{id}/samples: {"samples": [{"id", "transcription"}]}."""
        body = request.get_json(silent=True)
        items = body.get("samples") if isinstance(body, dict) else None
        if (
            not isinstance(items, list)
            or not items
            or not all(
                isinstance(i, dict)
                and isinstance(i.get("id"), str)
                and isinstance(i.get("transcription"), str)
                for i in items
            )
        ):
            return _fail(
                400, "Validation Error", "samples must be a list of {id, transcription} objects"
            )
        st = self.state
        with st.lock:
            v = st.find(ref)
            if v is None:
                return _not_found()
            by_id = {s.id: s for s in v.samples} if v.service == "BTTS" else {}
            missing = [i["id"] for i in items if i["id"] not in by_id]
            if missing:
                return _fail(404, "Not Found", f"Sample not found: {missing[0]}")
            for i in items:
                by_id[i["id"]].transcription = i["transcription"]
            samples = [by_id[i["id"]].to_api() for i in items]
        return _envelope(200, {"voice_id": v.id, "samples": samples})

    @staticmethod
    def with_audio(sample: Sample) -> JSON:
        """A sample as listed with ?include_audio=true: its audio as base64 WAV."""
        return {**sample.to_api(), "audio": base64.b64encode(sample.audio).decode("ascii")}

    # -- POST /v1/speak/stream ---------------------------------------------------------------------

    def on_speak_stream(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _fail(400, "Validation Error", "Request body must be JSON")
        text, ref = body.get("text"), body.get("voice_id") or body.get("voice")
        problem = self._text_problem(text)
        if problem:
            return _fail(400, "Validation Error", problem)
        fmt = body.get("output_format") or "pcm_44100"
        if fmt not in C.V1_FORMATS:
            return _fail(400, "Validation Error", f"Invalid output_format: {fmt}")
        with self.state.lock:
            v = self.state.find(str(ref or ""))
        if v is None:
            return _not_found()
        rate = int(fmt.split("_")[1])
        encoding = "mulaw" if fmt.startswith("ulaw") else "pcm_s16le"
        audio = encode(render(v, str(text), rate, self.state), rate, encoding, "wav")
        header, payload = streamed_header(audio), audio[44:]

        def chunks() -> Iterator[bytes]:
            yield header
            for at in range(0, len(payload), 8192):
                yield payload[at : at + 8192]

        return Response(chunks(), status=200, content_type="audio/wav")


def streamed_header(wav: bytes) -> bytes:
    """A canonical 44-byte WAV header with the RIFF and data sizes as 0xFFFFFFFF, as the stream
    page says (the client backfills bytes 4-7 and 40-43 once the stream closes)."""
    head = bytearray(wav[:44])
    struct.pack_into("<I", head, 4, 0xFFFFFFFF)
    struct.pack_into("<I", head, 40, 0xFFFFFFFF)
    return bytes(head)

"""Client methods for the newer voice endpoints (shared/api/bland-voices-api.md, "Newer endpoints"):
speech through /v2/tts or /v1/speak with what the service reports (model, cost), /v2/models,
stored generations, ratings, the shared library, one sample by the documented path, deleting
samples. A mixin of :class:`~bland_clone.api.client.Client`, built on its ``_send``/``_json``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..core.errors import BlandCloneError, ServiceError
from ..core.wavsizes import backfilled
from .answers import generation, number, ratings
from .transport import query, segment

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    import requests


@dataclass
class Speech:
    """An answer with audio, not read yet, and what the service said about it. Read it once:
    :meth:`read` into memory, or :meth:`save` streamed into a file."""

    client: VoiceEndpoints
    resp: requests.Response
    endpoint: str  # "/v2/tts" or "/v1/speak"
    content_type: str
    model: str | None = None  # x-model
    cost: float | None = None  # x-cost

    @classmethod
    def of(cls, client: VoiceEndpoints, resp: requests.Response, endpoint: str) -> Speech:
        h = resp.headers
        return cls(
            client,
            resp,
            endpoint,
            h.get("Content-Type", ""),
            h.get("x-model"),
            _cost(h.get("x-cost")),
        )

    def read(self) -> bytes:
        return bytes(self.client._audio(self.resp, "the speech"))

    def save(self, path: str) -> int:
        """Streamed to ``path`` (complete or absent); the size written. A streamed WAV's
        placeholder sizes (0xFFFFFFFF) are backfilled before the file takes its name."""
        if self.endpoint != "/v1/speak/stream" or path == "-":
            return int(self.client.download(self.resp, path, what="the speech"))

        from ..core.files import AtomicWriter  # lazy: start-up (voices list)

        chunks = self.chunks()
        try:
            with AtomicWriter(path) as out:
                for chunk in chunks:
                    out.write(chunk)
                if out.size == 0:
                    raise ServiceError("The service answered the speech with an empty body.")
                for offset, data in backfilled(os.pread(out.fd, 44, 0), out.size):
                    out.patch(offset, data)
                return out.size
        finally:
            chunks.close()

    def chunks(self) -> Generator[bytes, None, None]:
        """The audio as it arrives (bounded; see ``Client.audio_chunks``)."""
        return self.client.audio_chunks(self.resp, "the speech")


def _q(part: str, what: str = "voice id") -> str:
    """One path segment (refused before sending when it would change the path)."""
    return segment(part, what)


def _query(params: dict[str, Any]) -> str:
    return query(params)


_T = TypeVar("_T")


def _once(fn: Callable[[], _T], what: str) -> _T:
    """Run a request that must not be repeated; a lost answer is reported, never resent."""
    from .transport import Ambiguous  # lazy: pulls in requests, urllib3

    try:
        return fn()
    except Ambiguous as amb:
        raise ServiceError(
            f"The answer to {what} was lost ({amb.why}); it was not sent again. "
            "Check before trying again."
        ) from None


def _unwrap(data: object) -> Any:
    """data['data'] when the answer has the {status, data, errors} envelope, else the answer."""
    if isinstance(data, dict) and "data" in data and data["data"] is not None:
        return data["data"]
    return data


def _model_list(data: object, key: str, path: str) -> list[dict[str, Any]]:
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ServiceError(f"The service's {path} answer has no '{key}' list.")
    return [m for m in items if isinstance(m, dict)]


def _cost(value: str | None) -> float | None:
    """x-cost as a number; None when absent or not a finite number ("nan", "inf", "abc")."""
    try:
        return number(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


class VoiceEndpoints:
    """Mixed into Client: ``_send``, ``_json``, ``_audio`` and ``_log`` come from there."""

    if TYPE_CHECKING:

        def _send(
            self, method: str, path: str, *, json_body: object = None, idempotent: bool = True
        ) -> requests.Response: ...
        def _json(self, resp: requests.Response, what: str) -> Any: ...
        def _json_or_nothing(self, resp: requests.Response, what: str) -> Any: ...
        def _audio(self, resp: requests.Response, what: str) -> bytes: ...
        def _log(self, text: str) -> None: ...
        def download(
            self,
            resp_or_request: requests.Response | tuple[str, str] | tuple[str, str, Any],
            dest_path: str,
            cap: int = ...,
            what: str = ...,
        ) -> int: ...
        def sample_to_file(self, voice_id: str, sample_id: str, path: str) -> int: ...
        def audio_chunks(
            self, resp: requests.Response, what: str = ..., cap: int | None = ...
        ) -> Generator[bytes, None, None]: ...

    # -- speech --------------------------------------------------------------------------------

    def tts_models(self) -> list[dict[str, Any]] | None:
        """GET /v2/models (no key), in OpenAI's list format ``{"object": "list", "data":
        [{"id": "btts-3", "object": "model", "owned_by", ...capabilities}]}``: the models, each
        with its encodings, sample rates, containers and controls. None when the service has no
        /v2 (404/405), so a caller falls back to /v1/speak."""
        resp = self._send("GET", "/v2/models")
        if resp.status_code in (404, 405):
            resp.close()
            return None
        return _model_list(self._json(resp, "the model list"), "data", "/v2/models")

    def tts_model_list(self) -> list[dict[str, Any]]:
        """GET /v2/tts/models (with the key): ``{"models": [...]}``."""
        data = self._json(self._send("GET", "/v2/tts/models"), "the model list")
        return _model_list(data, "models", "/v2/tts/models")

    def tts_model(self, model_id: str) -> dict[str, Any]:
        """GET /v2/tts/models/{id}: one model's manifest."""
        data = self._json(
            self._send("GET", f"/v2/tts/models/{_q(model_id, 'model id')}"), "the model"
        )
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise ServiceError("The service's model answer is not a model object with an 'id'.")
        return data

    def list_models(self) -> list[dict[str, Any]]:
        """GET /v1/models (what bland-tts reads): ``{"models": [{"model_id", "max_characters",
        ...}]}``."""
        data = _unwrap(self._json(self._send("GET", "/v1/models"), "the model list"))
        items = data.get("models") if isinstance(data, dict) else data
        return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []

    def max_characters(self, service: str | None) -> int | None:
        """The longest text a voice of engine ``service`` may speak, as GET /v1/models reports
        it (its model's ``max_characters``, else the smallest any model reports); None when the
        service does not answer it."""
        try:
            models = self.list_models()
        except BlandCloneError as exc:
            self._log(f"  GET /v1/models failed ({exc.message}); assuming the documented limit")
            return None
        limits = {
            str(m.get("model_id")): m["max_characters"]
            for m in models
            if isinstance(m.get("max_characters"), int)
            and not isinstance(m.get("max_characters"), bool)
            and m["max_characters"] > 0
        }
        if not limits:
            return None
        return int(limits.get(service or "", min(limits.values())))

    def tts(
        self,
        voice: str,
        text: str,
        audio: dict[str, Any],
        *,
        language: str | None = None,
        expressiveness: float | None = None,
        stability: float | None = None,
    ) -> Speech:
        """POST /v2/tts; ``audio`` is {encoding, sample_rate, container}."""
        body: dict[str, Any] = {"text": text, "voice": voice, "audio": audio}
        for key, value in (
            ("language", language),
            ("expressiveness", expressiveness),
            ("stability", stability),
        ):
            if value is not None:
                body[key] = value
        return Speech.of(self, self._send("POST", "/v2/tts", json_body=body), "/v2/tts")

    def speak_v1(
        self,
        voice: str,
        text: str,
        output_format: str,
        *,
        language: str | None = None,
        expressiveness: float | None = None,
    ) -> Speech:
        """POST /v1/speak with its price (x-cost) when the service reports it."""
        body: dict[str, Any] = {"text": text, "voice_id": voice, "output_format": output_format}
        if language is not None:
            body["language"] = language
        if expressiveness is not None:
            body["expressiveness"] = expressiveness
        return Speech.of(self, self._send("POST", "/v1/speak", json_body=body), "/v1/speak")

    def speak_stream(
        self, voice: str, text: str, output_format: str, *, language: str | None = None
    ) -> Speech:
        """POST /v1/speak/stream: a chunked WAV whose header sizes are 0xFFFFFFFF placeholders
        (the page: the client backfills them once the stream closes)."""
        body: dict[str, Any] = {"text": text, "voice_id": voice, "output_format": output_format}
        if language is not None:
            body["language"] = language
        resp = self._send("POST", "/v1/speak/stream", json_body=body)
        return Speech.of(self, resp, "/v1/speak/stream")

    def speech_history(
        self, *, voice_id: str | None = None, limit: int = 20, offset: int = 0
    ) -> list[dict[str, Any]]:
        """GET /v1/speak/samples: stored generations, newest first."""
        query = {"limit": limit, "offset": offset} | ({"voice_id": voice_id} if voice_id else {})
        data = _unwrap(
            self._json(self._send("GET", f"/v1/speak/samples?{_query(query)}"), "the history")
        )
        if isinstance(data, dict):
            data = data.get("samples") or data.get("generations")
        return (
            [generation(g) for g in data if isinstance(g, dict)] if isinstance(data, list) else []
        )

    def speech_generation(self, generation_id: str) -> dict[str, Any]:
        data = _unwrap(
            self._json(
                self._send("GET", f"/v1/speak/samples/{_q(generation_id, 'generation id')}"),
                "the generation",
            )
        )
        if not isinstance(data, dict):
            raise ServiceError("The stored generation's answer is not a JSON object.")
        return generation(data)

    # -- voices: ratings, the shared library ---------------------------------------------------

    def rate_voice(self, voice_id: str, rating: int) -> dict[str, Any]:
        path = f"/v1/voices/{_q(voice_id)}/rate"
        resp = _once(
            lambda: self._send("POST", path, json_body={"rating": rating}, idempotent=False),
            "the rating",
        )
        data = _unwrap(self._json_or_nothing(resp, "the rating"))
        return ratings(data) if isinstance(data, dict) else {"voice_id": voice_id, "rating": rating}

    def clear_rating(self, voice_id: str) -> None:
        """DELETE /v1/voices/{id}/rate: the caller's rating of the voice, cleared."""
        resp = self._send("DELETE", f"/v1/voices/{_q(voice_id)}/rate", idempotent=True)
        self._json_or_nothing(resp, "clearing the rating")

    def shared_voices(
        self,
        *,
        search: str | None = None,
        language: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """GET /v1/voices/shared: one page of the public library, and the total when reported."""
        query: dict[str, Any] = {"limit": limit, "offset": offset}
        if search:
            query["search"] = search
        if language:
            query["language"] = language
        resp = self._send("GET", f"/v1/voices/shared?{_query(query)}")
        data = _unwrap(self._json(resp, "the shared voices"))
        items = data.get("voices") if isinstance(data, dict) else data
        total = data.get("total") if isinstance(data, dict) else None
        voices = [v for v in items if isinstance(v, dict)] if isinstance(items, list) else []
        return voices, total if isinstance(total, int) and not isinstance(total, bool) else None

    def add_shared_voice(self, voice_id: str) -> dict[str, Any]:
        """POST /v1/voices/library/add/{id}: the voice as added to the org."""
        path = f"/v1/voices/library/add/{_q(voice_id)}"
        resp = _once(
            lambda: self._send("POST", path, json_body={}, idempotent=False), "the library add"
        )
        data = _unwrap(self._json(resp, "the library add"))
        voice = data.get("voice") if isinstance(data, dict) else None
        return voice if isinstance(voice, dict) else {"id": voice_id}

    # -- samples ---------------------------------------------------------------------------------

    def sample_file(self, voice_id: str, sample_id: str, path: str) -> tuple[int, str]:
        """Stream one sample's audio into ``path`` through the documented
        GET .../samples/{id}?format=audio; a service that does not know that path (404/405) is
        asked the older .../{id}/audio. Returns the size written and the path that answered."""
        documented = f"/v1/voices/{_q(voice_id)}/samples/{_q(sample_id, 'sample id')}?format=audio"
        resp = self._send("GET", documented)
        if resp.status_code not in (404, 405):
            return self.download(resp, path, what="the sample"), documented
        try:
            self._json(resp, "the sample")
            raise ServiceError("The service answered the sample with an error and no message.")
        except BlandCloneError as first:
            self._log("  the documented sample path failed; trying the older .../audio path")
            old = f"/v1/voices/{_q(voice_id)}/samples/{_q(sample_id, 'sample id')}/audio"
            try:
                return self.sample_to_file(voice_id, sample_id, path), old
            except BlandCloneError:
                raise first from None

    def delete_samples(self, voice_id: str, sample_ids: list[str]) -> dict[str, Any]:
        """DELETE /v1/voices/{id}/samples with {"sample_ids": [...]}."""
        resp = self._send(
            "DELETE",
            f"/v1/voices/{_q(voice_id)}/samples",
            json_body={"sample_ids": sample_ids},
            idempotent=True,
        )
        data = _unwrap(self._json_or_nothing(resp, "the sample deletion"))
        return data if isinstance(data, dict) else {"deleted": sample_ids}

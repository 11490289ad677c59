"""The endpoints of Bland's voice API, as typed methods.

The rules live in the modules beside this one: :mod:`.transport` (session, host policy, retries,
deadlines), :mod:`.answers` (envelopes, errors, voices) and :mod:`.upload` (the one description of
a multipart upload, for the dry run and for the request).

A clone is not idempotent. Before uploading, the client lists the caller's cloned voices; when
the answer is lost after the body was sent (a timeout, a reset, a 502/503/504), it waits a bounded
time for a new cloned voice with that name (matched as the service matches names) and reports it,
or stops with exit 4 saying how to check. It resends only when nothing can have been created
(the connection was refused before anything left, or a 429).
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

import requests

from ..core import safetext
from ..core.errors import (
    APIError,
    AuthError,
    BlandCloneError,
    InputError,
    NameTaken,
    OutcomeUnknown,
    ServiceError,
)
from ..core.names import name_key
from ..core.safetext import quoted
from ..core.settings import DEFAULT_API_URL, DEFAULT_TIMEOUT
from . import answers, transport
from .answers import CloneResult, Voice, dig, ident, is_id, own_voices_named, text
from .transport import (
    MAX_AUDIO_BODY,
    MAX_ERROR_BODY,
    MAX_JSON_BODY,
    Ambiguous,
    is_loopback,
    mask,
    segment,
    utf8,
)
from .upload import Body, Progress, UploadPlan
from .voice_endpoints import VoiceEndpoints

__all__ = [
    "MAX_AUDIO_BODY",
    "MAX_ERROR_BODY",
    "MAX_JSON_BODY",
    "Client",
    "CloneResult",
    "Voice",
    "is_loopback",
    "mask",
    "segment",
]

if TYPE_CHECKING:
    from ..core.audioinfo import AudioInfo

Trace = Callable[[str], None]
#: The bound of a sample list with audio: 5 samples of 10 MB, as base64, and the JSON around them.
MAX_WITH_AUDIO = 5 * 10 * 1024 * 1024 * 4 // 3 + MAX_JSON_BODY


def _utf8_body(value: object, what: str = "text") -> None:
    """Every string of a JSON body can be sent as UTF-8 (else an InputError naming it)."""
    if isinstance(value, str):
        utf8(value, what)
    elif isinstance(value, dict):
        for k, v in value.items():
            _utf8_body(v, str(k))
    elif isinstance(value, list):
        for v in value:
            _utf8_body(v, what)


def _legacy_config(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as the legacy PATCH .../config page names them: ``consistency`` and ``boost``
    (0/1, for boost_language_consistency); it has no other setting."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key == "boost_language_consistency":
            out["boost"] = int(bool(value))
        elif key == "consistency":
            out[key] = value
        else:
            raise InputError(
                f"{key} cannot be set through the legacy PATCH .../config, the only settings "
                "path this service offers (it takes consistency and boost); nothing was changed."
            )
    return out


class Client(VoiceEndpoints):
    """Bland's voice API. Every method raises a :class:`BlandCloneError` subclass on failure."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str = DEFAULT_API_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        backoff: float = 0.5,
        allow_insecure: bool = False,
        trace: Trace | None = None,
        key_origin: str | None = None,
    ) -> None:
        #: where the key came from (a variable, a profile), named when the service refuses it
        self.key_origin = key_origin
        self.transport = transport.Transport(
            api_key,
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            backoff=backoff,
            allow_insecure=allow_insecure,
            trace=trace,
        )
        self.base_url = self.transport.base_url
        self.timeout = self.transport.timeout
        self.session = self.transport.session
        #: seconds a lost clone answer waits for the voice to appear in the list
        self.recovery_wait = min(30.0, max(2.0, self.timeout))

        safetext.add_secret(self.transport._key)

    # -- plumbing (kept for callers; the rules are in transport and answers) -------------------

    def _log(self, line: str) -> None:
        self.transport.log(line)

    def _send(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        body: Callable[[], Body] | None = None,
        idempotent: bool = True,
    ) -> requests.Response:
        """One request with the retry and deadline rules; raises ``transport.Ambiguous`` when a
        non-idempotent request may have reached the service. Read the answer with
        :meth:`_json` or :meth:`download` (or close it with ``transport.finish``): its deadline
        runs until then."""
        _utf8_body(json_body)
        return self.transport.send(
            method, path, json_body=json_body, body=body, idempotent=idempotent
        )

    def _json(self, resp: requests.Response, what: str) -> Any:
        """The answer's JSON, or the error it carries, as an exception."""
        limit = MAX_JSON_BODY if resp.status_code < 400 else MAX_ERROR_BODY
        raw = transport.read_bounded(resp, limit, self.timeout)
        try:
            return answers.decode(resp, what, raw)
        except AuthError as exc:  # "Invalid token" alone does not say which key to fix
            if self.key_origin is None:
                raise
            raise AuthError(
                f"{exc.message} (the API key used: {self.key_origin})", errors=exc.errors
            ) from None

    def _json_or_nothing(self, resp: requests.Response, what: str) -> Any:
        """As :meth:`_json`, but a success with an empty body is None: the pages show no answer
        body for some changes (a rating cleared, a transcription corrected)."""
        limit = MAX_JSON_BODY if resp.status_code < 400 else MAX_ERROR_BODY
        raw = transport.read_bounded(resp, limit, self.timeout)
        if resp.status_code < 300 and not raw.strip():
            return None
        return answers.decode(resp, what, raw)

    def download(
        self,
        resp_or_request: requests.Response | tuple[str, str] | tuple[str, str, Any],
        dest_path: str,
        cap: int | None = None,
        what: str = "the audio",
    ) -> int:
        """Stream an answer's body to ``dest_path`` and return its size in bytes.

        ``resp_or_request`` is an answer from :meth:`_send`, or ``(method, path[, json_body])``
        to send first. The body goes to a temporary file beside ``dest_path`` (created with the
        umask's permissions), renamed over it only once complete; ``-`` streams to stdout.
        An error answer (4xx/5xx or JSON) raises its error; a body over ``cap`` bytes, an empty
        body, or one cut off or overdue raises a ServiceError and leaves no file.
        """
        if isinstance(resp_or_request, tuple):
            method, path, *rest = resp_or_request
            resp = self._send(method, path, json_body=rest[0] if rest else None)
        else:
            resp = resp_or_request
        from ..core.files import AtomicWriter  # lazy: start-up (voices list)

        chunks = self.audio_chunks(resp, what, cap)
        try:
            with AtomicWriter(dest_path) as sink:
                for chunk in chunks:
                    sink.write(chunk)
                if sink.size == 0:
                    raise ServiceError(f"The service answered {what} with an empty body.")
                return sink.size
        finally:
            chunks.close()

    def audio_chunks(
        self, resp: requests.Response, what: str = "the audio", cap: int | None = None
    ) -> Generator[bytes, None, None]:
        """An audio answer's body as it arrives: an error answer (4xx/5xx or JSON) raises its
        error first; past ``cap`` bytes, or cut off or overdue, a ServiceError. The answer is
        closed when the generator ends or is closed."""
        cap = transport.MAX_AUDIO_BODY if cap is None else cap
        try:
            ctype = resp.headers.get("Content-Type", "")
            if resp.status_code >= 400 or "json" in ctype:
                self._json(resp, what)
                raise ServiceError(f"The service answered {what} with JSON instead of audio.")
            got = 0
            for chunk in transport.iter_body(resp, self.timeout):
                got += len(chunk)
                if got > cap:
                    raise ServiceError(
                        f"The service's answer for {what} is larger than "
                        f"{cap // (1024 * 1024)} MB; nothing was written."
                    )
                yield chunk
        finally:
            transport.finish(resp)

    # -- endpoints -----------------------------------------------------------------------------

    def list_voices(self) -> list[Voice]:
        data = self._json(self._send("GET", "/v1/voices"), "the voice list")
        items = dig(data, "voices")
        if not isinstance(items, list):
            raise ServiceError("The service's voice list has no 'voices' array.")
        return [Voice.from_api(v) for v in items if isinstance(v, dict)]

    def get_voice(self, voice: str) -> Voice:
        data = self._json(
            self._send("GET", f"/v1/voices/{segment(voice, 'voice id')}"), "the voice"
        )
        v = dig(data, "voice")
        if not isinstance(v, dict):
            raise ServiceError("The service's answer has no 'voice' object.")
        return Voice.from_api(v)

    def find_voice(self, ref: str) -> Voice:
        """A voice by id or name (matched as the service matches names); an unknown or
        ambiguous name is an InputError."""
        voices = self.list_voices()
        by_id = [v for v in voices if v.id == ref]
        if by_id:
            return by_id[0]
        exact = [v for v in voices if v.name == ref]
        if len(exact) == 1:
            return exact[0]
        key = name_key(ref)
        same = [v for v in voices if name_key(v.name) == key]
        if len(exact) > 1 or len(same) > 1:
            matches = exact if len(exact) > 1 else same
            listing = ", ".join(f"{v.name} ({v.id})" for v in matches)
            raise InputError(f"Voice name {ref!r} is ambiguous; it matches: {listing}. Use an id.")
        if len(same) == 1:
            return same[0]
        near = [v for v in voices if key and key in name_key(v.name)][:5]
        hint = f" Similar: {', '.join(f'{v.name} ({v.id})' for v in near)}." if near else ""
        raise InputError(f"No voice with id or name {ref!r}.{hint}")

    def voice_samples(self, voice_id: str, *, include_audio: bool = False) -> list[dict[str, Any]]:
        """GET /v1/voices/{id}/samples; ``include_audio`` asks ``?include_audio=true`` (each
        sample with its audio, base64: read up to 5 samples of 10 MB, so a larger bound)."""
        path = f"/v1/voices/{segment(voice_id, 'voice id')}/samples"
        if not include_audio:
            data = self._json(self._send("GET", path), "the sample list")
        else:
            resp = self._send("GET", path + "?include_audio=true")
            limit = MAX_WITH_AUDIO if resp.status_code < 400 else MAX_ERROR_BODY
            data = answers.decode(
                resp, "the sample list", transport.read_bounded(resp, limit, self.timeout)
            )
        items = dig(data, "samples")
        return [s for s in items if isinstance(s, dict)] if isinstance(items, list) else []

    def set_sample_text(self, voice_id: str, sample_id: str, transcription: str) -> dict[str, Any]:
        """PATCH /v1/voices/{id}/samples: correct one sample's transcription."""
        body = {"samples": [{"id": sample_id, "transcription": transcription}]}
        resp = self._send(
            "PATCH", f"/v1/voices/{segment(voice_id, 'voice id')}/samples", json_body=body
        )
        data = self._json_or_nothing(resp, "the transcription")
        inner = dig(data, "data")
        return inner if isinstance(inner, dict) else {}

    def name_available(self, name: str) -> bool:
        """True when the name is free in the org (case-insensitive)."""
        data = self._json(
            self._send("POST", "/v1/voices/check_name_availability", json_body={"name": name}),
            "the name check",
        )
        result = dig(data, "result")
        if not isinstance(result, bool):
            raise ServiceError("The name check's answer has no boolean 'result'.")
        return result

    def clone(
        self,
        name: str,
        files: Sequence[AudioInfo],
        *,
        gender: str | None = None,
        description: str | None = None,
        engine: str = "v3",
        progress: Progress | None = None,
    ) -> CloneResult:
        plan = UploadPlan.clone(name, files, gender=gender, description=description, engine=engine)
        return self.send_clone(plan, progress=progress)

    def send_clone(self, plan: UploadPlan, *, progress: Progress | None = None) -> CloneResult:
        """Send a clone plan; never twice (see the module's docstring)."""
        name = dict(plan.fields)["name"]
        plan.body().close()  # the files are still the files checked, before anything is sent
        before = {v.id for v in own_voices_named(self.list_voices(), name)}
        try:
            resp = self._send(
                plan.method, plan.path, body=lambda: plan.body(progress), idempotent=False
            )
        except Ambiguous as amb:
            return self._recover_clone(name, before, amb.why)
        data = self._json(resp, "the clone")
        d = dig(data, "data")
        raw = d.get("voice_id") if isinstance(d, dict) else None
        vid = ident(raw)
        if not is_id(vid):
            what = (
                "no voice_id."
                if raw is None
                else f"a voice_id that is not an id ({quoted(text(raw) or '')})."
            )
            raise ServiceError(
                f"The clone's answer has {what} The voice {quoted(name)} may have been created: "
                "check with 'bland-clone voices list' before trying again."
            )
        return CloneResult(vid, text(d.get("name")) or name)

    def _recover_clone(self, name: str, before: set[str], why: str) -> CloneResult:
        """After a lost answer: the one cloned voice named ``name`` that was not there before the
        upload, waited for a bounded time; anything else is an outcome we cannot decide."""
        self._log(f"  {why}; looking for the new voice instead of uploading again")

        def unknown(also: str = "") -> ServiceError:
            return OutcomeUnknown(
                f"The clone's answer was lost ({why}){also}; whether {name!r} was created is "
                "unknown, so it was not uploaded again. Check with 'bland-clone voices list' "
                "before trying again. If the voice is there (it may take a minute to appear), "
                "use it; if not, run the clone again."
            )

        give_up = time.monotonic() + self.recovery_wait
        while True:
            try:
                new = [v for v in own_voices_named(self.list_voices(), name) if v.id not in before]
            except BlandCloneError as exc:
                raise unknown(f" and the voice list could not be read ({exc.message})") from None
            if len(new) == 1 and not is_id(new[0].id):
                raise ServiceError(
                    f"The clone's answer was lost ({why}); a new voice {quoted(new[0].name)} is "
                    "listed with no usable id, so it cannot be used or recorded. Check with "
                    "'bland-clone voices list' before trying again."
                )
            if len(new) == 1:
                return CloneResult(new[0].id, new[0].name, recovered=True)
            if len(new) > 1:
                ids = ", ".join(v.id for v in new)
                raise OutcomeUnknown(
                    f"The clone's answer was lost ({why}) and {len(new)} new voices named "
                    f"{name!r} appeared meanwhile ({ids}); which one this run made is unknown. "
                    "Check with 'bland-clone voices list'."
                )
            left = give_up - time.monotonic()
            if left <= 0:
                raise unknown()
            time.sleep(min(1.0, left))

    def add_samples(
        self, voice_id: str, files: Sequence[AudioInfo], *, progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        plan = UploadPlan.samples(voice_id, files)
        try:
            resp = self._send(
                plan.method, plan.path, body=lambda: plan.body(progress), idempotent=False
            )
        except Ambiguous as amb:
            raise ServiceError(
                f"The upload's answer was lost ({amb.why}); it was not sent again, so no sample "
                f"is added twice. Check with 'bland-clone samples list {voice_id}'."
            ) from None
        items = dig(self._json(resp, "the samples upload"), "samples")
        return [s for s in items if isinstance(s, dict)] if isinstance(items, list) else []

    def rename_voice(self, voice_id: str, name: str) -> dict[str, Any]:
        """Rename a voice. A lost answer, or "already taken" (a resend meeting the first rename,
        or the voice's own name), is settled by reading the voice: one that has the name was
        renamed (see :meth:`_change`)."""
        wanted = unicodedata.normalize("NFC", name).strip()

        def done() -> bool:
            v = self._listed(voice_id)
            return v is not None and unicodedata.normalize("NFC", v.name).strip() == wanted

        path = f"/v1/voices/{segment(voice_id, 'voice id')}/rename"
        data = self._change("PATCH", path, {"name": name}, "the rename", done, also=NameTaken)
        d = dig(data, "data") if data is not None else None
        return d if isinstance(d, dict) else {"voice_id": voice_id, "name": name}

    def delete_voice(self, voice_id: str) -> dict[str, Any]:
        """Delete a voice. After a lost answer, a voice gone from the list was deleted (a resend
        that meets the first delete's "Voice not found" is a success, not an error)."""
        path = f"/v1/voices/{segment(voice_id, 'voice id')}"
        data = self._change(
            "DELETE", path, None, "the delete", lambda: self._listed(voice_id) is None
        )
        d = dig(data, "data") if data is not None else None
        return d if isinstance(d, dict) else {}

    def _listed(self, voice_id: str) -> Voice | None:
        return next((v for v in self.list_voices() if v.id == voice_id), None)

    def _change(
        self,
        method: str,
        path: str,
        body: object,
        what: str,
        done: Callable[[], bool],
        *,
        also: type[APIError] | None = None,
    ) -> Any:
        """Send a change to a voice and decode its answer, never resending blind. When the answer
        is lost (a 5xx, a dropped connection, a timeout after the request was sent), ``done()``
        reads the voice first: done, it is a success (None); not done, the change is sent again
        (a few times, with the transport's backoff). A refusal after a lost answer, or one of type
        ``also``, is checked the same way before it is reported."""
        lost: str | None = None
        for attempt in range(1, self.transport.max_retries + 2):
            try:
                resp = self._send(method, path, json_body=body, idempotent=False)
            except Ambiguous as amb:
                lost = amb.why
            else:
                if resp.status_code < 500:
                    try:
                        return self._json(resp, what)
                    except APIError as exc:
                        if lost is None and not (also is not None and isinstance(exc, also)):
                            raise
                        if self._settled(done, what, lost or exc.message):
                            return None
                        raise
                lost = f"the service answered {resp.status_code}"
                transport.finish(resp)
            self._log(f"  the answer to {what} was lost ({lost}); reading the voice first")
            if self._settled(done, what, lost):
                return None
            if attempt <= self.transport.max_retries:
                time.sleep(min(self.transport.backoff * 2 ** (attempt - 1), 10.0))
        raise ServiceError(
            f"The answer to {what} was lost ({lost}) {self.transport.max_retries + 1} times, "
            "and the voice shows it was not done; try again later."
        )

    def _settled(self, done: Callable[[], bool], what: str, why: str) -> bool:
        try:
            return done()
        except BlandCloneError as exc:
            raise OutcomeUnknown(
                f"The answer to {what} was lost ({why}), and the voice could not be read to tell "
                f"whether it was done ({exc.message}). Check with 'bland-clone voices list' "
                "before trying again."
            ) from None

    def _speak_request(self, voice: str, text_: str, output_format: str) -> requests.Response:
        return self._send(
            "POST",
            "/v1/speak",
            json_body={"text": text_, "voice_id": voice, "output_format": output_format},
            idempotent=True,
        )

    def _sample_request(self, voice_id: str, sample_id: str) -> requests.Response:
        return self._send(
            "GET",
            f"/v1/voices/{segment(voice_id, 'voice id')}/samples/"
            f"{segment(sample_id, 'sample id')}/audio",
        )

    def speak(self, voice: str, text: str, output_format: str = "pcm_24000") -> bytes:
        """The speech in memory (at most MAX_AUDIO_BODY bytes); prefer :meth:`speak_to_file`."""
        return self._audio(self._speak_request(voice, text, output_format), "the speech")

    def speak_to_file(
        self, voice: str, text_: str, path: str, output_format: str = "pcm_24000"
    ) -> int:
        """Speak into ``path`` (streamed; see :meth:`download`); the size written."""
        return self.download(
            self._speak_request(voice, text_, output_format), path, what="the speech"
        )

    def sample_audio(self, voice_id: str, sample_id: str) -> bytes:
        return self._audio(self._sample_request(voice_id, sample_id), "the sample")

    def sample_to_file(self, voice_id: str, sample_id: str, path: str) -> int:
        """Download a sample's audio into ``path`` (streamed; see :meth:`download`)."""
        return self.download(self._sample_request(voice_id, sample_id), path, what="the sample")

    def _audio(self, resp: requests.Response, what: str) -> bytes:
        ctype = resp.headers.get("Content-Type", "")
        if resp.status_code >= 400 or "json" in ctype:
            self._json(resp, what)
            raise ServiceError(f"The service answered {what} with JSON instead of audio.")
        raw = transport.read_bounded(resp, MAX_AUDIO_BODY + 1, self.timeout)
        if len(raw) > MAX_AUDIO_BODY:
            raise ServiceError(f"The service's answer for {what} is larger than 512 MB.")
        if not raw:
            raise ServiceError(f"The service answered {what} with an empty body.")
        return raw

    # -- voice settings: GET/POST /v1/voices/{id}/settings (PATCH .../config is the legacy form)

    def get_voice_settings(self, voice_id: str) -> dict[str, Any]:
        """The voice's settings and their valid ranges, decoded:
        ``{"voice_id", "service", "settings": {name: value}, "limits": {name: {type, min, max}}}``.
        """
        resp = self._send("GET", f"/v1/voices/{segment(voice_id, 'voice id')}/settings")
        return self._settings_decoded(self._json(resp, "the voice settings"), voice_id)

    def set_voice_settings(self, voice_id: str, settings: dict[str, Any]) -> dict[str, Any]:
        """Set some of a voice's settings; the answer decoded as :meth:`get_voice_settings`'s.
        A service that refuses POST .../settings with 405 is asked with the legacy PATCH .../config.
        Setting the same values twice does no harm, so a lost answer is resent; when the
        answers stay lost, the voice's settings are read before the failure is reported (all set
        as asked is a success).
        """
        path = f"/v1/voices/{segment(voice_id, 'voice id')}"
        try:
            resp = self._send("POST", path + "/settings", json_body=settings, idempotent=True)
            if resp.status_code == 405:
                resp.close()
                self._log("  POST .../settings not allowed; trying the legacy PATCH .../config")
                legacy = _legacy_config(settings)
                resp = self._send("PATCH", path + "/config", json_body=legacy, idempotent=True)
            return self._settings_decoded(self._json(resp, "the settings change"), voice_id)
        except ServiceError as exc:  # lost or failed answers, not a refusal (APIError)
            try:
                now = self.get_voice_settings(voice_id)
            except BlandCloneError:
                raise exc from None
            if all(now["settings"].get(k, object()) == v for k, v in settings.items()):
                return now
            raise

    @staticmethod
    def _settings_decoded(data: object, voice_id: str) -> dict[str, Any]:
        """Bland answers with or without the {data} envelope, with the settings in ``settings`` or
        at the top, and the ranges in ``limits`` (the docs) or ``ranges`` (bland-tts's types)."""
        inner = data.get("data") if isinstance(data, dict) else None
        body = inner if isinstance(inner, dict) else data
        if not isinstance(body, dict):
            raise ServiceError("The voice settings' answer is not a JSON object.")
        meta = ("voice_id", "id", "service", "engine", "limits", "ranges", "status", "errors")
        settings = body.get("settings")
        if not isinstance(settings, dict):
            settings = {k: v for k, v in body.items() if k not in meta}
        found = body.get("limits") or body.get("ranges")
        if not isinstance(found, dict):
            found = settings.get("limits") or settings.get("ranges")
        settings = {k: v for k, v in settings.items() if k not in ("limits", "ranges")}
        return {
            "voice_id": ident(body.get("voice_id") or body.get("id")) or voice_id,
            "service": text(body.get("service") or body.get("engine")),
            "settings": settings,
            "limits": found if isinstance(found, dict) else {},
        }

    @classmethod
    def keyless(
        cls,
        base_url: str = DEFAULT_API_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        allow_insecure: bool = False,
    ) -> Client:
        """A client for the endpoints that need no key (GET /v2/models): it sends no
        Authorization header at all."""
        client = cls("no-key-" + "0" * 16, base_url, timeout=timeout, allow_insecure=allow_insecure)
        client.session.auth = lambda r: r  # no header, and no .netrc credentials either
        client.session.headers.pop("Authorization", None)
        return client

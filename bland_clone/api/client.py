"""A small typed client for Bland's voice endpoints.

- The key is sent as the raw ``Authorization`` header and nowhere else: never in a URL, a log line
  or an exception message; redirects are never followed, so it cannot travel to another host.
- Uploads stream from disk (requests-toolbelt's MultipartEncoder), with a progress callback.
- Retries: connection failures before anything was sent, 429 (honouring Retry-After), 503, and for
  idempotent requests 502/504 and read failures; bounded in count and in total waiting time.
- A clone is not idempotent: when the connection fails after the upload was sent, the client looks
  the name up and reports the voice that exists instead of uploading again. Never a duplicate.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from .. import __version__, limits
from ..audio.inspection import AudioInfo
from ..errors import (
    APIError,
    AuthError,
    BlandCloneError,
    InputError,
    NotFoundError,
    ServiceError,
    UsageError,
)
from ..settings import DEFAULT_API_URL, DEFAULT_TIMEOUT
from .wire import clone_fields, mime_type, wire_filename

MAX_ERROR_BODY = 64 * 1024  # bytes read of an answer we only need a message from
MAX_JSON_BODY = 16 * 1024 * 1024
MAX_AUDIO_BODY = 512 * 1024 * 1024

Progress = Callable[[int, int], None]  # (bytes sent, total bytes)
Trace = Callable[[str], None]


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    service: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    is_custom: bool | None = None
    public: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Voice:
        tags = d.get("tags") or []
        return cls(
            id=str(d.get("id") or d.get("voice_id") or ""),
            name=str(d.get("name") or ""),
            service=d.get("service"),
            description=d.get("description"),
            tags=[str(t) for t in tags] if isinstance(tags, list) else [],
            is_custom=d.get("is_custom"),
            public=d.get("public"),
            raw=d,
        )

    @property
    def is_cloned(self) -> bool:
        return bool(self.is_custom) or "cloned" in self.tags

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "service": self.service,
            "description": self.description,
            "tags": self.tags,
            "is_custom": self.is_custom,
        }


@dataclass(frozen=True)
class CloneResult:
    voice_id: str
    name: str
    #: True when the connection failed after the upload and the voice was found by name.
    recovered: bool = False


def is_loopback(host: str) -> bool:
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def mask(secret: str) -> str:
    """What verbose output shows of a key: never more than its last four characters."""
    return "****" + secret[-4:] if len(secret) >= 16 else "****"


class _CheckedFile:
    """A file opened for upload that must still be the file that was checked.

    It refuses a file whose size, inode or mtime changed since inspection, and never sends more
    than the checked size: the body always agrees with its check.
    """

    def __init__(self, info: AudioInfo) -> None:
        self.info = info
        try:
            self._f = open(info.path, "rb")  # noqa: SIM115 - closed by the caller
        except OSError as exc:
            raise InputError(
                f'File "{info.name}" cannot be opened for upload: {exc.strerror}'
            ) from None
        st = os.fstat(self._f.fileno())
        now = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if not stat.S_ISREG(st.st_mode) or (
            info.fingerprint is not None and now != info.fingerprint
        ):
            self._f.close()
            raise InputError(
                f'File "{info.name}" changed after it was checked; nothing was uploaded. Run again.'
            )
        self._left = st.st_size

    def __len__(self) -> int:
        return self._left

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0 or n > self._left:
            n = self._left
        data = self._f.read(n)
        if len(data) < n:
            raise InputError(f'File "{self.info.name}" shrank during the upload.')
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._f.close()


class _Body:
    """A streaming multipart body, rebuilt for each attempt."""

    def __init__(
        self, fields: list[tuple[str, str]], files: Sequence[AudioInfo], progress: Progress | None
    ):
        from requests_toolbelt.multipart.encoder import MultipartEncoder, MultipartEncoderMonitor

        self._handles: list[_CheckedFile] = []
        parts: list[tuple[str, Any]] = list(fields)
        try:
            for info in files:
                h = _CheckedFile(info)
                self._handles.append(h)
                mime = mime_type(info)
                parts.append(("audio_samples", (wire_filename(info.path), h, mime)))
        except BaseException:
            self.close()
            raise
        enc = MultipartEncoder(fields=parts)
        total = enc.len
        callback = (lambda m: progress(m.bytes_read, total)) if progress else None
        self.stream = MultipartEncoderMonitor(enc, callback)
        self.content_type = enc.content_type
        self.length = total

    def close(self) -> None:
        for h in self._handles:
            h.close()


class _Ambiguous(Exception):
    """The request may have reached the service; resending could act twice."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class Client:
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
    ) -> None:
        if not api_key:
            raise AuthError(
                "No API key: set BLAND_API_KEY (or a profile's api_key), "
                "or use --dry-run to check files without one."
            )
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"Invalid API URL {base_url!r}: expected http(s)://host[:port]")
        if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_insecure:
            raise UsageError(
                f"Refusing to send the API key over plain http to {parts.hostname}; "
                "use https, or --allow-insecure if you really mean it."
            )
        self._key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        self._trace = trace
        self.session = requests.Session()
        self.session.trust_env = True
        self.session.headers.update(
            {"Authorization": api_key, "User-Agent": f"bland-clone/{__version__}"}
        )

    # -- plumbing ------------------------------------------------------------------------

    def _log(self, text: str) -> None:
        if self._trace:
            self._trace(text.replace(self._key, mask(self._key)) if self._key else text)

    def _send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: Callable[[], _Body] | None = None,
        idempotent: bool = True,
    ) -> requests.Response:
        url = self.base_url + path
        deadline = time.monotonic() + self.max_retry_wait
        attempt = 0
        while True:
            attempt += 1
            made = body() if body else None
            headers = {"Content-Type": made.content_type} if made else {}
            self._log(f"> {method} {url} (attempt {attempt})")
            self._log(f"> Authorization: {mask(self._key)}")
            started = time.monotonic()
            try:
                resp = self.session.request(
                    method,
                    url,
                    json=json_body,
                    data=made.stream if made else None,
                    headers=headers,
                    timeout=(min(10.0, self.timeout), self.timeout),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.exceptions.RequestException as exc:
                sent = _maybe_sent(exc)
                why = _describe(exc, self.timeout)
                self._log(f"< {why}")
                if sent and not idempotent:
                    raise _Ambiguous(why) from None
                if attempt <= self.max_retries and self._sleep(attempt, None, deadline):
                    continue
                raise ServiceError(
                    f"Could not reach the service at {self.base_url}: {why}"
                ) from None
            finally:
                if made:
                    made.close()
            self._log(f"< {resp.status_code} {resp.reason} ({time.monotonic() - started:.2f}s)")
            code = resp.status_code
            retryable = code in (429, 503) or (idempotent and code in (502, 504))
            if retryable and attempt <= self.max_retries:
                wait = _retry_after(resp.headers.get("Retry-After"))
                resp.close()
                if self._sleep(attempt, wait, deadline):
                    continue
                raise ServiceError(
                    f"The service answered {code} and asked to wait longer than "
                    f"{self.max_retry_wait:g}s in total; giving up."
                )
            if code in (502, 504) and not idempotent:
                resp.close()
                raise _Ambiguous(f"the service answered {code} {resp.reason}")
            if 300 <= code < 400:
                resp.close()
                where = urlsplit(resp.headers.get("Location", "")).hostname or "elsewhere"
                raise ServiceError(
                    f"The service answered {code} redirecting to {where}; not followed "
                    "(the API key is only sent to the configured URL). Check --api-url."
                )
            return resp

    def _sleep(self, attempt: int, wanted: float | None, deadline: float) -> bool:
        delay = wanted if wanted is not None else self.backoff * (2 ** (attempt - 1))
        if time.monotonic() + delay > deadline:
            return False
        self._log(f"  retrying in {delay:.1f}s")
        time.sleep(delay)
        return True

    def _json(self, resp: requests.Response, what: str) -> Any:
        """The answer's JSON, or the error it carries, as an exception."""
        status = resp.status_code
        limit = MAX_JSON_BODY if status < 400 else MAX_ERROR_BODY
        raw = _read_bounded(resp, limit)
        try:
            data = json.loads(raw) if raw.strip() else None
        except ValueError:
            data = None
            if status < 400:
                raise ServiceError(
                    f"The service answered {what} with something that is not JSON "
                    f"({_snippet(raw, resp)})."
                ) from None
        if status >= 400 or _envelope_error(data):
            self._raise_for(status, data, raw, resp)
        if data is None:
            raise ServiceError(f"The service answered {what} with an empty body.")
        return data

    def _raise_for(self, status: int, data: Any, raw: bytes, resp: requests.Response) -> None:
        errors = _errors_of(data)
        if isinstance(data, dict) and isinstance(data.get("status"), int) and status < 400:
            status = data["status"]
        if errors:
            message = "; ".join(e["message"] for e in errors)
        else:
            message = f"The service answered {status} {resp.reason or ''}".rstrip()
            if raw.strip():
                message += f" ({_snippet(raw, resp)})"
        if status == 429:
            message = f"Rate limited by the service after retries: {message}"
        errors = errors or [{"error": f"HTTP {status}", "message": message}]
        if status in (401, 403):
            raise AuthError(message, errors=errors)
        if status == 404:
            raise NotFoundError(message, status=status, errors=errors)
        if status >= 500 or status in (405, 429):
            raise ServiceError(message, errors=errors)
        raise APIError(message, status=status, errors=errors)

    # -- endpoints -----------------------------------------------------------------------

    def list_voices(self) -> list[Voice]:
        data = self._json(self._send("GET", "/v1/voices"), "the voice list")
        items = _dig(data, "voices")
        if not isinstance(items, list):
            raise ServiceError("The service's voice list has no 'voices' array.")
        return [Voice.from_api(v) for v in items if isinstance(v, dict)]

    def get_voice(self, voice: str) -> Voice:
        data = self._json(self._send("GET", f"/v1/voices/{quote(voice, safe='')}"), "the voice")
        v = _dig(data, "voice")
        if not isinstance(v, dict):
            raise ServiceError("The service's answer has no 'voice' object.")
        return Voice.from_api(v)

    def find_voice(self, ref: str) -> Voice:
        """A voice by id or exact name; an unknown or ambiguous name is an InputError."""
        voices = self.list_voices()
        by_id = [v for v in voices if v.id == ref]
        if by_id:
            return by_id[0]
        exact = [v for v in voices if v.name == ref]
        if len(exact) == 1:
            return exact[0]
        folded = [v for v in voices if v.name.casefold() == ref.casefold()]
        if len(exact) > 1 or len(folded) > 1:
            matches = exact if len(exact) > 1 else folded
            listing = ", ".join(f"{v.name} ({v.id})" for v in matches)
            raise InputError(f"Voice name {ref!r} is ambiguous; it matches: {listing}. Use an id.")
        if len(folded) == 1:
            return folded[0]
        near = [v for v in voices if ref.casefold() in v.name.casefold()][:5]
        hint = f" Similar: {', '.join(f'{v.name} ({v.id})' for v in near)}." if near else ""
        raise InputError(f"No voice with id or name {ref!r}.{hint}")

    def voice_samples(self, voice_id: str) -> list[dict[str, Any]]:
        resp = self._send("GET", f"/v1/voices/{quote(voice_id, safe='')}/samples")
        items = _dig(self._json(resp, "the sample list"), "samples")
        return [s for s in items if isinstance(s, dict)] if isinstance(items, list) else []

    def check_name(self, name: str) -> bool:
        """True when the name is free in the org (case-insensitive)."""
        data = self._json(
            self._send("POST", "/v1/voices/check_name_availability", json_body={"name": name}),
            "the name check",
        )
        result = _dig(data, "result")
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
        fields = clone_fields(name, gender, description, engine)
        resends = 1
        while True:
            try:
                resp = self._send(
                    "POST",
                    "/v1/voices/clone",
                    body=lambda: _Body(fields, files, progress),
                    idempotent=False,
                )
                data = self._json(resp, "the clone")
            except _Ambiguous as amb:
                found = self._recover_clone(name, amb.why)
                if found:
                    return found
                if resends > 0:
                    resends -= 1  # nothing was created: a resend cannot make a duplicate
                    self._log("  no voice by that name exists; uploading again")
                    continue
                raise ServiceError(
                    f"The upload failed ({amb.why}) and no voice named {name!r} exists."
                ) from None
            except APIError as err:
                if resends == 0 and limits.NAME_TAKEN in err.message:
                    found = self._recover_clone(name, "the name was taken by the first upload")
                    if found:
                        return found
                raise
            d = _dig(data, "data")
            if not isinstance(d, dict) or not d.get("voice_id"):
                raise ServiceError("The clone's answer has no voice_id.")
            return CloneResult(str(d["voice_id"]), str(d.get("name") or name))

    def _recover_clone(self, name: str, why: str) -> CloneResult | None:
        self._log(f"  {why}; looking the name up instead of uploading again")
        try:
            voices = self.list_voices()
        except BlandCloneError as exc:
            raise ServiceError(
                f"The upload's answer was lost ({why}) and the voice list could not be read to "
                f"check whether {name!r} was created: {exc.message}. "
                "Check with 'bland-clone voices list' before trying again."
            ) from None
        for v in voices:
            if v.name == name:
                return CloneResult(v.id, v.name, recovered=True)
        return None

    def add_samples(
        self, voice_id: str, files: Sequence[AudioInfo], *, progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        fields = [("voice_id", voice_id)]
        try:
            resp = self._send(
                "POST",
                "/v1/voices/samples",
                body=lambda: _Body(fields, files, progress),
                idempotent=False,
            )
        except _Ambiguous as amb:
            raise ServiceError(
                f"The upload's answer was lost ({amb.why}); it was not sent again, so no sample "
                f"is added twice. Check with 'bland-clone samples list {voice_id}'."
            ) from None
        items = _dig(self._json(resp, "the samples upload"), "samples")
        return [s for s in items if isinstance(s, dict)] if isinstance(items, list) else []

    def rename_voice(self, voice_id: str, name: str) -> dict[str, Any]:
        resp = self._send(
            "PATCH", f"/v1/voices/{quote(voice_id, safe='')}/rename", json_body={"name": name}
        )
        d = _dig(self._json(resp, "the rename"), "data")
        return d if isinstance(d, dict) else {"voice_id": voice_id, "name": name}

    def delete_voice(self, voice_id: str) -> dict[str, Any]:
        resp = self._send("DELETE", f"/v1/voices/{quote(voice_id, safe='')}")
        d = _dig(self._json(resp, "the delete"), "data")
        return d if isinstance(d, dict) else {}

    def speak(self, voice: str, text: str, output_format: str = "pcm_24000") -> bytes:
        resp = self._send(
            "POST",
            "/v1/speak",
            json_body={"text": text, "voice_id": voice, "output_format": output_format},
            idempotent=True,
        )
        return self._audio(resp, "the speech")

    def sample_audio(self, voice_id: str, sample_id: str) -> bytes:
        resp = self._send(
            "GET",
            f"/v1/voices/{quote(voice_id, safe='')}/samples/{quote(sample_id, safe='')}/audio",
        )
        return self._audio(resp, "the sample")

    def _audio(self, resp: requests.Response, what: str) -> bytes:
        ctype = resp.headers.get("Content-Type", "")
        if resp.status_code >= 400 or "json" in ctype:
            self._json(resp, what)
        raw = _read_bounded(resp, MAX_AUDIO_BODY)
        if not raw:
            raise ServiceError(f"The service answered {what} with an empty body.")
        return raw

    # -- voice settings: GET/POST /v1/voices/{id}/settings (PATCH .../config is the legacy form)

    def get_voice_settings(self, voice_id: str) -> dict[str, Any]:
        """The voice's settings and their valid ranges, decoded:
        ``{"voice_id", "service", "settings": {name: value}, "limits": {name: {type, min, max}}}``.
        """
        resp = self._send("GET", f"/v1/voices/{quote(voice_id, safe='')}/settings")
        return self._settings_decoded(self._json(resp, "the voice settings"), voice_id)

    def set_voice_settings(self, voice_id: str, settings: dict[str, Any]) -> dict[str, Any]:
        """Set some of a voice's settings; the answer decoded as :meth:`get_voice_settings`'s.
        A service that refuses POST .../settings with 405 is asked with the legacy PATCH .../config.
        """
        path = f"/v1/voices/{quote(voice_id, safe='')}"
        resp = self._send("POST", path + "/settings", json_body=settings, idempotent=True)
        if resp.status_code == 405:
            resp.close()
            self._log("  POST .../settings not allowed; trying the legacy PATCH .../config")
            resp = self._send("PATCH", path + "/config", json_body=settings, idempotent=True)
        return self._settings_decoded(self._json(resp, "the settings change"), voice_id)

    @staticmethod
    def _settings_decoded(data: Any, voice_id: str) -> dict[str, Any]:
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
            "voice_id": str(body.get("voice_id") or body.get("id") or voice_id),
            "service": body.get("service") or body.get("engine"),
            "settings": settings,
            "limits": found if isinstance(found, dict) else {},
        }


# ---------------------------------------------------------------------------------------


def _dig(data: Any, key: str) -> Any:
    """data[key], or data['data'][key]: Bland answers both with and without an envelope."""
    if isinstance(data, dict):
        if key in data:
            return data[key]
        inner = data.get("data")
        if isinstance(inner, dict) and key in inner:
            return inner[key]
        if key == "data":
            return None
    return None


def _errors_of(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        return []
    errs = data.get("errors")
    out: list[dict[str, Any]] = []
    if isinstance(errs, list):
        for e in errs:
            if isinstance(e, dict) and e.get("message"):
                out.append({"error": str(e.get("error") or "Error"), "message": str(e["message"])})
            elif isinstance(e, str):
                out.append({"error": "Error", "message": e})
    err = data.get("error")
    if not out and isinstance(err, dict) and err.get("message"):  # /v2 shape
        out.append({"error": str(err.get("code") or "Error"), "message": str(err["message"])})
    if not out and isinstance(err, str):
        out.append({"error": "Error", "message": str(data.get("message") or err)})
    if not out and data.get("status") in ("error", "failed") and data.get("message"):
        out.append({"error": "Error", "message": str(data["message"])})
    return out


def _envelope_error(data: Any) -> bool:
    """A 200 whose envelope says it failed."""
    if not isinstance(data, dict):
        return False
    st = data.get("status")
    if isinstance(st, int) and st >= 400:
        return True
    return data.get("data", 1) is None and bool(_errors_of(data))


def _read_bounded(resp: requests.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    got = 0
    try:
        for chunk in resp.iter_content(65536):
            chunks.append(chunk)
            got += len(chunk)
            if got >= limit:
                break
    except requests.exceptions.RequestException as exc:
        raise ServiceError(f"The service's answer was cut off: {_describe(exc, None)}") from None
    finally:
        resp.close()
    return b"".join(chunks)[:limit]


def _snippet(raw: bytes, resp: requests.Response) -> str:
    ctype = resp.headers.get("Content-Type", "")
    text = raw[:2000].decode("utf-8", "replace")
    if "html" in ctype or text.lstrip().lower().startswith(("<!doctype", "<html")):
        import re

        title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        return f"an HTML page: {title.group(1).strip()}" if title else "an HTML page"
    flat = " ".join(text.split())
    return flat[:120] + ("..." if len(flat) > 120 else "")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _maybe_sent(exc: BaseException) -> bool:
    """False only when the request certainly never left: the connection was never made."""
    import urllib3.exceptions as u3

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(
            seen, (u3.NewConnectionError, u3.NameResolutionError, ConnectionRefusedError)
        ):
            return False
        reason = getattr(seen, "reason", None)
        nxt = reason if isinstance(reason, BaseException) else None
        if nxt is None and seen.args and isinstance(seen.args[0], BaseException):
            nxt = seen.args[0]
        seen = nxt or seen.__cause__ or seen.__context__
    return True


def _describe(exc: BaseException, timeout: float | None) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {timeout:g}s" if timeout else "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if not _maybe_sent(exc):
            return "connection refused or host not found"
        return "connection lost"
    if isinstance(exc, BlandCloneError):
        return exc.message
    return type(exc).__name__

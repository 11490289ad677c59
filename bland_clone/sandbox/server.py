"""A local stand-in of Bland's voice API, on 127.0.0.1, with voices kept in memory.

It follows shared/api/bland-voices-api.md: the same endpoints, limits, messages and answer shapes,
so people can try bland-clone and test their scripts with no account and no network. Multipart
bodies are parsed by Werkzeug. It accepts one API key, printed at start.

Beyond the documented API it seeds one BTTS (V1) voice, the only kind that accepts added samples,
and serves each sample's audio at GET /v1/voices/{id}/samples/{sample_id}/audio. The newer
endpoints (settings, /v2/tts, /v1/speak, models, ratings, the shared library) are in voice_api.py.
"""

from __future__ import annotations

import hmac
import json
import os
import sys
import threading
import time
import unicodedata
import uuid
from typing import TYPE_CHECKING, Any, cast

from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import contract as C
from .documented import Documented
from .documented import rules as documented_rules
from .state import Sample as Sample
from .state import SandboxState as SandboxState
from .state import VoiceRecord as VoiceRecord
from .state import tone_wav as tone_wav
from .voice_api import CLONE_ENGINE_INVALID, PUBLIC, VoiceAPI, clone_service
from .voice_api import rules as voice_api_rules

if TYPE_CHECKING:
    import io
    import socket
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

    # what socketserver hands a TCP server's process_request (a datagram server: the tuple)
    _Request = socket.socket | tuple[bytes, socket.socket]
    _Address = tuple[str, int]

JSON = dict[str, Any]

#: The largest request body the sandbox reads: the upload limit plus room for the form's framing.
MAX_REQUEST_BYTES = C.TOTAL_MAX + 1024 * 1024
#: Connections served at once; more wait in the listen queue, or get a 503 when it is full.
MAX_CONNECTIONS = 32
#: Seconds a connection may stay silent before the sandbox drops it.
CONNECTION_TIMEOUT = 30.0
#: Seconds a request's line and headers may take to arrive, in all: a client sending one header
#: line every few seconds cannot hold a connection slot for ever.
HEADER_DEADLINE = 10.0


# -- answers ---------------------------------------------------------------------------------


def envelope(status: int, data: object = None, errors: list[JSON] | None = None) -> Response:
    return Response(
        _dumps({"status": status, "data": data, "errors": errors}),
        status=status,
        content_type="application/json",
    )


def fail(status: int, kind: str, message: str) -> Response:
    return envelope(status, None, [{"error": kind, "message": message}])


def plain(status: int, body: JSON) -> Response:
    return Response(_dumps(body), status=status, content_type="application/json")


def _dumps(obj: object) -> str:
    return json.dumps(obj)


class Sandbox(VoiceAPI, Documented):
    """The WSGI application (the newer endpoints: voice_api.VoiceAPI)."""

    def __init__(self, state: SandboxState | None = None) -> None:
        self.state = state or SandboxState()
        self.url_map = Map(
            [
                Rule("/v1/voices/clone", endpoint="clone"),
                Rule("/v1/voices/check_name_availability", endpoint="check_name", methods=["POST"]),
                Rule("/v1/voices/samples", endpoint="add_samples", methods=["POST"]),
                Rule("/v1/voices", endpoint="list", methods=["GET"]),
                Rule("/v1/voices/<ref>", endpoint="get", methods=["GET"]),
                Rule("/v1/voices/<ref>", endpoint="delete", methods=["DELETE"]),
                Rule("/v1/voices/<ref>/rename", endpoint="rename", methods=["PATCH"]),
                Rule("/v1/voices/<ref>/samples", endpoint="samples", methods=["GET"]),
                Rule(
                    "/v1/voices/<ref>/samples/<sample_id>/audio",
                    endpoint="sample_audio",
                    methods=["GET"],
                ),
                *voice_api_rules(),
                *documented_rules(),
            ]
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        # Bounded while reading: a larger body is refused (413) before it is held in memory.
        request.max_content_length = MAX_REQUEST_BYTES
        request.max_form_memory_size = 1024 * 1024
        try:
            response = self.handle(request)
        except ClientDisconnected:  # the client left mid-body: one log line (the 400), no trace
            response = fail(400, "Bad Request", "The client disconnected during the request.")
        except HTTPException as exc:
            if exc.code != 413:
                raise
            response = fail(413, "Validation Error", C.total_too_large(MAX_REQUEST_BYTES))
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        st = self.state
        with st.lock:
            st.requests.append((request.method, request.path))
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException as exc:
            if exc.code == 405:
                return fail(405, "Method Error", C.METHOD_NOT_ALLOWED)
            return fail(exc.code or 404, "Not Found", "Not found")
        if endpoint not in PUBLIC and not key_accepted(
            request.headers.get("Authorization", ""), st.api_key
        ):
            return fail(401, "Authentication Error", C.INVALID_TOKEN)
        if endpoint == "clone" and request.method != "POST":
            return fail(405, "Method Error", C.METHOD_NOT_ALLOWED)
        handler = getattr(self, "on_" + endpoint)
        try:
            response: Response = handler(request, **args)
            return response
        finally:
            if "files" in request.__dict__:  # parsed: close them (parsing again would raise)
                for f in request.files.values():
                    f.close()

    # -- voice creation --------------------------------------------------------------------

    def _check_files(
        self, files: list[FileStorage], *, most: int = C.UPLOAD_FILES_MAX, wav_only: bool = False
    ) -> tuple[Response | None, list[tuple[FileStorage, bytes, float]]]:
        """The clone page's limits, judged by the sandbox's own reading (contract.py)."""
        if not files or all(not f.filename and not f.content_length for f in files):
            return fail(400, "Validation Error", C.NO_FILES), []
        if len(files) > C.UPLOAD_FILES_MAX:
            return fail(400, "Validation Error", C.too_many_files(len(files))), []
        datas = [f.read() for f in files]
        for f, data in zip(files, datas, strict=True):
            if len(data) > C.FILE_MAX:
                msg = C.file_too_large(f.filename or "file", len(data))
                return fail(400, "Validation Error", msg), []
        total = sum(len(d) for d in datas)
        if total > C.TOTAL_MAX:
            return fail(400, "Validation Error", C.total_too_large(total)), []
        out = []
        for f, data in zip(files, datas, strict=True):
            name = f.filename or "file"
            if wav_only and not C.is_wav(data):
                return fail(400, "Validation Error", C.ONLY_WAV), []
            d = C.audio_seconds(data, name) or 0.0
            if d < C.SECONDS_MIN:
                return fail(400, "Validation Error", C.too_short(name, d)), []
            if d > C.SECONDS_MAX:
                return fail(400, "Validation Error", C.too_long(name, d)), []
            out.append((f, data, d))
        return None, out

    def on_clone(self, request: Request) -> Response:
        st = self.state
        name = request.form.get("name")
        problem = C.name_problem(name)
        if problem:
            return fail(400, "Validation Error", problem)
        assert name is not None
        name = unicodedata.normalize("NFC", name).strip()  # as the service stores names
        gender = request.form.get("gender")
        if gender not in (None, "", *C.GENDERS):
            return fail(400, "Validation Error", C.INVALID_GENDER)
        service = clone_service(request.form)
        if service is None:
            return fail(400, "Validation Error", CLONE_ENGINE_INVALID)
        files = request.files.getlist("audio_samples")
        if len(files) > C.CLONE_FILES[service]:
            return fail(400, "Validation Error", C.mismatched_files(service, len(files)))
        bad, checked = self._check_files(files, wav_only=service == "BTTS_V2")
        if bad:
            return bad
        with st.lock:
            if st.name_taken(name):
                return fail(400, "Validation Error", C.NAME_TAKEN)
            if st.custom_count() >= st.max_voices:
                return fail(400, "Limit Exceeded", C.VOICE_LIMIT)
            vid = str(uuid.uuid4())
            v = VoiceRecord(
                vid,
                name,
                service,
                description=request.form.get("description") or None,
                gender=gender or None,
                tags=["cloned"],
            )
            for f, data, d in checked:
                v.samples.append(Sample(str(uuid.uuid4()), vid, f.filename or "file", data, d))
            st.voices[vid] = v
            st.uploads.append(
                {
                    "endpoint": "clone",
                    "fields": dict(request.form),
                    "filenames": [f.filename for f, _, _ in checked],
                    "sizes": [len(d) for _, d, _ in checked],
                }
            )
        return envelope(200, {"voice_id": vid, "name": name})

    def on_add_samples(self, request: Request) -> Response:
        st = self.state
        vid = request.form.get("voice_id", "")
        v = st.find(vid)
        if v is None:
            return fail(404, "Not Found", "Voice not found")
        if v.service != "BTTS":
            return fail(400, "Validation Error", C.SAMPLES_ONLY_BTTS)
        files = request.files.getlist("audio_samples")
        with st.lock:
            existing = len(v.samples)
        if files and existing + len(files) > C.SAMPLES_PER_VOICE_MAX:
            msg = C.too_many_samples(len(files), existing)
            return fail(400, "Validation Error", msg)
        bad, checked = self._check_files(files, wav_only=True)  # "WAV files to append"
        if bad:
            return bad
        with st.lock:
            if len(v.samples) + len(checked) > C.SAMPLES_PER_VOICE_MAX:
                msg = C.too_many_samples(len(checked), len(v.samples))
                return fail(400, "Validation Error", msg)
            new = [
                Sample(str(uuid.uuid4()), v.id, f.filename or "file", data, d)
                for f, data, d in checked
            ]
            v.samples.extend(new)
            st.uploads.append(
                {
                    "endpoint": "samples",
                    "fields": dict(request.form),
                    "filenames": [f.filename for f, _, _ in checked],
                    "sizes": [len(d) for _, d, _ in checked],
                }
            )
        return plain(200, {"status": "success", "samples": [s.to_api() for s in new]})

    # -- reading and changing voices ---------------------------------------------------------

    def on_check_name(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            return fail(400, "Validation Error", C.NAME_REQUIRED)
        with self.state.lock:
            taken = self.state.name_taken(name)
        return plain(
            200,
            {
                "status": "success",
                "result": not taken,
                "message": C.NAME_TAKEN if taken else "Voice name is available",
            },
        )

    def on_list(self, request: Request) -> Response:
        with self.state.lock:
            voices = [v.to_api() for v in self.state.live()]
        return plain(200, {"voices": voices})

    def on_get(self, request: Request, ref: str) -> Response:
        with self.state.lock:
            v = self.state.find(ref)
        if v is None:
            return plain(
                404,
                {"data": None, "errors": [{"error": "NOT_FOUND", "message": "Voice not found"}]},
            )
        return plain(200, {"voice": v.to_api()})

    def on_samples(self, request: Request, ref: str) -> Response:
        with self.state.lock:
            v = self.state.find(ref)
        if v is None:
            return plain(
                404,
                {"data": None, "errors": [{"error": "NOT_FOUND", "message": "Voice not found"}]},
            )
        if not v.is_custom:
            return plain(
                400,
                {
                    "data": None,
                    "errors": [
                        {
                            "error": "VOICE_SAMPLES_ERROR",
                            "message": "Samples are not available for this voice",
                        }
                    ],
                },
            )
        with_audio = request.args.get("include_audio", "").lower() == "true"
        listed = v.samples if v.service == "BTTS" else []
        samples = [self.with_audio(s) if with_audio else s.to_api() for s in listed]
        return plain(200, {"samples": samples})

    def on_sample_audio(self, request: Request, ref: str, sample_id: str) -> Response:
        with self.state.lock:
            v = self.state.find(ref)
            s = next((s for s in v.samples if s.id == sample_id), None) if v else None
        if v is None or s is None or v.service != "BTTS":
            return plain(
                404,
                {"data": None, "errors": [{"error": "NOT_FOUND", "message": "Sample not found"}]},
            )
        return Response(s.audio, status=200, content_type="audio/wav")

    def on_delete(self, request: Request, ref: str) -> Response:
        with self.state.lock:
            v = self.state.find(ref)
            if v is None:
                return fail(404, "Not Found", "Voice not found")
            if not v.is_custom:
                return fail(400, "Validation Error", "Only your own cloned voices can be deleted")
            v.deleted = True
        return plain(
            200, {"data": {"status": "success", "message": "Voice deleted"}, "errors": None}
        )

    def on_rename(self, request: Request, ref: str) -> Response:
        body = request.get_json(silent=True) or {}
        name = body.get("name") if isinstance(body, dict) else None
        problem = C.name_problem(name)
        if problem:
            return fail(400, "Validation Error", problem)
        assert isinstance(name, str)
        with self.state.lock:
            v = self.state.find(ref)
            if v is None:
                return fail(404, "Not Found", "Voice not found")
            if not v.is_custom:
                return fail(400, "Validation Error", "Only your own cloned voices can be renamed")
            if self.state.name_taken(name, but=v.id):
                return fail(400, "Validation Error", C.NAME_TAKEN)
            v.name = name
        return plain(200, {"data": {"name": name, "voice_id": v.id}, "errors": None})


def key_accepted(header: str, key: str) -> bool:
    """What Bland accepts: the reference pages send the raw key, the speech quickstart sends
    ``Bearer <key>`` to /v1/voices and /v2/tts alike; either form, compared in constant time."""
    given = header[7:] if header[:7].lower() == "bearer " else header
    return hmac.compare_digest(given.encode("utf-8", "replace"), key.encode("utf-8", "replace"))


def _colour_ok() -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Deadline:
    """A request's reader while its line and headers arrive: from the request's first byte,
    each line may wait only for what is left of ``seconds``; then the read times out and the
    connection is dropped. (Before the first byte, an idle kept-alive connection waits as any
    silent one does, CONNECTION_TIMEOUT.)"""

    def __init__(self, plain: io.BufferedReader, sock: socket.socket, seconds: float) -> None:
        self.plain, self.sock, self.seconds = plain, sock, seconds
        self.until: float | None = None

    def readline(self, limit: int = -1) -> bytes:
        if self.until is None:
            self.sock.settimeout(CONNECTION_TIMEOUT)
            if not self.plain.peek(1):
                return b""  # the client closed the connection
            self.until = time.monotonic() + self.seconds
        left = self.until - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request's headers took too long")
        self.sock.settimeout(min(left, CONNECTION_TIMEOUT))
        return bytes(self.plain.readline(limit))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.plain, name)


def make_server(
    app: WSGIApplication, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True
) -> ThreadedWSGIServer:
    """A threaded Werkzeug server; ``server.server_port`` tells the port when 0 was asked.

    At most MAX_CONNECTIONS connections are served at once (each a thread); a connection silent
    for CONNECTION_TIMEOUT seconds is dropped, so slow clients cannot hold threads for ever.
    """
    from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler  # lazy: werkzeug

    class Handler(WSGIRequestHandler):
        timeout = CONNECTION_TIMEOUT

        def handle_one_request(self) -> None:
            # the request line and headers must all arrive by the deadline: each read of them
            # may wait only for what is left of it (no thread per connection to watch it)
            plain = self.rfile
            # a socket's makefile("rb"): a BufferedReader, which can peek
            reader = cast("io.BufferedReader", plain)
            self.rfile = _Deadline(reader, self.connection, HEADER_DEADLINE)  # type: ignore[assignment]
            try:
                super().handle_one_request()
            finally:
                self.rfile = plain

        def parse_request(self) -> bool:
            ok = bool(super().parse_request())
            if isinstance(self.rfile, _Deadline):  # the headers are in; the body has its own
                self.rfile = self.rfile.plain
                self.connection.settimeout(CONNECTION_TIMEOUT)
            return ok

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if quiet:
                return
            if _colour_ok():
                super().log_request(code, size)
                return
            # Werkzeug colours the line whatever stderr is: plain text into a file or a pipe
            msg = self.requestline.translate(self._control_char_table)
            self.log("info", '"%s" %s %s', msg, code, size)

    class Server(ThreadedWSGIServer):
        request_queue_size = 64

        def __init__(
            self, host: str, port: int, app: WSGIApplication, handler: type[WSGIRequestHandler]
        ) -> None:
            super().__init__(host, port, app, handler=handler)
            self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

        def process_request(self, request: _Request, client_address: _Address) -> None:
            if not self.slots.acquire(timeout=5.0):
                sock = request[1] if isinstance(request, tuple) else request
                try:
                    sock.sendall(
                        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                        b"Connection: close\r\n\r\n"
                    )
                except OSError:
                    pass
                self.shutdown_request(request)
                return
            try:
                super().process_request(request, client_address)
            except BaseException:
                self.slots.release()
                raise

        def process_request_thread(self, request: _Request, client_address: _Address) -> None:
            try:
                super().process_request_thread(request, client_address)
            finally:
                self.slots.release()

    return Server(host, port, app, handler=Handler)

"""Real HTTP servers on 127.0.0.1 for the tests: the sandbox, a fault-injecting wrapper around
it, and a TCP proxy that breaks connections. No mocking of requests anywhere."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wsgi import get_input_stream

from bland_clone.sandbox import Sandbox, SandboxState, make_server


@dataclass
class Fault:
    method: str
    path: str
    status: int = 500
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    after: bool = False  # let the sandbox handle the request first, then answer this instead
    hits: int = 0
    delay: float = 0.0  # seconds to wait before handling the request
    #: called with the request's headers before anything else (e.g. to remove a folder)
    action: Callable[[dict[str, str]], None] | None = None
    passthrough: bool = False  # after delay/action, let the sandbox answer as usual
    echo_key: bool = False  # answer an error whose message holds the Authorization header
    #: a body produced as it is sent (endless, trickled), with no Content-Length unless given
    stream: Callable[[], Iterable[bytes]] | None = None
    #: match only the Nth request that changes something (not a GET), counted by Faults.changes
    step: int | None = None
    #: called as the request arrives, before ``delay`` (e.g. to signal the client)
    arrive: Callable[[], None] | None = None
    #: called once the sandbox has handled the request (``after`` or ``passthrough``), before
    #: anything is answered (e.g. to kill the client right after the step was made)
    then: Callable[[], None] | None = None
    stall: float = 0.0  # seconds between handling the request and answering
    drop: bool = False  # once handled, abort the connection instead of answering
    handled: threading.Event = field(default_factory=threading.Event)


class Faults:
    """WSGI middleware answering scripted faults for matching requests, in order."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.rules: list[Fault] = []
        self.lock = threading.Lock()
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        #: the bodies of requests a fault answered (drained), in order
        self.bodies: list[str] = []
        #: requests that change something (every method but GET) seen so far
        self.changes = 0

    def add(self, method: str, path: str, **kw: Any) -> Fault:
        f = Fault(method, path, **kw)
        with self.lock:
            self.rules.append(f)
        return f

    def at_step(self, n: int, method: str = "*", path: str = "/", **kw: Any) -> Fault:
        """A fault for the Nth request from now that changes something (any method but GET):
        e.g. ``after=True, status=503`` (made, then answered 503), ``after=True, drop=True``
        (made, connection dropped), ``passthrough=True, stall=30`` (made, answer withheld)."""
        with self.lock:
            first = self.changes
        return self.add(method, path, step=first + n, **kw)

    def _handled(self, rule: Fault, environ: dict[str, Any]) -> None:
        if rule.then:
            rule.then()
        rule.handled.set()
        if rule.stall:
            time.sleep(rule.stall)
        if rule.drop:
            _kill(environ["werkzeug.socket"])

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        headers = {
            k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        for k in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(k):
                headers[k.replace("_", "-").title()] = environ[k]
        with self.lock:
            self.seen.append((method, path, headers))
            if method != "GET":
                self.changes += 1
            rule = next(
                (
                    r
                    for r in self.rules
                    if r.times > 0
                    and r.method in (method, "*")
                    and path.startswith(r.path)
                    and (r.step is None or (method != "GET" and r.step == self.changes))
                ),
                None,
            )
            if rule:
                rule.times -= 1
                rule.hits += 1
        if rule is None:
            return self.app(environ, start_response)
        if rule.arrive:
            rule.arrive()
        if rule.delay:
            time.sleep(rule.delay)
        if rule.action:
            rule.action(headers)
        if rule.passthrough:
            if not (rule.then or rule.stall or rule.drop):
                return self.app(environ, start_response)
            said: list[Any] = []
            body = b"".join(self.app(environ, lambda *a: said.append(a)))
            self._handled(rule, environ)
            if rule.drop:
                return []
            start_response(*said[0])
            return [body]
        if rule.stream is not None:
            get_input_stream(environ).read()
            start_response(f"{rule.status} X", list(rule.headers.items()))
            return rule.stream()
        if rule.echo_key:
            import json

            key = headers.get("Authorization", "")
            rule.body = json.dumps(
                {"data": None, "errors": [{"error": "Bad", "message": f"bad key {key} here"}]}
            ).encode()
            rule.headers = {"Content-Type": "application/json"}
        if rule.after:
            for _ in self.app(environ, lambda *a, **k: None):
                pass
            self._handled(rule, environ)
            if rule.drop:
                return []
        else:  # drain the request body like a proxy would
            stream = get_input_stream(environ)
            drained = bytearray()
            while chunk := stream.read(65536):
                if len(drained) < 65536:
                    drained += chunk
            self.bodies.append(drained[:65536].decode("utf-8", "replace"))
        hdrs = [("Content-Type", "text/plain")] if not rule.headers else []
        hdrs += [*rule.headers.items(), ("Content-Length", str(len(rule.body)))]
        start_response(f"{rule.status} X", hdrs)
        return [rule.body]


class ServerThread:
    def __init__(self, app: Any) -> None:
        self.server = make_server(app, "127.0.0.1", 0)
        self.port = self.server.server_port
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Service:
    """The sandbox behind a fault injector, served for real on 127.0.0.1."""

    def __init__(self, key: str = "sk-test-0123456789abcdef", **state: Any) -> None:
        self.state = SandboxState(api_key=key, **state)
        self.faults = Faults(Sandbox(self.state))
        self.http = ServerThread(self.faults)

    @property
    def url(self) -> str:
        return self.http.url

    @property
    def key(self) -> str:
        return self.state.api_key

    def voices_named(self, name: str) -> list[Any]:
        return [v for v in self.state.live() if v.name == name]

    def posts(self, path: str) -> int:
        return sum(1 for m, p, _ in self.faults.seen if m == "POST" and p == path)

    def spoken(self) -> list[dict[str, Any]]:
        """Every preview the sandbox spoke (voice_id, text, language...), oldest first."""
        from bland_clone.sandbox.voice_api import extras

        with self.state.lock:
            return [dict(g) for g in extras(self.state).generations]

    def close(self) -> None:
        self.http.close()


class BreakingProxy:
    """A TCP proxy in front of a server that breaks connections on purpose.

    Each new connection takes the next mode from ``modes`` (then "pass"):
    - "pass": forward both ways;
    - "drop_response": forward the request, then close when the answer starts (it is lost);
    - "reset_upload": read ``reset_after`` bytes of the request, then reset the connection;
    - "stall": read the request and never answer;
    - "slow_read": read the request 16 KB every 0.1 s (an upload that takes its time), never answer;
    - "slow_pass": forward the request 16 KB every 0.05 s, and the answer as it comes.
    """

    def __init__(self, upstream_port: int, modes: list[str], reset_after: int = 65536) -> None:
        self.upstream_port = upstream_port
        self.modes = list(modes)
        self.reset_after = reset_after
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.closed = threading.Event()
        self.connections = 0
        self.received = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            mode = self.modes.pop(0) if self.modes else "pass"
            threading.Thread(target=self._serve, args=(client, mode), daemon=True).start()

    def _serve(self, client: socket.socket, mode: str) -> None:
        client.settimeout(30)
        try:
            if mode == "reset_upload":
                got = 0
                while got < self.reset_after:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    got += len(chunk)
                _kill(client)
                return
            if mode == "slow_read":
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not self.closed.is_set():
                    try:
                        if not client.recv(16384):
                            break
                    except OSError:
                        break
                    self.received += 16384
                    time.sleep(0.1)
                client.close()
                return
            if mode == "stall":
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not self.closed.is_set():
                    try:
                        if not client.recv(65536):
                            break
                    except TimeoutError:
                        break
                    except OSError:
                        break
                client.close()
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
            if mode == "drop_response":
                threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
                upstream.recv(1)  # the answer starts: the request was processed
                _kill(client)
                _kill(upstream)
                return
            if mode == "slow_pass":  # forward the request 16 KB every 0.05 s: a slow link
                threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
                self._pipe(client, upstream, slow=True)
                time.sleep(30)  # the answer's pipe closes both ends
                return
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            self._pipe(upstream, client)
        except OSError:
            pass
        finally:
            try:
                client.close()
            except OSError:
                pass

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, slow: bool = False) -> None:
        try:
            while True:
                data = src.recv(16384 if slow else 65536)
                if not data:
                    break
                dst.sendall(data)
                if slow:
                    time.sleep(0.05)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.closed.set()
        self.sock.close()


def _kill(sock: socket.socket) -> None:
    """Abort a connection now, even while another thread is blocked reading it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def closed_port() -> int:
    """A loopback port with nothing listening."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Listener:
    """A TCP listener on 127.0.0.1 that records what each connection sends and answers nothing
    useful: a stand-in for a proxy that must never be used."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.settimeout(2)
            try:
                self.received += conn.recv(65536)
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self.sock.close()


def trickle(total: int = 100, every: float = 1.0) -> Callable[[], Iterable[bytes]]:
    """A body of ``total`` bytes sent one byte every ``every`` seconds."""

    def gen() -> Iterable[bytes]:
        for _ in range(total):
            yield b"x"
            time.sleep(every)

    return gen


def endless(chunk: int = 1 << 20) -> Callable[[], Iterable[bytes]]:
    """A body that never ends (until the client hangs up)."""
    block = b"\0" * chunk

    def gen() -> Iterable[bytes]:
        while True:
            yield block

    return gen


def sized(total: int, chunk: int = 1 << 20) -> Callable[[], Iterable[bytes]]:
    block = b"\1" * chunk

    def gen() -> Iterable[bytes]:
        left = total
        while left > 0:
            yield block[: min(chunk, left)]
            left -= chunk

    return gen


class HeaderTrickler(Listener):
    """Answers every connection with a status line, then its headers one byte every 0.2 s."""

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(300):
                conn.sendall(b"X")
                time.sleep(0.2)
        except OSError:
            pass
        finally:
            conn.close()

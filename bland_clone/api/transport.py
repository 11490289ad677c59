"""How requests travel: the session, the host policy, retries, deadlines and bounded reads.

- Host policy: the URL is judged as the HTTP library will parse it (a strict shape: scheme, host,
  port, path; no user info, no backslash, no query), and the key goes over plain http only to a
  loopback address (or with --allow-insecure). Plain http never goes through a proxy, and no
  ``.netrc`` or URL credentials ever replace the key.
- The key is sent in the ``Authorization`` header as each endpoint's page shows it (the raw key
  to /v1, ``Bearer <key>`` to /v2: see :class:`_KeyAuth`) and nowhere else: never in a URL, a
  log line or an exception message; redirects are never followed.
- Retries: failures that certainly sent nothing (connection refused, a name that does not
  resolve), 429 (honouring Retry-After), and for idempotent requests 5xx gateways and lost answers;
  bounded in count and in total waiting time.
- Deadlines: ``timeout`` bounds each whole exchange (connect, answer headers and body), not each
  socket read: a watchdog shuts the connection when the time is up. For an upload the clock
  restarts each time a part of the body is sent, and once all of it has been, so a slow link
  is not mistaken for a stalled service.
"""

from __future__ import annotations

import ipaddress
import math
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import requests
import requests.auth
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .. import __version__
from ..core.errors import (
    AuthError,
    BadForm,
    BlandCloneError,
    InputError,
    Insecure,
    Redirected,
    ServiceError,
    UsageError,
)
from ..core.safetext import quoted

if TYPE_CHECKING:
    from urllib3.poolmanager import PoolManager

    from .upload import Body

Trace = Callable[[str], None]

MAX_ERROR_BODY = 64 * 1024  # bytes read of an answer we only need a message from
MAX_JSON_BODY = 16 * 1024 * 1024
MAX_AUDIO_BODY = 512 * 1024 * 1024

# scheme://host[:port][/path]: what both urllib.parse and urllib3 read the same way.
_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?(?P<path>/[A-Za-z0-9._~/-]*)?",
    re.ASCII,
)


def mask(secret: str) -> str:
    """What verbose output shows of a key: never more than its last four characters."""
    return "****" + secret[-4:] if len(secret) >= 16 else "****"


def is_loopback(host: str) -> bool:
    """True for a literal loopback address and ``localhost`` (which resolves from the hosts file);
    other names, ``*.localhost`` included, may be answered by DNS with any address."""

    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(base_url: str, *, allow_insecure: bool = False) -> str:
    """The base URL, once judged; a UsageError (exit 2) names what is wrong with it."""
    m = _URL.fullmatch(base_url.strip())
    if m is None and base_url.strip()[:8].lower().startswith(("http://", "https://")):
        scheme, rest = base_url.strip().split(":", 1)
        base_url = scheme.lower() + ":" + rest
        m = _URL.fullmatch(base_url)
    if not m:
        shown = base_url.encode("unicode_escape").decode("ascii")
        raise UsageError(
            f"Invalid API URL '{shown}': expected http(s)://host[:port][/path] "
            "(no user name or password, query or special characters)"
        )
    port = m.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise UsageError(f"Invalid API URL {base_url!r}: port {port} is not between 1 and 65535")
    host = m.group("host")
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise UsageError(
                f"Invalid API URL {base_url!r}: {host} is not an IPv6 address"
            ) from None
    if m.group("scheme") == "http" and not is_loopback(host) and not allow_insecure:
        raise Insecure(host.strip("[]"))
    return base_url.strip().rstrip("/")


#: Said when there is no key; a command with a dry run adds that it needs none.
NO_KEY = "No API key: set BLAND_API_KEY (or a profile's api_key)"


def check_key(api_key: str | None) -> str:
    if not api_key:
        raise AuthError(NO_KEY + ".")
    if any(not (0x21 <= ord(c) <= 0x7E) for c in api_key):
        raise AuthError(
            "The API key holds a space, a line break or another character a header cannot "
            "carry; check BLAND_API_KEY, the profile's api_key or what api_key_command prints "
            "(it must print the key alone, on one line)."
        )
    return api_key


def segment(value: str, what: str = "id") -> str:
    """An id as one path segment, or an InputError before anything is sent: ``.``, ``..``, an
    empty id or one holding a control character would change the request's path."""
    if value in ("", ".", "..") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        shown = value.encode("unicode_escape").decode("ascii")
        raise InputError(f"Refusing {what} '{shown}': it is not a usable {what}.")
    return quote(utf8(value, what), safe="")


def utf8(value: str, what: str) -> str:
    """``value`` when it can be sent as UTF-8; an InputError before anything is sent when it
    holds bytes that are not UTF-8 (argv decoded with surrogate escapes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"Refusing {what} {quoted(value)}: it is not valid UTF-8 text.") from None
    return value


def query(params: dict[str, Any]) -> str:
    """A URL's query string; text that is not UTF-8 is refused before anything is sent."""

    return urlencode(
        {
            k: utf8(v, f"--{k.replace('_', '-')}") if isinstance(v, str) else v
            for k, v in params.items()
        }
    )


# -- deadlines ---------------------------------------------------------------------------------

_local = threading.local()


class Exchange:
    """One request and its answer, with a deadline: when it passes, the connection is shut so
    that a read blocked on a trickling or silent service returns at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._socks: list[socket.socket] = []
        self._queued: dict[int, int] = {}
        self._done = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._watch, daemon=True, name="bland-clone-deadline").start()

    def restart(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            if sock is not None and sock not in self._socks:
                self._socks.append(sock)

    def _draining(self) -> bool:
        """True while a socket's send queue is still shrinking: the upload is moving through
        the network (Linux tells the queue's size; elsewhere this is never claimed)."""
        try:
            import fcntl  # lazy: fcntl is not on every platform
            import struct  # lazy: optional: its absence is handled
            import termios  # lazy: termios is not on every platform

            outq = termios.TIOCOUTQ
        except (ImportError, AttributeError):
            return False
        moving = False
        for s in self._socks:
            try:
                left = struct.unpack("i", fcntl.ioctl(s.fileno(), outq, struct.pack("i", 0)))[0]
            except (OSError, ValueError):
                continue
            before = self._queued.get(id(s))
            self._queued[id(s)] = left
            if left > 0 and (before is None or left < before):
                moving = True
        return moving

    def _watch(self) -> None:
        while not self._done.wait(max(0.0, self.deadline - time.monotonic())):
            if time.monotonic() >= self.deadline:
                if self._draining():
                    self.restart()
                    continue
                with self._lock:
                    if self._done.is_set():
                        return
                    self.expired = True

                    for s in self._socks:
                        try:
                            s.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                return

    def close(self) -> None:
        with self._lock:
            self._done.set()
        if _local.__dict__.get("exchange") is self:
            _local.exchange = None


class _WatchedHTTP(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _register(self)

    # Any: a pass-through whose signature differs between urllib3 1.x and 2.x
    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _WatchedHTTPS(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _register(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


def _register(conn: HTTPConnection) -> None:
    ex = getattr(_local, "exchange", None)
    if ex is not None and conn.sock is not None:
        ex.watch(conn.sock)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTP


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPS


class _Adapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: object
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}

    def proxy_manager_for(self, proxy: str, **kwargs: object) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
        return manager


class _KeyAuth(requests.auth.AuthBase):
    """The key in the Authorization header as each page shows it: the v1 reference pages send
    the raw key; the v2 pages (the speech quickstart's /v2/tts, /v2/audio/speech, which requires
    it) send ``Bearer <key>``. Being the session's auth, it also keeps requests from taking
    credentials from ``.netrc``."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        v2 = "/v2/" in urlsplit(r.url).path
        r.headers["Authorization"] = f"Bearer {self._key}" if v2 else self._key
        return r


class Ambiguous(Exception):
    """The request may have reached the service; resending could act twice."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class Transport:
    """A session bound to one base URL and one key, with the retry and deadline rules."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str,
        *,
        timeout: float,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        backoff: float = 0.5,
        allow_insecure: bool = False,
        trace: Trace | None = None,
    ) -> None:
        self.base_url = check_url(base_url, allow_insecure=allow_insecure)
        self._key = check_key(api_key)
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout)) or not (
            0 < timeout <= 86400
        ):
            raise BadForm(
                "timeout",
                timeout,
                expected="a number of seconds from 0.1 to 86400",
                shown=str(timeout),
            )
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        self._trace = trace
        self.session = requests.Session()
        # as many pooled connections as apply runs uploads at once (--jobs at most 16), so none
        # is closed and opened again between them (requests' default keeps 10)
        adapter = _Adapter(pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        # Plain http (loopback, or --allow-insecure) never goes through a proxy: the key would
        # travel in clear to it. Over https a proxy only tunnels the encrypted connection.
        self.session.trust_env = self.base_url.startswith("https://")
        self.session.auth = _KeyAuth(self._key)
        self.session.headers.update({"User-Agent": f"bland-clone/{__version__}"})

    def log(self, text: str) -> None:
        if self._trace:
            self._trace(text.replace(self._key, mask(self._key)))

    def send(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        body: Callable[[], Body] | None = None,
        idempotent: bool = True,
    ) -> requests.Response:
        """One request with the retry rules. The answer's body is still to be read, within the
        exchange's deadline: read it with :func:`read_bounded` or :func:`download`."""
        url = self.base_url + path
        deadline = time.monotonic() + self.max_retry_wait
        attempt = 0
        while True:
            attempt += 1
            made = body() if body else None
            headers = {"Content-Type": made.content_type} if made else {}
            self.log(f"> {method} {url} (attempt {attempt})")
            self.log(f"> Authorization: {mask(self._key)}")
            started = time.monotonic()
            previous = getattr(_local, "exchange", None)
            if previous is not None:  # an answer left unread: its watchdog must not outlive it
                previous.close()
            ex = Exchange(self.timeout)
            if made is not None:
                made.on_sent(ex.restart)
            _local.exchange = ex
            try:
                resp = self.session.request(
                    method,
                    url,
                    json=json_body,
                    data=made.stream if made else None,
                    headers=headers,
                    # Reads are bounded by the exchange's watchdog, not per socket read: a
                    # per-read timeout would cut an upload still draining through a slow link.
                    timeout=(min(10.0, self.timeout), None),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.exceptions.RequestException as exc:
                ex.close()
                # A body not read to its end cannot have reached the service whole.
                sent = maybe_sent(exc) and (made is None or made.complete)
                why = describe(exc, self.timeout, ex.expired)
                self.log(f"< {why}")
                if sent and not idempotent:
                    raise Ambiguous(why) from None
                if attempt <= self.max_retries and self._sleep(attempt, None, deadline):
                    continue
                raise ServiceError(
                    f"Could not reach the service at {self.base_url}: {why}"
                ) from None
            except BaseException:
                ex.close()
                raise
            finally:
                if made:
                    made.close()
            resp._bland_exchange = ex  # type: ignore[attr-defined]
            self.log(f"< {resp.status_code} {resp.reason} ({time.monotonic() - started:.2f}s)")
            code = resp.status_code
            retryable = code == 429 or (idempotent and code in (502, 503, 504))
            if retryable and attempt <= self.max_retries:
                wait = retry_after(resp.headers.get("Retry-After"))
                finish(resp)
                if self._sleep(attempt, wait, deadline):
                    continue
                raise ServiceError(
                    f"The service answered {code} and asked to wait longer than "
                    f"{self.max_retry_wait:g}s in total; giving up."
                )
            if code in (502, 503, 504) and not idempotent:
                finish(resp)
                raise Ambiguous(f"the service answered {code}")
            if 300 <= code < 400:
                finish(resp)

                try:
                    where = urlsplit(resp.headers.get("Location", "")).hostname or "elsewhere"
                except ValueError:
                    where = "elsewhere"
                raise Redirected(code, where)
            return resp

    def _sleep(self, attempt: int, wanted: float | None, deadline: float) -> bool:
        delay = wanted if wanted is not None else self.backoff * (2 ** (attempt - 1))
        if time.monotonic() + delay > deadline:
            return False
        self.log(f"  retrying in {delay:.1f}s")
        time.sleep(delay)
        return True


def finish(resp: requests.Response) -> None:
    """Close an answer and stop its deadline's watchdog."""
    try:
        resp.close()
    finally:
        ex = getattr(resp, "_bland_exchange", None)
        if ex is not None:
            ex.close()


def _expired(resp: requests.Response) -> bool:
    ex = getattr(resp, "_bland_exchange", None)
    return bool(ex is not None and ex.expired)


def iter_body(resp: requests.Response, timeout: float | None = None) -> Iterator[bytes]:
    """The answer's body in chunks; a cut-off or overdue body is a ServiceError."""
    try:
        yield from resp.iter_content(65536)
    except requests.exceptions.RequestException as exc:
        raise ServiceError(
            f"The service's answer was cut off: {describe(exc, timeout, _expired(resp))}"
        ) from None
    if _expired(resp):
        raise ServiceError(f"The service's answer was cut off: no answer within {timeout or 0:g}s")


def read_bounded(resp: requests.Response, limit: int, timeout: float | None = None) -> bytes:
    """At most ``limit`` bytes of the answer, within its deadline; the answer is closed."""
    chunks: list[bytes] = []
    got = 0
    try:
        for chunk in iter_body(resp, timeout):
            chunks.append(chunk)
            got += len(chunk)
            if got >= limit:
                break
    finally:
        finish(resp)
    return b"".join(chunks)[:limit]


def retry_after(value: str | None) -> float | None:
    """Seconds asked by a Retry-After header: a number, or an HTTP date (RFC 9110)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass

    try:  # IMF-fixdate, the only form a server may send: "Sun, 06 Nov 1994 08:49:37 GMT"
        when = datetime.strptime(value.strip(), "%a, %d %b %Y %H:%M:%S GMT")
    except ValueError:
        return None
    return max(0.0, when.replace(tzinfo=timezone.utc).timestamp() - time.time())


def maybe_sent(exc: BaseException) -> bool:
    """False only when the request certainly never left: the connection was never made."""
    import urllib3.exceptions as u3  # lazy: urllib3

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


def describe(exc: BaseException, timeout: float | None, expired: bool = False) -> str:
    if expired:
        return f"no answer within {timeout or 0:g}s"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {timeout:g}s" if timeout else "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if not maybe_sent(exc):
            return "connection refused or host not found"
        return "connection lost"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection closed before the whole answer arrived"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "its compressed body could not be decoded"

    if isinstance(exc, BlandCloneError):
        return exc.message
    if isinstance(exc, requests.exceptions.RequestException):
        return "a network error"
    return type(exc).__name__

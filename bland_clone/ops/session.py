"""Settings and a client for the operations that talk to the service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ..core.errors import NoKey
from ..core.settings import DEFAULT_TIMEOUT, resolve

if TYPE_CHECKING:
    from ..api.client import Client
    from ..core.settings import Settings
    from .notes import Notes


@dataclass(frozen=True)
class Connection:
    """Where and how to reach the service: plain values every operation that talks to it
    shares. ``trace``, when given, receives each request and answer as a line (the key never in
    it); the caller chooses where the lines go (the command line's --verbose: stderr)."""

    api_url: Optional[str] = None
    profile: Optional[str] = None
    timeout: float = DEFAULT_TIMEOUT
    trace: Optional[Callable[[str], None]] = None
    allow_insecure: bool = False


def get_settings(notes: Notes, conn: Connection) -> Settings:
    """Settings resolved (flag > environment > profile > default); their warnings noted."""

    s = resolve(api_url=conn.api_url, profile=conn.profile)
    for w in s.warnings:
        notes.warn(w)
    return s


def make_client(settings: Settings, conn: Connection, *, has_dry_run: bool = False) -> Client:
    """A client for the service. Without a key: exit 3, and a command that has a dry run says
    it needs none (others do not suggest an option they lack)."""
    from ..api.client import Client  # lazy: pulls in requests, urllib3

    if has_dry_run and not settings.has_key:
        from ..api.transport import NO_KEY  # lazy: pulls in requests, urllib3

        raise NoKey(NO_KEY, dry_run=True)
    return Client(
        settings.api_key(),
        settings.api_url,
        timeout=conn.timeout,
        allow_insecure=conn.allow_insecure,
        trace=conn.trace,
        key_origin=settings.key_origin,
    )


def connect(notes: Notes, conn: Connection, *, has_dry_run: bool = False) -> Client:
    """Settings resolved (their warnings noted) and a client made: what most operations start
    with."""
    return make_client(get_settings(notes, conn), conn, has_dry_run=has_dry_run)

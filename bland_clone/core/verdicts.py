"""Quality verdicts remembered in the user's cache folder, under the file's sha256 and the
analysis' version: a take validated once is not decoded and analysed again until its bytes
(or the analysis) change. Every command that judges audio reads it (:func:`lookup`): validate
and clone alone, plan and apply after the lock's own cache (``lockfile.HashCache``), so a take
one of them judged is not analysed again by another.

One small JSON file per verdict, ``<package version>-<analysis version>-<sha256>.json`` (a
release never reads another's, even where a change forgot to raise the analysis' version),
written atomically, so runs at once never see half a file and need no lock. A verdict read is
touched, and once the folder holds more than :data:`MAX_ENTRIES` the least recently used are
removed. Everything here is only a cache: a folder that cannot be read or written means the
analysis runs, never an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from .lockfile import HashCache, file_sha256, verdict_key

#: Verdicts kept (a few KB each); past it, the least recently used go down to KEEP_AFTER_PRUNE.
MAX_ENTRIES = 20000
KEEP_AFTER_PRUNE = 15000


def default_root() -> Path:
    """The user's cache folder for bland-clone (platformdirs: ~/.cache on Linux, ~/Library/Caches
    on macOS, %LOCALAPPDATA% on Windows), ``verdicts`` under it."""
    from platformdirs import user_cache_dir  # lazy: platformdirs

    return Path(user_cache_dir("bland-clone", appauthor=False)) / "verdicts"


class VerdictStore:
    """The quality module's ``Verdicts`` protocol over a folder of verdict files."""

    def __init__(
        self, root: Path | None = None, *, sha256: Callable[[str], str] | None = None
    ) -> None:
        """``sha256``: how a file's hash is had (the lock's cache remembers them), instead of
        hashing each file here once a run."""
        self.root = root if root is not None else default_root()
        self._lock = threading.Lock()
        self._hashes: dict[tuple[str, int, int], str] = {}
        self._sha256 = sha256
        self._wrote = False

    def _key(self, path: str, version: int) -> Path:
        if self._sha256 is not None:
            return self.root / f"{verdict_key(version, self._sha256(path))}.json"
        st = os.stat(path)
        seen = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            digest = self._hashes.get(seen)
        if digest is None:
            digest = file_sha256(path)
            with self._lock:
                self._hashes[seen] = digest
        return self.root / f"{verdict_key(version, digest)}.json"

    def verdict(self, path: str, version: int) -> dict[str, Any] | None:
        """The verdict remembered for these bytes by this version of the analysis, or None."""
        try:
            entry = self._key(path, version)
            data = json.loads(entry.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        try:
            os.utime(entry)  # recently used: kept when the folder is pruned
        except OSError:
            pass
        return data

    def remember(self, path: str, version: int, verdict: dict[str, Any]) -> None:
        try:
            entry = self._key(path, version)
            entry.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=entry.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(json.dumps(verdict, sort_keys=True, allow_nan=False).encode())
                os.replace(tmp, entry)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except (OSError, ValueError):
            return  # only a cache
        with self._lock:
            self._wrote = True

    def prune(self) -> None:
        """Keep the folder under MAX_ENTRIES verdicts (only after a run that added some)."""
        if not self._wrote:
            return
        try:
            entries = [e for e in os.scandir(self.root) if e.name.endswith(".json")]
            if len(entries) <= MAX_ENTRIES:
                return
            entries.sort(key=lambda e: e.stat().st_mtime_ns)
            for e in entries[: len(entries) - KEEP_AFTER_PRUNE]:
                with contextlib.suppress(OSError):
                    os.unlink(e.path)
        except OSError:
            pass


class Store(Protocol):
    """A place verdicts are remembered (audio.quality's ``Verdicts``)."""

    def verdict(self, path: str, version: int) -> dict[str, Any] | None: ...

    def remember(self, path: str, version: int, verdict: dict[str, Any]) -> None: ...


class Lookup:
    """One lookup over several stores, in order: the first that holds a verdict answers (and
    the stores before it, which missed, are given it); a new verdict goes to every store."""

    def __init__(self, *stores: Store) -> None:
        self.stores = stores

    def verdict(self, path: str, version: int) -> dict[str, Any] | None:
        for n, store in enumerate(self.stores):
            hit = store.verdict(path, version)
            if hit is not None:
                for missed in self.stores[:n]:
                    missed.remember(path, version, hit)
                return hit
        return None

    def remember(self, path: str, version: int, verdict: dict[str, Any]) -> None:
        for store in self.stores:
            store.remember(path, version, verdict)

    def prune(self) -> None:
        """Keep the user cache folder in bounds (see :meth:`VerdictStore.prune`)."""
        for store in self.stores:
            if isinstance(store, VerdictStore):
                store.prune()


def lookup(lock: HashCache | None = None) -> Lookup:
    """Where a command reads and writes quality verdicts: the lock's cache (``lock``: plan,
    apply, validate of a manifest), then the user cache folder (every command). The lock file
    itself stays the repository's record: only its cache beside it is written."""
    if lock is None:
        return Lookup(VerdictStore())
    return Lookup(lock, VerdictStore(sha256=lock.sha256))

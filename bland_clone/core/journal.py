"""What makes `apply` safe to kill and to run twice: the replacement journal and the apply lock.

The journal (``.voices.lock.journal`` beside the lock) holds, for each replacement under way, the
step about to be taken: it is written (atomically, fsync'd) before each step and its entry removed
once the replacement is over. A later `plan`/`apply` reads it with the service's voices and
finishes the swap (the new voice was complete) or rolls it back (see bland_clone.ops.recovery).

The apply lock is an exclusive ``flock`` on ``.voices.lock.apply`` beside the lock, held while
`apply` runs; the file names its holder (pid, host, since). The kernel releases it when the
process ends in any way, SIGKILL included, so it is never stale.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from .errors import Busy, InputError, JournalDamaged
from .files import write_file
from .lockfile import LockedSample

VERSION = 1


class Step(str, Enum):
    """The step of a replacement about to be taken (in order)."""

    CLONE = "clone"  # the new voice is cloned under its temporary name
    SETTINGS = "settings"  # the manifest's settings are set on it
    RENAME_OLD = "rename old"  # the old voice is renamed aside
    RENAME_NEW = "rename new"  # the new voice takes the name
    DELETE_OLD = "delete old"  # the old voice is deleted

    @property
    def new_is_complete(self) -> bool:
        """From here on the new voice has its samples and settings: recovery finishes the swap."""
        return self in (Step.RENAME_OLD, Step.RENAME_NEW, Step.DELETE_OLD)


@dataclass
class Entry:
    """One replacement under way."""

    name: str  # the manifest's name
    old_id: str
    old_name: str  # the old voice's name on the service when the replacement began
    temp_new: str  # the new voice's temporary name ("Narrator ~new1a2b")
    temp_old: str  # the old voice's name while aside ("Narrator ~old3c4d")
    engine: str
    samples: list[LockedSample] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    step: Step = Step.CLONE
    new_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "old_id": self.old_id,
            "old_name": self.old_name,
            "temp_new": self.temp_new,
            "temp_old": self.temp_old,
            "engine": self.engine,
            "samples": [{"file": s.file, "sha256": s.sha256} for s in self.samples],
            "settings": self.settings,
            "started": self.started,
            "step": self.step.value,
            "new_id": self.new_id,
        }

    @classmethod
    def from_json(cls, d: object) -> Entry:
        if not isinstance(d, dict):
            raise TypeError("entry")

        def s(key: str) -> str:
            v = d[key]
            if not isinstance(v, str) or not v:
                raise TypeError(key)
            return v

        new_id = d.get("new_id")
        if new_id is not None and (not isinstance(new_id, str) or not new_id):
            raise TypeError("new_id")
        settings = d.get("settings") or {}
        if not isinstance(settings, dict) or not all(
            isinstance(k, str) and isinstance(v, (bool, int, float, str))
            for k, v in settings.items()
        ):
            raise TypeError("settings")
        return cls(
            name=s("name"),
            old_id=s("old_id"),
            old_name=s("old_name"),
            temp_new=s("temp_new"),
            temp_old=s("temp_old"),
            engine=s("engine"),
            samples=[LockedSample(str(x["file"]), str(x["sha256"])) for x in d["samples"]],
            settings=settings,
            started=str(d.get("started") or ""),
            step=Step(d["step"]),
            new_id=new_id,
        )


class Journal:
    """The journal of one lock; safe to use from apply's worker threads."""

    def __init__(self, lock_path: Path) -> None:
        self.lock_path = lock_path
        self.path = lock_path.with_name("." + lock_path.name + ".journal")
        self._guard = threading.Lock()
        self._entries: list[Entry] | None = None

    def read(self) -> list[Entry]:
        """The replacements left under way; no file is none."""
        with self._guard:
            return list(self._load())

    def _load(self) -> list[Entry]:
        if self._entries is None:
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                raw = b""
            except OSError as exc:
                raise InputError(f"{self.path}: cannot be read: {exc.strerror}") from None
            self._entries = []
            if raw:
                try:
                    doc = json.loads(raw)
                    if doc.get("version") != VERSION:
                        raise ValueError("version")
                    self._entries = [Entry.from_json(e) for e in doc["replacements"]]
                except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                    raise JournalDamaged(self.path) from None
        return self._entries

    def begin(self, entry: Entry) -> None:
        with self._guard:
            entries = [e for e in self._load() if e.name != entry.name]
            self._entries = [*entries, entry]
            self._save()

    def advance(self, entry: Entry, step: Step, *, new_id: str | None = None) -> None:
        """Record the step about to be taken (before it is)."""
        with self._guard:
            entry.step = step
            if new_id is not None:
                entry.new_id = new_id
            self._save()

    def end(self, entry: Entry) -> None:
        with self._guard:
            self._entries = [e for e in self._load() if e is not entry and e.name != entry.name]
            self._save()

    def _save(self) -> None:
        entries = self._entries or []
        if not entries:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                return
            except OSError as exc:
                raise InputError(f"Cannot remove {self.path}: {exc.strerror}.") from None
            _sync_dir(self.path.parent)
            return

        doc = {"version": VERSION, "replacements": [e.to_json() for e in entries]}
        write_file(str(self.path), json.dumps(doc, indent=1).encode(), fsync=True)
        _sync_dir(self.path.parent)


def _sync_dir(folder: Path) -> None:
    """Make a rename or an unlink in ``folder`` durable (where the system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- the apply lock ----------------------------------------------------------------------------


def apply_lock_path(lock_path: Path) -> Path:
    return lock_path.with_name("." + lock_path.name + ".apply")


def holder(lock_path: Path) -> str | None:
    """Who holds the apply lock ("pid 123 on host, since ..."), or None when nobody does."""
    try:
        import fcntl  # lazy: fcntl is not on every platform
    except ImportError:  # no flock (Windows): apply runs unlocked
        return None
    path = apply_lock_path(lock_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return _describe(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _describe(fd: int) -> str:
    try:
        d = json.loads(os.pread(fd, 4096, 0) or b"{}")
        pid, host, since = int(d["pid"]), str(d["host"]), str(d["since"])
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (it has not said which yet)"
    shown = "".join(c if c.isprintable() else "?" for c in host)[:100]
    return f"pid {pid} on {shown}, since {since}"


@contextmanager
def apply_lock(
    lock_path: Path, *, wait: float, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the apply lock of ``lock_path`` for the block, waiting up to ``wait`` seconds for
    another apply to end; Busy (exit 75) names the holder when it does not."""
    try:
        import fcntl  # lazy: fcntl is not on every platform
    except ImportError:
        yield
        return
    path = apply_lock_path(lock_path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputError(f"Cannot open {path}: {exc.strerror}.") from None
    try:
        give_up = time.monotonic() + max(0.0, wait)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                who = _describe(fd)
                if time.monotonic() >= give_up:
                    raise Busy(who, path) from None
                if not told and on_wait is not None:
                    on_wait(f"Waiting up to {wait:g}s for another apply to end ({who}).")
                    told = True
                time.sleep(0.1)

        since = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        info = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": since.replace("+00:00", "Z"),
            }
        ).encode()
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, info, 0)
        except OSError:
            pass  # the lock holds all the same; only its description is missing
        yield
    finally:
        os.close(fd)  # releases the lock

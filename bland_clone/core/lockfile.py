"""voices.lock: what `apply` made, meant to be committed next to voices.toml.

    # voices.lock: written by bland-clone; commit it with voices.toml. Do not edit by hand.
    version = 1

    [[voice]]
    name = "Narrator"
    voice_id = "6f1c..."
    engine = "v3"
    created = "2026-11-27T21:40:12Z"
    samples = [
      { file = "samples/narrator.wav", sha256 = "9b2e..." },
    ]
    settings = { boost_language_consistency = true }

Voices are sorted by name key, keys always in the same order, one sample per line: a diff shows
what changed and nothing else, and a lock whose content did not change is not rewritten at all.

Hashing a thousand samples takes a while, so each file's sha256 is cached beside the lock
(``.voices.lock.cache``, not meant to be committed) under its path, size and mtime.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from .errors import InputError
from .names import name_key

VERSION = 1
HEADER = "# voices.lock: written by bland-clone; commit it with voices.toml. Do not edit by hand.\n"


def now() -> str:
    """The time as a lock's ``created`` says it: UTC, to the second, ``Z``."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class LockedSample:
    file: str  # as the manifest names it (relative to the manifest's folder unless absolute)
    sha256: str


@dataclass
class LockedVoice:
    name: str
    voice_id: str
    engine: str
    created: str
    samples: list[LockedSample] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def hashes(self) -> list[str]:
        return [s.sha256 for s in self.samples]


def lock_path(manifest: str | os.PathLike[str]) -> Path:
    """voices.toml -> voices.lock, in the same folder."""
    p = Path(manifest)
    return p.with_name(p.stem + ".lock")


def read(path: Path) -> list[LockedVoice]:
    """The lock's voices; no file is an empty lock."""
    from .tomlfile import InvalidToml, read_toml  # lazy: start-up (validate --no-quality)

    try:
        data = read_toml(path)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror}") from None
    except InvalidToml as exc:
        raise InputError(f"{path}: invalid TOML: {exc}; restore it from version control") from None
    if data.get("version") != VERSION:
        raise InputError(
            f"{path}: lock version {data.get('version')!r} is not {VERSION}; "
            "a newer bland-clone wrote it"
        )
    voices = data.get("voice", [])
    if not isinstance(voices, list):
        raise InputError(f"{path}: 'voice' is not a list of [[voice]] tables; restore the lock")
    out = []
    for i, v in enumerate(voices):
        try:
            out.append(
                LockedVoice(
                    name=str(v["name"]),
                    voice_id=str(v["voice_id"]),
                    engine=str(v.get("engine", "v3")),
                    created=str(v.get("created", "")),
                    samples=[
                        LockedSample(str(s["file"]), str(s["sha256"])) for s in v.get("samples", [])
                    ],
                    settings=_settings(v.get("settings", {})),
                )
            )
        except (KeyError, TypeError, AttributeError, ValueError):
            raise InputError(
                f"{path}: voice #{i + 1} is incomplete; restore the lock from version control"
            ) from None
    return out


def _settings(table: object) -> dict[str, Any]:
    """A voice's settings from the lock: a table of true/false, numbers and text; a nested table,
    an array or a date is refused here, before any request, not after a voice was made."""
    if not isinstance(table, dict):
        raise TypeError("settings is not a table")
    for key, value in table.items():
        if not isinstance(value, (bool, int, float, str)):
            raise ValueError(f"setting {key} is a {type(value).__name__}")
    return dict(table)


def _str(s: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, plus DEL, C1 controls and bidirectional
    overrides written as escapes (TOML allows some raw, but a file viewed in a terminal or an
    editor must not be driven by them). A lone surrogate (bytes that were not UTF-8), which
    neither UTF-8 nor TOML can hold, is written as U+FFFD."""
    return _RAW.sub(_toml_escape, json.dumps(s, ensure_ascii=False))


_RAW = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _toml_escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return "\\ufffd" if 0xD800 <= c <= 0xDFFF else f"\\u{c:04x}"


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return _str(v)
    raise TypeError(f"cannot write {type(v).__name__} to the lock")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else _str(k)


def render(voices: list[LockedVoice]) -> str:
    """The lock's text: the same voices always give the same bytes."""
    parts = [HEADER, f"version = {VERSION}\n"]
    for v in sorted(voices, key=lambda v: (name_key(v.name), v.voice_id)):
        parts.append("\n[[voice]]\n")
        parts.append(f"name = {_str(v.name)}\n")
        parts.append(f"voice_id = {_str(v.voice_id)}\n")
        parts.append(f"engine = {_str(v.engine)}\n")
        parts.append(f"created = {_str(v.created)}\n")
        parts.append("samples = [\n")
        for s in v.samples:
            parts.append(f"  {{ file = {_str(s.file)}, sha256 = {_str(s.sha256)} }},\n")
        parts.append("]\n")
        settings = ", ".join(f"{_key(k)} = {_value(v.settings[k])}" for k in sorted(v.settings))
        parts.append(f"settings = {{ {settings} }}\n" if settings else "settings = {}\n")
    return "".join(parts)


def write(path: Path, voices: list[LockedVoice]) -> bool:
    """Write the lock atomically (a temporary file, then a rename); False when it is unchanged,
    and then the file is not touched at all."""
    text = render(voices)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    _atomic_write(path, text.encode("utf-8"))
    return True


def _atomic_write(path: Path, data: bytes) -> None:
    from .files import write_file  # lazy: start-up (validate --no-quality)

    # an existing lock keeps its permissions; a new one gets the umask's
    write_file(str(path), data, keep_mode=True, fsync=True)


class HashCache:
    """sha256 of files, remembered beside the lock under (size, mtime_ns); and the quality
    verdict of each sample, under its sha256 and the analysis' version (``verdicts``), so a
    second apply does not analyse an unchanged sample again."""

    def __init__(self, lock: Path) -> None:
        self.path = lock.with_name("." + lock.name + ".cache")
        self._lock = threading.Lock()
        self._changed = False
        self._entries: dict[str, list[Any]] = {}
        self._verdicts: dict[str, Any] = {}
        self._used: set[str] = set()  # verdicts read or written by this run
        self._entries, self._verdicts = self._load()

    def _load(self) -> tuple[dict[str, list[Any]], dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}, {}
        if not isinstance(data, dict):
            return {}, {}
        files, verdicts = data.get("files"), data.get("verdicts")
        return (
            files if isinstance(files, dict) else {},
            verdicts if isinstance(verdicts, dict) else {},
        )

    def sha256(self, path: str) -> str:
        full = os.path.abspath(path)
        st = os.stat(full)
        key = [st.st_size, st.st_mtime_ns]
        with self._lock:
            hit = self._entries.get(full)
        if isinstance(hit, list) and len(hit) == 3 and hit[:2] == key:
            return str(hit[2])
        digest = file_sha256(full)
        with self._lock:
            self._entries[full] = [*key, digest]
            self._changed = True
        return digest

    def verdict(self, path: str, version: int) -> dict[str, Any] | None:
        """The verdict remembered for these bytes by this version of the analysis, or None."""
        key = verdict_key(version, self.sha256(path))
        with self._lock:
            hit = self._verdicts.get(key)
            if isinstance(hit, dict):
                self._used.add(key)
                return hit
        return None

    def remember(self, path: str, version: int, verdict: dict[str, Any]) -> None:
        key = verdict_key(version, self.sha256(path))
        with self._lock:
            self._verdicts[key] = verdict
            self._used.add(key)
            self._changed = True

    def save(self) -> None:
        """Write the cache, merged with what another run (or another cache object of this one)
        saved meanwhile. Kept: the files that still exist, and the verdicts of their contents or
        used by this run."""
        with self._lock:
            if not self._changed:
                return
            files, verdicts = self._load()
            files.update(self._entries)
            verdicts.update(self._verdicts)
            live = {k: v for k, v in files.items() if os.path.exists(k)}
            hashes = {str(v[2]) for v in live.values() if isinstance(v, list) and len(v) == 3}
            kept = {
                k: v
                for k, v in verdicts.items()
                if k in self._used or k.rpartition("-")[2] in hashes
            }
            text = json.dumps({"files": live, "verdicts": kept}, sort_keys=True)
            try:
                _atomic_write(self.path, text.encode())
            except OSError:
                pass  # only a cache
            self._changed = False


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
    return h.hexdigest()


def verdict_key(version: int, digest: str) -> str:
    """Where a quality verdict is remembered (the lock's cache, the user cache's file names):
    the package's version, the analysis' and the bytes' sha256. A release never reads another
    release's verdict, even one whose change forgot to raise the analysis' version."""
    return f"{__version__}-{int(version)}-{digest}"

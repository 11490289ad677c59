"""One upload plan: what a multipart upload sends, described once.

The dry run prints :meth:`UploadPlan.describe` and :meth:`UploadPlan.lines`; the client sends
:meth:`UploadPlan.body`. Both read the same fields and the same files, so what a dry run shows is
what is sent. Nothing here imports requests until a body is built.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.errors import InputError
from ..core.units import fmt_duration, fmt_size

if TYPE_CHECKING:
    from ..core.audioinfo import AudioInfo

Progress = Callable[[int, int], None]  # (bytes sent, total bytes)

CLONE_PATH = "/v1/voices/clone"
SAMPLES_PATH = "/v1/voices/samples"
FILE_FIELD = "audio_samples"


def clone_fields(
    name: str, gender: str | None = None, description: str | None = None, engine: str = "v3"
) -> list[tuple[str, str]]:
    """The text fields of POST /v1/voices/clone, as documented (isBTTS_V2 only for v2)."""
    fields = [("name", name)]
    if gender:
        fields.append(("gender", gender))
    if description:
        fields.append(("description", description))
    if engine == "v2":
        fields.append(("isBTTS_V2", "true"))
    return fields


def wire_filename(path: str) -> str:
    """A file's own name as uploaded: undecodable bytes become U+FFFD, so it is valid UTF-8."""
    base = os.path.basename(path)
    return os.fsencode(base).decode("utf-8", "replace")


def mime_type(info: AudioInfo) -> str:
    return {
        "WAV": "audio/wav",
        "MP3": "audio/mpeg",
        "FLAC": "audio/flac",
        "OGG": "audio/ogg",
        "AIFF": "audio/aiff",
    }.get(info.format or "", "application/octet-stream")


def _file_facts(info: AudioInfo) -> dict[str, Any]:
    return {
        "path": info.path,
        "format": info.format,
        "size": info.size,
        "duration": None if info.duration is None else round(info.duration, 3),
    }


@dataclass(frozen=True)
class UploadPlan:
    """A multipart POST: its path, its text fields in order, and the files sent as
    ``audio_samples`` (each file's ``path`` is what is read and sent; its ``source``, when set,
    is the original it was converted from)."""

    path: str
    fields: tuple[tuple[str, str], ...]
    files: tuple[AudioInfo, ...]
    method: str = "POST"

    def __post_init__(self) -> None:
        for k, v in self.fields:
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                shown = v.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
                raise InputError(
                    f"The {k} '{shown}' holds bytes that are not valid UTF-8; nothing was uploaded."
                ) from None

    @classmethod
    def clone(
        cls,
        name: str,
        files: Sequence[AudioInfo],
        *,
        gender: str | None = None,
        description: str | None = None,
        engine: str = "v3",
    ) -> UploadPlan:
        return cls(CLONE_PATH, tuple(clone_fields(name, gender, description, engine)), tuple(files))

    @classmethod
    def samples(cls, voice_id: str, files: Sequence[AudioInfo]) -> UploadPlan:
        return cls(SAMPLES_PATH, (("voice_id", voice_id),), tuple(files))

    def describe(self, api_url: str) -> dict[str, Any]:
        """The request as --dry-run --json shows it: never the key."""
        files = []
        for f in self.files:
            d = {
                "field": FILE_FIELD,
                "filename": wire_filename(f.path),
                "content_type": mime_type(f),
                **_file_facts(f),
            }
            src = getattr(f, "source", None)
            if src is not None:
                # what it was, codec included ("WEBM OPUS"): why it was converted
                d["source"] = {
                    **_file_facts(src),
                    "format": " ".join(x for x in (src.format, src.subtype) if x) or None,
                }
            files.append(d)
        return {
            "method": self.method,
            "url": api_url.rstrip("/") + self.path,
            "headers": {
                "Authorization": "<API key, not shown>",
                "Content-Type": "multipart/form-data",
            },
            "fields": dict(self.fields),
            "files": files,
        }

    def lines(self, api_url: str) -> list[str]:
        """The request as a dry run prints it."""

        out = [
            f"{self.method} {api_url.rstrip('/')}{self.path}",
            "Authorization: <API key, not shown>",
            "Content-Type: multipart/form-data",
        ]
        out += [f"  {k}={v}" for k, v in self.fields]
        for f in self.files:
            src = getattr(f, "source", None)
            sent = f"{mime_type(f)}, {fmt_size(f.size)}"
            if src is not None:
                sent += f", {fmt_duration(f.duration)}"
            line = f"  {FILE_FIELD}=@{wire_filename(f.path)} ({sent})"
            if src is not None:
                line += (
                    f" converted from {src.path} "
                    f"({' '.join(x for x in (src.format, src.subtype) if x) or '?'}, "
                    f"{fmt_size(src.size)}, {fmt_duration(src.duration)})"
                )
            out.append(line)
        return out

    def body(self, progress: Progress | None = None) -> Body:
        """A fresh streaming body for one attempt (files reopened and checked again)."""
        return Body(list(self.fields), self.files, progress)


class CheckedFile:
    """A file opened for upload that must still be the file that was checked.

    It refuses a file whose size, inode or mtime changed since inspection, or that is no longer a
    regular file (opened without blocking, so a FIFO swapped in cannot hang the upload), and never
    sends more than the checked size: the body always agrees with its check.
    """

    def __init__(self, info: AudioInfo) -> None:
        self.info = info
        try:
            fd = os.open(info.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            raise InputError(
                f'File "{info.shown}" cannot be opened for upload: {exc.strerror}'
            ) from None
        st = os.fstat(fd)
        now = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if not stat.S_ISREG(st.st_mode) or (
            info.fingerprint is not None and now != info.fingerprint
        ):
            os.close(fd)
            raise InputError(
                f'File "{info.shown}" changed after it was checked; nothing was uploaded. '
                "Run again."
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        self._f = os.fdopen(fd, "rb")
        self._left = st.st_size

    def __len__(self) -> int:
        return self._left

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0 or n > self._left:
            n = self._left
        data = self._f.read(n)
        if len(data) < n:
            raise InputError(f'File "{self.info.shown}" shrank during the upload.')
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._f.close()


class Body:
    """A streaming multipart body for one attempt."""

    def __init__(
        self, fields: list[tuple[str, str]], files: Sequence[AudioInfo], progress: Progress | None
    ):
        # lazy: requests_toolbelt
        from requests_toolbelt.multipart.encoder import MultipartEncoder, MultipartEncoderMonitor

        self._handles: list[CheckedFile] = []
        self._sent: Callable[[], None] | None = None
        parts: list[tuple[str, Any]] = list(fields)
        try:
            for info in files:
                h = CheckedFile(info)
                self._handles.append(h)
                parts.append((FILE_FIELD, (wire_filename(info.path), h, mime_type(info))))
        except BaseException:
            self.close()
            raise
        enc = MultipartEncoder(fields=parts)
        total = enc.len

        #: True once every byte of the body was read for sending
        self.complete = False

        def callback(m: MultipartEncoderMonitor) -> None:
            if progress:
                progress(m.bytes_read, total)
            if m.bytes_read >= total:
                self.complete = True
            if self._sent is not None:
                self._sent()

        self.stream = MultipartEncoderMonitor(enc, callback)
        self.content_type = enc.content_type
        self.length = total

    def on_sent(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` each time a part of the body is read for sending (the last time
        when all of it has been): an upload that makes progress is not a stalled one."""
        self._sent = callback

    def close(self) -> None:
        for h in self._handles:
            h.close()

"""Helpers the commands share: output mode, settings and client, file checks."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import InputError, UsageError
from .output import Mode, Output

if TYPE_CHECKING:
    from .api.client import Client
    from .options import Connection
    from .settings import Settings
    from .validation import Report

_current: Output | None = None


def make_output(json_: bool = False, quiet: bool = False, fmt: str | None = None) -> Output:
    global _current
    if json_ and quiet:
        raise UsageError("--json and --quiet cannot be used together")
    if fmt not in (None, "text", "github"):
        raise UsageError(f"--format must be text or github, not {fmt!r}")
    mode: Mode = "json" if json_ else "quiet" if quiet else "human"
    _current = Output(mode)
    if fmt is not None:
        _current.github = fmt == "github"
    return _current


def current_output(default_json: bool = False) -> Output:
    return _current or Output("json" if default_json else "human")


def reset_output() -> None:
    global _current
    _current = None


def get_settings(out: Output, conn: Connection) -> Settings:
    from .settings import resolve

    s = resolve(api_url=conn.api_url, profile=conn.profile)
    for w in s.warnings:
        out.warn(w)
    return s


def make_client(out: Output, settings: Settings, conn: Connection) -> Client:
    from .api.client import Client

    def trace(line: str) -> None:
        print(line, file=sys.stderr)

    return Client(
        settings.api_key(),
        settings.api_url,
        timeout=conn.timeout,
        allow_insecure=conn.allow_insecure,
        trace=trace if conn.verbose else None,
    )


def check_engine(engine: str) -> None:
    from . import limits

    if engine not in limits.ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(limits.ENGINES)}, not {engine!r}")


def enforce(out: Output, report: Report, *, show: bool = False) -> None:
    """Before an upload: show the local checks' report on stderr (when it has something to say,
    or ``show``), annotate it for GitHub, and stop when anything would be refused."""
    if report.problems or show:
        out.report(report, to_stderr=True)
    out.annotate_report(report)
    if not report.ok:
        raise refuse(report)


def refuse(report: Report, *, what: str = "nothing was uploaded") -> InputError:
    n = len(report.errors)
    return InputError(
        f"{n} problem{'s' if n != 1 else ''} found; {what}.",
        errors=[p.to_dict() for p in report.errors],
        payload=report.to_dict() | {"ok": False},
    )


def checked_files(files: Sequence[str], *, send_engine: str | None = None) -> list:
    """The files inspected (list[AudioInfo]). With ``send_engine`` (an upload to that engine),
    files the service does not read are converted to WAV first: the list holds what is sent,
    each converted file with its original in ``source``."""
    from .audio.inspection import expand_paths, inspect_many

    infos = inspect_many(expand_paths(files))
    if send_engine is None:
        return infos
    return sendable(infos, send_engine)


def sendable(infos: list, engine: str) -> list:
    """Convert what the service does not read (see :mod:`bland_clone.audio.convert`) into a
    temporary folder removed when the program exits."""
    from .audio.convert import needs_conversion, to_wav

    if not any(needs_conversion(i, engine) for i in infos):
        return infos
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="bland-clone-send-")
    atexit.register(shutil.rmtree, folder, True)
    return [to_wav(i, folder) if needs_conversion(i, engine) else i for i in infos]


def planned_upload(api_url: str, path: str, fields: list[tuple[str, str]], files: Sequence) -> dict:
    """What an upload would send, for --dry-run: never the key."""
    from .api.wire import mime_type, wire_filename

    return {
        "method": "POST",
        "url": api_url.rstrip("/") + path,
        "headers": {
            "Authorization": "<API key, not shown>",
            "Content-Type": "multipart/form-data",
        },
        "fields": dict(fields),
        "files": [_planned_file(f, wire_filename(f.path), mime_type(f)) for f in files],
    }


def _planned_file(f, filename: str, content_type: str) -> dict:  # f: AudioInfo
    d = {
        "field": "audio_samples",
        "filename": filename,
        "path": f.path,
        "content_type": content_type,
        "size": f.size,
        "format": f.format,
        "duration": None if f.duration is None else round(f.duration, 3),
    }
    if f.source is not None:  # converted before the upload: what it was
        src = f.source
        d["source"] = {
            "path": src.path,
            "format": " ".join(x for x in (src.format, src.subtype) if x),
            "size": src.size,
            "duration": None if src.duration is None else round(src.duration, 3),
        }
    return d


def print_plan(out: Output, plan: dict) -> None:
    from .output import fmt_size

    out.line(f"{plan['method']} {plan['url']}")
    out.line("Authorization: <API key, not shown>")
    out.line("Content-Type: multipart/form-data")
    for k, v in plan["fields"].items():
        out.line(f"  {k}={v}")
    for f in plan["files"]:
        out.line(f"  audio_samples=@{f['filename']} ({f['content_type']}, {fmt_size(f['size'])})")
        src = f.get("source")
        if src:
            out.line(
                f"    converted from {src['path']} ({src['format']}, {fmt_size(src['size'])}, "
                f"{src['duration']:.1f}s) -> WAV, {f['duration']:.1f}s"
            )


def check_output_path(path: str, force: bool) -> None:
    import os

    if path != "-" and os.path.lexists(path) and not force:
        raise InputError(f"{path} exists; use --force to overwrite it.")
    parent = os.path.dirname(os.path.abspath(path))
    if path != "-" and not os.path.isdir(parent):
        raise InputError(f"Cannot write {path}: folder {parent} does not exist.")


def write_output(path: str, data: bytes) -> None:
    """Write atomically (a temporary file, then a rename); ``-`` is stdout."""
    import os
    import tempfile

    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".bland-clone-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

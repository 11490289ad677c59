"""Helpers the commands share: output mode, settings and client, file checks."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import InputError, UsageError
from .output import Mode, Output

if TYPE_CHECKING:
    from .api.client import Client
    from .api.upload import UploadPlan
    from .options import Connection
    from .settings import Settings
    from .validation import Report

def make_output(json_: bool = False, quiet: bool = False, fmt: str | None = None) -> Output:
    if json_ and quiet:
        raise UsageError("--json and --quiet cannot be used together")
    if fmt not in (None, "text", "github"):
        raise UsageError(f"--format must be text or github, not {fmt!r}")
    mode: Mode = "json" if json_ else "quiet" if quiet else "human"
    from .output import current

    out = current().set_mode(mode)  # the invocation's one output, made by the entry point
    if fmt is not None:
        out.github = fmt == "github"
    return out


def get_settings(out: Output, conn: Connection) -> Settings:
    from .settings import resolve

    s = resolve(api_url=conn.api_url, profile=conn.profile)
    for w in s.warnings:
        out.warn(w)
    return s


def make_client(out: Output, settings: Settings, conn: Connection) -> Client:
    from .api.client import Client

    def trace(line: str) -> None:
        from .safetext import clean

        print(clean(line), file=sys.stderr)

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


def print_plan(out: Output, plan: UploadPlan, api_url: str) -> None:
    """A dry run's request, as the client would send it."""
    for line in plan.lines(api_url):
        out.line(line)


def check_output_path(path: str, force: bool) -> None:
    from .files import check_writable

    check_writable(path, force)


def write_output(path: str, data: bytes) -> None:
    """Write atomically (a temporary file, then a rename); ``-`` is stdout."""
    from .files import write_file

    write_file(path, data)

"""The files of an upload: inspected, converted to what the service reads, checked."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..audio import quality
from ..audio.inspection import expand_paths, inspect_many
from ..audio.verdict import validate_upload
from ..core import limits, verdicts
from ..core.errors import BadChoice, InputError

if TYPE_CHECKING:
    from ..audio.inspection import AudioInfo
    from ..audio.quality import Quality, Verdicts
    from ..audio.verdict import Report
    from .notes import Notes


def check_engine(engine: str) -> None:
    if engine not in limits.ENGINES:
        raise BadChoice("engine", engine, limits.ENGINES)


def inspect_files(files: Sequence[str], *, send_engine: str | None = None) -> list[AudioInfo]:
    """The files (folders expanded) read and described. With ``send_engine`` (an upload to that
    engine), files the service does not read are converted to WAV first: the list holds what is
    sent, each converted file with its original in ``source``."""

    infos = inspect_many(expand_paths(files))
    if send_engine is None:
        return infos
    return sendable(infos, send_engine)


def sendable(infos: list[Any], engine: str) -> list[Any]:
    """Convert what the service does not read (see :mod:`bland_clone.audio.convert`) into a
    temporary folder removed when the program exits."""
    from ..audio.convert import needs_conversion, to_wav  # lazy: start-up (validate --no-quality)

    if not any(needs_conversion(i, engine) for i in infos):
        return infos
    import atexit  # lazy: start-up (validate --no-quality)

    folder = tempfile.mkdtemp(prefix="bland-clone-send-")
    atexit.register(shutil.rmtree, folder, True)
    return [to_wav(i, folder) if needs_conversion(i, engine) else i for i in infos]


def cached_quality(cache: Verdicts, info: AudioInfo) -> Quality | None:
    """The quality verdict remembered for these bytes by this analysis (validate's, apply's),
    or None: not judged yet. Reads a verdict, never analyses the audio."""
    return quality.cached(cache, info)


def judged(infos: Sequence[AudioInfo], **checks: Any) -> Report:
    """An upload checked as validate checks it, the audio's quality included, before anything
    is sent (``checks``: validate_upload's). Each file's verdict is read from the caches
    (``verdicts.lookup``: what validate, clone or apply judged), or ``analysed`` (measured
    already, by path); the audio of the rest is analysed now and its verdict remembered."""
    store = verdicts.lookup()
    report = validate_upload(infos, quality=True, cache=store, **checks)
    store.prune()
    return report


def total_size(infos: Sequence[Any]) -> int:
    """The bytes an upload sends (files of unknown size count as 0)."""
    return sum(i.size or 0 for i in infos)


def enforce(notes: Notes, report: Report, *, show: bool = False) -> None:
    """Before an upload: show the local checks' report on stderr (when it has something to say,
    or ``show``), annotate it for GitHub, and stop when anything would be refused."""
    if report.problems or show:
        notes.report(report, to_stderr=True)
    notes.annotate_report(report)
    if not report.ok:
        raise refuse(report)


def refuse(report: Report, *, what: str = "nothing was uploaded") -> InputError:
    n = len(report.errors)
    return InputError(
        f"{n} problem{'s' if n != 1 else ''} found; {what}.",
        errors=[report.problem_dict(p) for p in report.errors],
        payload=report.to_dict() | {"ok": False},
    )

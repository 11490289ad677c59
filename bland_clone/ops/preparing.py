"""Preparing recordings into samples: each input trimmed, levelled and written, then the outputs
validated (or, with ``best``, every take judged and the best one kept)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio.inspection import expand_paths, inspect
from ..audio.prepare import check_wav_name, output_paths, prepare_file
from ..audio.verdict import Report, best_take, merge_reports, other_speakers, validate_upload
from ..core.envelope import envelope
from ..core.errors import BadOrder, InputError, NeedsFileName
from ..core.files import check_writable, write_file
from ..core.validation import Problem

if TYPE_CHECKING:
    from ..audio.inspection import AudioInfo
    from ..audio.prepare import Prepared as PreparedFile
    from .notes import Notes


@dataclass(frozen=True)
class Prepared:
    """What prepare wrote: ``doc`` is the JSON result (outputs, failed, files, warnings,
    errors); ``report`` the validation of the outputs, for the caller to show (None for --best,
    whose ranking is in ``doc["takes"]``); ``kept`` the validation of what was written (for
    --best, the one take kept, under its output name)."""

    doc: dict[str, Any]
    report: Report | None = None
    kept: Report | None = None
    #: each output as prepare made it (bland_clone.audio.prepare.Prepared)
    made: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.doc["ok"])


#: A progress bar appears only for work that lasts longer than this (seconds).
PROGRESS_AFTER_S = 2.0


@contextlib.contextmanager
def lazy_progress(out: Notes, label: str, size: int) -> Iterator[Callable[[float], None]]:
    """A progress callback (fraction done) that shows a bar on a terminal only once the work has
    taken longer than PROGRESS_AFTER_S; nothing off a terminal, in --json or --quiet."""

    began = time.monotonic()
    stack = contextlib.ExitStack()
    bar: list[Any] = []
    total = max(1, size)

    def update(fraction: float) -> None:
        if not out.progress_ok:
            return
        if not bar:
            if time.monotonic() - began < PROGRESS_AFTER_S:
                return
            bar.append(stack.enter_context(out.progress(label, total)))
        if bar[0] is not None:
            bar[0](int(fraction * total), total)

    with stack:
        yield update


def _prepare_one(
    out: Notes,
    info: AudioInfo,
    dst: str,
    seconds: float | None,
    start: float | None,
    end: float | None,
) -> PreparedFile:
    """Prepare one inspected input into ``dst``, with a progress bar when it takes a while."""

    with lazy_progress(out, f"Preparing {info.name}", info.size or 0) as progress:
        return prepare_file(
            info.path, dst, seconds=seconds, start=start, end=end, info=info, progress=progress
        )


def prepare_files(
    out: Notes,
    inputs: list[str],
    output: str,
    *,
    seconds: float | None = None,
    start: float | None = None,
    end: float | None = None,
    best: bool = False,
    force: bool = False,
    keep_going: bool = False,
    temporary: bool = False,
) -> Prepared:
    """Prepare each input, then validate what was written.

    ``temporary``: the outputs go to a folder that is deleted after use (clone's prepare), so
    the notes name the inputs only, never a path that will not exist.

    With ``keep_going``, an input that cannot be read or prepared is reported and the others
    are still written (``result["failed"]`` lists them); without it, the first one stops all.
    ``best`` prepares every take, judges the outputs and keeps the best one, as ``output``."""

    files = expand_paths(inputs)
    if not files:
        raise InputError("No input files.")
    if end is not None and start is not None and end <= start:
        raise BadOrder(("start", start), ("end", end))
    infos = [inspect(f) for f in files]
    failed: list[dict[str, Any]] = []
    for info in infos:
        if info.error:
            failed.append({"input": info.path, "message": info.error, "code": "unreadable"})
    usable = [i for i in infos if not i.error]
    if failed and not keep_going:
        raise InputError(failed[0]["message"])
    if best:
        return _prepare_best(out, usable, failed, output, seconds, start, end, force)
    if not usable:
        _raise_failed(out, failed, payload={"ok": False, "outputs": [], "failed": failed})
    targets = output_paths([i.path for i in usable], output, force, several=len(files) > 1)
    results = []
    for info, dst in zip(usable, targets, strict=True):
        try:
            done = _prepare_one(out, info, dst, seconds, start, end)
        except InputError as exc:
            if not keep_going:
                raise
            failed.append({"input": info.path, "message": out.words(exc), "code": "not_prepared"})
            continue
        results.append(done)
        where = f"{info.path}: prepared" if temporary else f"{info.path} -> {dst}"
        out.info(f"{where}: {done.output_seconds:.1f}s, gain {done.gain_db:+.1f} dB")
        for note in done.notes:
            out.info(f"  {note}")
    if not results:
        _raise_failed(out, failed, payload={"ok": False, "outputs": [], "failed": failed})
    for f in failed:
        out.error(f["message"])
    report = validate_upload([inspect(r.output) for r in results], quality=True, engine=None)
    body = {
        "outputs": [r.to_dict() for r in results],
        "failed": failed,
        "files": report.to_dict()["files"],
        "warnings": [p.to_dict() for p in report.warnings],
    }
    errors = [p.to_dict() for p in report.errors] + [
        {"message": f["message"], "code": f["code"], "severity": "error", "file": f["input"]}
        for f in failed
    ]
    result = envelope(body, ok=report.ok and not failed, errors=errors)
    return Prepared(result, report, report, results)


#: A take's fields that describe the take as prepared and judged (the rest: the input as it is).
PREPARED_FIELDS = ("size", "format", "subtype", "duration", "samplerate", "channels")


def _take_row(judged: dict[str, Any], source: str) -> dict[str, Any]:
    """A row of --best's ``takes``: the input it names, as it is (its own size and length),
    and under ``prepared`` the prepared copy that was judged: its numbers, verdict, quality."""
    row = inspect(source).to_dict()
    row.pop("path", None)
    row["input"] = source
    row["name"] = os.path.basename(source)
    keep = (*PREPARED_FIELDS, "verdict", "quality")
    row["prepared"] = {k: judged[k] for k in keep if k in judged}
    return row


def _raise_failed(out: Notes, failed: list[dict[str, Any]], payload: dict[str, Any]) -> None:
    if len(failed) == 1:
        raise InputError(failed[0]["message"], payload=payload)
    for f in failed:
        out.error(f["message"])
    raise InputError(
        f"None of the {len(failed)} inputs could be prepared.",
        errors=[{"message": f["message"], "code": f["code"], "severity": "error"} for f in failed],
        payload=payload,
    )


def _prepare_best(
    out: Notes,
    usable: list[Any],
    failed: list[dict[str, Any]],
    output: str,
    seconds: float | None,
    start: float | None,
    end: float | None,
    force: bool,
) -> Prepared:
    """Prepare every take into a temporary folder, judge the results, keep the best one."""

    if os.path.isdir(output) or output.endswith(os.sep):
        raise NeedsFileName("output", output, because="best")

    check_wav_name(output)
    check_writable(output, force)
    if os.path.abspath(output) in {os.path.abspath(i.path) for i in usable}:
        raise InputError(f"{output} is an input; choose another output.")
    with tempfile.TemporaryDirectory(prefix="bland-clone-best-") as tmp:
        done: dict[str, Any] = {}
        for n, info in enumerate(usable):
            dst = os.path.join(tmp, f"{n:04d}-{Path(info.path).stem}.wav")
            try:
                done[dst] = _prepare_one(out, info, dst, seconds, start, end)
            except InputError as exc:
                failed.append(
                    {"input": info.path, "message": out.words(exc), "code": "not_prepared"}
                )
        if not done:
            _raise_failed(out, failed, payload={"ok": False, "outputs": [], "failed": failed})
        takes = [inspect(p) for p in done]
        reports = [validate_upload([t], quality=True, engine=None) for t in takes]

        merged = merge_reports(reports)
        # another person's takes in the folder are named (and the folder's voices, when it
        # holds several), and never chosen: best_take keeps to the main voice's takes
        found = other_speakers(merged)
        merged.problems += found
        for p in found:
            out.warn(_as_inputs(p.message, done))
        odd = [p for p in found if p.code == "quality_other_speaker"]
        voices = [
            Problem(_as_inputs(p.message, done), p.code, p.severity, None)
            for p in found
            if p.file is None
        ]
        chosen = best_take(merged)
        if chosen is None:
            raise InputError(
                "No take would be accepted once prepared"
                + (" but another person's" if merged.ok and odd else "")
                + ".",
                errors=[p.to_dict() for p in merged.errors],
                payload={"ok": False, "failed": failed} | merged.to_dict(),
            )
        prepared = done[chosen.path]

        with open(chosen.path, "rb") as f:
            write_file(output, f.read())
        prepared.output = output
        rank = [
            _take_row(row, src.input)
            for row, src in zip(merged.to_dict()["files"], done.values(), strict=True)
        ]
    mine = [p for p in merged.problems if p.file == chosen.path]
    for skipped in failed:  # in the JSON's "failed" too
        out.warn(f"Skipped: {skipped['message']}")
    out.info(
        f"Best take: {prepared.input} -> {output}: {prepared.output_seconds:.1f}s, "
        f"gain {prepared.gain_db:+.1f} dB"
    )
    for note in prepared.notes:
        out.info(f"  {note}")
    for p in mine:
        if p not in found:  # said above
            out.warn(p.message.replace(chosen.name, os.path.basename(output)))
    # the kept take as written, for a report page: its problems under its output name
    measured = merged.quality.get(chosen.path)
    shown = [
        Problem(
            p.message.replace(chosen.name, os.path.basename(output)), p.code, p.severity, output
        )
        for p in mine
    ]
    kept = Report([inspect(output)], shown, {output: measured} if measured else {})
    doc = envelope(
        {
            "best": prepared.input,
            "outputs": [prepared.to_dict()],
            "takes": rank,
            "failed": failed,
            "warnings": [p.to_dict() for p in shown + voices],
            "other_speaker": [done[p.file or ""].input for p in odd],
        }
    )
    return Prepared(doc, kept=kept, made=[prepared])


def _as_inputs(message: str, done: dict[str, Any]) -> str:
    """A message about prepared copies (temporary names) naming their inputs instead."""
    names = {Path(dst).name: os.path.basename(prep.input) for dst, prep in done.items()}
    pattern = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.sub(pattern, lambda m: names[m[0]], message) if names else message

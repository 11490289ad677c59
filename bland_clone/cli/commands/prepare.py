"""bland-clone prepare: turn long or rough recordings into good samples."""

import contextlib
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Optional

import typer

from .. import common
from ..options import FilesArg, JsonOpt, QuietOpt
from ..output import Output

#: A progress bar appears only for work that lasts longer than this (seconds).
PROGRESS_AFTER_S = 2.0


@contextlib.contextmanager
def _lazy_progress(out: Output, label: str, size: int) -> Iterator[Callable[[float], None]]:
    """A progress callback (fraction done) that shows a bar on a terminal only once the work has
    taken longer than PROGRESS_AFTER_S; nothing off a terminal, in --json or --quiet."""
    import time

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


def prepare_files(
    out: Output,
    inputs: list[str],
    output: str,
    *,
    seconds: float | None = None,
    start: float | None = None,
    end: float | None = None,
    best: bool = False,
    force: bool = False,
    keep_going: bool = False,
) -> dict[str, Any]:
    """Prepare each input, then validate what was written. Returns the JSON result.

    With ``keep_going``, an input that cannot be read or prepared is reported and the others
    are still written (``result["failed"]`` lists them); without it, the first one stops all.
    ``best`` prepares every take, judges the outputs and keeps the best one, as ``output``."""
    from ...audio.inspection import expand_paths, inspect
    from ...audio.prepare import output_paths, prepare_file
    from ...errors import InputError
    from ...validation import validate_upload

    files = expand_paths(inputs)
    if not files:
        raise InputError("No input files.")
    if end is not None and start is not None and end <= start:
        raise InputError(f"--end ({end:g}s) must be after --start ({start:g}s).")
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
            with _lazy_progress(out, f"Preparing {info.name}", info.size or 0) as progress:
                done = prepare_file(
                    info.path,
                    dst,
                    seconds=seconds,
                    start=start,
                    end=end,
                    info=info,
                    progress=progress,
                )
        except InputError as exc:
            if not keep_going:
                raise
            failed.append({"input": info.path, "message": exc.message, "code": "not_prepared"})
            continue
        results.append(done)
        if out.mode == "human":
            out.info(f"{info.path} -> {dst}: {done.output_seconds:.1f}s, {done.gain_db:+.1f} dB")
            for note in done.notes:
                out.info(f"  {note}")
    if not results:
        _raise_failed(out, failed, payload={"ok": False, "outputs": [], "failed": failed})
    for f in failed:
        out.error(f["message"])
    report = validate_upload([inspect(r.output) for r in results], quality=True, engine="v2")
    out.report(report)
    result = {
        "ok": report.ok and not failed,
        "outputs": [r.to_dict() for r in results],
        "failed": failed,
        "files": report.to_dict()["files"],
        "warnings": [p.to_dict() for p in report.warnings],
        "errors": [p.to_dict() for p in report.errors]
        + [
            {"message": f["message"], "code": f["code"], "severity": "error", "file": f["input"]}
            for f in failed
        ],
    }
    return result


def _raise_failed(out: Output, failed: list[dict[str, Any]], payload: dict[str, Any]) -> None:
    from ...errors import InputError

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
    out: Output,
    usable: list[Any],
    failed: list[dict[str, Any]],
    output: str,
    seconds: float | None,
    start: float | None,
    end: float | None,
    force: bool,
) -> dict[str, Any]:
    """Prepare every take into a temporary folder, judge the results, keep the best one."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from ...audio.inspection import inspect
    from ...audio.prepare import prepare_file
    from ...errors import InputError
    from ...validation import best_take, validate_upload

    if os.path.isdir(output) or output.endswith(os.sep):
        raise InputError("--best writes one file: give --output a file name (OUT.wav).")
    if os.path.lexists(output) and not force:
        raise InputError(f"{output} exists; use --force to overwrite it.")
    if os.path.abspath(output) in {os.path.abspath(i.path) for i in usable}:
        raise InputError(f"{output} is an input; choose another output.")
    with tempfile.TemporaryDirectory(prefix="bland-clone-best-") as tmp:
        done: dict[str, Any] = {}
        for n, info in enumerate(usable):
            dst = os.path.join(tmp, f"{n:04d}-{Path(info.path).stem}.wav")
            try:
                with _lazy_progress(out, f"Preparing {info.name}", info.size or 0) as progress:
                    done[dst] = prepare_file(
                        info.path,
                        dst,
                        seconds=seconds,
                        start=start,
                        end=end,
                        info=info,
                        progress=progress,
                    )
            except InputError as exc:
                failed.append({"input": info.path, "message": exc.message, "code": "not_prepared"})
        if not done:
            _raise_failed(out, failed, payload={"ok": False, "outputs": [], "failed": failed})
        takes = [inspect(p) for p in done]
        reports = [validate_upload([t], quality=True, engine="v2") for t in takes]
        from ...validation import merge_reports

        merged = merge_reports(reports)
        chosen = best_take(merged)
        if chosen is None:
            raise InputError(
                "No take would be accepted once prepared.",
                errors=[p.to_dict() for p in merged.errors],
                payload={"ok": False, "failed": failed} | merged.to_dict(),
            )
        prepared = done[chosen.path]
        shutil.copyfile(chosen.path, output + ".part")
        os.replace(output + ".part", output)
        prepared.output = output
        rank = merged.to_dict()["files"]
        for row, src in zip(rank, done.values(), strict=True):
            row["input"] = src.input
            row.pop("path", None)
            row["name"] = os.path.basename(src.input)
    mine = [p for p in merged.problems if p.file == chosen.path]
    out.info(f"Best take: {prepared.input} -> {output}: {prepared.output_seconds:.1f}s")
    for note in prepared.notes:
        out.info(f"  {note}")
    for p in mine:
        out.warn(p.message.replace(chosen.name, os.path.basename(output)))
    return {
        "ok": True,
        "best": prepared.input,
        "outputs": [prepared.to_dict()],
        "takes": rank,
        "failed": failed,
        "warnings": [p.to_dict() for p in mine],
        "errors": [],
    }


def prepare(
    inputs: FilesArg,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="OUT",
            help="OUT.wav for one input (or --best); a folder for several.",
            show_default=False,
        ),
    ],
    seconds: Annotated[
        Optional[float],
        typer.Option(
            "--seconds",
            "-s",
            min=1.0,
            max=60.0,
            metavar="SECONDS",
            help="Length of the window to keep (default: 10-15 s, the most speech).",
            show_default=False,
        ),
    ] = None,
    start: Annotated[
        Optional[float],
        typer.Option(
            "--start",
            min=0.0,
            metavar="SECONDS",
            help="Use the recording from this time on (seconds).",
            show_default=False,
        ),
    ] = None,
    end: Annotated[
        Optional[float],
        typer.Option(
            "--end",
            min=0.0,
            metavar="SECONDS",
            help="Use the recording up to this time (seconds).",
            show_default=False,
        ),
    ] = None,
    best: Annotated[
        bool,
        typer.Option(
            "--best", help="Prepare every take, keep only the best one (written to OUT.wav)."
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite outputs.")] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Turn long or rough recordings into good samples (16-bit mono WAV).

    Reads every format validate reads (WAV, MP3, FLAC, Ogg, m4a, mp4/mov, webm, aac, wma...).
    Mixes to mono, resamples rates above 48 kHz, trims silence, keeps the window with the most
    speech (10-15 seconds), normalises the level. The result is validated. An input that cannot
    be read is reported; the others are still written.

    Examples:

      bland-clone prepare interview.mp3 -o sample.wav

      bland-clone prepare podcast.m4a --start 120 --end 180 -o sample.wav

      bland-clone prepare takes/ -o prepared/

      bland-clone prepare takes/ --best -o best.wav
    """
    out = common.make_output(json_, quiet)
    if seconds is not None and not 1.0 <= seconds <= 60.0:  # NaN passes Typer's range check
        from ...errors import UsageError

        raise UsageError(f"--seconds must be a number from 1 to 60, not {seconds}")
    result = prepare_files(
        out,
        inputs,
        output,
        seconds=seconds,
        start=start,
        end=end,
        best=best,
        force=force,
        keep_going=True,
    )
    if not result["ok"]:
        from ...errors import InputError

        refused = [e for e in result["errors"] if e["code"] not in ("unreadable", "not_prepared")]
        if result.get("failed") and not refused:
            n = len(result["failed"])
            raise InputError(
                f"{n} input{'s' if n != 1 else ''} could not be prepared; "
                f"{len(result['outputs'])} written.",
                errors=result["errors"],
                payload=result,
            )
        raise InputError(
            "The prepared files would still be refused.", errors=result["errors"], payload=result
        )
    out.result(result)

"""bland-clone prepare: turn long or rough recordings into good samples."""

from typing import Annotated, Any, Optional

import typer

from .. import common
from ..options import FilesArg, JsonOpt, QuietOpt
from ..output import Output


def prepare_files(
    out: Output,
    inputs: list[str],
    output: str,
    *,
    seconds: float | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Prepare each input, then validate what was written. Returns the JSON result."""
    from ..audio.inspection import expand_paths, inspect
    from ..audio.prepare import output_paths, prepare_file
    from ..errors import InputError
    from ..validation import validate_upload

    files = expand_paths(inputs)
    if not files:
        raise InputError("No input files.")
    for f in files:
        info = inspect(f)
        if info.error:
            raise InputError(info.error)
    targets = output_paths(files, output, force)
    results = []
    for src, dst in zip(files, targets, strict=True):
        done = prepare_file(src, dst, seconds=seconds)
        results.append(done)
        if out.mode == "human":
            out.info(f"{src} -> {dst}: {done.output_seconds:.1f}s, {done.gain_db:+.1f} dB")
            for note in done.notes:
                out.info(f"  {note}")
    report = validate_upload([inspect(r.output) for r in results], quality=True, engine="v2")
    out.report(report)
    return {
        "ok": report.ok,
        "outputs": [r.to_dict() for r in results],
        "files": report.to_dict()["files"],
        "warnings": [p.to_dict() for p in report.warnings],
        "errors": [p.to_dict() for p in report.errors],
    }


def prepare(
    inputs: FilesArg,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="OUT",
            help="OUT.wav for one input; a folder for several.",
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
            help="Length of the window to keep (default: about 12.5 s of speech).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite outputs.")] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Turn long or rough recordings into good samples (16-bit mono WAV).

    Mixes to mono, resamples rates above 48 kHz, trims silence, keeps the window with the most
    speech (about 10-15 seconds), normalises the level. The result is validated.

    Examples:

      bland-clone prepare interview.mp3 -o sample.wav

      bland-clone prepare takes/ -o prepared/
    """
    out = common.make_output(json_, quiet)
    if seconds is not None and not 1.0 <= seconds <= 60.0:  # NaN passes Typer's range check
        from ..errors import UsageError

        raise UsageError(f"--seconds must be a number from 1 to 60, not {seconds}")
    result = prepare_files(out, inputs, output, seconds=seconds, force=force)
    if not result["ok"]:
        from ..errors import InputError

        raise InputError(
            "The prepared files would still be refused.", errors=result["errors"], payload=result
        )
    out.result(result)

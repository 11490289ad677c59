"""bland-clone prepare: turn long or rough recordings into good samples (bland_clone.ops.preparing
does the work)."""

from typing import Annotated, Optional

import typer

from ...core.errors import InputError, UsageError
from ...ops.preparing import prepare_files
from .. import common
from ..options import FilesArg, JsonOpt, QuietOpt, ReportLinkOpt, ReportOpt


def prepare(
    ctx: typer.Context,
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
    report_page: ReportOpt = None,
    report_link: ReportLinkOpt = False,
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

      bland-clone prepare interview.mp3 -o sample.wav --report sample.html
    """
    out = common.make_output(ctx, json_, quiet)
    page = common.report_target(report_page, report_link)
    if seconds is not None and not 1.0 <= seconds <= 60.0:  # NaN passes Typer's range check
        raise UsageError(f"--seconds must be a number from 1 to 60, not {seconds}")
    for flag, value in (("--start", start), ("--end", end)):
        if value is not None and not 0.0 <= value < float("inf"):  # NaN and inf pass Typer's
            raise UsageError(f"{flag} must be a time in seconds (a finite number), not {value}")
    if start is not None and end is not None and end <= start:  # before any file is read
        raise UsageError(f"--end ({end:g}s) must be after --start ({start:g}s).")
    done = prepare_files(
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
    if done.report is not None:
        out.report(done.report)
    result = done.doc
    if page is not None and done.kept is not None:
        common.write_report(
            out,
            page,
            done.kept,
            command="prepare",
            paths=inputs,
            notes={o["output"]: _made(o) for o in result["outputs"]},
            sources={m.output: m for m in done.made},
            summary=f"{len(result['outputs'])} prepared: "
            + ("accepted." if result["ok"] else "some would still be refused."),
        )
    if not result["ok"]:
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


def _made(o: dict[str, object]) -> list[str]:
    """How prepare made one output, for the report page: its source, gain and notes."""
    made = f"Prepared from {o['input']} ({o['source_seconds']:.1f} s), gain {o['gain_db']:+.1f} dB."
    notes = o.get("notes")
    return [made, *(notes if isinstance(notes, list) else [])]

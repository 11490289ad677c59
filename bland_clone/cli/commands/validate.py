"""bland-clone validate: check files as one upload would be checked, offline, no key (the work:
bland_clone.ops.validating and ops.workflow; this module parses and shows)."""

from collections.abc import Sequence
from typing import Annotated, Optional

import typer

from ...core.envelope import envelope
from ...core.errors import InputError, UsageError
from ...core.manifest import is_manifest
from ...ops import inputs
from ...ops.validating import judge_takes, validate_files
from .. import common
from ..options import (
    AnnotationsOpt,
    EngineOpt,
    FilesArg,
    FormatAliasOpt,
    GenderOpt,
    JsonOpt,
    QuietOpt,
    ReportLinkOpt,
    ReportOpt,
    annotations_style,
)
from ..output import Output


def validate(
    ctx: typer.Context,
    paths: FilesArg,
    name: Annotated[
        Optional[str],
        typer.Option(
            "--name", "-n", metavar="NAME", help="Also check a voice name.", show_default=False
        ),
    ] = None,
    gender: GenderOpt = None,
    engine: EngineOpt = "v3",
    quality: Annotated[
        bool,
        typer.Option(
            "--quality/--no-quality",
            help="Decode the audio and check its quality (clipping, level, silence, noise, "
            "channels, speech length); --no-quality reads headers only.",
        ),
    ] = True,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 1) on warnings too.")
    ] = False,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Reuse each file's quality verdict from the user cache folder while its "
            "bytes are unchanged; --no-cache analyses every file again.",
        ),
    ] = True,
    each: Annotated[
        bool,
        typer.Option(
            "--each",
            help="Judge every file as its own upload (a folder of takes) and name the best.",
        ),
    ] = False,
    report_page: ReportOpt = None,
    report_link: ReportLinkOpt = False,
    annotations: AnnotationsOpt = None,
    fmt: FormatAliasOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Check audio files as one upload would be checked. Offline; no key needed.

    Every problem of every file is reported at once, in the service's own words. Exit code 1 when
    any file would be refused. A manifest (voices.toml) is checked voice by voice, each as its
    own upload.

    Examples:

      bland-clone validate sample.wav

      bland-clone validate recordings/ --json

      bland-clone validate takes/ --each

      bland-clone validate takes/ --each --report takes.html

      bland-clone validate voices.toml --annotations github
    """

    out = common.make_output(ctx, json_, quiet, annotations_style(annotations, fmt))
    out.gave("name", "--name", name)
    out.gave("gender", "--gender", gender)
    page = common.report_target(report_page, report_link)
    if is_manifest(paths):
        if page is not None:
            raise UsageError("--report shows takes: give the audio files, not a manifest")
        validate_manifest(out, paths[0], quality=quality, strict=strict)
        return
    if each:
        validate_takes(
            out, paths, engine=engine, quality=quality, strict=strict, page=page, cache=cache
        )
        return
    report = validate_files(
        paths,
        name=name,
        gender=gender,
        engine=engine,
        quality=quality,
        strict=strict,
        cache=cache,
    )
    out.report(report)
    out.annotate_report(report)
    if page is not None:
        n = len(report.files)
        said = "would be refused" if not report.ok else "would be accepted"
        common.write_report(
            out,
            page,
            report,
            command="validate",
            paths=paths,
            summary=f"{n} file{'s' if n != 1 else ''} checked as one upload: {said}.",
        )
    if not report.ok:
        raise inputs.refuse(report, what="these files would be refused")
    out.result(report.to_dict())
    if out.mode == "human":
        n = len(report.files)
        w = len(report.warnings)
        out.info(
            f"{n} file{'s' if n != 1 else ''} OK"
            + (f", {w} warning{'s' if w != 1 else ''}" if w else "")
            + "."
        )


def validate_takes(
    out: Output,
    paths: Sequence[str],
    *,
    engine: str = "v3",
    quality: bool = True,
    strict: bool = False,
    page: common.Page | None = None,
    cache: bool = True,
) -> None:
    """validate --each: every file judged as its own upload; the best take named."""

    takes = judge_takes(paths, engine=engine, quality=quality, strict=strict, cache=cache)
    report, best = takes.report, takes.best
    out.report(report)
    out.annotate_report(report)
    n, good = len(report.files), sum(1 for f in report.files if report.verdict(f) != "error")
    said = f"{good} of {n} take{'s' if n != 1 else ''} would be accepted."
    if page is not None:
        common.write_report(
            out,
            page,
            report,
            command="validate --each",
            paths=paths,
            ranked=takes.ranked,
            best=best,
            summary=said + (f" Best: {best.path}" if best else ""),
        )
    result = report.to_dict() | {"ok": best is not None, "best": best.path if best else None}
    if best is None:
        raise InputError(
            "No take would be accepted.",
            errors=[p.to_dict() for p in report.errors],
            payload=result,
        )
    out.result(result)
    if out.mode == "human":
        out.info(f"{said} Best: {best.path}")


def validate_manifest(
    out: Output, path: str, *, quality: bool = True, strict: bool = False
) -> None:
    # lazy: start-up (validate --no-quality)
    from ...ops.workflow import check_manifest, voice_report_json
    from ..plans import show_voice_reports  # lazy: start-up (validate --no-quality)

    checked = check_manifest(out, path, quality=quality, strict=strict)
    show_voice_reports(out, checked)
    voices = [voice_report_json(s, r) for s, r in checked]
    errors = [e for v in voices for e in v["errors"]]
    if errors:
        bad = sum(1 for v in voices if not v["ok"])
        raise InputError(
            f"{bad} of {len(voices)} voice(s) would be refused.",
            errors=errors,
            payload={"manifest": path, "voices": voices},
        )
    out.result(envelope({"manifest": path, "voices": voices}))
    w = sum(len(v["warnings"]) for v in voices)
    out.info(
        f"{len(voices)} voice(s) OK" + (f", {w} warning{'s' if w != 1 else ''}." if w else ".")
    )

"""bland-clone validate: check files as one upload would be checked, offline, no key."""


from collections.abc import Sequence
from typing import Annotated, Optional

import typer

from .. import common
from ..options import EngineOpt, FilesArg, GenderOpt, JsonOpt, QuietOpt


def validate_files(
    paths: Sequence[str],
    *,
    name: str | None = None,
    gender: str | None = None,
    engine: str = "v3",
):  # -> Report
    """Inspect and check files as one upload; the plain function behind the command."""
    from ..validation import validate_upload

    common.check_engine(engine)
    return validate_upload(common.checked_files(paths), name=name, gender=gender, engine=engine)


def validate(
    paths: FilesArg,
    name: Annotated[
        Optional[str],
        typer.Option("--name", "-n", help="Also check a voice name.", show_default=False),
    ] = None,
    gender: GenderOpt = None,
    engine: EngineOpt = "v3",
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Check audio files as one upload would be checked. Offline; no key needed.

    Every problem of every file is reported at once, in the service's own words. Exit code 1 when
    any file would be refused.

    Examples:

      bland-clone validate sample.wav

      bland-clone validate recordings/ --json
    """
    out = common.make_output(json_, quiet)
    report = validate_files(paths, name=name, gender=gender, engine=engine)
    out.report(report)
    if not report.ok:
        raise common.refuse(report, what="these files would be refused")
    out.result(report.to_dict())
    if out.mode == "human":
        n = len(report.files)
        w = len(report.warnings)
        out.info(
            f"{n} file{'s' if n != 1 else ''} OK"
            + (f", {w} warning{'s' if w != 1 else ''}" if w else "")
            + "."
        )

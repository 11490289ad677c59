"""bland-clone plan: what apply would do, voice by voice, without changing anything."""

from typing import Annotated

import typer

from ..options import AnnotationsOpt, Connection, FormatAliasOpt, annotations_style, with_connection
from ..plans import run_plan


@with_connection
def plan(
    manifest: Annotated[
        str,
        typer.Argument(
            help="The manifest, e.g. voices.toml.", show_default=False, metavar="MANIFEST"
        ),
    ],
    prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="Plan as 'apply --prune' would: delete what the manifest dropped."
        ),
    ] = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 when there is nothing to do, 2 when there is."
        ),
    ] = False,
    annotations: AnnotationsOpt = None,
    fmt: FormatAliasOpt = None,
    *,
    conn: Connection,
) -> None:
    """Show what apply would do: compare the manifest, its samples, the lock and the service.

    Each voice's action: create, adopt, replace (a sample changed since the lock), update
    settings, nothing, missing on the service, delete (with --prune), not in the manifest,
    unmanaged (on the service, in neither file). Changes nothing.

    Examples:

      bland-clone plan voices.toml

      bland-clone plan voices.toml --detailed-exitcode --json
    """

    out = conn.output(annotations_style(annotations, fmt))
    code = run_plan(out, manifest, conn, prune=prune, detailed_exitcode=detailed_exitcode)
    if code:
        raise typer.Exit(code)

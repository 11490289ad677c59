"""bland-clone export: a manifest and lock from the voices that exist (adoption)."""

from typing import Annotated

import typer

from ...ops.exporting import export_voices
from ..options import Connection, ForceOpt, with_connection


@with_connection
def export(
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The manifest to write, e.g. voices.toml.",
            show_default=False,
        ),
    ],
    cloned: Annotated[
        bool,
        typer.Option(
            "--cloned", help="Only the voices you cloned (not those added from the library)."
        ),
    ] = False,
    force: ForceOpt = False,
    *,
    conn: Connection,
) -> None:
    """Write a manifest and its lock from the voices that exist, with their settings.

    Samples are downloaded next to the manifest (samples/NAME/) where the service exposes them;
    a voice without a retrievable sample is written commented out and named in the output, and
    stays unmanaged. Public stock voices are never exported. A following 'plan' shows nothing
    to do.

    Examples:

      bland-clone export --cloned -o voices.toml

      bland-clone export -o voices.toml --json
    """

    out = conn.output()
    got = export_voices(out, output, cloned=cloned, force=force, conn=conn)
    without = got.unmanaged

    def human() -> None:
        out.table(
            ["Name", "Voice id", "Engine", "Samples"],
            [
                [
                    v.name,
                    v.voice_id,
                    v.engine,
                    str(len(v.samples)) if v.managed else "none",
                ]
                for v in got.voices
            ],
        )
        out.line(
            f"Wrote {output} and {got.lock}: {len(got.voices) - len(without)} voice(s) managed."
        )
        if without:  # each said once here, with its reason (each names what is missing)
            out.line(
                f"{len(without)} voice(s) stay unmanaged (commented out in {output}): "
                + "; ".join(
                    f"{v.name!r} ({v.voice_id}): {v.reason or 'no retrievable sample'}"
                    for v in without
                )
                + "."
            )

    out.result(got.to_dict(), human)

"""bland-clone export: a manifest and lock from the voices that exist (adoption)."""

from typing import Annotated, Any

import typer

from ...errors import InputError
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
    import os
    from pathlib import Path

    from ... import lockfile
    from ...files import check_writable
    from ...ops import adopt
    from ...ops.workflow import live_settings

    out = conn.output()
    if not output.endswith(".toml"):
        raise InputError(f"{output}: a manifest's name ends in .toml (e.g. voices.toml).")
    check_writable(output, force)
    lock_path = lockfile.lock_path(output)
    if lock_path.exists() and not force:
        raise InputError(f"{lock_path} exists; use --force to overwrite it.")
    client = conn.client(out)
    voices = [
        v
        for v in client.list_voices()
        if (v.is_cloned if cloned else (v.is_cloned or not v.public))
    ]
    base = Path(os.path.dirname(os.path.abspath(output)))
    taken: set[str] = set()
    exported = []
    for v in voices:
        settings = live_settings(client, v.id)
        ex = adopt.export_voice(client, v, base, "samples", taken, settings, overwrite=force)
        exported.append(ex)
        out.info(
            f"{v.name} ({v.id}): "
            + (
                f"{len(ex.files)} sample(s)"
                if ex.managed
                else f"no retrievable sample: {ex.reason}"
            )
        )
    entries = adopt.lock_entries(exported, base)
    from ...files import write_file

    write_file(output, adopt.render_manifest(exported).encode("utf-8"))
    lockfile.write(lock_path, entries)
    rows: list[dict[str, Any]] = [
        {
            "name": ex.voice.name,
            "voice_id": ex.voice.id,
            "engine": ex.engine,
            "samples": ex.files,
            "settings": ex.settings,
            "managed": ex.managed,
            "reason": ex.reason,
        }
        for ex in exported
    ]
    without = [r for r in rows if not r["managed"]]

    def human() -> None:
        out.table(
            ["Name", "Voice id", "Engine", "Samples"],
            [
                [
                    r["name"],
                    r["voice_id"],
                    r["engine"],
                    str(len(r["samples"])) if r["managed"] else "none retrievable",
                ]
                for r in rows
            ],
        )
        out.line(f"Wrote {output} and {lock_path}: {len(rows) - len(without)} voice(s) managed.")
        if without:
            out.line(
                f"{len(without)} voice(s) have no retrievable sample and stay unmanaged "
                f"(commented out in {output}): "
                + ", ".join(f"{r['name']!r} ({r['voice_id']})" for r in without)
            )

    out.result(
        {
            "ok": True,
            "manifest": output,
            "lock": str(lock_path),
            "voices": rows,
            "without_samples": [
                {"name": r["name"], "voice_id": r["voice_id"], "reason": r["reason"]}
                for r in without
            ],
            "errors": [],
        },
        human,
    )

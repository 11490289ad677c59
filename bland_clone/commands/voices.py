"""bland-clone voices: list, show, rename and delete voices."""

import sys
from typing import Annotated, Any

import typer

from .. import common
from ..errors import InputError, UsageError
from ..options import Connection, YesOpt, with_connection
from ..safetext import one_line

app = typer.Typer(
    help="See and manage your voices: list, show, rename, delete.", no_args_is_help=True
)

VoiceArg = Annotated[str, typer.Argument(help="Voice id or name.", show_default=False)]


@app.command("list")
@with_connection
def list_(
    cloned: Annotated[bool, typer.Option("--cloned", help="Only your cloned voices.")] = False,
    *,
    conn: Connection,
) -> None:
    """List voices: id, name, engine and tags.

    Example:

      bland-clone voices list --cloned
    """
    out = conn.output()
    client = conn.client(out)
    voices = client.list_voices()
    if cloned:
        voices = [v for v in voices if v.is_cloned]
    out.result(
        {"ok": True, "voices": [v.to_dict() for v in voices], "errors": []},
        lambda: out.table(
            ["Id", "Name", "Engine", "Tags"],
            [[v.id, v.name, v.service or "-", ", ".join(v.tags)] for v in voices],
        ),
    )


@app.command("show")
@with_connection
def show(
    voice: VoiceArg,
    *,
    conn: Connection,
) -> None:
    """Show one voice, by id or name, with its samples where the service exposes them."""
    out = conn.output()
    client = conn.client(out)
    v = client.find_voice(voice)
    samples: list[dict[str, Any]] = []
    if v.is_custom:
        samples = client.voice_samples(v.id)

    def human() -> None:
        for label, value in (
            ("Id", v.id),
            ("Name", v.name),
            ("Engine", v.service or "-"),
            ("Description", v.description or "-"),
            ("Tags", ", ".join(v.tags) or "-"),
            ("Cloned", "yes" if v.is_cloned else "no"),
        ):
            out.line(f"{label}:\t{one_line(value)}")
        out.line(f"Samples:\t{len(samples)}")
        if samples:
            _samples_table(out, samples)

    out.result({"ok": True, "voice": v.to_dict(), "samples": samples, "errors": []}, human)


def _samples_table(out: common.Output, samples: list[dict[str, Any]]) -> None:
    out.table(
        ["Sample id", "Duration", "Created", "Transcription"],
        [
            [
                str(s.get("id", "")),
                f"{s['duration_seconds']:.2f}s"
                if isinstance(s.get("duration_seconds"), (int, float))
                else "-",
                str(s.get("created_at") or "-"),
                str(s.get("transcription") or ""),
            ]
            for s in samples
        ],
    )


@app.command("rename")
@with_connection
def rename(
    voice: VoiceArg,
    new_name: Annotated[str, typer.Argument(help="The new name.", show_default=False)],
    *,
    conn: Connection,
) -> None:
    """Rename a voice. The new name is checked locally first, by the same rules as clone."""
    from ..validation import check_name

    out = conn.output()
    problems = check_name(new_name)
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        if p.severity == "warning":
            out.warn(p.message)
    if errors:
        raise InputError("; ".join(p.message for p in errors), errors=[p.to_dict() for p in errors])
    client = conn.client(out)
    v = client.find_voice(voice)
    client.rename_voice(v.id, new_name)
    out.result(
        {"ok": True, "voice_id": v.id, "name": new_name, "old_name": v.name, "errors": []},
        f"Renamed {v.name!r} to {new_name!r} ({v.id}).",
    )


@app.command("delete")
@with_connection
def delete(
    voices: Annotated[list[str], typer.Argument(help="Voice ids or names.", show_default=False)],
    yes: YesOpt = False,
    *,
    conn: Connection,
) -> None:
    """Delete voices. Asks first on a terminal; off a terminal it needs --yes (exit 2 without).

    Every voice is looked up before any is deleted: one unknown name deletes nothing.

    Example:

      bland-clone voices delete "Old narrator" --yes
    """
    out = conn.output()
    if not yes and not sys.stdin.isatty():
        raise UsageError(
            "Refusing to delete without --yes: standard input is not a terminal to confirm on."
        )
    client = conn.client(out)
    found: list[Any] = []
    for ref in voices:
        v = client.find_voice(ref)
        if v.id not in {f.id for f in found}:
            found.append(v)
    if not yes:
        listing = one_line(", ".join(f"{v.name!r} ({v.id})" for v in found))
        if not typer.confirm(f"Delete {len(found)} voice(s): {listing}?", default=False, err=True):
            raise InputError("Nothing was deleted.")
    deleted = []
    for v in found:
        client.delete_voice(v.id)
        deleted.append({"id": v.id, "name": v.name})
        if out.mode == "human":
            out.line(f"Deleted {v.name!r} ({v.id}).")
    out.result({"ok": True, "deleted": deleted, "errors": []})

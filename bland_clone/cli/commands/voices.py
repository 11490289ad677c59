"""bland-clone voices: list, show, rename and delete voices."""

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ...core.envelope import envelope
from ...core.errors import UsageError
from ...core.safetext import one_line
from ...core.voice_settings import applies_to, describe_limit
from ...ops.voices import (
    add_shared_voice,
    check_new_name,
    clear_rating,
    delete_voices,
    list_voices,
    rate_voice,
    rename_voice,
    set_voice_settings,
    shared_voices,
    show_voice,
    voice_settings_of,
)
from .. import common
from ..options import Connection, VoiceArg, YesOpt, with_connection
from ..output import Output

if TYPE_CHECKING:
    from ...api.client import Voice
    from ...ops.voices import VoiceSettings

app = typer.Typer(
    help="See and manage voices: list, show, settings, shared library, rate, rename, delete.",
    no_args_is_help=True,
)


@app.command("list")
@with_connection
def list_(
    cloned: Annotated[bool, typer.Option("--cloned", help="Only your cloned voices.")] = False,
    language: Annotated[
        Optional[str],
        typer.Option(
            "--language",
            metavar="CODE",
            help="Only voices in this language (their language, or a tag such as 'es').",
            show_default=False,
        ),
    ] = None,
    *,
    conn: Connection,
) -> None:
    """List voices: id, name, engine and tags.

    Example:

      bland-clone voices list --cloned
    """

    out = conn.output()
    got = list_voices(out, cloned=cloned, language=language, conn=conn)
    voices = got.voices
    out.result(
        got.to_dict(),
        lambda: (
            out.table(
                ["Id", "Name", "Engine", "Tags"],
                [[v.id, v.name, v.service or "-", ", ".join(v.tags)] for v in voices],
            )
            if voices or not got.filtered
            else out.info("No voices match.")
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
    got = show_voice(out, voice, conn=conn)
    v, samples = got.voice, got.samples

    def human() -> None:
        out.fields(
            [
                ("Id", v.id),
                ("Name", v.name),
                ("Engine", v.service or "-"),
                ("Description", v.description or "-"),
                ("Tags", ", ".join(v.tags) or "-"),
                ("Cloned", "yes" if v.is_cloned else "no"),
                # V2/V3 voices' samples are never listed (always []): not "0", as samples
                # list says it
                ("Samples", str(len(samples)) if samples else "none the service exposes"),
            ]
        )
        if samples:
            common.samples_table(out, samples)

    out.result(got.to_dict(), human)


@app.command("rename")
@with_connection
def rename(
    voice: VoiceArg,
    new_name: Annotated[
        str, typer.Argument(help="The new name.", show_default=False, metavar="NEW_NAME")
    ],
    *,
    conn: Connection,
) -> None:
    """Rename a voice. The new name is checked locally first, by the same rules as clone."""

    out = conn.output()
    got = rename_voice(out, voice, new_name, conn=conn)
    out.result(got.to_dict(), f"Renamed {got.old_name!r} to {got.name!r} ({got.voice_id}).")


@app.command("delete")
@with_connection
def delete(
    voices: Annotated[
        list[str],
        typer.Argument(help="Voice ids or names.", show_default=False, metavar="VOICE..."),
    ],
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
    common.can_confirm(out.env, "delete", yes=yes)

    def ask(found: list["Voice"]) -> bool:
        listing = one_line(", ".join(f"{v.name!r} ({v.id})" for v in found))
        prompt = f"Delete {len(found)} voice(s): {listing}?"
        return common.confirm(out.env, prompt, yes=yes, what="delete")

    got = delete_voices(out, voices, confirm=None if yes else ask, conn=conn)
    out.result(got.to_dict())


def _settings_table(out: Output, view: "VoiceSettings") -> None:
    out.fields(
        [
            ("Voice", f"{view.voice.name} ({view.voice.id})"),
            ("Engine", str(view.service or "-")),
        ]
    )
    rows = [
        [
            name,
            _fmt_setting(view.settings.get(name)),
            describe_limit(name, rule).partition(" (")[2].rstrip(")"),
            applies_to(name),
        ]
        for name, rule in view.limits.items()
        if isinstance(rule, dict)
    ]
    rows += [
        [name, _fmt_setting(value), "-", applies_to(name)]
        for name, value in view.settings.items()
        if name not in view.limits
    ]
    if rows:
        out.table(["Setting", "Value", "Valid", "Engines"], rows)
    else:
        out.info(f"{view.voice.name!r} has no settings ({view.service or 'unknown'} voice).")


def _fmt_setting(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "-" if value is None else str(value)


@app.command("settings", short_help="Show a voice's settings and valid ranges.")
@with_connection
def settings(
    voice: VoiceArg,
    *,
    conn: Connection,
) -> None:
    """Show a voice's settings and the valid range of each, as the service reports them.

    V1 (BTTS) voices take consistency and expressiveness (0-1), V2 voices an integer
    consistency, V3 voices boost_language_consistency (true/false).

    Example:

      bland-clone voices settings Narrator --json
    """

    out = conn.output()
    view = voice_settings_of(out, voice, conn=conn)
    out.result(envelope({**view.to_dict()}), lambda: _settings_table(out, view))


@app.command("set", short_help="Change a voice's settings (checked first).")
@with_connection
def set_(
    voice: VoiceArg,
    consistency: Annotated[
        Optional[float],
        typer.Option(
            "--consistency",
            metavar="N",
            help="V1 (BTTS): 0-1. V2: an integer in the range the service reports.",
            show_default=False,
        ),
    ] = None,
    expressiveness: Annotated[
        Optional[float],
        typer.Option(
            "--expressiveness", metavar="N", help="V1 (BTTS) only: 0-1.", show_default=False
        ),
    ] = None,
    boost: Annotated[
        Optional[bool],
        typer.Option(
            "--boost-language-consistency/--no-boost-language-consistency",
            help="V3 only: keep the voice in the text's language.",
            show_default=False,
        ),
    ] = None,
    *,
    conn: Connection,
) -> None:
    """Change a voice's settings. They are checked against the voice's engine and the
    service's valid ranges first; nothing is sent when a check fails.

    Example:

      bland-clone voices set Narrator --consistency 0.8 --expressiveness 0.3
    """

    values: dict[str, Any] = {
        k: v
        for k, v in (
            ("consistency", consistency),
            ("expressiveness", expressiveness),
            ("boost_language_consistency", boost),
        )
        if v is not None
    }
    if not values:
        raise UsageError(
            "Nothing to set: give --consistency, --expressiveness or "
            "--boost-language-consistency/--no-boost-language-consistency."
        )
    out = conn.output()
    got = set_voice_settings(out, voice, values, conn=conn)
    view = got.view
    changed = ", ".join(f"{k}={_fmt_setting(view.settings.get(k, v))}" for k, v in values.items())
    out.result(
        got.to_dict(),
        f"Set {changed} on {view.voice.name!r} ({view.voice.id}).",
    )


@app.command("rate", short_help="Rate a voice from 1 to 5, or clear your rating.")
@with_connection
def rate(
    voice: VoiceArg,
    rating: Annotated[
        Optional[int], typer.Argument(help="1 to 5.", show_default=False, metavar="[1-5]")
    ] = None,
    clear: Annotated[
        bool,
        typer.Option("--clear", help="Clear your rating (DELETE /v1/voices/{id}/rate)."),
    ] = False,
    *,
    conn: Connection,
) -> None:
    """Rate a voice from 1 to 5 (POST /v1/voices/{id}/rate), or clear your rating with --clear.

    Bland allows 20 ratings a minute per organisation: past that the service answers 429 and
    bland-clone waits as long as its Retry-After asks (at most 60 s in all), then tries again.
    """

    if clear == (rating is not None):
        raise UsageError("Give a rating from 1 to 5, or --clear (not both).")
    out = conn.output()
    if rating is None:
        cleared = clear_rating(out, voice, conn=conn)
        out.result(cleared.to_dict(), f"Cleared your rating of {cleared.name!r}.")
        return
    got = rate_voice(out, voice, rating, conn=conn)
    avg = got.stats.get("average_rating")
    tail = (
        f"; average {avg:g} of {got.stats.get('total_ratings')} ratings" if avg is not None else ""
    )
    out.result(got.to_dict(), f"Rated {got.name!r} {rating}/5{tail}.")


@app.command("shared", short_help="Browse Bland's shared voice library.")
@with_connection
def shared(
    search: Annotated[
        Optional[str],
        typer.Option("--search", "-s", metavar="TEXT", help="Words in the name or description."),
    ] = None,
    language: Annotated[
        Optional[str],
        typer.Option(
            "--language", metavar="CODE", help="Only voices in this language (en, es...)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, metavar="N")] = 20,
    offset: Annotated[int, typer.Option("--offset", min=0, metavar="N")] = 0,
    *,
    conn: Connection,
) -> None:
    """Browse Bland's shared voice library; add one with 'voices add-shared ID'.

    Example:

      bland-clone voices shared --search narrator --language en
    """

    out = conn.output()
    page = shared_voices(
        out, search=search, language=language, limit=limit, offset=offset, conn=conn
    )

    def human() -> None:
        if not page.voices:
            out.info("No shared voices match.")
            return
        out.table(
            ["Id", "Name", "Language", "Engine", "Description"],
            [
                [
                    str(v.get("id", "")),
                    str(v.get("name", "")),
                    str(v.get("language") or "-"),
                    str(v.get("service") or "-"),
                    str(v.get("description") or ""),
                ]
                for v in page.voices
            ],
        )
        if page.total is not None and page.total > page.offset + len(page.voices):
            out.info(f"{page.total} in all; --offset {page.offset + len(page.voices)} for more.")

    out.result(page.to_dict(), human)


@app.command("add-shared", short_help="Add a shared library voice to yours.")
@with_connection
def add_shared(
    voice_id: Annotated[
        str, typer.Argument(help="Id from 'voices shared'.", show_default=False, metavar="ID")
    ],
    *,
    conn: Connection,
) -> None:
    """Add a shared library voice to your voices (POST /v1/voices/library/add/{id})."""

    out = conn.output()
    got = add_shared_voice(out, voice_id, conn=conn)
    out.result(
        got.to_dict(),
        f"Added {got.name!r} ({got.voice.get('id') or voice_id}) to your voices.",
    )


@app.command("check-name", short_help="Check a name: local rules, then the service.")
@with_connection
def check_name_(
    name: Annotated[
        str, typer.Argument(help="A voice name to check.", show_default=False, metavar="NAME")
    ],
    *,
    conn: Connection,
) -> None:
    """Check a name for a new voice: the local rules, then the service (with a key).

    Exit 0 when the name can be used, 1 when it cannot.
    """

    out = conn.output()
    got = check_new_name(out, name, conn=conn)
    said = "is available" if got.available else "passes the local rules"
    out.result(got.to_dict(), f"{name!r} {said}.")

"""bland-clone samples: list a voice's samples and download one."""

from typing import Annotated, Optional

import typer

from ...core.safetext import one_line
from ...ops.samples import delete_samples, get_sample, list_samples
from ...ops.samples import set_text as set_sample_text
from ...ops.voices import SamplesToDelete
from .. import common
from ..options import Connection, ForceOpt, VoiceArg, WavOutOpt, YesOpt, with_connection

app = typer.Typer(help="See a voice's samples: list, get, set-text, delete.", no_args_is_help=True)


@app.command("list")
@with_connection
def list_(
    voice: VoiceArg,
    save_audio: Annotated[
        Optional[str],
        typer.Option(
            "--save-audio",
            metavar="DIR",
            help="Also fetch each sample's audio in the same request (?include_audio=true) and "
            "write it to DIR/<sample id>.wav.",
            show_default=False,
        ),
    ] = None,
    force: ForceOpt = False,
    *,
    conn: Connection,
) -> None:
    """List a voice's samples (V2/V3 voices expose none)."""

    out = conn.output()
    got = list_samples(out, voice, save_audio=save_audio, force=force, conn=conn)
    v = got.voice

    def human() -> None:
        if got.samples:
            common.samples_table(out, got.samples)
            if save_audio is not None:
                saved = sum(1 for s in got.samples if s.get("path"))
                out.info(f"Wrote {saved} sample(s) to {one_line(save_audio)}.")
        else:
            out.info(
                f"{v.name!r} has no samples the service exposes ({v.service or 'unknown'} voice)."
            )

    out.result(got.to_dict(), human)


@app.command("get")
@with_connection
def get(
    voice: VoiceArg,
    sample_id: Annotated[
        str,
        typer.Argument(
            help="Sample id (from 'samples list').", show_default=False, metavar="SAMPLE_ID"
        ),
    ],
    output: WavOutOpt,
    force: ForceOpt = False,
    *,
    conn: Connection,
) -> None:
    """Download one sample's audio to a file. Refuses to overwrite without --force.

    Asks GET /v1/voices/{id}/samples/{sample_id}?format=audio (the documented path), and the
    older .../{sample_id}/audio when a service does not know it.
    """

    out = conn.output()
    got = get_sample(out, voice, sample_id, output, force=force, conn=conn)
    out.result(
        got.to_dict(),
        None if output == "-" else f"Wrote {output} ({got.bytes} bytes).",
    )


@app.command("set-text", short_help="Correct a sample's transcription.")
@with_connection
def set_text(
    voice: VoiceArg,
    sample_id: Annotated[
        str,
        typer.Argument(
            help="Sample id (from 'samples list').", show_default=False, metavar="SAMPLE_ID"
        ),
    ],
    text: Annotated[
        str,
        typer.Argument(
            help="The words the sample really says.", show_default=False, metavar="TEXT"
        ),
    ],
    *,
    conn: Connection,
) -> None:
    """Correct what the service heard in a sample (PATCH /v1/voices/{id}/samples).

    Example:

      bland-clone samples set-text "Legacy Narrator" 1f2e... "Hello, and welcome."
    """

    out = conn.output()
    got = set_sample_text(out, voice, sample_id, text, conn=conn)
    out.result(got.to_dict(), f"Set the transcription of sample {one_line(sample_id)}.")


@app.command("delete", short_help="Delete samples from a voice.")
@with_connection
def delete(
    voice: VoiceArg,
    sample_ids: Annotated[
        list[str],
        typer.Argument(
            help="Sample ids (from 'samples list').", show_default=False, metavar="SAMPLE_ID..."
        ),
    ],
    yes: YesOpt = False,
    *,
    conn: Connection,
) -> None:
    """Delete samples from a voice. Asks first on a terminal; off a terminal it needs --yes
    (exit 2 without, and nothing is sent). Every id is looked up before any is deleted.

    Example:

      bland-clone samples delete "Legacy Narrator" 1f2e... --yes
    """

    out = conn.output()
    common.can_confirm(out.env, "delete", yes=yes)

    def ask(plan: SamplesToDelete) -> bool:
        v = plan.voice
        n = len(plan.sample_ids)
        prompt = one_line(
            f"Delete {n} sample(s) of {v.name!r} ({v.id}): {', '.join(plan.sample_ids)}?"
        )
        return common.confirm(out.env, prompt, yes=yes, what="delete")

    got = delete_samples(out, voice, sample_ids, confirm=None if yes else ask, conn=conn)
    remaining = got.remaining
    out.result(
        got.to_dict(),
        f"Deleted {len(got.deleted)} sample(s) of {got.voice.name!r}"
        + (f"; {remaining} left." if isinstance(remaining, int) else "."),
    )

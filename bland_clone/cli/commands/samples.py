"""bland-clone samples: list a voice's samples and download one."""

from typing import Annotated, Any

import typer

from ...errors import InputError, UsageError
from ...files import check_writable
from ...safetext import one_line
from .. import common
from ..options import Connection, ForceOpt, VoiceArg, WavOutOpt, YesOpt, with_connection

app = typer.Typer(help="See a voice's samples: list, get, delete.", no_args_is_help=True)


@app.command("list")
@with_connection
def list_(
    voice: VoiceArg,
    *,
    conn: Connection,
) -> None:
    """List a voice's samples (V2/V3 voices expose none)."""
    out = conn.output()
    client = conn.client(out)
    v = client.find_voice(voice)
    samples = client.voice_samples(v.id)

    def human() -> None:
        if samples:
            common.samples_table(out, samples)
        else:
            out.info(
                f"{v.name!r} has no samples the service exposes ({v.service or 'unknown'} voice)."
            )

    out.result({"ok": True, "voice_id": v.id, "samples": samples, "errors": []}, human)


@app.command("get")
@with_connection
def get(
    voice: VoiceArg,
    sample_id: Annotated[
        str, typer.Argument(help="Sample id (from 'samples list').", show_default=False)
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
    check_writable(output, force)
    client = conn.client(out)
    v = client.find_voice(voice)
    ids = [str(s.get("id")) for s in client.voice_samples(v.id)]
    if sample_id not in ids:
        known = ", ".join(ids) or "none"
        raise InputError(f"Voice {v.name!r} has no sample {sample_id!r} (samples: {known}).")
    size, source = client.sample_file(v.id, sample_id, output)
    _check_extension(out, output)
    out.result(
        {
            "ok": True,
            "voice_id": v.id,
            "sample_id": sample_id,
            "path": output,
            "bytes": size,
            "source": source,
            "errors": [],
        },
        None if output == "-" else f"Wrote {output} ({size} bytes).",
    )


def _check_extension(out: Any, path: str) -> None:
    """The file holds what the service sent: warn when its name says another format."""
    import os

    ext = os.path.splitext(path)[1].lower()
    if path == "-" or not ext:
        return
    with open(path, "rb") as f:
        head = f.read(12)
    kinds = {b"RIFF": ".wav", b"fLaC": ".flac", b"OggS": ".ogg", b"ID3": ".mp3"}
    sent = next((e for magic, e in kinds.items() if head.startswith(magic)), None)
    if sent is None and head[:1] == b"\xff" and head[1:2] >= b"\xe0":
        sent = ".mp3"
    if sent is not None and ext != sent and not (sent == ".wav" and ext == ".wave"):
        out.warn(
            f"{path} holds {sent[1:].upper()} audio (what the service sent), "
            f"not {ext[1:].upper()}: name it {os.path.splitext(path)[0]}{sent}."
        )


@app.command("delete", short_help="Delete samples from a voice.")
@with_connection
def delete(
    voice: VoiceArg,
    sample_ids: Annotated[
        list[str],
        typer.Argument(help="Sample ids (from 'samples list').", show_default=False),
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
    import sys

    from ...ops.voices import samples_to_delete

    out = conn.output()
    if not yes and not sys.stdin.isatty():
        raise UsageError(
            "Refusing to delete without --yes: standard input is not a terminal to confirm on."
        )
    client = conn.client(out)
    plan = samples_to_delete(client, voice, sample_ids)
    v = plan.voice
    if not yes:
        n = len(plan.sample_ids)
        ask = one_line(
            f"Delete {n} sample(s) of {v.name!r} ({v.id}): {', '.join(plan.sample_ids)}?"
        )
        if not typer.confirm(ask, default=False, err=True):
            raise InputError("Nothing was deleted.")
    got = client.delete_samples(v.id, plan.sample_ids)
    remaining = got.get("remaining")
    out.result(
        {
            "ok": True,
            "voice_id": v.id,
            "deleted": plan.sample_ids,
            "remaining": remaining,
            "errors": [],
        },
        f"Deleted {len(plan.sample_ids)} sample(s) of {v.name!r}"
        + (f"; {remaining} left." if isinstance(remaining, int) else "."),
    )

"""bland-clone samples: list a voice's samples and download one."""

from typing import Annotated

import typer

from .. import common
from ..errors import InputError
from ..options import Connection, ForceOpt, WavOutOpt, with_connection
from .voices import VoiceArg, _samples_table

app = typer.Typer(help="See a voice's samples: list, get.", no_args_is_help=True)


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
            _samples_table(out, samples)
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
    """Download one sample's audio to a file. Refuses to overwrite without --force."""
    out = conn.output()
    common.check_output_path(output, force)
    client = conn.client(out)
    v = client.find_voice(voice)
    ids = [str(s.get("id")) for s in client.voice_samples(v.id)]
    if sample_id not in ids:
        known = ", ".join(ids) or "none"
        raise InputError(f"Voice {v.name!r} has no sample {sample_id!r} (samples: {known}).")
    size = client.sample_to_file(v.id, sample_id, output)
    out.result(
        {
            "ok": True,
            "voice_id": v.id,
            "sample_id": sample_id,
            "path": output,
            "bytes": size,
            "errors": [],
        },
        None if output == "-" else f"Wrote {output} ({size} bytes).",
    )

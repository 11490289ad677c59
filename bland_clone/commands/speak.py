"""bland-clone speak: hear a voice, through the speak endpoint."""

from typing import Annotated, Any

import typer

from .. import common, limits
from ..errors import InputError, UsageError
from ..options import Connection, ForceOpt, WavOutOpt, with_connection

FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help=f"Output format: {', '.join(limits.SPEAK_OUTPUT_FORMATS)}.",
    ),
]


def check_text(text: str) -> None:
    if not text.strip():
        raise InputError("Text to speak is empty.")
    if len(text) > limits.SPEAK_TEXT_MAX_CHARS:
        raise InputError(limits.speak_text_too_long(len(text)))


def check_format(fmt: str) -> None:
    if fmt not in limits.SPEAK_OUTPUT_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(limits.SPEAK_OUTPUT_FORMATS)}")


def speak_to_file(client: Any, voice_id: str, text: str, output: str, fmt: str) -> int:
    """Speak into ``output`` (streamed to disk, the file complete or absent); its size."""
    return int(client.speak_to_file(voice_id, text, output, fmt))


@with_connection
def speak(
    voice: Annotated[str, typer.Argument(help="Voice id or name.", show_default=False)],
    text: Annotated[
        str,
        typer.Argument(
            help=f"Text (at most {limits.SPEAK_TEXT_MAX_CHARS} characters).", show_default=False
        ),
    ],
    output: WavOutOpt,
    fmt: FormatOpt = "pcm_24000",
    force: ForceOpt = False,
    *,
    conn: Connection,
) -> None:
    """Speak text with a voice and write the audio: a preview of a clone.

    Example:

      bland-clone speak Narrator "Hello there." -o preview.wav
    """
    out = conn.output()
    check_text(text)
    check_format(fmt)
    common.check_output_path(output, force)
    client = conn.client(out)
    v = client.find_voice(voice)
    size = speak_to_file(client, v.id, text, output, fmt)
    out.result(
        {
            "ok": True,
            "voice_id": v.id,
            "name": v.name,
            "path": output,
            "bytes": size,
            "format": fmt,
            "errors": [],
        },
        None if output == "-" else f"Wrote {output} ({size} bytes) in the voice {v.name!r}.",
    )

"""bland-clone speak: hear a voice (/v2/tts where offered, /v1/speak otherwise), and
``speak history``: the generations the service stored."""

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ...core import limits
from ...core.errors import UsageError
from ...ops import preview, speaking
from ..options import (
    Connection,
    ExpressivenessOpt,
    ForceOpt,
    LanguageOpt,
    StabilityOpt,
    with_connection,
)

if TYPE_CHECKING:
    from ...ops.preview import Preview
    from ..output import Output

FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help=f"Encoding and sample rate: {', '.join(limits.SPEAK_OUTPUT_FORMATS)}.",
    ),
]


def preview_line(p: "Preview", voice_name: str) -> str:
    """'Wrote x.wav (N bytes, WAV) in the voice 'Maya' via /v2/tts (model btts-3); cost 0.01.'"""
    model = f" (model {p.model})" if p.model else ""
    cost = f"; cost {p.cost:g}" if p.cost is not None else ""
    if p.path is None:
        return f"Played the voice {voice_name!r} via {p.endpoint}{model}{cost}."
    played = " and played it" if p.played else ""
    return (
        f"Wrote {p.path} ({p.bytes} bytes, {p.file_format}){played} in the voice "
        f"{voice_name!r} via {p.endpoint}{model}{cost}."
    )


@with_connection
def speak(
    voice: Annotated[
        str,
        typer.Argument(help="Voice id or name; or 'history'.", show_default=False, metavar="VOICE"),
    ],
    text: Annotated[
        Optional[str],
        typer.Argument(
            help="Text (at most the max_characters GET /v1/models reports, else "
            f"{limits.SPEAK_TEXT_MAX_CHARS:,}; <|N|> pauses N "
            f"seconds, {limits.PAUSE_MIN_S:g}-{limits.PAUSE_MAX_S:g}). After 'history': a "
            "generation's id.",
            show_default=False,
            metavar="[TEXT]",
        ),
    ] = None,
    output: Annotated[
        Optional[str],
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Audio file to write; its extension sets the format: .wav, .raw/.pcm (no "
            "header), .mp3, .flac, .ogg ('-': WAV on stdout).",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOpt = "pcm_24000",
    language: LanguageOpt = None,
    expressiveness: ExpressivenessOpt = None,
    stability: StabilityOpt = None,
    force: ForceOpt = False,
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="Write the audio as it arrives: /v2/tts with container raw, or "
            "/v1/speak/stream where there is no /v2 (a WAV's sizes are filled in at the end).",
        ),
    ] = False,
    play: Annotated[
        bool,
        typer.Option(
            "--play",
            help="Play the speech as it arrives on this machine's default output device "
            "(with -o, also write it). Needs a terminal; exit 5 without an output device.",
        ),
    ] = False,
    for_voice: Annotated[
        Optional[str],
        typer.Option(
            "--voice", metavar="VOICE", help="history: only this voice's.", show_default=False
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=100, metavar="N", help="history: how many.")
    ] = 20,
    offset: Annotated[
        int, typer.Option("--offset", min=0, metavar="N", help="history: skip this many.")
    ] = 0,
    *,
    conn: Connection,
) -> None:
    """Speak text with a voice and write the audio: a preview of a clone.

    Uses /v2/tts when the service offers it (GET /v2/models answers), /v1/speak otherwise;
    shows the model and the cost when the service reports them.

    'speak history' (no --output) lists the generations the service stored, newest first;
    'speak history ID' shows one. A voice named 'history' is spoken with -o as usual.

    Examples:

      bland-clone speak Narrator "Hello there. <|0.5|> Shall we?" -o preview.wav

      bland-clone speak Narrator "Hola." --language es -o hola.mp3

      bland-clone speak Narrator "Is this me?" --play

      bland-clone speak history --voice Narrator --json
    """
    out = conn.output()
    if voice == "history" and output is None:
        _history(out, conn, text, for_voice, limit, offset)
        return
    if text is None:
        raise UsageError("Missing argument 'TEXT': the text to speak.")
    if play and not out.env.stdout_isatty:
        raise UsageError(
            "speak --play plays on this machine's speakers, and standard output is not a "
            "terminal; write a file with -o FILE instead."
        )
    if output is None and not play:
        raise UsageError(
            "Missing option '--output' / '-o': the audio file to write ('-': stdout), or --play."
        )
    if play and output == "-":
        raise UsageError("--play and '-o -' both want this terminal: write a file with -o FILE.")
    if output == "-" and conn.json:
        raise UsageError(
            "--json and '-o -' both want stdout: write the audio to a file (-o FILE), "
            "or leave out --json."
        )
    if output == "-" and out.env.stdout_isatty:
        raise UsageError(
            "Refusing to write audio to a terminal: redirect it (-o - > voice.wav) "
            "or give a file (-o FILE)."
        )

    req = preview.Request(text, fmt, language, expressiveness, stability)
    spoken = speaking.speak_text(
        out, voice, req, output, force=force, conn=conn, stream=stream, play=play
    )
    out.result(
        spoken.to_dict(),
        None if output == "-" else preview_line(spoken.preview, spoken.name),
    )


def _history(
    out: "Output",
    conn: Connection,
    gen_id: Optional[str],
    voice: Optional[str],
    limit: int,
    offset: int,
) -> None:
    if gen_id is not None:
        g = speaking.generation(out, gen_id, conn=conn)

        def one() -> None:
            out.fields([(str(k), "-" if v is None else str(v)) for k, v in g.fields.items()])

        out.result(g.to_dict(), one)
        return
    page = speaking.history(out, voice=voice, limit=limit, offset=offset, conn=conn)
    gens = page.generations

    def table() -> None:
        if not gens:
            out.info("No stored generations.")
            return
        out.table(
            ["Id", "Voice", "Created", "Cost", "Text"],
            [
                [
                    str(g.get("id", "")),
                    str(g.get("voice_id") or "-"),
                    str(g.get("created_at") or "-"),
                    "-" if g.get("cost") is None else f"{g['cost']:g}",
                    _short(str(g.get("text") or "")),
                ]
                for g in gens
            ],
        )

    out.result(page.to_dict(), table)


def _short(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."

"""bland-clone verify: does a voice's preview sound like the samples? A similarity, a baseline
of stock voices, the margin between them, and a verdict (bland_clone.ops.verifying)."""

from typing import Annotated, Optional

import typer

from ...core.safetext import quoted
from ...ops import verifying
from ..common import report_target, show_verification, write_verification_report
from ..options import (
    Connection,
    DryRunOpt,
    FilesArg,
    ForceOpt,
    LanguageOpt,
    ReportLinkOpt,
    ReportOpt,
    VoiceArg,
    with_connection,
)


@with_connection
def verify(
    voice: VoiceArg,
    samples: FilesArg,
    text: Annotated[
        Optional[str],
        typer.Option(
            "--text",
            metavar="TEXT",
            help="The sentence the previews speak (default: about ten seconds of English).",
            show_default=False,
        ),
    ] = None,
    language: LanguageOpt = None,
    output: Annotated[
        Optional[str],
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.wav",
            help="Also keep the voice's preview here, to hear what was compared.",
            show_default=False,
        ),
    ] = None,
    force: ForceOpt = False,
    report_page: ReportOpt = None,
    report_link: ReportLinkOpt = False,
    dry_run: DryRunOpt = False,
    *,
    conn: Connection,
) -> None:
    """Compare a voice's preview with the samples it should sound like.

    Asks the service for one preview of VOICE (the request 'speak' makes: charged) and compares
    its voiceprint with the samples' (speech only, 16 kHz, one level). As a baseline, two or
    three stock voices speak the same text; their previews are kept in the user cache folder,
    so later runs do not pay for them again. Reports the similarity (cosine, -1 to 1), the
    baseline (the stock voices' mean), the margin between them and a verdict: similar,
    unclear or different. A margin over other voices, not proof of identity.

    Exit code 0 for similar, 1 otherwise.

    Examples:

      bland-clone verify Narrator sample.wav

      bland-clone verify Narrator takes/ --text "Hola, ¿qué tal?" --language es --json

      bland-clone verify Narrator sample.wav -o heard.wav

      bland-clone verify Narrator sample.wav --report verify.html

      bland-clone verify Narrator sample.wav --dry-run
    """

    out = conn.output()
    page = report_target(report_page, report_link)  # checked before anything is charged
    sentence = verifying.DEFAULT_TEXT if text is None else text
    got = verifying.verify(
        out,
        voice,
        samples,
        text=sentence,
        language=language,
        conn=conn,
        dry_run=dry_run,
        keep=output,
        force=force,
    )
    if isinstance(got, verifying.VerifyPlan):
        p = got

        def lines() -> None:
            asked = f" ({p.voice_id})" if p.voice_id else ""
            lang = f", language {p.language}" if p.language else ""
            out.line(
                f"Would ask {p.api_url} for a preview of {quoted(p.voice)}{asked}: charged{lang}."
            )
            if p.stock is None:
                out.line(
                    f"Would ask for up to {verifying.STOCK_VOICES} stock voices' previews too "
                    f"(charged), unless cached in {verifying.cache_dir()}."
                )
            else:
                for _, name, cached in p.stock:
                    how = "cached: not asked again" if cached else "would be asked: charged"
                    out.line(f"Stock voice {quoted(name)}: {how}.")
            n = len(p.samples)
            out.line(
                f"Samples: {p.speech_seconds:.1f} s of speech in {n} file{'s' if n != 1 else ''}."
            )

        out.result(p.to_dict(), lines)
        out.info("Dry run: nothing was sent." + (" No report is written." if page else ""))
        return
    out.result(got.to_dict(), lambda: show_verification(out, got))
    if page is not None:
        write_verification_report(out, page, got)
    if got.verdict != "similar":
        raise typer.Exit(1)

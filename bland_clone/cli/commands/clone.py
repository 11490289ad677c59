"""bland-clone clone: check samples locally, then create a voice clone."""

from typing import Annotated, Optional

import typer

from ...core.errors import BlandCloneError
from ...core.safetext import quoted
from ...ops.cloning import Cloned, PreviewOutcome, clone_voice
from .._errors import describe
from ..common import show_verification
from ..options import (
    Connection,
    DescriptionOpt,
    DryRunOpt,
    EngineOpt,
    ExpressivenessOpt,
    FilesArg,
    GenderOpt,
    LanguageOpt,
    NameOpt,
    StabilityOpt,
    with_connection,
)
from ..output import Output


@with_connection
def clone(
    files: FilesArg,
    name: NameOpt,
    gender: GenderOpt = None,
    description: DescriptionOpt = None,
    engine: EngineOpt = "v3",
    dry_run: DryRunOpt = False,
    preview: Annotated[
        Optional[str],
        typer.Option(
            "--preview",
            metavar="TEXT",
            help="After cloning, speak this text with the new voice.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Optional[str],
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Audio file for --preview (.wav, .raw, .mp3, .flac, .ogg).",
            show_default=False,
        ),
    ] = None,
    language: LanguageOpt = None,
    expressiveness: ExpressivenessOpt = None,
    stability: StabilityOpt = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Overwrite the --output file.")
    ] = False,
    prepare: Annotated[
        bool,
        typer.Option("--prepare", help="Run 'prepare' on each file first (in a temporary folder)."),
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="After cloning, compare the voice with the uploaded samples, as 'verify' does "
            "(charged). The voice is kept whatever the verdict; the exit code stays 0.",
        ),
    ] = False,
    *,
    conn: Connection,
) -> None:
    """Check audio samples locally, then create a voice clone.

    Nothing is uploaded when a local check fails: validate's checks, the audio's quality
    included (a take validate judged before is not analysed again, unless it is converted
    for the upload: then the WAV sent is judged). The key comes from
    BLAND_API_KEY (or a profile).

    Examples:

      bland-clone clone --name "Narrator" --gender female sample.wav

      bland-clone clone --name "Narrator" sample.wav --dry-run --json

      bland-clone clone --name "Narrator" sample.wav --preview "Hello." -o hello.wav

      bland-clone clone --name "Narrator" long-interview.mp3 --prepare

      bland-clone clone --name "Narrator" sample.wav --verify
    """
    out = conn.output()
    out.gave("name", "--name", name)
    out.gave("gender", "--gender", gender)

    def created(made: Cloned) -> None:
        """The voice exists: said at once, before a preview or verify's charged previews."""
        for note in made.notes:
            out.warn(note)
        verb = "Found existing voice" if made.recovered else "Cloned voice"
        out.line(f"{verb} {quoted(made.name)}: {made.voice_id}")

    result = clone_voice(
        out,
        files,
        name=name,
        gender=gender,
        description=description,
        engine=engine,
        dry_run=dry_run,
        conn=conn,
        preview=preview,
        preview_output=output,
        preview_options={
            "language": language,
            "expressiveness": expressiveness,
            "stability": stability,
        },
        force=force,
        prepare=prepare,
        verify=verify,
        on_created=created,
    )
    out.result(result.to_dict())  # for people, the clone's line was said when it was made
    if result.dry_run:
        return
    show_preview(out, result.voice_id, result.preview)
    outcome = result.verification
    if outcome is not None and outcome.error is not None:
        out.warn(f"The voice {result.voice_id} was created, but verify failed: {outcome.error}")
    elif outcome is not None:
        show_verification(out, outcome.result)


def show_preview(out: Output, voice_id: str | None, outcome: PreviewOutcome | None) -> None:
    """After the clone's own line: what became of the preview."""
    if outcome is None:
        return
    if outcome.error is not None:
        failure = outcome.failure
        why = describe(failure) if isinstance(failure, BlandCloneError) else outcome.error
        out.warn(f"The voice {voice_id} was created, but the preview failed: {why}")
        return
    p = outcome.preview
    for note in p.notes:
        out.warn(note)
    cost = f"; cost {p.cost:g}" if p.cost is not None else ""
    out.info(f"Preview written to {p.path} ({p.bytes} bytes, {p.file_format}{cost}).")

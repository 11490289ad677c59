"""bland-clone add-samples: add samples to an existing (BTTS V1) voice (the work:
bland_clone.ops.adding)."""

from ...ops.adding import add_samples_to_voice
from ..options import (
    Connection,
    DryRunOpt,
    FilesArg,
    VoiceArg,
    with_connection,
)


@with_connection
def add_samples(
    voice: VoiceArg,
    files: FilesArg,
    dry_run: DryRunOpt = False,
    *,
    conn: Connection,
) -> None:
    """Add samples to an existing voice (BTTS V1 voices; at most 5 samples per voice).

    The voice is looked up first: a V2/V3 voice is refused before anything is uploaded, and an
    upload that would pass 5 samples is refused with the service's message.

    Examples:

      bland-clone add-samples 4cc89edf-c4b7-4df8-98c5-f8548fcd7c62 more.wav

      bland-clone add-samples "Narrator" take2.wav take3.wav --json
    """
    out = conn.output()
    result = add_samples_to_voice(
        out,
        voice,
        files,
        dry_run=dry_run,
        conn=conn,
    )
    if result.dry_run:
        out.result(result.to_dict())
        return
    n = len(result.samples) or len(files)
    out.result(result.to_dict(), f"Added {n} sample(s) to {result.name!r} ({result.voice_id}).")

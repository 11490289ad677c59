"""bland-clone add-samples: add samples to an existing (BTTS V1) voice."""

from collections.abc import Sequence
from typing import Annotated, Any

import typer

from ...ops import inputs, session
from .. import common
from ..options import (
    Connection,
    DryRunOpt,
    FilesArg,
    with_connection,
)
from ..output import Output

#: Engines that take a single sample at clone time and refuse added samples.
SINGLE_SAMPLE_SERVICES = ("BTTS_V2", "BTTS_V3")


def add_samples_to_voice(
    out: Output,
    voice: str,
    files: Sequence[str],
    *,
    dry_run: bool = False,
    conn: Connection | None = None,
) -> dict[str, Any]:
    """Check, look the voice up, then add the samples (or describe the request)."""
    from ...errors import InputError
    from ...limits import SAMPLES_ONLY_BTTS
    from ...validation import validate_upload

    conn = conn or Connection()
    infos = inputs.inspect_files(files, send_engine="v1")
    report = validate_upload(infos, engine="v1")
    inputs.enforce(out, report, show=dry_run)
    settings = session.get_settings(out, conn)
    if dry_run:
        from ...api.upload import UploadPlan

        plan = UploadPlan.samples(voice, infos)
        common.print_plan(out, plan, settings.api_url)
        out.info("Dry run: nothing was sent (the voice and its sample count were not checked).")
        return {
            "ok": True,
            "dry_run": True,
            "voice_id": voice,
            "request": plan.describe(settings.api_url),
            "files": report.to_dict()["files"],
            "warnings": [p.to_dict() for p in report.warnings],
            "errors": [],
        }
    client = session.make_client(settings, conn)
    v = client.find_voice(voice)
    if (v.service or "").upper() in SINGLE_SAMPLE_SERVICES:
        raise InputError(
            f"{SAMPLES_ONLY_BTTS}: {v.name!r} ({v.id}) is a {v.service} voice, which takes a "
            "single sample at clone time. Clone a new voice with the new sample instead: "
            "bland-clone clone --name NAME FILE"
        )
    existing = len(client.voice_samples(v.id))
    report = validate_upload(infos, engine="v1", existing_samples=existing)
    if not report.ok:
        inputs.enforce(out, report)
    total = sum(f.size or 0 for f in infos)
    with out.progress(f"Uploading {len(infos)} file(s)", total) as progress:
        samples = client.add_samples(v.id, infos, progress=progress)
    return {
        "ok": True,
        "voice_id": v.id,
        "name": v.name,
        "samples": samples,
        "existing_samples": existing,
        "files": report.to_dict()["files"],
        "warnings": [p.to_dict() for p in report.warnings],
        "errors": [],
    }


@with_connection
def add_samples(
    voice: Annotated[str, typer.Argument(help="Voice id or name.", show_default=False)],
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
    if result.get("dry_run"):
        out.result(result)
        return
    n = len(result["samples"]) or len(files)
    out.result(result, f"Added {n} sample(s) to {result['name']!r} ({result['voice_id']}).")

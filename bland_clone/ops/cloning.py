"""The clone operation, shared by the commands that create a voice (clone, record).

Moved out of ``commands/clone.py`` so a command never imports another command.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import UsageError
from . import inputs, session
from .notes import Notes
from .session import Connection


def clone_voice(
    out: Notes,
    files: Sequence[str],
    *,
    name: str,
    gender: str | None = None,
    description: str | None = None,
    engine: str = "v3",
    dry_run: bool = False,
    conn: Connection | None = None,
    preview: str | None = None,
    preview_output: str | None = None,
    preview_options: dict[str, Any] | None = None,
    force: bool = False,
    prepare: bool = False,
) -> dict[str, Any]:
    """Check, then clone (or describe the request, for a dry run). Returns the JSON result."""
    conn = conn or Connection()
    with _prepared(out, files, prepare) as files:
        from ..files import check_writable
        from ..validation import validate_upload
        from . import preview as previews

        inputs.check_engine(engine)
        preview_req = preview_target = None
        if preview is not None:
            if not preview_output:
                raise UsageError("--preview needs --output FILE for the audio.")
            check_writable(preview_output, force)
            preview_req = previews.Request(preview, **(preview_options or {}))
            preview_target = previews.check(preview_req, preview_output)
        infos = inputs.inspect_files(files, send_engine=engine)
        # Header checks only: decoding 25 MB to analyse it would triple the memory and time of an
        # upload. Quality is what 'validate' (and 'prepare', or clone --prepare) is for.
        report = validate_upload(infos, name=name, require_name=True, gender=gender, engine=engine)
        inputs.enforce(out, report, show=dry_run)
        settings = session.get_settings(out, conn)
        from ..api.upload import UploadPlan

        plan = UploadPlan.clone(name, infos, gender=gender, description=description, engine=engine)
        warnings = [p.to_dict() for p in report.warnings]

        if dry_run:
            available = _name_check(out, settings, name, conn)
            result = {
                "ok": available is not False,
                "dry_run": True,
                "name": name,
                "name_available": available,
                "request": plan.describe(settings.api_url),
                "files": report.to_dict()["files"],
                "warnings": warnings,
                "errors": [],
            }
            if available is False:
                from ..errors import InputError
                from ..limits import NAME_TAKEN

                raise InputError(NAME_TAKEN, payload=result)
            for line in plan.lines(settings.api_url):
                out.line(line)
            out.info("Dry run: nothing was sent.")
            return result

        client = session.make_client(settings, conn)
        total = inputs.total_size(infos)
        with out.progress(f"Uploading {len(infos)} file(s)", total) as progress:
            res = client.send_clone(plan, progress=progress)
        if res.recovered:
            out.warn(
                "The connection failed after the upload; the voice was found by name "
                "and was not uploaded again."
            )
        preview_result = None
        if preview_req is not None and preview_target is not None:
            service = "BTTS_V2" if engine == "v2" else "BTTS_V3"
            from ..api.client import Voice

            voice = Voice(res.voice_id, res.name, service)
            preview_result = _preview(out, client, voice, preview_req, preview_target)
        return {
            "preview": preview_result,
            "ok": True,
            "voice_id": res.voice_id,
            "name": res.name,
            "engine": engine,
            "recovered": res.recovered,
            "files": report.to_dict()["files"],
            "warnings": warnings,
            "errors": [],
        }


@contextlib.contextmanager
def _prepared(out: Notes, files: Sequence[str], prepare: bool) -> Iterator[Sequence[str]]:
    """The files to upload: as given, or (--prepare) prepared into a temporary folder."""
    if not prepare:
        yield files
        return
    import tempfile

    from .preparing import prepare_files

    with tempfile.TemporaryDirectory(prefix="bland-clone-prepare-") as tmp:
        # the prepared files' report is not shown: clone checks what it sends right after
        prepared = prepare_files(out, list(files), tmp + "/")
        yield [o["output"] for o in prepared.doc["outputs"]]


def _preview(out: Notes, client: Any, voice: Any, req: Any, target: Any) -> dict[str, Any]:
    """Speak the preview. The voice exists by now, so a failure here is a warning, not an exit
    code that would make a script clone again."""
    from ..errors import BlandCloneError
    from . import preview as previews

    try:
        p = previews.speak(client, voice, req, target)
    except Exception as exc:  # the voice exists: whatever failed, report it and its id
        why = exc.message if isinstance(exc, BlandCloneError) else f"{type(exc).__name__}: {exc}"
        out.warn(f"The voice {voice.id} was created, but the preview failed: {why}")
        return {"ok": False, "path": target.path, "error": why}
    for note in p.notes:
        out.warn(note)
    cost = f"; cost {p.cost:g}" if p.cost is not None else ""
    out.info(f"Preview written to {p.path} ({p.bytes} bytes, {p.file_format}{cost}).")
    return {"ok": True, **p.to_dict()}


def _name_check(out: Notes, settings: Any, name: str, conn: Connection) -> bool | None:
    """With a key, ask the service whether the name is free; without one, stay offline."""
    if not settings.has_key:
        out.info("Name not checked with the service (no API key; the dry run stays offline).")
        return None
    client = session.make_client(settings, conn)
    free = client.check_name(name)
    out.info(f"Name {name!r} is {'available' if free else 'already taken'}.")
    return free

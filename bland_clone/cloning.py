"""The clone operation, shared by the commands that create a voice (clone, record).

Moved out of ``commands/clone.py`` unchanged, so a command never imports another command.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from . import common
from .errors import UsageError
from .options import Connection
from .output import Output


def clone_voice(
    out: Output,
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
    force: bool = False,
    prepare: bool = False,
) -> dict[str, Any]:
    """Check, then clone (or describe the request, for a dry run). Returns the JSON result."""
    conn = conn or Connection()
    with _prepared(out, files, prepare) as files:
        from .commands.speak import check_text
        from .validation import validate_upload

        common.check_engine(engine)
        if preview is not None:
            if not preview_output:
                raise UsageError("--preview needs --output FILE for the audio.")
            check_text(preview)
            common.check_output_path(preview_output, force)
        infos = common.checked_files(files)
        # Header checks only: decoding 25 MB to analyse it would triple the memory and time of an
        # upload. Quality is what 'validate' (and 'prepare', or clone --prepare) is for.
        report = validate_upload(infos, name=name, require_name=True, gender=gender, engine=engine)
        common.enforce(out, report, show=dry_run)
        settings = common.get_settings(out, conn)
        from .api.wire import clone_fields

        fields = clone_fields(name, gender, description, engine)
        warnings = [p.to_dict() for p in report.warnings]

        if dry_run:
            plan = common.planned_upload(settings.api_url, "/v1/voices/clone", fields, infos)
            available = _name_check(out, settings, name, conn)
            result = {
                "ok": available is not False,
                "dry_run": True,
                "name": name,
                "name_available": available,
                "request": plan,
                "files": report.to_dict()["files"],
                "warnings": warnings,
                "errors": [],
            }
            if available is False:
                from .errors import InputError
                from .limits import NAME_TAKEN

                raise InputError(NAME_TAKEN, payload=result)
            common.print_plan(out, plan)
            out.info("Dry run: nothing was sent.")
            return result

        client = common.make_client(out, settings, conn)
        total = sum(f.size or 0 for f in infos)
        with out.progress(f"Uploading {len(infos)} file(s)", total) as progress:
            res = client.clone(
                name,
                infos,
                gender=gender,
                description=description,
                engine=engine,
                progress=progress,
            )
        if res.recovered:
            out.warn(
                "The connection failed after the upload; the voice was found by name "
                "and was not uploaded again."
            )
        preview_result = None
        if preview is not None and preview_output:
            preview_result = _preview(out, client, res.voice_id, preview, preview_output)
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
def _prepared(out: Output, files: Sequence[str], prepare: bool) -> Iterator[Sequence[str]]:
    """The files to upload: as given, or (--prepare) prepared into a temporary folder."""
    if not prepare:
        yield files
        return
    import tempfile

    from .commands.prepare import prepare_files

    with tempfile.TemporaryDirectory(prefix="bland-clone-prepare-") as tmp:
        prepared = prepare_files(_Diagnostics(out), list(files), tmp + "/")
        yield [o["output"] for o in prepared["outputs"]]


class _Diagnostics(Output):
    """The prepare step inside clone: its notes go to stderr, its report nowhere."""

    def __init__(self, parent: Output) -> None:
        super().__init__(parent.mode)

    def report(self, report: Any, *, to_stderr: bool = False) -> None:
        return None


def _preview(out: Output, client: Any, voice_id: str, text: str, path: str) -> dict[str, Any]:
    """Speak the preview. The voice exists by now, so a failure here is a warning, not an exit
    code that would make a script clone again."""
    from .commands.speak import speak_to_file
    from .errors import BlandCloneError

    try:
        size = speak_to_file(client, voice_id, text, path, "pcm_24000")
    except BlandCloneError as exc:
        out.warn(f"The voice was created, but the preview failed: {exc.message}")
        return {"ok": False, "path": path, "error": exc.message}
    out.info(f"Preview written to {path} ({size} bytes).")
    return {"ok": True, "path": path, "bytes": size}


def _name_check(out: Output, settings: Any, name: str, conn: Connection) -> bool | None:
    """With a key, ask the service whether the name is free; without one, stay offline."""
    if not settings.has_key:
        out.info("Name not checked with the service (no API key; the dry run stays offline).")
        return None
    client = common.make_client(out, settings, conn)
    free = client.check_name(name)
    out.info(f"Name {name!r} is {'available' if free else 'already taken'}.")
    return free

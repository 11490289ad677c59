"""The clone operation, shared by the commands that create a voice (clone, record).

The command renders the typed result (Cloned); nothing here imports the command line.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..api.upload import UploadPlan
from ..audio.inspection import inspect
from ..core.envelope import envelope
from ..core.errors import (
    AuthError,
    BlandCloneError,
    NameUnavailable,
    NeedsValue,
    ServiceError,
)
from ..core.files import check_writable
from ..core.limits import NAME_TAKEN
from ..core.safetext import quoted
from . import inputs, session, verifying
from . import preview as previews
from .notes import Notes
from .preparing import prepare_files
from .session import Connection

if TYPE_CHECKING:
    from ..api.client import Client, Voice
    from ..audio.quality import Quality
    from ..core.settings import Settings
    from .preview import Request, Target
    from .verifying import SamplesPrint


@dataclass(frozen=True)
class PreviewOutcome:
    """The preview spoken after a clone: written (``preview`` set) or failed (``error`` set,
    and ``failure``, the exception, for the caller to word). The voice exists either way."""

    path: str
    preview: Any = None  # bland_clone.ops.preview.Preview
    error: str | None = None
    failure: Exception | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"ok": False, "path": self.path, "error": self.error}
        return {"ok": True, **self.preview.to_dict()}


@dataclass(frozen=True)
class VerifyOutcome:
    """verify after a clone: a verification (``result`` set) or a failure (``error`` set). The
    voice exists either way."""

    result: Any = None  # bland_clone.ops.verifying.Verification
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"ok": False, "error": self.error}
        return dict(self.result.to_dict())


@dataclass(frozen=True)
class Cloned:
    """What clone did: a voice created (or found after a lost answer), or for a dry run the
    request it would have sent."""

    name: str
    engine: str
    files: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    dry_run: bool = False
    name_available: bool | None = None
    request: dict[str, Any] | None = None
    voice_id: str | None = None
    recovered: bool = False
    preview: PreviewOutcome | None = None
    notes: list[str] = field(default_factory=list)
    verification: VerifyOutcome | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.dry_run:
            return envelope(
                {
                    "dry_run": True,
                    "name": self.name,
                    "name_available": self.name_available,
                    "request": self.request,
                    "files": self.files,
                    "warnings": self.warnings,
                },
                ok=self.name_available is not False,
            )
        return {
            "preview": self.preview.to_dict() if self.preview is not None else None,
            "verify": self.verification.to_dict() if self.verification is not None else None,
            **envelope(
                {
                    "voice_id": self.voice_id,
                    "name": self.name,
                    "engine": self.engine,
                    "recovered": self.recovered,
                    "files": self.files,
                    "warnings": self.warnings,
                }
            ),
        }


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
    verify: bool = False,
    on_created: Callable[[Cloned], None] | None = None,
    analysed: Mapping[str, Quality] | None = None,
) -> Cloned:
    """Check (as validate does, the audio's quality included: see :func:`inputs.judged`), then
    clone (or describe the request, for a dry run). ``analysed``: files whose quality the
    caller measured already, by path (record's take). The preview, when asked
    for, is spoken but not reported: see :func:`show_preview` (it follows the clone's line).
    ``verify``: then compare the new voice with the uploaded samples (ops.verifying); their
    voiceprint is taken before the upload, so samples it cannot compare stop everything.
    ``on_created`` is told of the voice as soon as it exists, before the preview and the
    verification (which take a while): the caller says so then."""
    conn = conn or Connection()
    with _prepared(out, files, prepare) as (files, origins, measured):
        inputs.check_engine(engine)
        preview_req = preview_target = None
        if preview is not None:
            if not preview_output:
                raise NeedsValue("preview_output", because="preview", purpose="for the audio")
            check_writable(preview_output, force)
            preview_req = previews.Request(preview, **(preview_options or {}))
            preview_target = previews.check(preview_req, preview_output)
        infos = inputs.inspect_files(files, send_engine=engine)
        if origins:  # prepared into a folder deleted after: each says which file it came from
            infos = [
                replace(i, source=inspect(origins[i.path])) if i.path in origins else i
                for i in infos
            ]
        report = inputs.judged(
            infos,
            name=name,
            require_name=True,
            gender=gender,
            engine=engine,
            analysed={**measured, **(analysed or {})},
        )
        inputs.enforce(out, report, show=dry_run)
        verify_req = prints = None
        if verify:
            options = preview_options or {}
            verify_req = verifying.check_request(verifying.DEFAULT_TEXT, options.get("language"))
            prints = verifying.samples_print([i.path for i in infos])
        settings = session.get_settings(out, conn)

        plan = UploadPlan.clone(name, infos, gender=gender, description=description, engine=engine)
        warnings = [report.problem_dict(p) for p in report.warnings]

        files_doc = report.to_dict()["files"]
        if dry_run:
            available = _name_check(out, settings, name, conn)
            result = Cloned(
                name,
                engine,
                files_doc,
                warnings,
                dry_run=True,
                name_available=available,
                request=plan.describe(settings.api_url),
            )
            if available is False:
                raise NameUnavailable(name, NAME_TAKEN, payload=result.to_dict())
            for line in plan.lines(settings.api_url):
                out.line(line)
            if prints is not None:
                out.line(
                    f"Then verify: previews of the new voice and of stock voices (charged; "
                    f"{prints.seconds:.1f} s of the samples' speech to compare)."
                )
            out.info("Dry run: nothing was sent.")
            return result

        client = session.make_client(settings, conn, has_dry_run=True)
        if _name_free(out, client, name) is False:  # the service refuses it after the upload
            payload = {"name": name, "files": files_doc, "warnings": warnings}
            raise NameUnavailable(name, NAME_TAKEN, payload=payload)
        total = inputs.total_size(infos)
        with out.progress(f"Uploading {len(infos)} file(s)", total) as progress:
            res = client.send_clone(plan, progress=progress)
        notes = []
        if res.recovered:
            notes.append(
                "The connection failed after the upload; the voice was found by name "
                "and was not uploaded again."
            )
        made = Cloned(
            res.name,
            engine,
            files_doc,
            warnings,
            voice_id=res.voice_id,
            recovered=res.recovered,
            notes=notes,
        )
        if on_created is not None:
            on_created(made)
        preview_result = verification = None
        from ..api.client import Voice  # lazy: pulls in requests, urllib3

        voice = Voice(res.voice_id, res.name, "BTTS_V2" if engine == "v2" else "BTTS_V3")
        if preview_req is not None and preview_target is not None:
            preview_result = _preview(client, voice, preview_req, preview_target)
        if verify_req is not None and prints is not None:
            verification = _verify(out, client, voice, prints, verify_req, settings.api_url)
        return replace(made, preview=preview_result, verification=verification)


@contextlib.contextmanager
def _prepared(
    out: Notes, files: Sequence[str], prepare: bool
) -> Iterator[tuple[Sequence[str], dict[str, str], dict[str, Quality]]]:
    """The files to upload: as given, or (--prepare) prepared into a temporary folder; with
    each prepared file's input, by its path (none when nothing was prepared), and the quality
    prepare measured of each."""
    if not prepare:
        yield files, {}, {}
        return

    with tempfile.TemporaryDirectory(prefix="bland-clone-prepare-") as tmp:
        # the prepared files' report is not shown: clone checks what it sends right after
        prepared = prepare_files(out, list(files), tmp + "/", temporary=True)
        outputs = prepared.doc["outputs"]
        measured = prepared.report.quality if prepared.report is not None else {}
        yield (
            [o["output"] for o in outputs],
            {o["output"]: o["input"] for o in outputs},
            dict(measured),
        )


def _preview(client: Client, voice: Voice, req: Request, target: Target) -> PreviewOutcome:
    """Speak the preview. The voice exists by now, so a failure here is a warning, not an exit
    code that would make a script clone again."""

    try:
        return PreviewOutcome(target.path, previews.speak(client, voice, req, target))
    except Exception as exc:  # the voice exists: whatever failed, report it and its id
        return PreviewOutcome(target.path, error=_why(exc), failure=exc)


def _why(exc: Exception) -> str:
    """What failed after the voice was created, in one line."""

    return exc.message if isinstance(exc, BlandCloneError) else f"{type(exc).__name__}: {exc}"


def _verify(
    out: Notes, client: Client, voice: Voice, prints: SamplesPrint, req: Request, api_url: str
) -> VerifyOutcome:
    """verify the new voice. It exists by now: a failure is reported with its id, never an
    exit code that would make a script clone again."""

    try:
        return VerifyOutcome(verifying.compare(out, client, voice, prints, req, api_url))
    except Exception as exc:  # the voice exists: whatever failed, report it and its id
        return VerifyOutcome(error=_why(exc))


def _name_check(out: Notes, settings: Settings, name: str, conn: Connection) -> bool | None:
    """With a key, ask the service whether the name is free; without one, stay offline."""
    if not settings.has_key:
        out.info("Name not checked with the service (no API key; the dry run stays offline).")
        return None
    free = session.make_client(settings, conn).name_available(name)
    if free:  # a taken name is the error that follows, said once
        out.info(f"Name {quoted(name)} is available.")
    return free


def _name_free(out: Notes, client: Client, name: str) -> bool | None:
    """Before an upload, the dry run's question: is the name free? (None: the service refused
    the question itself; the upload goes on, the service deciding then. A key it refuses, or a
    service it cannot reach, stops here as in the dry run: the upload would fail too.)"""
    try:
        return client.name_available(name)
    except (AuthError, ServiceError):
        raise
    except BlandCloneError as exc:
        out.warn(f"The name could not be checked before the upload ({exc.message}); uploading.")
        return None

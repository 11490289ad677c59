"""Voices as code, the parts `validate`, `plan`, `apply` and `export` share: manifests checked in
parallel, and the plan built from the manifest, the lock and the service. (How a plan is shown
is bland_clone.cli.plans.)"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio import quality as quality_
from ..audio.inspection import expand_paths, inspect
from ..audio.verdict import validate_upload
from ..core import journal, lockfile, manifest, plan, verdicts
from ..core.errors import BlandCloneError, InputError
from ..core.names import name_key
from ..core.parallel import pmap
from ..core.plan import Action
from . import inputs, recovery, session

if TYPE_CHECKING:
    from ..api.client import Client, Voice
    from ..audio.inspection import AudioInfo
    from ..audio.quality import Quality
    from ..audio.verdict import Report
    from ..core.lockfile import HashCache, LockedVoice
    from ..core.manifest import VoiceSpec
    from ..core.plan import CheckedVoice, VoicePlan
    from .notes import Notes
    from .session import Connection

#: Threads for local checks and hashing (files, not the CPU, are the limit for headers).
LOCAL_WORKERS = min(8, (os.cpu_count() or 2) * 2)
#: Requests in flight when reading many voices' settings.
READ_WORKERS = 8


def load_manifest(out: Notes, path: str) -> list[VoiceSpec]:
    """Parse the manifest; on problems, annotate each with its line and re-raise."""

    try:
        return manifest.load(path)
    except InputError as exc:
        for e in exc.errors:
            out.annotate("error", e["message"].split(": ", 1)[-1], e.get("file"), e.get("line"))
        raise


def check_specs(
    out: Notes,
    path: str,
    specs: list[VoiceSpec],
    *,
    quality: bool = True,
    strict: bool = False,
    annotate: str = "all",
) -> list[tuple[VoiceSpec, Report]]:
    """Each voice checked as its own upload, voices in parallel: [(VoiceSpec, Report)].
    ``annotate``: which problems become GitHub annotations, "all" or "errors" (a later check
    of the same voices annotates the rest). With ``quality``, the samples of every voice are
    analysed together in the worker processes of ``quality.measure_many``, and each verdict is
    remembered under the sample's hash in the lock's cache and the user cache folder (a second
    run, or validate and clone of the same bytes, reads it back: ``verdicts.lookup``)."""

    checked = list(check_each(path, specs, quality=quality, strict=strict))
    for spec, report in checked:
        annotate_report(out, path, spec, report, annotate)
    return checked


def check_each(
    path: str,
    specs: list[VoiceSpec],
    *,
    quality: bool = True,
    strict: bool = False,
) -> Generator[tuple[VoiceSpec, Report], None, None]:
    """:func:`check_specs` voice by voice, in manifest order, each voice as soon as its own
    samples are analysed (the workers go on with the next voices'), without annotating. The
    verdicts are saved in the lock's cache when the iterator ends or is closed early."""

    def files(spec: VoiceSpec) -> list[AudioInfo]:
        # what is sent: formats the service does not read are converted to WAV first
        return inputs.sendable([inspect(p) for p in expand_paths(spec.samples)], spec.engine)

    infos = pmap(files, specs, LOCAL_WORKERS)
    if not quality:
        for spec, each in zip(specs, infos, strict=True):
            yield spec, _one(spec, each, strict, None)
        return
    # every file analysed once, in manifest order: a voice is known once its last file is
    unique = list({i.path: i for each in infos for i in each if i.ok}.values())
    cache = lockfile.HashCache(lockfile.lock_path(path))
    known = verdicts.lookup(cache)
    measured = quality_.measure_each(unique, known)
    analysed: dict[str, Quality | None] = {}
    try:
        for spec, each in zip(specs, infos, strict=True):
            for info in each:
                if info.ok and info.path not in analysed:
                    analysed[info.path] = next(measured)
            yield spec, _one(spec, each, strict, analysed)
    finally:
        measured.close()  # closed early: the workers end
        cache.save()
        known.prune()


def _one(
    spec: VoiceSpec,
    files: list[AudioInfo],
    strict: bool,
    analysed: dict[str, Quality | None] | None,
) -> Report:
    """One voice's report; ``analysed``: its files' quality, by path (None: headers only)."""
    return validate_upload(
        files,
        name=spec.name,
        require_name=True,
        gender=spec.gender,
        engine=spec.engine,
        quality=analysed is not None,
        strict=strict,
        analysed=analysed,
    )


def annotate_report(out: Notes, path: str, spec: VoiceSpec, report: Report, annotate: str) -> None:
    """A voice's problems as GitHub annotations: "all", or only the "errors"."""
    for p in report.problems if annotate == "all" else report.errors:
        out.annotate(
            p.severity,
            f"voice {spec.name!r}: {p.message}",
            report.given_path(p.file) or path,
            None if p.file else spec.line,
        )


def check_manifest(
    out: Notes, path: str, *, quality: bool = True, strict: bool = False
) -> list[tuple[Any, Any]]:
    """Every voice of the manifest checked as its own upload: [(VoiceSpec, Report)]."""
    return check_specs(out, path, load_manifest(out, path), quality=quality, strict=strict)


def voice_report_json(spec: VoiceSpec, report: Report) -> dict[str, Any]:
    d = report.to_dict()
    for e in d["errors"] + d["warnings"]:
        e["voice"] = spec.name
    return {"name": spec.name, "line": spec.line, **d}


# -- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    manifest: str
    lock_path: Path
    lock: list[LockedVoice]
    #: one per voice, from the plan to apply's result
    voices: list[VoicePlan]
    client: Client | None
    cache: HashCache
    live: list[Voice] | None = None

    @property
    def changes(self) -> bool:
        return any(v.changes for v in self.voices)

    @property
    def invalid(self) -> list[VoicePlan]:
        """The voices that fail their checks (the reasons are their details)."""

        return [v for v in self.voices if v.action is Action.INVALID]


def live_settings(client: Client, voice_id: str) -> dict[str, Any] | None:
    """The service's settings of a voice, or None when this client or service cannot tell."""

    try:
        d = client.get_voice_settings(voice_id)
    except BlandCloneError:
        return None
    inner = d.get("settings") if isinstance(d, dict) else None
    if isinstance(inner, dict):
        return inner
    return {k: v for k, v in d.items() if k != "limits"} if isinstance(d, dict) else None


def build_plan(
    out: Notes,
    path: str,
    conn: Connection,
    *,
    prune: bool = False,
    need_service: bool = True,
    on_invalid: Callable[[list[tuple[VoiceSpec, Report]]], None] | None = None,
    on_hashed: Callable[[list[CheckedVoice], list[LockedVoice]], None] | None = None,
    annotate: str = "all",
    settle: bool = False,
) -> Planned:
    """Check every voice's files (headers), read the lock and the service, hash the samples and
    compare: the plan. ``on_invalid`` sees the checks before the service is asked (and may stop
    there); ``on_hashed`` sees every voice (one :class:`~bland_clone.core.plan.CheckedVoice` each,
    its samples hashed) and the lock before the service is asked. Without a key and with
    ``need_service`` False the service's side is unknown. Replacements a killed apply left
    under way (its journal) are settled first when ``settle`` (apply, holding the apply lock),
    else shown as the plan's first rows and planned as if settled."""

    specs = load_manifest(out, path)
    checked = check_specs(out, path, specs, quality=False, annotate=annotate)
    if on_invalid is not None:
        on_invalid(checked)
    lock_path = lockfile.lock_path(path)
    lock = lockfile.read(lock_path)
    cache = lockfile.HashCache(lock_path)
    judged = verdicts.lookup(cache)
    base = Path(path).parent

    def voice(pair: tuple[VoiceSpec, Report]) -> CheckedVoice:
        spec, r = pair
        files = tuple(r.files)
        errors = [p.message for p in r.errors]
        unjudged: list[str] = []
        if not errors:  # the verdicts validate, clone or apply left: read, never analysed here
            for info in files:
                q = inputs.cached_quality(judged, info)
                if q is None:
                    unjudged.append(info.given.shown)  # as given, not a converted WAV
                    continue
                errors += [p.message for p in quality_.problems(info, q) if p.severity == "error"]
        if errors:
            return plan.CheckedVoice(spec, files, problem="; ".join(errors))
        # a converted file's AudioInfo is the temporary WAV; the lock names and hashes its source
        sources = [f.given.path for f in files]
        return plan.CheckedVoice(
            spec,
            files,
            plan.sample_files(sources, base, cache.sha256),
            unjudged=tuple(unjudged),
        )

    voices = pmap(voice, checked, LOCAL_WORKERS)
    cache.save()
    if on_hashed is not None:  # local work that can overlap with the service's answers
        on_hashed(voices, lock)
    settings = session.get_settings(out, conn)
    client = None
    live = None
    if settings.has_key or need_service:
        client = session.make_client(settings, conn)
        live = client.list_voices()
    settled: list[VoicePlan] = []
    if client is not None and live is not None:
        settled, lock, live = _settle_journal(out, client, lock_path, lock, live, settle)
    elif journal.Journal(lock_path).read():
        out.warn(
            "A replacement a previous apply left under way is journaled; with an API key, "
            "plan shows how it is settled (apply settles it first)."
        )
    known: dict[str, dict[str, Any] | None] = {}
    if client is not None and live is not None:
        # read the settings the plan compares, several at a time
        ids_by_key = {name_key(lv.name): lv.voice_id for lv in lock}
        live_ids = {v.id for v in live}
        want = [
            ids_by_key[name_key(c.name)]
            for c in voices
            if c.ok and c.spec.settings and ids_by_key.get(name_key(c.name)) in live_ids
        ]
        if want:
            c = client
            found = pmap(lambda i: live_settings(c, i), want, READ_WORKERS, serial_below=1)
            known = dict(zip(want, found, strict=True))

    def settings_of(voice_id: str) -> dict[str, Any] | None:
        if voice_id not in known and client is not None:
            known[voice_id] = live_settings(client, voice_id)
        return known.get(voice_id)

    planned = settled + plan.compute(voices, lock, live, settings_of, prune=prune)
    return Planned(path, lock_path, lock, planned, client, cache, live)


def _settle_journal(
    out: Notes,
    client: Client,
    lock_path: Path,
    lock: list[LockedVoice],
    live: list[Voice],
    settle: bool,
) -> tuple[list[VoicePlan], list[LockedVoice], list[Voice]]:
    """The journal's replacements settled (``settle``) or previewed: their rows, and the lock
    and the voices to plan from."""

    entries = journal.Journal(lock_path).read()
    if not entries:
        return [], lock, live
    if settle:
        rows = recovery.settle_all(client, lock_path)
        return rows, lockfile.read(lock_path), client.list_voices()
    who = journal.holder(lock_path)
    if who is not None:
        out.warn(f"An apply of this manifest is running ({who}); this plan may be out of date.")
        return [], lock, live
    return recovery.preview(entries, lock, live)

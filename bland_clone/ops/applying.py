"""apply, as plain operations: plan (check and compare), dry run or execute (in parallel, then
write the lock). Showing the result and asking before replacing or deleting are the command's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..core import journal, lockfile
from ..core.envelope import envelope
from ..core.errors import VoicesInvalid
from ..core.journal import Journal
from ..core.lockfile import LockedVoice
from ..core.manifest import SERVICE_ENGINE
from ..core.names import name_key
from ..core.plan import Action, CheckedVoice, Outcome, Status, VoicePlan
from . import workflow
from .workflow import voice_report_json

if TYPE_CHECKING:
    from pathlib import Path

    from ..api.client import Client
    from ..audio.verdict import Report
    from ..core.manifest import VoiceSpec
    from .notes import Notes
    from .session import Connection
    from .workflow import Planned


#: What a dry run says of each action (a voice missing on the service: see :func:`dry_run`).
DRY_RUN_STATUS = {
    Action.CREATE: Status.WOULD_CREATE,
    Action.ADOPT: Status.PRESENT,
    Action.NOTHING: Status.PRESENT,
    Action.REPLACE: Status.WOULD_REPLACE,
    Action.UPDATE_SETTINGS: Status.WOULD_UPDATE_SETTINGS,
    Action.RENAME: Status.WOULD_RENAME,
    Action.DELETE: Status.WOULD_DELETE,
    Action.NOT_IN_MANIFEST: Status.KEPT,
    Action.UNKNOWN: Status.UNKNOWN_NO_KEY,
    Action.INVALID: Status.INVALID,
    Action.FINISH_REPLACEMENT: Status.WOULD_FINISH_REPLACEMENT,
    Action.UNDO_REPLACEMENT: Status.WOULD_UNDO_REPLACEMENT,
    Action.FINISHED_REPLACEMENT: Status.FINISHED_REPLACEMENT,
    Action.UNDID_REPLACEMENT: Status.UNDID_REPLACEMENT,
}
#: What apply did with a voice it had nothing to do on the service for.
UNCHANGED = {
    Action.NOTHING: Outcome(Status.PRESENT),
    Action.ADOPT: Outcome(Status.PRESENT, message="recorded in the lock"),
    Action.NOT_IN_MANIFEST: Outcome(Status.KEPT),
    Action.MISSING: Outcome(Status.FORGOTTEN),
    Action.INVALID: Outcome(Status.INVALID),
    Action.UNKNOWN: Outcome(Status.UNKNOWN),
    Action.FINISHED_REPLACEMENT: Outcome(Status.FINISHED_REPLACEMENT),
    Action.UNDID_REPLACEMENT: Outcome(Status.UNDID_REPLACEMENT),
}
#: The statuses the JSON counts, under its names.
COUNTED = {
    "created": Status.CREATED,
    "present": Status.PRESENT,
    "replaced": Status.REPLACED,
    "renamed": Status.RENAMED,
    "updated": Status.SETTINGS_UPDATED,
    "deleted": Status.DELETED,
    "failed": Status.FAILED,
    "invalid": Status.INVALID,
}


class InvalidVoices(VoicesInvalid):
    """Voices of the manifest fail validation; ``checked`` holds every (VoiceSpec, Report) for
    the caller to show."""

    def __init__(self, checked: list[tuple[VoiceSpec, Report]], what: str) -> None:
        bad = [(s, r) for s, r in checked if not r.ok]
        super().__init__(
            len(bad),
            what,
            errors=[e for s, r in bad for e in voice_report_json(s, r)["errors"]],
            payload={
                "voices": [
                    {
                        "name": s.name,
                        "status": "ok" if r.ok else "invalid",
                        "voice_id": None,
                        "message": "; ".join(p.message for p in r.errors) or None,
                    }
                    for s, r in checked
                ]
            },
        )
        self.checked = checked


@dataclass(frozen=True)
class Applied:
    """What apply did (or, ``dry_run``, would do): every voice of the plan but the unmanaged
    ones, each with its outcome; ``interrupted`` is the message when Ctrl-C stopped it."""

    manifest: str
    voices: tuple[VoicePlan, ...]
    dry_run: bool
    interrupted: str | None = None

    def count(self, status: Status) -> int:
        return sum(1 for v in self.voices if v.outcome is not None and v.outcome.status is status)

    @property
    def failed(self) -> list[VoicePlan]:
        bad = (Status.FAILED, Status.INVALID)
        return [v for v in self.voices if v.outcome is not None and v.outcome.status in bad]

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "dry_run": self.dry_run,
                "voices": [v.result_dict() for v in self.voices],
                **{key: self.count(status) for key, status in COUNTED.items()},
            },
            ok=not self.failed,
        )


def plan_apply(
    out: Notes,
    path: str,
    *,
    dry_run: bool = False,
    keep_going: bool = False,
    prune: bool = False,
    conn: Connection | None = None,
) -> Planned:
    """The plan, its uploading voices checked in full (quality included): each carries the
    files it sends, or is invalid."""

    conn = conn or Connection()

    def stop_if_invalid(checked: list[tuple[VoiceSpec, Report]]) -> None:
        if not keep_going and any(not r.ok for _, r in checked):
            raise InvalidVoices(checked, "nothing was uploaded")

    # The voices that will upload get the full check (quality). Those the lock does not know,
    # or whose samples changed, are checked (in a daemon thread: Ctrl-C does not wait for it)
    # while the service is asked for its voices; the others only needed their headers.
    early: dict[str, Any] = {}

    def start_checks(voices: list[CheckedVoice], lock: list[LockedVoice]) -> None:
        locked = {name_key(lv.name): lv.hashes for lv in lock}
        likely = [c for c in voices if c.ok and locked.get(name_key(c.name)) != c.hashes]

        def check() -> None:
            try:
                early["result"] = _full_checks(out, path, likely)
            except BaseException as exc:  # handed to the main thread
                early["error"] = exc

        if likely:
            early["thread"] = threading.Thread(target=check, daemon=True)
            early["thread"].start()

    p = workflow.build_plan(
        out,
        path,
        conn,
        prune=prune,
        need_service=not dry_run,
        on_invalid=stop_if_invalid,
        on_hashed=start_checks,
        annotate="errors",
        settle=not dry_run,
    )
    uploading = [v.checked for v in p.voices if v.uploads and v.checked is not None]
    # each voice's full check, by the voice itself (its object, not its name)
    reports: dict[CheckedVoice, Report] = {}
    if "thread" in early:
        while early["thread"].is_alive():
            early["thread"].join(0.1)  # a short wait at a time, so Ctrl-C is seen at once
        if "error" in early:
            raise early["error"]
        reports.update(early["result"])
    reports.update(_full_checks(out, path, [c for c in uploading if c not in reports]))
    if uploading:
        stop_if_invalid([(c.spec, reports[c]) for c in uploading])
    return replace(p, voices=[_checked(v, reports) for v in p.voices])


def _full_checks(
    out: Notes, path: str, voices: list[CheckedVoice]
) -> list[tuple[CheckedVoice, Report]]:
    """Each voice's full check (quality included), beside the voice."""

    if not voices:
        return []
    checked = workflow.check_specs(out, path, [c.spec for c in voices])
    return [(c, r) for c, (_, r) in zip(voices, checked, strict=True)]


def _checked(v: VoicePlan, reports: dict[CheckedVoice, Report]) -> VoicePlan:
    """An uploading voice with the files its full check passed, or invalid."""
    if not v.uploads or v.checked is None:
        return v
    report = reports[v.checked]
    if not report.ok:
        why = "; ".join(x.message for x in report.errors)
        failed = replace(v.checked, problem=why)
        return replace(v, action=Action.INVALID, detail=why, checked=failed)
    return replace(v, checked=replace(v.checked, files=tuple(report.files)))


@contextmanager
def exclusive(out: Notes, path: str, *, wait: float) -> Iterator[None]:
    """Hold the manifest's apply lock for the block (waiting up to ``wait`` seconds for another
    apply to end): two applies never plan from the same state."""

    with journal.apply_lock(lockfile.lock_path(path), wait=wait, on_wait=out.info):
        yield


def dry_run(p: Planned) -> Applied:
    """What apply would do, voice by voice, without doing it."""

    def would(v: VoicePlan) -> Status:
        if v.action is Action.MISSING:
            return Status.WOULD_CREATE if v.spec else Status.WOULD_FORGET
        return DRY_RUN_STATUS[v.action]

    shown = [v for v in p.voices if v.action is not Action.UNMANAGED]
    return Applied(p.manifest, tuple(replace(v, outcome=Outcome(would(v))) for v in shown), True)


def execute(out: Notes, p: Planned, *, jobs: int) -> Applied:
    """Carry out the plan, ``jobs`` voices at a time, and write the lock. Ctrl-C stops the
    work: the result says what was done (``interrupted``) rather than raising."""

    from . import sync  # lazy: pulls in secrets

    client = p.client
    assert client is not None
    journal = Journal(p.lock_path)
    stop = threading.Event()
    at = [i for i, v in enumerate(p.voices) if v.needs_service]  # the plan's voices to work on
    work = [p.voices[i] for i in at]
    outcomes: dict[int, Outcome] = {}  # by position in ``work``

    def done(k: int, o: Outcome) -> None:
        outcomes[k] = o
        out.info(f"{o.status}: {work[k].name} ({o.voice_id or o.message})")

    interrupted = False
    try:
        running, never = sync.run_parallel(
            work,
            lambda v: _carry_out(client, v, stop, journal),
            jobs=jobs,
            stop=stop,
            on_result=done,
        )
    except sync.RunInterrupted as exc:
        interrupted = True
        running, never = exc.running, exc.never
    for k in running:
        outcomes.setdefault(k, _cut_off(work[k]))
    for k in never:
        why = "not started (interrupted)" if interrupted else None
        outcomes.setdefault(k, Outcome(Status.NOT_STARTED, message=why))
    outcome_at = {at[k]: o for k, o in outcomes.items()}
    voices = tuple(
        replace(v, outcome=outcome_at.get(i) or UNCHANGED.get(v.action, Outcome(Status.UNKNOWN)))
        for i, v in enumerate(p.voices)
        if v.action is not Action.UNMANAGED
    )
    _write_lock(out, p.lock_path, voices)
    return Applied(
        p.manifest, voices, dry_run=False, interrupted=_interrupted(voices) if interrupted else None
    )


def _carry_out(client: Client, v: VoicePlan, stop: threading.Event, journal: Journal) -> Outcome:
    """One voice's work on the service (in a worker thread)."""
    from . import sync  # lazy: pulls in secrets

    if v.action is Action.DELETE:
        assert v.voice_id is not None
        return sync.delete(client, v.voice_id, stop)
    checked = v.checked
    assert checked is not None
    if v.action in (Action.CREATE, Action.MISSING):
        return sync.create(client, checked, stop)
    if v.action is Action.REPLACE:
        assert v.live is not None
        return sync.replace(client, checked, (v.live.id, v.live.name), stop, journal)
    assert v.voice_id is not None
    spec = checked.spec
    if v.action is Action.RENAME:
        return sync.rename(client, v.voice_id, spec.name, spec.settings if v.drift else None)
    updated = sync.update_settings(client, v.voice_id, spec.settings)
    return replace(updated, status=Status.PRESENT) if v.action is Action.ADOPT else updated


def _cut_off(v: VoicePlan) -> Outcome:
    """A voice whose work Ctrl-C cut off."""
    if v.action is Action.REPLACE:
        why = (
            "cut off by Ctrl-C mid-replacement: the next plan shows, and the next apply does, "
            "what finishes or undoes it"
        )
    else:
        why = "cut off by Ctrl-C: its outcome is not known"  # the caller says where to look
    return Outcome(Status.INTERRUPTED, message=why)


def _interrupted(voices: tuple[VoicePlan, ...]) -> str:
    """What was done before Ctrl-C stopped apply."""

    def status(v: VoicePlan) -> Status | None:
        return v.outcome.status if v.outcome else None

    made = [v for v in voices if status(v) in (Status.CREATED, Status.REPLACED)]
    cut = sum(1 for v in voices if status(v) is Status.INTERRUPTED)
    never = sum(1 for v in voices if status(v) is Status.NOT_STARTED)
    listed = ", ".join(f"{v.name!r} {v.shown_voice_id}" for v in made)
    return (
        f"Interrupted: {len(made)} voice(s) created before it"
        + (f" ({listed})" if made else "")
        + (f"; {cut} upload(s) cut off, outcome unknown" if cut else "")
        + f"; {never} not started."
    )


def _write_lock(out: Notes, lock_path: Path, voices: tuple[VoicePlan, ...]) -> None:
    entries = [lv for lv in map(_locked, voices) if lv is not None]
    try:
        if lockfile.write(lock_path, entries):
            out.info(f"Wrote {lock_path} ({len(entries)} voice(s)).")
    except OSError as exc:  # the voices exist: report them all the same
        out.warn(
            f"Could not write {lock_path}: {exc.strerror}. The voices above exist; run "
            "apply again once the folder is writable to record them (it creates nothing twice)."
        )


def _locked(v: VoicePlan) -> LockedVoice | None:
    """What the lock records of a voice after apply (None: nothing)."""
    from . import sync  # lazy: pulls in secrets

    o, lv, spec = v.outcome, v.locked, v.spec
    assert o is not None
    if spec is None:  # the lock's voices the manifest no longer names
        kept = v.action in (Action.NOT_IN_MANIFEST, Action.UNKNOWN) or (
            v.action is Action.DELETE and o.status is not Status.DELETED
        )
        return lv if kept else None
    if o.status in (Status.CREATED, Status.REPLACED) or (o.status is Status.PRESENT and o.adopted):
        assert o.voice_id is not None
        made = o.created or sync.now()
        return LockedVoice(
            spec.name, o.voice_id, spec.engine, made, v.samples, dict(o.settings or {})
        )
    if v.action is Action.ADOPT:
        live = v.live
        assert live is not None
        applied = o.status in (Status.PRESENT, Status.SETTINGS_UPDATED) and (
            not v.drift or o.settings is not None
        )
        created = live.raw.get("created_at") if isinstance(live.raw, dict) else None
        return LockedVoice(
            spec.name,
            live.id,
            SERVICE_ENGINE.get(str(live.service), spec.engine),
            str(created or sync.now()),
            v.samples,
            dict(spec.settings) if applied else {},
        )
    if lv is None:
        return None
    settings = dict(lv.settings)
    if o.status in (Status.SETTINGS_UPDATED, Status.RENAMED):
        settings.update(o.settings or {})
    current = v.action in (Action.NOTHING, Action.UPDATE_SETTINGS, Action.RENAME)
    return LockedVoice(
        spec.name if v.action is not Action.INVALID else lv.name,
        lv.voice_id,
        lv.engine,
        lv.created,
        v.samples if current else lv.samples,
        settings,
    )

"""apply, as plain operations: plan (check and compare), dry run or execute (in parallel, then
write the lock). Showing the result and asking before replacing or deleting are the command's."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
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
from .workflow import Planned, voice_report_json

if TYPE_CHECKING:
    from pathlib import Path

    from ..api.client import Client
    from ..audio.verdict import Report
    from ..core.manifest import VoiceSpec
    from .notes import Notes
    from .session import Connection


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


class Checks:
    """The full checks (quality included) of the voices given to :meth:`add`, run batch after
    batch in a daemon thread (Ctrl-C never waits for it), each voice's report known as soon as
    its own samples are analysed while the workers go on with the next voices'."""

    def __init__(self, out: Notes, path: str) -> None:
        self._out, self._path = out, path
        self._batches: queue.Queue[list[CheckedVoice] | None] = queue.Queue()
        self._asked: set[CheckedVoice] = set()
        self._reports: dict[CheckedVoice, Report] = {}
        self._error: BaseException | None = None
        self._ended = False
        #: set: stop checking (apply stops its work with it: Ctrl-C stops the checks too)
        self.stopped = threading.Event()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        #: the checks' notes wait until the caller has finished asking its question (a replace
        #: or a delete to confirm): warnings written meanwhile broke into the prompt
        self._notes_lock = threading.Lock()
        self._held: list[tuple[VoiceSpec, Report]] | None = []

    def release_notes(self) -> None:
        """Write the notes held back so far, and from now on each as its voice is checked."""
        with self._notes_lock:
            held, self._held = self._held, None
            for spec, report in held or []:
                workflow.annotate_report(self._out, self._path, spec, report, "all")

    def _note(self, spec: VoiceSpec, report: Report) -> None:
        with self._notes_lock:
            if self._held is not None:
                self._held.append((spec, report))
            else:
                workflow.annotate_report(self._out, self._path, spec, report, "all")

    def add(self, voices: list[CheckedVoice]) -> None:
        """Check these voices too (those not asked already), after the ones before them."""
        todo = [c for c in voices if c not in self._asked]
        if not todo:
            return
        self._asked.update(todo)
        self._batches.put(todo)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True, name="apply-checks")
            self._thread.start()

    def finish(self) -> None:
        """No more voices: the thread ends once it has checked those given."""
        self._batches.put(None)
        if self._thread is None:
            with self._cond:
                self._ended = True

    def close(self) -> None:
        """Stop checking (apply ends early): the workers end after the voice under way."""
        self.stopped.set()
        self._batches.put(None)

    def _run(self) -> None:
        try:
            while not self.stopped.is_set():
                batch = self._batches.get()
                if batch is None:
                    break
                each = workflow.check_each(self._path, [c.spec for c in batch])
                try:
                    for c, (spec, report) in zip(batch, each, strict=True):
                        self._note(spec, report)
                        with self._cond:
                            self._reports[c] = report
                            self._cond.notify_all()
                        if self.stopped.is_set():
                            break
                finally:
                    each.close()
        except BaseException as exc:  # handed to whoever waits for a report
            with self._cond:
                self._error = exc
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def wait(self, voice: CheckedVoice, stop: threading.Event | None = None) -> Report | None:
        """The voice's report once its check is done (None: ``stop`` was set first). A short
        wait at a time, so Ctrl-C is seen at once; the checks' error is raised."""
        with self._cond:
            while voice not in self._reports:
                if self._error is not None:
                    raise self._error
                if stop is not None and stop.is_set():
                    return None
                assert not self._ended, "a voice that was never given"
                self._cond.wait(0.1)
            return self._reports[voice]

    def join(self, *, raise_error: bool = True) -> dict[CheckedVoice, Report]:
        """Every report, once the thread has checked every voice given (after :meth:`finish`);
        the checks' error is raised (``raise_error``)."""
        with self._cond:
            while not self._ended:
                self._cond.wait(0.1)
            if self._error is not None and raise_error:
                raise self._error
            return dict(self._reports)


@dataclass(frozen=True)
class ToApply(Planned):
    """The plan apply carries out. ``checks``: the full checks still running, with
    --keep-going, where each voice uploads as soon as its own check passes (None: every
    uploading voice passed its check before the plan was returned)."""

    checks: Checks | None = None

    def close(self) -> None:
        """Stop the checks still running (apply ended before carrying the plan out)."""
        if self.checks is not None:
            self.checks.close()

    def asked(self) -> None:
        """The caller's question (if any) is answered: the checks' notes may be written."""
        if self.checks is not None:
            self.checks.release_notes()


def plan_apply(
    out: Notes,
    path: str,
    *,
    dry_run: bool = False,
    keep_going: bool = False,
    prune: bool = False,
    conn: Connection | None = None,
) -> ToApply:
    """The plan, its uploading voices checked in full (quality included): each carries the
    files it sends, or is invalid. With ``keep_going`` (not a dry run) the full checks go on
    while the plan is carried out: :func:`execute` uploads each voice once its check passed."""

    conn = conn or Connection()

    def stop_if_invalid(checked: list[tuple[VoiceSpec, Report]]) -> None:
        if not keep_going and any(not r.ok for _, r in checked):
            raise InvalidVoices(checked, "nothing was uploaded")

    # The voices that will upload get the full check (quality). Those the lock does not know,
    # or whose samples changed, are checked (in the background) while the service is asked for
    # its voices; the others only needed their headers (a header problem stops every voice
    # before any analysis: on_invalid).
    checks = Checks(out, path)

    def start_checks(voices: list[CheckedVoice], lock: list[LockedVoice]) -> None:
        locked = {name_key(lv.name): lv.hashes for lv in lock}
        checks.add([c for c in voices if c.ok and locked.get(name_key(c.name)) != c.hashes])

    try:
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
        # a voice the plan found invalid from a cached verdict uploads nothing, yet it stops
        # every upload as a fresh check does: its full check (the cached verdict read back)
        # is shown with the others'
        judged = [
            v.checked
            for v in p.voices
            if v.checked is not None
            and (v.uploads or (not keep_going and v.action is Action.INVALID))
        ]
        checks.add(judged)  # with those the lock's hashes hid (a voice missing on the service)
        checks.finish()
        planned = {f.name: getattr(p, f.name) for f in fields(Planned)}
        if keep_going and not dry_run and uploading:
            return ToApply(**planned, checks=checks)
        reports = checks.join()
    except BaseException:
        checks.close()
        raise
    if judged:
        stop_if_invalid([(c.spec, reports[c]) for c in judged])
    return ToApply(**planned | {"voices": [_checked(v, reports) for v in p.voices]})


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
    work: the result says what was done (``interrupted``) rather than raising. With checks
    still running (:class:`ToApply`, --keep-going), a voice that uploads waits for its own
    check: it uploads once the check passes, and is invalid (skipped) if it fails."""

    from . import sync  # lazy: pulls in secrets

    client = p.client
    assert client is not None
    checks = p.checks if isinstance(p, ToApply) else None
    if checks is not None:  # any question is answered by now: the checks' notes are written
        checks.release_notes()
    journal = Journal(p.lock_path)
    stop = checks.stopped if checks is not None else threading.Event()  # Ctrl-C stops both
    at = [i for i, v in enumerate(p.voices) if v.needs_service]  # the plan's voices to work on
    work = [p.voices[i] for i in at]
    outcomes: dict[int, Outcome] = {}  # by position in ``work``
    checked: dict[int, VoicePlan] = {}  # the voices as their full check left them, likewise

    def carry_out(k: int) -> Outcome:
        v = work[k]
        if checks is not None and v.uploads and v.checked is not None:
            report = checks.wait(v.checked, stop)
            if report is None:
                raise sync.Stopped  # never started
            v = checked[k] = _checked(v, {v.checked: report})
            if v.action is Action.INVALID:
                return UNCHANGED[Action.INVALID]
        return _carry_out(client, v, stop, journal)

    def done(k: int, o: Outcome) -> None:
        outcomes[k] = o
        v = checked.get(k, work[k])
        out.info(f"{o.status}: {v.name} ({o.voice_id or o.message or v.detail})")

    interrupted = finished = False
    try:
        running, never = sync.run_parallel(
            range(len(work)), carry_out, jobs=jobs, stop=stop, on_result=done
        )
        finished = True
    except sync.RunInterrupted as exc:
        interrupted = True
        running, never = exc.running, exc.never
    finally:
        if checks is not None:
            _end_checks(checks, wait=finished)
    for k in running:
        outcomes.setdefault(k, _cut_off(work[k]))
    for k in never:
        why = "not started (interrupted)" if interrupted else None
        outcomes.setdefault(k, Outcome(Status.NOT_STARTED, message=why))
    outcome_at = {at[k]: o for k, o in outcomes.items()}
    now_at = {at[k]: v for k, v in checked.items()}
    voices = tuple(
        replace(
            now_at.get(i, v),
            outcome=outcome_at.get(i) or UNCHANGED.get(v.action, Outcome(Status.UNKNOWN)),
        )
        for i, v in enumerate(p.voices)
        if v.action is not Action.UNMANAGED
    )
    _write_lock(out, p.lock_path, voices)
    return Applied(
        p.manifest, voices, dry_run=False, interrupted=_interrupted(voices) if interrupted else None
    )


def _end_checks(checks: Checks, *, wait: bool) -> None:
    """After the work: let the checks of the voices that upload nothing finish (their notes
    out before the result, their verdicts saved in the cache), unless apply was interrupted
    (or is, meanwhile): then they stop."""
    try:
        if wait:
            checks.join(raise_error=False)  # each voice that uploads got the error already
    except KeyboardInterrupt:
        pass  # nothing is left to upload: the result is shown all the same
    finally:
        checks.close()


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

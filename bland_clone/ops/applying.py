"""apply, as plain operations: plan (check and compare), dry run or execute (in parallel, then
write the lock). Showing the result and asking before replacing or deleting are the command's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    from ..lockfile import LockedVoice
    from ..plan import Step
    from .notes import Notes
    from .session import Connection
    from .workflow import Planned


#: Plan actions that upload a voice.
UPLOADS = ("create", "replace", "missing on the service")
DRY_RUN_STATUS = {
    "create": "would create",
    "adopt": "present",
    "nothing": "present",
    "replace": "would replace",
    "update settings": "would update settings",
    "rename": "would rename",
    "delete": "would delete",
    "not in the manifest": "kept",
    "unknown": "unknown (no key)",
    "invalid": "invalid",
    "finish replacement": "would finish replacement",
    "undo replacement": "would undo replacement",
}
COUNTED = (
    "created",
    "present",
    "replaced",
    "renamed",
    "settings updated",
    "deleted",
    "failed",
    "invalid",
)


class InvalidVoices(InputError):
    """Voices of the manifest fail validation; ``checked`` holds every (VoiceSpec, Report) for
    the caller to show."""

    def __init__(self, checked: list[tuple[Any, Any]], what: str) -> None:
        from .workflow import voice_report_json

        bad = [(s, r) for s, r in checked if not r.ok]
        super().__init__(
            f"{len(bad)} voice(s) fail validation; {what} (use --keep-going to apply the others).",
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


@dataclass
class Applied:
    """What apply did (or, ``dry_run``, would do): one row per voice (name, status, voice_id,
    message); ``interrupted`` is the message when Ctrl-C stopped it."""

    rows: list[dict[str, Any]]
    dry_run: bool
    interrupted: str | None = None

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] in ("failed", "invalid")]

    def to_dict(self) -> dict[str, Any]:
        counts = {k: sum(1 for r in self.rows if r["status"] == k) for k in COUNTED}
        return {
            "ok": not self.failed,
            "dry_run": self.dry_run,
            "voices": self.rows,
            "created": counts["created"],
            "present": counts["present"],
            "replaced": counts["replaced"],
            "renamed": counts["renamed"],
            "updated": counts["settings updated"],
            "deleted": counts["deleted"],
            "failed": counts["failed"],
            "invalid": counts["invalid"],
            "errors": [],
        }


@dataclass
class ToApply:
    """The plan apply carries out, and the files (as checked) each uploading voice sends."""

    planned: Planned
    files: dict[str, Any] = field(default_factory=dict)


def plan_apply(
    out: Notes,
    path: str,
    *,
    dry_run: bool = False,
    keep_going: bool = False,
    prune: bool = False,
    conn: Connection | None = None,
) -> ToApply:
    """The plan, and the voices that will upload checked in full (quality included)."""
    from . import workflow

    conn = conn or Connection()

    def stop_if_invalid(checked: list[tuple[Any, Any]]) -> None:
        if not keep_going and any(not r.ok for _, r in checked):
            raise InvalidVoices(checked, "nothing was uploaded")

    import threading

    from ..names import name_key
    from ..plan import Action

    # The voices that will upload get the full check (quality). Those the lock does not know,
    # or whose samples changed, are checked (in a daemon thread: Ctrl-C does not wait for it)
    # while the service is asked for its voices; the others only needed their headers.
    early: dict[str, Any] = {}

    def start_checks(valid: list[Any], samples: dict[str, list[Any]], lock: list[Any]) -> None:
        locked = {name_key(lv.name): lv.hashes for lv in lock}
        likely = [
            s for s in valid if locked.get(name_key(s.name)) != [x.sha256 for x in samples[s.name]]
        ]

        def check() -> None:
            try:
                early["result"] = workflow.check_specs(out, path, likely)
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
    uploading = [s for s in p.steps if s.action in UPLOADS and s.spec is not None]
    reports: dict[str, Any] = {}
    if "thread" in early:
        while early["thread"].is_alive():
            early["thread"].join(0.1)  # a short wait at a time, so Ctrl-C is seen at once
        if "error" in early:
            raise early["error"]
        reports.update((spec.name, (spec, r)) for spec, r in early["result"])
    late = [s.spec for s in uploading if s.spec and s.spec.name not in reports]
    if late:
        reports.update((spec.name, (spec, r)) for spec, r in workflow.check_specs(out, path, late))
    checked = [reports[s.spec.name] for s in uploading if s.spec]
    files: dict[str, Any] = {}
    if uploading:
        stop_if_invalid(checked)
        for step, (spec, report) in zip(uploading, checked, strict=True):
            files[spec.name] = report.files
            if not report.ok:
                step.action = Action.INVALID
                step.detail = "; ".join(x.message for x in report.errors)
    return ToApply(p, files)


@contextmanager
def exclusive(out: Notes, path: str, *, wait: float) -> Iterator[None]:
    """Hold the manifest's apply lock for the block (waiting up to ``wait`` seconds for another
    apply to end): two applies never plan from the same state."""
    from .. import journal, lockfile

    with journal.apply_lock(lockfile.lock_path(path), wait=wait, on_wait=out.info):
        yield


def dry_run(t: ToApply) -> Applied:
    """What apply would do, voice by voice, without doing it."""
    steps = [s for s in t.planned.steps if s.action != "unmanaged"]
    rows = [_row(s, {"status": DRY_RUN_STATUS.get(s.action, f"would {s.action}")}) for s in steps]
    for r, s in zip(rows, steps, strict=True):
        if s.action == "missing on the service":
            r["status"] = "would create" if s.spec else "would forget"
    return Applied(rows, dry_run=True)


def _row(step: Step, res: dict[str, Any] | None) -> dict[str, Any]:
    res = res or {}
    return {
        "name": step.name,
        "status": res.get("status", step.action),
        "voice_id": res.get("voice_id", step.voice_id),
        "message": res.get("message") or res.get("warning") or step.detail or None,
        **{k: res[k] for k in ("replaced_id", "exit_code") if k in res},
    }


def execute(out: Notes, t: ToApply, *, jobs: int) -> Applied:
    """Carry out the plan, ``jobs`` voices at a time, and write the lock. Ctrl-C stops the
    work: the result says what was done (``interrupted``) rather than raising."""
    import threading

    from ..journal import Journal
    from . import sync

    p, files = t.planned, t.files
    journal = Journal(p.lock_path)

    client = p.client
    assert client is not None
    stop = threading.Event()
    results: dict[int, dict[str, Any]] = {}
    # what needs the service, in plan order
    work: list[tuple[int, Step]] = []
    for i, s in enumerate(p.steps):
        uploads = s.action in UPLOADS and s.spec is not None
        other = s.action in ("update settings", "rename", "delete") or (
            s.action == "adopt" and s.drift
        )
        if uploads or other:
            work.append((i, s))

    def run(item: tuple[int, Step]) -> dict[str, Any]:
        _, s = item
        spec = s.spec
        if s.action in ("create", "missing on the service"):
            assert spec is not None
            return sync.create(client, spec, files[spec.name], stop)
        if s.action == "replace":
            assert spec is not None and s.live is not None
            old = (s.live.id, s.live.name)
            return sync.replace(client, spec, files[spec.name], old, stop, journal, s.samples)
        if s.action == "delete":
            assert s.voice_id is not None
            return sync.delete(client, s.voice_id, stop)
        assert spec is not None and s.voice_id is not None
        if s.action == "rename":
            return sync.rename(client, s.voice_id, spec.name, spec.settings if s.drift else None)
        res = sync.update_settings(client, s.voice_id, spec.settings)
        if s.action == "adopt":
            res["status"] = "present"
        return res

    def done(k: int, res: dict[str, Any]) -> None:
        i, s = work[k]
        results[i] = res
        detail = res.get("voice_id") or res.get("message")
        out.info(f"{res['status']}: {s.name} ({detail})")

    interrupted = False
    running: set[int] = set()
    never: set[int] = set()
    try:
        running, never = sync.run_parallel(work, run, jobs=jobs, stop=stop, on_result=done)
    except sync.RunInterrupted as exc:
        interrupted = True
        running, never = exc.running, exc.never
    for k in running:
        i, s = work[k]
        if i in results:
            continue
        results[i] = {
            "status": "interrupted",
            "message": "cut off by Ctrl-C mid-replacement: the next plan shows, and the next "
            "apply does, what finishes or undoes it"
            if s.action == "replace"
            else "cut off by Ctrl-C: its outcome is not known; check with "
            "'bland-clone voices list'",
        }
    for k in never:
        why = "not started (interrupted)" if interrupted else None
        results.setdefault(work[k][0], {"status": "not started", "message": why})

    _write_lock(out, p, results)
    rows = []
    for i, s in enumerate(p.steps):
        if s.action == "unmanaged":
            continue
        res = results.get(i)
        if res is None:
            res = {
                "nothing": {"status": "present"},
                "adopt": {"status": "present", "message": "recorded in the lock"},
                "not in the manifest": {"status": "kept"},
                "missing on the service": {"status": "forgotten"},
                "invalid": {"status": "invalid"},
            }.get(s.action, {"status": s.action})
        rows.append(_row(s, res))
    if interrupted:
        made = [r for r in rows if r["status"] in ("created", "replaced")]
        cut = [r for r in rows if r["status"] == "interrupted"]
        message = (
            f"Interrupted: {len(made)} voice(s) created before it"
            + (
                f" ({', '.join(repr(r['name']) + ' ' + str(r['voice_id']) for r in made)})"
                if made
                else ""
            )
            + (f"; {len(cut)} upload(s) cut off, outcome unknown" if cut else "")
            + f"; {sum(1 for r in rows if r['status'] == 'not started')} not started."
        )
        return Applied(rows, dry_run=False, interrupted=message)
    return Applied(rows, dry_run=False)


def _write_lock(out: Notes, p: Planned, results: dict[int, dict[str, Any]]) -> None:
    from .. import lockfile
    from ..manifest import SERVICE_ENGINE
    from . import sync

    entries: list[LockedVoice] = []
    for i, s in enumerate(p.steps):
        res = results.get(i) or {}
        status = res.get("status")
        lv, spec = s.locked, s.spec
        if s.action == "unmanaged":
            continue
        if spec is None:  # the lock's voices the manifest no longer names
            if s.action in ("not in the manifest", "unknown") or (
                s.action == "delete" and status != "deleted"
            ):
                entries.append(lv)  # type: ignore[arg-type]
            continue
        if status in ("created", "replaced") or (status == "present" and res.get("adopted")):
            entries.append(
                lockfile.LockedVoice(
                    spec.name,
                    res["voice_id"],
                    spec.engine,
                    res.get("created") or sync.now(),
                    s.samples,
                    res.get("settings") or {},
                )
            )
        elif s.action == "adopt":
            live = s.live
            assert live is not None
            applied = status in (None, "present", "settings updated") and (
                not s.drift or "settings" in res
            )
            created = live.raw.get("created_at") if isinstance(live.raw, dict) else None
            entries.append(
                lockfile.LockedVoice(
                    spec.name,
                    live.id,
                    SERVICE_ENGINE.get(str(live.service), spec.engine),
                    str(created or sync.now()),
                    s.samples,
                    dict(spec.settings) if applied else {},
                )
            )
        elif lv is not None:
            settings = dict(lv.settings)
            if status in ("settings updated", "renamed"):
                settings.update(res.get("settings") or {})
            samples = (
                s.samples if s.action in ("nothing", "update settings", "rename") else lv.samples
            )
            entries.append(
                lockfile.LockedVoice(
                    spec.name if s.action != "invalid" else lv.name,
                    lv.voice_id,
                    lv.engine,
                    lv.created,
                    samples,
                    settings,
                )
            )
    try:
        if lockfile.write(p.lock_path, entries):
            out.info(f"Wrote {p.lock_path} ({len(entries)} voice(s)).")
    except OSError as exc:  # the voices exist: report them all the same
        out.warn(
            f"Could not write {p.lock_path}: {exc.strerror}. The voices above exist; run "
            "apply again once the folder is writable to record them (it creates nothing twice)."
        )

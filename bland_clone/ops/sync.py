"""Carrying out a plan: uploads in parallel over one client, safe replacement, Ctrl-C.

- Work runs in daemon threads; the main thread only waits, so Ctrl-C reaches it at once. After an
  interrupt no new step starts (each checks before it uploads), steps already running get a short
  grace period, and the caller learns what finished, what was cut off and what never started.
- Replacement never leaves the name without a voice for longer than one rename: the new voice is
  cloned under a temporary name while the old one keeps the name, then the old is renamed aside,
  the new takes the name, and only then is the old deleted. A failure at any point puts the old
  voice back under its name and deletes the new one; each step is journaled first, so a run
  killed at any point is finished or rolled back by the next (bland_clone.ops.recovery).
"""

from __future__ import annotations

import queue
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace as _replace
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ..core import limits
from ..core.errors import BlandCloneError, NameTaken, OutcomeUnknown
from ..core.journal import Entry, Step
from ..core.lockfile import now as now  # its home is the lock's module; kept here for callers
from ..core.names import name_key
from ..core.plan import Outcome, Status
from . import recovery

if TYPE_CHECKING:
    from ..api.client import Client, CloneResult
    from ..core.journal import Journal
    from ..core.plan import CheckedVoice

#: Seconds a step already running may take to finish after Ctrl-C before the command exits.
GRACE_AFTER_INTERRUPT = 1.0

T = TypeVar("T")
P = ParamSpec("P")


class Stopped(Exception):
    """The step saw the stop signal before it changed anything."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_parallel`: which items were still running, which never started."""

    def __init__(self, running: set[int], never: set[int]) -> None:
        super().__init__()
        self.running = running
        self.never = never


def side_name(name: str, tag: str) -> str:
    """A temporary name for a voice during a replacement, within the 30-character limit."""
    suffix = f" ~{tag}{secrets.token_hex(2)}"
    return name.strip()[: limits.NAME_MAX_CHARS - len(suffix)] + suffix


def run_parallel(
    items: Sequence[T],
    work: Callable[[T], Outcome],
    *,
    jobs: int,
    stop: threading.Event,
    on_result: Callable[[int, Outcome], None],
) -> tuple[set[int], set[int]]:
    """Run ``work`` on each item in up to ``jobs`` daemon threads, calling ``on_result(index,
    outcome)`` in this thread as each ends (an error is the item's failed outcome, the others
    still run). On KeyboardInterrupt: set ``stop``, wait up to
    GRACE_AFTER_INTERRUPT for running items, and raise RunInterrupted. Returns (running, never
    started): both empty unless the threads died."""
    todo: queue.Queue[int] = queue.Queue()
    for i in range(len(items)):
        todo.put(i)
    done: queue.Queue[tuple[int, Outcome]] = queue.Queue()
    started: set[int] = set()
    finished: set[int] = set()
    guard = threading.Lock()

    def worker() -> None:
        while not stop.is_set():
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            with guard:
                if stop.is_set():
                    return
                started.add(i)
            try:
                res = work(items[i])
            except Stopped:
                with guard:
                    started.discard(i)
                continue
            except BlandCloneError as exc:
                res = Outcome(Status.FAILED, message=exc.message, exit_code=int(exc.exit_code))
            except Exception as exc:  # a bug: reported on the voice, the others still run
                res = Outcome(Status.FAILED, message=f"internal error ({type(exc).__name__})")
            done.put((i, res))

    threads = [
        threading.Thread(target=worker, daemon=True, name=f"apply-{n}")
        for n in range(max(1, min(jobs, len(items))))
    ]
    for t in threads:
        t.start()
    try:
        while len(finished) < len(items):
            try:
                i, res = done.get(timeout=0.1)
            except queue.Empty:
                if not any(t.is_alive() for t in threads) and done.empty():
                    break
                continue
            finished.add(i)
            on_result(i, res)
    except KeyboardInterrupt:
        stop.set()
        deadline = time.monotonic() + GRACE_AFTER_INTERRUPT
        while True:
            with guard:
                running = started - finished
            if not running:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                i, res = done.get(timeout=min(0.05, left))
            except queue.Empty:
                continue
            finished.add(i)
            on_result(i, res)
        with guard:
            running = started - finished
            never = set(range(len(items))) - started
        raise RunInterrupted(running, never) from None
    with guard:
        running = started - finished
    return running, set(range(len(items))) - started


# -- the steps ------------------------------------------------------------------------------


def _clone(client: Client, voice: CheckedVoice, name: str) -> CloneResult:
    """The manifest voice's checked files cloned under ``name``."""
    spec = voice.spec
    return client.clone(
        name, voice.files, gender=spec.gender, description=spec.description, engine=spec.engine
    )


def create(client: Client, voice: CheckedVoice, stop: threading.Event) -> Outcome:
    spec = voice.spec
    if spec.engine not in limits.ENGINES:
        return Outcome(
            Status.FAILED,
            message="a BTTS (v1) voice cannot be created: the clone endpoint makes v2 and "
            "v3 voices (set engine to v3 or v2)",
            exit_code=1,
        )
    if stop.is_set():
        raise Stopped
    try:
        res = _clone(client, voice, spec.name)
    except NameTaken:  # created meanwhile: present, not a failure
        for v in client.list_voices():
            if v.is_cloned and name_key(v.name) == name_key(spec.name):
                return Outcome(Status.PRESENT, v.id, adopted=True)
        raise
    made = Outcome(Status.CREATED, res.voice_id, created=now())
    if not spec.settings:
        return made
    try:
        client.set_voice_settings(res.voice_id, spec.settings)
    except BlandCloneError as exc:
        return _replace(made, message=f"created, but its settings were not applied: {exc.message}")
    return _replace(made, settings=dict(spec.settings))


def replace(
    client: Client,
    voice: CheckedVoice,
    old: tuple[str, str],
    stop: threading.Event,
    journal: Journal,
) -> Outcome:
    """A new voice under the name, the old one (``old``: its id and name) deleted; the name
    always has a voice but for the moment between two renames. Each step is written to the
    journal before it is taken: a run killed at any point is settled by the next one
    (bland_clone.ops.recovery); a step that fails here is rolled back at once."""

    spec = voice.spec
    if spec.engine not in limits.ENGINES:
        return Outcome(
            Status.FAILED,
            message="a BTTS (v1) voice cannot be replaced: the clone endpoint makes v2 and v3 "
            "voices (set engine to v3 or v2)",
            exit_code=1,
        )
    if stop.is_set():
        raise Stopped
    old_id, old_name = old
    entry = Entry(
        spec.name,
        old_id,
        old_name,
        side_name(spec.name, "new"),
        side_name(spec.name, "old"),
        spec.engine,
        list(voice.samples),
        dict(spec.settings or {}),
        now(),
    )
    journal.begin(entry)
    try:
        res = _clone(client, voice, entry.temp_new)
        new_id = res.voice_id
        journal.advance(entry, Step.SETTINGS, new_id=new_id)
        if stop.is_set():
            raise Stopped
        if spec.settings:
            client.set_voice_settings(new_id, spec.settings)
        journal.advance(entry, Step.RENAME_OLD)
        client.rename_voice(old_id, entry.temp_old)
        journal.advance(entry, Step.RENAME_NEW)
        client.rename_voice(new_id, spec.name)
    except BaseException as exc:
        unsure = isinstance(exc, OutcomeUnknown)  # the clone's answer was lost: it may appear
        try:
            recovery.settle(client, journal, entry, undo=True, unsure=unsure)
        except Exception:
            pass  # the journal keeps it: the next plan shows it, the next apply settles it
        raise
    # the new voice has the name: from here a journal that cannot be written only means the
    # next run settles (finishes) what this one did
    _journal_quietly(journal.advance, entry, Step.DELETE_OLD)
    made = Outcome(
        Status.REPLACED,
        new_id,
        replaced_id=old_id,
        created=entry.started,
        settings=dict(spec.settings or {}),
    )
    try:
        client.delete_voice(old_id)
        _journal_quietly(journal.end, entry)
    except BlandCloneError as exc:
        return _replace(
            made,
            message=f"the old voice {old_id} was renamed aside but could not be deleted: "
            f"{exc.message} (the next apply deletes it)",
        )
    return made


def update_settings(client: Client, voice_id: str, settings: Mapping[str, Any]) -> Outcome:
    client.set_voice_settings(voice_id, dict(settings))
    return Outcome(Status.SETTINGS_UPDATED, voice_id, settings=dict(settings))


def rename(client: Client, voice_id: str, name: str, settings: Mapping[str, Any] | None) -> Outcome:
    """Give a voice renamed on the service its manifest name back (and its settings)."""
    client.rename_voice(voice_id, name)
    if not settings:
        return Outcome(Status.RENAMED, voice_id)
    client.set_voice_settings(voice_id, dict(settings))
    return Outcome(Status.RENAMED, voice_id, settings=dict(settings))


def delete(client: Client, voice_id: str, stop: threading.Event) -> Outcome:
    if stop.is_set():
        raise Stopped
    client.delete_voice(voice_id)
    return Outcome(Status.DELETED, voice_id)


def _journal_quietly(fn: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except BlandCloneError:
        pass

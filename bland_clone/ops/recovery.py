"""Replacements a killed `apply` left under way, settled from its journal and the service's voices.

A replacement whose new voice was complete (the journal's step was past the settings) is
finished: the old voice is renamed aside if it still has the name, the new one takes the name,
the old one is deleted and the lock records the new one. Otherwise it is rolled back: the
temporary voices this journal names (by id, or by their random temporary name when the clone's
answer never came) are deleted and the old voice gets its name back. Voices the journal does not
name are never touched, nor one renamed by hand since (a voice is moved or deleted only while
it has a name the journal gave it). Every move is decided from the voices as they are, so
settling twice, or after being killed while settling, does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from ..core import lockfile
from ..core.errors import BlandCloneError, NotFoundError, ServiceError
from ..core.journal import Entry, Journal
from ..core.lockfile import LockedVoice, now
from ..core.names import name_key
from ..core.plan import Action, VoicePlan

if TYPE_CHECKING:
    from pathlib import Path

    from ..api.client import Client, Voice


@dataclass(frozen=True)
class Move:
    kind: Literal["rename", "delete"]
    voice: Voice
    to: str | None = None

    def __str__(self) -> str:
        if self.kind == "rename":
            return f"rename {self.voice.name!r} ({self.voice.id}) to {self.to!r}"
        return f"delete {self.voice.name!r} ({self.voice.id})"


@dataclass(frozen=True)
class Fix:
    entry: Entry
    forward: bool
    new_id: str | None
    moves: tuple[Move, ...]

    def detail(self, done: bool) -> str:
        what = ", ".join(str(m) for m in self.moves) or "nothing left to do on the service"
        cut = f"apply was cut off while replacing it (step: {self.entry.step.value})"
        lock = ", the lock records the new voice" if self.forward else ""
        return f"{cut}; {'done' if done else 'to do'}: {what}{lock}"

    def plan(self, done: bool) -> VoicePlan:
        """The plan's row: to settle, or (``done``) settled before apply planned."""

        if done:
            action = Action.FINISHED_REPLACEMENT if self.forward else Action.UNDID_REPLACEMENT
        else:
            action = Action.FINISH_REPLACEMENT if self.forward else Action.UNDO_REPLACEMENT
        vid = self.new_id if self.forward else self.entry.old_id
        return VoicePlan(self.entry.name, action, vid, self.detail(done))


def decide(e: Entry, live: list[Voice], *, undo: bool = False) -> Fix:
    """What settles ``e`` given the service's voices; ``undo`` rolls back unless the old voice
    is gone (apply's own clean-up after a failed step)."""
    key = name_key(e.name)
    by_id = {v.id: v for v in live}
    old = by_id.get(e.old_id)
    if old is not None and name_key(old.name) not in (
        key,
        name_key(e.old_name),
        name_key(e.temp_old),
    ):
        old = None  # renamed by hand since: not this replacement's to move or delete
    if e.new_id is not None:
        news = [by_id[e.new_id]] if e.new_id in by_id else []
        news = [v for v in news if name_key(v.name) in (key, name_key(e.temp_new))]
    else:  # the clone's answer never came: its temporary name (random) tells it
        temp = name_key(e.temp_new)
        news = [v for v in live if v.is_cloned and v.id != e.old_id and name_key(v.name) == temp]
    forward = (
        len(news) == 1
        and e.new_id is not None
        and e.step.new_is_complete
        and not (undo and old is not None)
    )
    moves: list[Move] = []
    if forward:
        new = news[0]
        if old is not None and name_key(old.name) == key:
            moves.append(Move("rename", old, e.temp_old))
        if name_key(new.name) != key:
            moves.append(Move("rename", new, e.name))
        if old is not None:
            moves.append(Move("delete", old))
        return Fix(e, True, new.id, tuple(moves))
    holding = [v for v in news if name_key(v.name) == key]
    moves += [Move("delete", v) for v in holding]
    if old is not None and name_key(old.name) != name_key(e.old_name):
        moves.append(Move("rename", old, e.old_name))
    moves += [Move("delete", v) for v in news if v not in holding]
    return Fix(e, False, None, tuple(moves))


def _locked(e: Entry, new_id: str, lock: list[LockedVoice]) -> list[LockedVoice]:
    key = name_key(e.name)
    kept = [lv for lv in lock if name_key(lv.name) != key and lv.voice_id not in (e.old_id, new_id)]
    made = LockedVoice(e.name, new_id, e.engine, e.started or now(), e.samples, e.settings)
    return [*kept, made]


def preview(
    entries: list[Entry], lock: list[LockedVoice], live: list[Voice]
) -> tuple[list[VoicePlan], list[LockedVoice], list[Voice]]:
    """What settling would do (plan's rows), and the lock and voices as they would then be."""
    steps = []
    for e in entries:
        fix = decide(e, live)
        steps.append(fix.plan(done=False))
        for m in fix.moves:
            if m.kind == "delete":
                live = [v for v in live if v.id != m.voice.id]
            else:
                to = m.to or m.voice.name
                live = [replace(v, name=to) if v.id == m.voice.id else v for v in live]
        if fix.forward and fix.new_id is not None:
            lock = _locked(e, fix.new_id, lock)
    return steps, lock, live


def settle(
    client: Client, journal: Journal, e: Entry, *, undo: bool = False, unsure: bool = False
) -> Fix:
    """Read the voices, make the moves and clear the entry. A failure leaves the entry for the
    next run (it raises). ``unsure``: the clone's outcome is unknown (its answer was lost), so
    when no temporary voice shows yet the entry stays, for the next run to look again."""

    fix = decide(e, client.list_voices(), undo=undo)
    if unsure and e.new_id is None and not fix.moves:
        return fix
    for m in fix.moves:
        if m.kind == "rename":
            assert m.to is not None
            client.rename_voice(m.voice.id, m.to)
        else:
            try:
                client.delete_voice(m.voice.id)
            except NotFoundError:
                pass  # gone already: what was wanted
    if fix.forward and fix.new_id is not None:
        lock_path = journal.lock_path
        lockfile.write(lock_path, _locked(e, fix.new_id, lockfile.read(lock_path)))
    journal.end(e)
    return fix


def settle_all(client: Client, lock_path: Path) -> list[VoicePlan]:
    """Settle every replacement the lock's journal holds (apply, under the apply lock): the
    rows to show. A failure raises, naming the voice; the journal keeps it."""

    journal = Journal(lock_path)
    rows = []
    for e in journal.read():
        try:
            rows.append(settle(client, journal, e).plan(done=True))
        except BlandCloneError as exc:
            err = ServiceError(
                f"Could not settle the replacement of {e.name!r} a previous apply left under "
                f"way: {exc.message} Nothing else was changed; run apply again (it picks up "
                "where this stopped)."
            )
            err.exit_code = exc.exit_code
            raise err from None
    return rows

"""speak and speak history as plain operations: values in, a typed result out.

The command (bland_clone.cli.commands.speak) parses the options, calls these and renders the
result; nothing here prints or imports the command line. The preview itself is ops.preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.envelope import envelope
from ..core.files import check_writable
from . import preview, session
from .session import Connection

if TYPE_CHECKING:
    from .notes import Notes
    from .preview import Preview, Request


@dataclass(frozen=True)
class Spoken:
    """A preview written in a voice."""

    voice_id: str
    name: str
    preview: Preview

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "voice_id": self.voice_id,
                "name": self.name,
                **self.preview.to_dict(),
            }
        )


def speak_text(
    notes: Notes,
    voice: str,
    req: Request,
    output: str | None,
    *,
    force: bool,
    conn: Connection,
    stream: bool = False,
    play: bool = False,
) -> Spoken:
    """Check the text, options, file and (``play``) the output device locally, look the voice
    up, then speak: written to ``output`` and/or played as it arrives. The preview's notes
    (calibration, fallback) go to ``notes.warn``."""

    if output is not None:
        check_writable(output, force)
        target: preview.Target | None = preview.check(req, output, limit=None)
    else:
        preview.check(req, "-", limit=None)
        target = None
    player = preview.open_player() if play else None
    client = session.connect(notes, conn)
    v = client.find_voice(voice)
    preview.check_length(req.text, preview.text_limit(client, v))
    p = preview.speak(client, v, req, target, stream=stream, player=player)
    for note in p.notes:
        notes.warn(note)
    return Spoken(v.id, v.name, p)


@dataclass(frozen=True)
class Generation:
    """One stored generation, as the service describes it."""

    fields: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return envelope({"generation": self.fields})


@dataclass(frozen=True)
class History:
    """A page of stored generations, newest first."""

    generations: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return envelope({"generations": self.generations})


def generation(notes: Notes, gen_id: str, *, conn: Connection) -> Generation:
    client = session.connect(notes, conn)
    return Generation(client.speech_generation(gen_id))


def history(
    notes: Notes, *, voice: str | None, limit: int, offset: int, conn: Connection
) -> History:
    """The stored generations (only ``voice``'s when given: looked up by id or name)."""
    client = session.connect(notes, conn)
    voice_id = client.find_voice(voice).id if voice else None
    return History(client.speech_history(voice_id=voice_id, limit=limit, offset=offset))

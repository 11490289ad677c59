"""Recording a sample: the room check and its policy, the take loop, and the typed result.

Two ways to record. ``record_takes`` is the session with a person at the microphone: the room is
measured (a loud room stops it, since the person can fix it now), then takes are recorded,
checked and prepared until the person keeps one, clones it or stops. ``record_seconds`` records
one take of a fixed length with nobody to ask: a loud room is said and recorded anyway, and the
take is judged after.

Nothing here prints: what the person sees and is asked goes through a view (``SessionView``,
``TimedView``) that the command implements, and the outcome is a frozen ``Recording``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from ..audio import recording as rec
from ..core.errors import InputError
from ..core.files import check_writable

if TYPE_CHECKING:
    import numpy as np

    from ..audio.recording import Device, Meter, Microphone, Room, Verdict


class Choice(str, Enum):
    """What the person chose after a take (or, without asking, what the session did)."""

    KEEP = "keep"
    AGAIN = "again"
    CLONE = "clone"
    STOP = "stop"
    NO_ANSWER = "eof"  # the input ended before an answer


#: What may be chosen after a take the upload would accept, and after one it would refuse.
AFTER_A_GOOD_TAKE = (Choice.KEEP, Choice.AGAIN, Choice.CLONE)
AFTER_A_REFUSED_TAKE = (Choice.AGAIN, Choice.STOP)


class Stop(str, Enum):
    """Why a take stopped."""

    PRESSED = "pressed"  # the person stopped it
    ENOUGH = "enough"  # enough speech, then a pause
    LIMIT = "limit"  # the longest take the service accepts


def too_loud_advice(room: Room) -> str:
    """Why a room is too loud, and what to do about it."""
    return (
        f"noise floor {room.noise_floor_dbfs:.0f} dBFS (above {rec.ROOM_TOO_LOUD_DBFS:g}); "
        "turn off fans and close windows, or move somewhere quieter"
    )


class RoomTooLoud(InputError):
    """The room check found a noise floor too high to record in, with a person there to fix it."""

    def __init__(self, room: Room) -> None:
        super().__init__(
            f"The room is too loud to record in: {too_loud_advice(room)}.",
            payload={"room": room.to_dict()},
        )
        self.room = room


class TakeView(Protocol):
    """One take on the screen while it is recorded."""

    def level(self, meter: Meter) -> None:
        """A block was captured (called for every block: the view decides how often to draw)."""

    def stop_requested(self) -> bool:
        """Whether the person asked to stop the take."""

    def stopped(self, meter: Meter, why: Stop) -> None:
        """The take is over."""


class MicrophoneView(Protocol):
    def microphone(self, device: Device) -> None:
        """The device is about to be opened and the room measured."""

    def room(self, room: Room) -> None:
        """The room was measured."""


class SessionView(MicrophoneView, Protocol):
    """What the person at the microphone sees and is asked during ``record_takes``."""

    def take(
        self, number: int, path: str, script: str, meter: Meter
    ) -> contextlib.AbstractContextManager[TakeView]:
        """Show the script and a live view of take ``number`` while it is recorded."""

    def checking(self, path: str) -> None:
        """The take was written and is being checked and prepared."""

    def verdict(self, verdict: Verdict, number: int) -> None:
        """The take's verdict."""

    def choose(self, verdict: Verdict, choices: Sequence[Choice]) -> Choice:
        """Ask what to do next: one of ``choices``, or NO_ANSWER when the input ended."""


class TimedView(MicrophoneView, Protocol):
    """What is said during ``record_seconds`` (nobody is asked anything)."""

    def loud_room(self, room: Room) -> None:
        """The room is too loud; the take is recorded anyway and judged after."""

    def recording(self, seconds: float) -> None:
        """Recording starts."""

    def fell_behind(self, overflows: int) -> None:
        """The computer fell behind ``overflows`` times: some audio was lost."""


@dataclass(frozen=True)
class Recording:
    """A recording's outcome: the last take's verdict, and every take written on the way."""

    device: Device
    room: Room
    verdict: Verdict
    #: length of the last take
    seconds: float
    #: every take written, oldest first; the last is the one judged
    takes: tuple[str, ...]
    #: what ended the session: KEEP, CLONE (the take is ready to clone), STOP or NO_ANSWER
    choice: Choice

    @property
    def take(self) -> str:
        return self.takes[-1]

    def to_dict(self) -> dict[str, Any]:
        """The JSON result; ``clone`` is filled in by whoever clones the take."""
        return {
            **self.verdict.to_dict(),
            "seconds": self.seconds,
            "samplerate": self.device.rate,
            "device": self.device.to_dict(),
            "room": self.room.to_dict(),
            "takes": list(self.takes),
            "clone": None,
        }


def read_script(path: str | None) -> str:
    """The text to read aloud: the built-in script, or the file's words on one line."""
    if path is None:
        return rec.DEFAULT_SCRIPT
    try:
        with open(path, encoding="utf-8") as f:
            text = " ".join(f.read().split())
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise InputError(f"Cannot read the script {path}: {why}") from None
    if not text:
        raise InputError(f"The script {path} is empty.")
    return text


def _seconds(audio: np.ndarray, device: Device) -> float:
    return round(len(audio) / device.rate, 3)


def _one_take(
    view: SessionView, mic: Microphone, room: Room, script: str, path: str, number: int
) -> np.ndarray:
    """Capture one take until the person stops it, or enough speech and a pause, or the limit."""
    meter = rec.Meter(mic.rate, floor_dbfs=room.noise_floor_dbfs)
    with view.take(number, path, script, meter) as shown:
        pressed = [False]

        def stop() -> bool:
            pressed[0] = pressed[0] or shown.stop_requested()
            return pressed[0]

        audio = rec.capture(mic, meter, stop=stop, on_block=shown.level)
        why = Stop.PRESSED if pressed[0] else Stop.ENOUGH
        if not pressed[0] and not meter.enough(rec.SPEECH_TARGET_S):
            why = Stop.LIMIT
        shown.stopped(meter, why)
    return audio


def record_takes(
    device: Device, script: str, output: str, *, clone_when_ok: bool, view: SessionView
) -> Recording:
    """Measure the room, then record takes numbered after ``output`` (take-1.wav, take-2.wav...)
    until the person keeps one, clones one or stops. A take the upload would accept ends the
    session as CLONE at once when ``clone_when_ok``. Raises RoomTooLoud before the first take."""
    view.microphone(device)
    paths = rec.take_paths(output)
    takes: list[str] = []
    take = next(paths)
    with rec.Microphone(device) as mic:
        room = rec.measure_room(mic)
        view.room(room)
        if room.too_loud:  # the person is there to fix it: stop before the take
            raise RoomTooLoud(room)
        audio = _one_take(view, mic, room, script, take, 1)
    while True:
        rec.write_wav(take, audio, device.rate)
        takes.append(take)
        view.checking(take)
        verdict = rec.judge(take, rec.prepared_path(take))
        view.verdict(verdict, len(takes))
        if verdict.ok and clone_when_ok:
            choice = Choice.CLONE
        else:
            choice = view.choose(verdict, AFTER_A_GOOD_TAKE if verdict.ok else AFTER_A_REFUSED_TAKE)
        if choice is not Choice.AGAIN:
            break
        take = next(paths)
        with rec.Microphone(device) as mic:
            audio = _one_take(view, mic, room, script, take, len(takes) + 1)
    return Recording(device, room, verdict, _seconds(audio, device), tuple(takes), choice)


def record_seconds(
    device: Device,
    seconds: float,
    output: str,
    *,
    overwrite: bool,
    clone_when_ok: bool,
    view: TimedView,
) -> Recording:
    """Record ``seconds`` into ``output`` and judge it (prepared into FILE.prepared.wav). Nobody
    can fix the room now, so a loud room is said and recorded anyway; the verdict tells. Both
    files are checked writable before the microphone opens. The choice is CLONE for a take the
    upload would accept when ``clone_when_ok``, else KEEP (the take stays on disk)."""
    check_writable(output, overwrite)
    prepared = rec.prepared_path(output)
    check_writable(prepared, overwrite)
    view.microphone(device)
    with rec.Microphone(device) as mic:
        room = rec.measure_room(mic)
        view.room(room)
        if room.too_loud:
            view.loud_room(room)
        view.recording(seconds)
        meter = rec.Meter(mic.rate, floor_dbfs=room.noise_floor_dbfs)
        audio = rec.capture(mic, meter, seconds=seconds)
    if mic.overflows:
        view.fell_behind(mic.overflows)
    rec.write_wav(output, audio, device.rate)
    verdict = rec.judge(output, prepared)
    choice = Choice.CLONE if verdict.ok and clone_when_ok else Choice.KEEP
    return Recording(device, room, verdict, _seconds(audio, device), (output,), choice)

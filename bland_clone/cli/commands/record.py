"""bland-clone record: record a sample from the microphone, checked as it is made."""

import contextlib
import os
import select
import shlex
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Annotated, Any, Optional

import typer

from ...audio import recording as rec
from ...audio.quality import THRESHOLDS, level_strip
from ...core.envelope import envelope
from ...core.errors import InputError, UsageError
from ...core.safetext import one_line
from ...ops.cloning import clone_voice
from ...ops.recording import (
    AFTER_A_GOOD_TAKE,
    AFTER_A_REFUSED_TAKE,
    Choice,
    Stop,
    read_script,
    record_seconds,
    record_takes,
    too_loud_advice,
)
from ..options import Connection, ForceOpt, with_connection

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    from ...audio.recording import Device, Meter, Room, Verdict
    from ...core.validation import Problem
    from ..output import Output


def _room_line(room: "Room") -> str:
    hum = "no mains hum"
    if room.hum_hz is not None and room.hum_dbfs is not None:
        hum = f"mains hum at {room.hum_hz} Hz ({room.hum_dbfs:.0f} dBFS)"
    line = f"Room: noise floor {room.noise_floor_dbfs:.0f} dBFS, {hum}."
    if room.speech_heard:
        line += " Speech was heard: the floor is from the quietest part."
    return line


# -- the screen --------------------------------------------------------------------------------

_CUE_STYLE = {
    "clipping": "bold red",
    "too_far": "yellow",
    "too_quiet": "yellow",
    "waiting": "cyan",
    "pause": "dim",
    "good": "green",
}


def _meter_view(meter: "Meter", take: str, target_s: float, final: Optional[str] = None) -> "Text":
    from rich.text import Text  # lazy: rich

    width = 40
    level = max(-60.0, min(0.0, meter.level_dbfs))
    filled = round((level + 60) / 60 * width)
    t = Text()
    t.append("● REC ", style="bold red")
    t.append(f"{take}  {meter.seconds:5.1f} s\n")
    t.append("Level   ")
    for i in range(width):
        cell_db = -60 + 60 * (i + 0.5) / width
        if i >= filled:
            t.append("─", style="dim")
        elif cell_db > THRESHOLDS.too_loud_dbfs:
            t.append("█", style="red")
        elif cell_db >= THRESHOLDS.too_quiet_dbfs:
            t.append("█", style="green")
        else:
            t.append("█", style="yellow")
    shown = f"{meter.level_dbfs:4.0f}" if meter.level_dbfs > -100 else "  -∞"
    t.append(f" {shown} dBFS\n")
    done = min(1.0, meter.speech_seconds / target_s)
    t.append("Speech  ")
    t.append("█" * round(done * 20), style="green")
    t.append("░" * (20 - round(done * 20)), style="dim")
    t.append(f" {meter.speech_seconds:4.1f} s of {target_s:g} s\n")
    if final is not None:
        t.append(final, style="bold")
        return t
    code, advice = meter.cue()
    t.append(advice, style=_CUE_STYLE.get(code, ""))
    return t


def _show_verdict(console: "Console", v: "Verdict", label: str) -> None:
    from rich.markup import escape  # lazy: rich
    from rich.text import Text  # lazy: rich

    q = v.quality
    info = v.report.files[0] if v.report.files else None
    line = Text(f"{label}: {v.take}", style="bold")
    if info is not None and info.duration:
        line.append(f"  {info.duration:.1f} s", style="")
    if q is not None:
        line.append(
            f", speech {q.speech_seconds:.1f} s, level {q.speech_level_dbfs:.0f} dBFS, "
            f"SNR {q.snr_db:.0f} dB",
            style="",
        )
    console.print(line)
    if q is not None and console.is_terminal:
        strip = Text("  ")
        for ch, style in level_strip(q):
            strip.append(ch, style=style)
        console.print(strip)
    for p in v.report.problems:  # what the microphone heard: what to change next time
        _problem(console, p)
    if v.prepare is not None and v.prepared:
        console.print(
            f"Prepared: {escape(v.prepared)}  {v.prepare['output_seconds']:.1f} s, "
            f"gain {v.prepare['gain_db']:+.1f} dB",
            highlight=False,
        )
        for note in v.prepare.get("notes", []):
            console.print(f"  {escape(note)}", highlight=False)
    if v.prepare_error:
        console.print(f"[bold red]error:[/] {escape(v.prepare_error)}")
    heard = {p.code for p in v.report.problems}
    for p in v.problems:  # what would still be wrong with the upload
        if p.code not in heard:
            _problem(console, p)
    style = {"ok": "bold green", "warning": "bold yellow", "error": "bold red"}[v.verdict]
    word = {
        "ok": "OK: ready to clone.",
        "warning": "usable, with the warnings above.",
        "error": "would be refused; record again.",
    }[v.verdict]
    console.print(f"Verdict: [{style}]{word}[/]")


def _problem(console: "Console", p: "Problem") -> None:
    from rich.markup import escape  # lazy: rich

    style, label = ("bold red", "error:") if p.severity == "error" else ("yellow", "warning:")
    console.print(f"[{style}]{label}[/] {escape(p.message)}")


def _enter_pressed(stdin: IO[str]) -> Callable[[], bool]:
    """A non-blocking check for a line typed on the terminal (Enter)."""
    if os.name == "nt":  # pragma: no cover - Windows consoles have no select() on stdin
        import msvcrt  # lazy: msvcrt is not on every platform

        def check_nt() -> bool:
            while msvcrt.kbhit():  # type: ignore[attr-defined]
                if msvcrt.getwch() in "\r\n":  # type: ignore[attr-defined]
                    return True
            return False

        return check_nt

    def check() -> bool:
        ready, _, _ = select.select([stdin], [], [], 0)
        if ready:
            stdin.readline()
            return True
        return False

    return check


def _flush_input(stdin: IO[str]) -> None:
    """Forget keys typed before the meter started (an early Enter must not stop the take)."""
    try:
        import termios  # lazy: termios is not on every platform

        termios.tcflush(stdin.fileno(), termios.TCIFLUSH)
    except (ImportError, OSError, ValueError):
        pass


def _ask(console: "Console", question: str, choices: dict[str, str]) -> str:
    while True:
        try:
            answer = console.input(question).strip().lower()
        except EOFError:
            return "eof"
        for key, word in choices.items():
            if answer in (key, word):
                return word
        console.print(f"Type {', '.join(choices)}.")


# -- the two modes -----------------------------------------------------------------------------

#: The question after a take, by what may be chosen: (question, key -> choice).
_QUESTIONS: dict[tuple[Choice, ...], tuple[str, dict[str, str]]] = {
    AFTER_A_GOOD_TAKE: (
        "Keep it (k), record again (r), or clone now (c)? ",
        {"k": "keep", "r": "again", "c": "clone"},
    ),
    AFTER_A_REFUSED_TAKE: ("Record again (r) or stop (s)? ", {"r": "again", "s": "stop"}),
}


class _LiveTake:
    """One take's live meter on the terminal, and Enter to stop it."""

    def __init__(self, live: "Live", name: str, stdin: IO[str]) -> None:
        self.live, self.name = live, name
        self.shown = 0.0
        self.enter = _enter_pressed(stdin)

    def level(self, meter: "Meter") -> None:  # at most ten frames a second, whatever the block size
        now = time.monotonic()
        if now - self.shown >= 0.1:
            self.shown = now
            self.live.update(_meter_view(meter, self.name, rec.SPEECH_TARGET_S), refresh=True)

    def stop_requested(self) -> bool:
        return self.enter()

    def stopped(self, meter: "Meter", why: Stop) -> None:
        said = {
            Stop.PRESSED: "Enter",
            Stop.ENOUGH: "enough speech and a pause",
            Stop.LIMIT: f"the {rec.MAX_TAKE_S:g} s limit",
        }[why]
        final = f"Stopped ({said}): {meter.seconds:.1f} s recorded."
        self.live.update(_meter_view(meter, self.name, rec.SPEECH_TARGET_S, final), refresh=True)


class _Screen:
    """The session on a terminal: what record_takes shows and asks."""

    def __init__(self, console: "Console", stdin: IO[str]) -> None:
        self.console = console
        self.stdin = stdin

    def microphone(self, dev: "Device") -> None:
        from rich.markup import escape  # lazy: rich

        self.console.print(f"Microphone: {escape(one_line(dev.name))} ({dev.rate} Hz)")
        self.console.print("Room check: stay quiet for 2 seconds...")

    def room(self, room: "Room") -> None:
        self.console.print(_room_line(room))

    @contextlib.contextmanager
    def take(self, number: int, take: str, script: str, meter: "Meter") -> Iterator[_LiveTake]:
        """Show the script and the live meter while one take is captured."""
        from rich.live import Live  # lazy: rich
        from rich.markup import escape  # lazy: rich
        from rich.panel import Panel  # lazy: rich

        console = self.console
        console.print()
        console.print(Panel(escape(script), title=f"Take {number}: read this aloud"))
        console.print(
            "Press Enter to stop; it also stops by itself after "
            f"{rec.SPEECH_TARGET_S:g} s of speech and a pause."
        )
        name = os.path.basename(take)
        _flush_input(self.stdin)
        with Live(
            _meter_view(meter, name, rec.SPEECH_TARGET_S),
            console=console,
            refresh_per_second=10,
            auto_refresh=False,
        ) as live:
            yield _LiveTake(live, name, self.stdin)

    def checking(self, take: str) -> None:
        self.console.print("Checking the take...")

    def verdict(self, verdict: "Verdict", number: int) -> None:
        _show_verdict(self.console, verdict, f"Take {number}")

    def choose(self, verdict: "Verdict", choices: Sequence[Choice]) -> Choice:
        question, keys = _QUESTIONS[tuple(choices)]
        return Choice(_ask(self.console, question, keys))


def _interactive(
    out: "Output",
    conn: Connection,
    dev: "Device",
    script: str,
    output: str,
    clone_name: str | None,
) -> dict[str, Any]:
    from rich.console import Console  # lazy: rich
    from rich.markup import escape  # lazy: rich

    env = out.env
    console = Console(file=env.stdout, highlight=False, width=env.width())
    done = record_takes(
        dev, script, output, clone_when_ok=clone_name is not None, view=_Screen(console, env.stdin)
    )
    verdict, takes, take = done.verdict, list(done.takes), done.take
    result = done.to_dict()
    if done.choice is Choice.CLONE:
        result["clone"] = _clone(out, conn, console, verdict, clone_name)
    elif done.choice in (Choice.STOP, Choice.NO_ANSWER) and not verdict.ok:
        console.print(f"Stopped. Takes on disk: {escape(', '.join(takes))}.")
    else:
        console.print(f"Kept {escape(take)}" + _others(takes) + ".")
        if verdict.ok and verdict.prepared:
            console.print(
                "To clone it later: bland-clone clone --name NAME "
                + escape(_shell_quote(verdict.prepared))
            )
    return result


def _shell_quote(path: str) -> str:
    return shlex.quote(path)


def _others(takes: list[str], *, all_: bool = False) -> str:
    rest = takes if all_ else takes[:-1]
    return f" (also on disk: {', '.join(rest)})" if rest else ""


def _clone(
    out: "Output", conn: Connection, console: "Console", v: "Verdict", name: str | None
) -> dict[str, Any]:
    from rich.markup import escape  # lazy: rich

    while not name:
        try:
            name = console.input("Voice name: ").strip()
        except EOFError:
            raise UsageError("No voice name given; nothing was uploaded.") from None
    assert v.prepared is not None
    judged = v.prepared_report.quality if v.prepared_report is not None else None
    res = clone_voice(out, [v.prepared], name=name, conn=conn, analysed=judged)
    for note in res.notes:
        out.warn(note)
    if out.mode == "human":
        verb = "Found existing voice" if res.recovered else "Cloned voice"
        console.print(f"{verb} {escape(repr(res.name))}: {escape(str(res.voice_id))}")
    return res.to_dict()


class _Lines:
    """What record_seconds says, as lines on stderr (nobody is asked anything)."""

    def __init__(self, out: "Output") -> None:
        self.out = out

    def microphone(self, dev: "Device") -> None:
        self.out.info(f"Microphone: {one_line(dev.name)} ({dev.rate} Hz)")

    def room(self, room: "Room") -> None:
        self.out.info(_room_line(room))

    def loud_room(self, room: "Room") -> None:
        # off a terminal nobody can fix the room now: record, then judge
        self.out.warn(f"The room is loud: {too_loud_advice(room)}. Recording anyway; judged below.")

    def recording(self, seconds: float) -> None:
        self.out.info(f"Recording {seconds:g} s...")

    def fell_behind(self, overflows: int) -> None:
        self.out.warn(f"The computer fell behind {overflows} time(s): some audio was lost.")


def _unattended(
    out: "Output",
    conn: Connection,
    dev: "Device",
    seconds: float,
    output: str,
    force: bool,
    clone_name: str | None,
) -> dict[str, Any]:
    from rich.console import Console  # lazy: rich

    done = record_seconds(
        dev,
        seconds,
        output,
        overwrite=force,
        clone_when_ok=clone_name is not None,
        view=_Lines(out),
    )
    verdict = done.verdict
    result = done.to_dict()
    if out.mode == "human":
        _show_verdict(
            Console(file=out.env.stdout, highlight=False, soft_wrap=True, width=out.env.width()),
            verdict,
            "Take",
        )
    if not verdict.ok:
        n = len(result["errors"])
        raise InputError(
            f"{n} problem{'s' if n != 1 else ''} found; the take would be refused "
            "(it was written; record again).",
            errors=result["errors"],
            payload=result,
        )
    if done.choice is Choice.CLONE:
        console = Console(file=out.env.stdout, highlight=False)
        result["clone"] = _clone(out, conn, console, verdict, clone_name)
    return result


def _list_devices(out: "Output") -> None:
    found = rec.input_devices()
    if out.mode == "json":
        out.json(envelope({"devices": [d.to_dict() for d in found]}))
        return
    if not found:
        out.info("No input devices found.")
        return
    out.table(
        ["Index", "Name", "Host API", "Channels", "Rate", "Default"],
        [
            [
                str(d.index),
                d.name,
                d.hostapi,
                str(d.channels),
                str(int(d.default_rate)),
                "yes" if d.is_default else "",
            ]
            for d in found
        ],
    )


@with_connection
def record(
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="WAV file to write. On a terminal, takes are numbered: take-1.wav, take-2.wav...",
        ),
    ] = "take.wav",
    device: Annotated[
        Optional[str],
        typer.Option(
            "--device",
            metavar="ID",
            help="Input device: its index or part of its name (see --list-devices).",
            show_default=False,
        ),
    ] = None,
    list_devices: Annotated[
        bool, typer.Option("--list-devices", help="List the input devices and exit.")
    ] = False,
    script: Annotated[
        Optional[str],
        typer.Option(
            "--script",
            metavar="FILE",
            help="A text file to read aloud instead of the built-in script.",
            show_default=False,
        ),
    ] = None,
    seconds: Annotated[
        Optional[float],
        typer.Option(
            "--seconds",
            "-s",
            min=1.0,
            max=60.0,
            metavar="N",
            help="Record N seconds without asking anything (the mode used off a terminal).",
            show_default=False,
        ),
    ] = None,
    clone_name: Annotated[
        Optional[str],
        typer.Option(
            "--clone",
            metavar="NAME",
            help="Clone the voice from the prepared take without asking, named NAME.",
            show_default=False,
        ),
    ] = None,
    force: ForceOpt = False,
    *,
    conn: Connection,
) -> None:
    """Record a sample from the microphone, checked as it is made.

    Measures the room (2 s of silence), shows a script to read with a live level meter, stops on
    Enter or after enough speech, then checks and prepares the take (FILE.prepared.wav) and
    offers: keep, record again, or clone now. Writes 16-bit mono WAV at the device's rate (at most
    48 kHz). Off a terminal, or with --seconds, it records N seconds and prints the verdict.
    Exit code 5: no microphone, no PortAudio, or a device that cannot be opened.

    Examples:

      bland-clone record

      bland-clone record --script my-text.txt --clone "Narrator"

      bland-clone record --seconds 15 -o take.wav --json
    """
    out = conn.output()
    if list_devices:
        _list_devices(out)
        return
    interactive = seconds is None and out.env.stdin_isatty and out.mode == "human"
    if seconds is None and not interactive:
        raise UsageError(
            "Off a terminal (or with --json/--quiet) say how long to record: --seconds N."
        )
    text = read_script(script)
    dev = rec.find_device(device)
    if interactive:
        _interactive(out, conn, dev, text, output, clone_name)
        return
    assert seconds is not None
    result = _unattended(out, conn, dev, seconds, output, force, clone_name)
    if out.mode == "json":
        out.json(result)

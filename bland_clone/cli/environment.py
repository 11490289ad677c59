"""What one run of the command line reads from the process: its standard streams, which of them
are terminals, colour, the terminal's width and the config file.

Made once by the entry point (:func:`started`) and passed down to every command through Typer's
context, as httpie's ``Environment`` is: the one place that asks ``isatty``, NO_COLOR, TERM,
COLUMNS, GITHUB_ACTIONS and GITHUB_STEP_SUMMARY. A test or a script makes its own with other
streams.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..core.settings import config_path

#: The width when the terminal does not say (a pipe, a file) or says nonsense (0 columns).
FALLBACK_COLUMNS = 80


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def terminal_width(stream: Any) -> int:
    """The terminal's width in cells: COLUMNS when set (as Rich and Click read it), else the
    terminal's own size; 80 when neither is known or either is under one column (a pty made
    with no size reports 0: a table drawn that narrow is one character a line)."""
    try:
        width = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            width = FALLBACK_COLUMNS
    return width if width >= 1 else FALLBACK_COLUMNS


@dataclass(frozen=True)
class Environment:
    """The streams and terminal of one run (see the module's docstring)."""

    stdin: IO[str]
    stdout: IO[str]
    stderr: IO[str]
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    #: colour and box drawing are welcome where a stream is a terminal (NO_COLOR, TERM=dumb: no)
    colour: bool = True
    #: running under GitHub Actions: problems are printed as workflow annotations too
    github: bool = False
    #: the file GitHub Actions shows as the job summary (GITHUB_STEP_SUMMARY, under Actions)
    step_summary: str | None = None
    #: the config file (BLAND_CLONE_CONFIG, else the user config folder's config.toml)
    config_file: Path = Path("config.toml")

    @classmethod
    def detect(cls, stderr: IO[str] | None = None) -> Environment:
        """The process's environment now; ``stderr`` instead of sys.stderr when given."""
        env = os.environ
        err = sys.stderr if stderr is None else stderr
        github = env.get("GITHUB_ACTIONS") == "true"
        return cls(
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=err,
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(err),
            # no-color.org: only a NO_COLOR that is set and not empty turns colour off
            colour=not env.get("NO_COLOR") and env.get("TERM") != "dumb",
            github=github,
            step_summary=(env.get("GITHUB_STEP_SUMMARY") or None) if github else None,
            config_file=config_path(env),
        )

    def width(self, *, stderr: bool = False) -> int:
        """The width of the terminal stdout (or stderr) is on, asked each time: a terminal can
        be resized while a command runs."""
        return terminal_width(self.stderr if stderr else self.stdout)


def _dup_stderr() -> int:
    """A new descriptor for the process's real stderr. While audio.quiet has descriptor 2 at
    /dev/null (main called again in a process that is decoding) it knows the real one; when
    audio.quiet was never imported nothing has moved descriptor 2, and importing it here would
    load the audio package for commands that have no audio (voices list)."""
    quiet = sys.modules.get("bland_clone.audio.quiet")
    return int(quiet.dup_stderr()) if quiet is not None else os.dup(2)


@contextlib.contextmanager
def started() -> Iterator[Environment]:
    """The Environment of one run of ``main``.

    When sys.stderr writes to file descriptor 2, the run's stderr is a duplicate of the real
    one taken here (audio.quiet.dup_stderr): quiet_stderr points descriptor 2 at /dev/null
    while a C library decodes (libsndfile and FFmpeg print there), and other threads go on
    meanwhile, so the command line's own messages must not depend on descriptor 2. sys.stderr
    is pointed at the duplicate for the run too, so what Typer's prompts, Python's warnings and
    the --verbose trace write arrives as well. Both are given back when the run ends. Elsewhere
    (a test capturing sys.stderr) the streams are used as they are."""
    stream = sys.stderr
    try:
        own = stream.fileno() == 2
    except (AttributeError, ValueError, OSError):
        own = False
    dup: IO[str] | None = None
    if own:
        try:
            dup = open(  # noqa: SIM115 - closed below, when the run ends
                _dup_stderr(), "w", buffering=1, encoding=stream.encoding, errors="backslashreplace"
            )
        except OSError:
            dup = None
    if dup is not None:
        stream.flush()
        sys.stderr = dup
    try:
        yield Environment.detect()
    finally:
        if dup is not None:
            sys.stderr = stream
            with contextlib.suppress(OSError):
                dup.close()

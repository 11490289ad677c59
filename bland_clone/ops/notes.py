"""What an operation may say while it works: the narrow interface ops see of the output.

The command line's ``Output`` (bland_clone.cli.output) satisfies it; operations are typed
against this protocol, so they never import the command-line layer. What an operation *returns*
is its result; these are only the notes on the way (warnings, progress, annotations).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..audio.verdict import Report
    from ..core.errors import BlandCloneError


@dataclass(frozen=True)
class Uncalibrated:
    """A note: settings (``fields``, as the operation names them) calibrated for V3 voices
    were asked of ``voice``, a voice of another engine (``engine``, its label). The caller words
    it (the command line names its options); ``str()`` is the plain sentence."""

    fields: tuple[str, ...]
    voice: str
    engine: str

    def __str__(self) -> str:
        return (
            f"{' and '.join(self.fields)} are calibrated for V3 voices; {self.voice!r} is a "
            f"{self.engine} voice."
        )


class Notes(Protocol):
    """What an operation may say on the way; where it goes (a terminal, nowhere in --json) is
    the caller's choice, so the protocol has no output mode to ask."""

    @property
    def progress_ok(self) -> bool: ...

    def info(self, message: str) -> None:
        """A step worth telling a person (the caller says it only where one reads: an
        operation never asks the output's mode)."""

    def warn(self, message: str | Uncalibrated) -> None: ...

    def error(self, message: str) -> None: ...

    def words(self, error: BlandCloneError) -> str:
        """A typed error's one line in the caller's words (the command line names its
        options), for an operation that reports an error it went on past."""

    def line(self, text: str = "") -> None:
        """A line of the result as it is made, for a person (nothing in JSON or quiet)."""

    def report(self, report: Report, *, to_stderr: bool = False) -> None: ...

    def annotate(
        self, severity: str, message: str, file: str | None = None, line: int | None = None
    ) -> None: ...

    def annotate_report(self, report: Report) -> None: ...

    def progress(
        self, description: str, total: int
    ) -> contextlib.AbstractContextManager[Callable[[int, int], None] | None]: ...

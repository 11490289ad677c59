"""What an operation may say while it works: the narrow interface ops see of the output.

The command line's ``Output`` (bland_clone.cli.output) satisfies it; operations are typed
against this protocol, so they never import the command-line layer. What an operation *returns*
is its result; these are only the notes on the way (warnings, progress, annotations).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..audio.verdict import Report


class Notes(Protocol):
    @property
    def mode(self) -> str: ...

    @property
    def progress_ok(self) -> bool: ...

    def info(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...

    def error(self, message: str) -> None: ...

    def line(self, text: str = "") -> None: ...

    def report(self, report: Report, *, to_stderr: bool = False) -> None: ...

    def annotate(
        self, severity: str, message: str, file: str | None = None, line: int | None = None
    ) -> None: ...

    def annotate_report(self, report: Report) -> None: ...

    def progress(
        self, description: str, total: int
    ) -> contextlib.AbstractContextManager[Callable[[int, int], None] | None]: ...

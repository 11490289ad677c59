"""One output object that knows the mode: data to stdout, diagnostics to stderr.

- ``human`` on a terminal: Rich tables and colour (unless NO_COLOR is set), progress bars.
- ``human`` off a terminal (pipes, CI logs) or with NO_COLOR: plain, stable text, no box art.
- ``json``: exactly one JSON object on stdout, whatever happens; diagnostics still go to stderr.
- ``quiet``: nothing on stdout; errors only, on stderr. For scripts that want the exit code.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ..safetext import clean, json_text, one_line
from ..units import fmt_duration, fmt_size

if TYPE_CHECKING:
    from ..validation import Report

Mode = Literal["human", "json", "quiet"]


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Output:
    def __init__(self, mode: Mode = "human") -> None:
        self.mode: Mode = mode
        no_color = os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb"
        self.rich = mode == "human" and _isatty(sys.stdout) and not no_color
        self.rich_err = mode != "json" and _isatty(sys.stderr) and not no_color
        self.progress_ok = mode == "human" and _isatty(sys.stderr)
        self._json_done = False
        #: print GitHub workflow annotations too (--format github, or under GitHub Actions)
        self.github = os.environ.get("GITHUB_ACTIONS") == "true"

    # -- diagnostics: stderr -------------------------------------------------------------

    def _err(self, prefix: str, style: str, message: str) -> None:
        message = clean(message)
        if self.rich_err:
            from rich.console import Console
            from rich.markup import escape

            Console(stderr=True, highlight=False).print(f"[{style}]{prefix}[/] {escape(message)}")
        else:
            print(f"{prefix} {message}", file=sys.stderr)

    def info(self, message: str) -> None:
        if self.mode == "human":
            print(clean(message), file=sys.stderr)

    def warn(self, message: str) -> None:
        if self.mode != "quiet":
            self._err("warning:", "yellow", message)

    def error(self, message: str) -> None:
        self._err("error:", "bold red", message)

    # -- data: stdout --------------------------------------------------------------------

    def json(self, obj: dict[str, Any]) -> None:
        """The one JSON object of a --json run."""
        if self._json_done:
            return
        self._json_done = True
        sys.stdout.write(
            json_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str)) + "\n"
        )
        sys.stdout.flush()

    def line(self, text: str = "") -> None:
        if self.mode == "human":
            print(clean(text))

    def result(self, obj: dict[str, Any], human: Callable[[], None] | str | None = None) -> None:
        """Emit a command's result: JSON in json mode, ``human`` otherwise, nothing when quiet."""
        if self.mode == "json":
            self.json(obj)
        elif self.mode == "human" and human is not None:
            if isinstance(human, str):
                print(clean(human))
            else:
                human()

    def table(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        title: str | None = None,
        to_stderr: bool = False,
        colours: dict[str, str] | None = None,
    ) -> None:
        """A Rich table on a terminal; tab-separated lines with a header row otherwise.

        Cells are plain text; on a terminal a cell whose whole text is a key of ``colours`` is
        shown in that colour.
        """
        if self.mode != "human":
            return
        rows = [[one_line(x) for x in r] for r in rows]
        rich_ok = self.rich_err if to_stderr else self.rich
        if rich_ok:
            from rich.console import Console
            from rich.table import Table
            from rich.text import Text

            t = Table(title=title, title_justify="left")
            for c in columns:
                t.add_column(c, overflow="fold")
            for r in rows:
                t.add_row(*(Text(x, style=(colours or {}).get(x, "")) for x in r))
            Console(stderr=to_stderr).print(t)
            return
        stream = sys.stderr if to_stderr else sys.stdout
        print("\t".join(c.upper() for c in columns), file=stream)
        for r in rows:
            print("\t".join(x.replace("\t", " ").replace("\n", " ") for x in r), file=stream)

    def report(self, report: Report, *, to_stderr: bool = False) -> None:
        """The table of files, then every problem under it."""
        if self.mode != "human":
            return
        rows = []
        for f in report.files:
            verdict = report.verdict(f)
            fmt = f.format or "-"
            if f.subtype and f.format:
                fmt = f"{f.format} {f.subtype}"
            shown = f.path
            if f.source is not None:  # converted for the upload: source -> sent
                src = f.source
                shown = f"{src.path} -> {f.name}"
                fmt = f"{' '.join(x for x in (src.format, src.subtype) if x)} -> {fmt}"
            rows.append(
                [
                    shown,
                    fmt,
                    fmt_duration(f.duration),
                    fmt_size(f.size),
                    str(f.samplerate) if f.samplerate else "-",
                    str(f.channels) if f.channels else "-",
                    verdict,
                ]
            )
        if rows:
            self.table(
                ["File", "Format", "Duration", "Size", "Rate", "Channels", "Verdict"],
                rows,
                to_stderr=to_stderr,
                colours={"ok": "green", "warning": "yellow", "error": "red"},
            )
        stream = sys.stderr if to_stderr else sys.stdout
        rich_ok = self.rich_err if to_stderr else self.rich
        if rich_ok and report.quality:
            self._level_strips(report, to_stderr)
        for p in report.problems:
            label = "error:" if p.severity == "error" else "warning:"
            if rich_ok:
                from rich.console import Console
                from rich.markup import escape

                style = "bold red" if p.severity == "error" else "yellow"
                Console(stderr=to_stderr, highlight=False).print(
                    f"[{style}]{label}[/] {escape(clean(p.message))}"
                )
            else:
                print(f"{label} {clean(p.message)}", file=stream)

    def _level_strips(self, report: Report, to_stderr: bool) -> None:
        """One line per file: loudness over time; silence dotted, clipping red."""
        from rich.console import Console
        from rich.text import Text

        from ..audio.quality import level_strip

        console = Console(stderr=to_stderr, highlight=False)
        width = max(len(f.name) for f in report.files)
        for f in report.files:
            q = report.quality.get(f.path)
            if q is None:
                continue
            line = Text(one_line(f.name).ljust(width) + "  ", style="bold")
            for ch, style in level_strip(q):
                line.append(ch, style=style)
            line.append(f"  {q.speech_level_dbfs:.0f} dBFS, SNR {q.snr_db:.0f} dB", style="dim")
            console.print(line)

    # -- GitHub Actions ------------------------------------------------------------------

    def annotate(
        self, severity: str, message: str, file: str | None = None, line: int | None = None
    ) -> None:
        """A workflow command (``::error file=...::message``) that GitHub shows on the pull
        request. Written to stdout, where the runner reads them; not in --json mode, whose
        stdout is one JSON object (the same problems are in it)."""
        if not self.github or self.mode == "json":
            return
        props = []
        if file:
            props.append(f"file={_gh_escape(one_line(file), prop=True)}")
        if line:
            props.append(f"line={line}")
        props.append("title=bland-clone")
        kind = "error" if severity == "error" else "warning"
        sys.stdout.write(f"::{kind} {','.join(props)}::{_gh_escape(clean(message))}\n")

    def annotate_report(self, report: Report) -> None:
        for p in report.problems:
            self.annotate(p.severity, p.message, p.file)

    # -- progress ------------------------------------------------------------------------

    @contextlib.contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[int, int], None] | None]:
        """A byte progress bar on a terminal's stderr; None (no bar) in CI, --json or --quiet."""
        if not self.progress_ok:
            yield None
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task(description, total=total)

            def update(done: int, total_: int) -> None:
                bar.update(task, completed=done, total=total_)

            yield update


def _gh_escape(text: str, *, prop: bool = False) -> str:
    """Escape data for a workflow command, as @actions/core does."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text

"""One output object that knows the mode: data to stdout, diagnostics to stderr.

- ``human`` on a terminal: Rich tables and colour (unless NO_COLOR is set), progress bars.
- ``human`` off a terminal (pipes, CI logs) or with NO_COLOR: plain, stable text, no box art.
- ``json``: exactly one JSON object on stdout, whatever happens; diagnostics still go to stderr.
- ``quiet``: nothing on stdout; errors only, on stderr. For scripts that want the exit code.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ..core.errors import BlandCloneError, ServiceError
from ..core.safetext import clean, json_text, one_line
from ..core.units import fmt_duration, fmt_size
from ._errors import describe, note, problem_line
from .environment import Environment

if TYPE_CHECKING:
    from rich.console import Console

    from ..audio.quality import Quality
    from ..audio.verdict import Report
    from ..ops.notes import Uncalibrated

Mode = Literal["human", "json", "quiet"]


class Output:
    """The output of one invocation: made once by the entry point with the run's
    :class:`Environment`, handed to the command through Typer's context, given its mode by the
    command's options (:meth:`set_mode`) and reused for everything printed; the entry point
    reports an error through it in the mode the command chose."""

    def __init__(self, env: Environment, mode: Mode = "human") -> None:
        self.env = env
        self._json_done = False
        self._consoles: dict[bool, Console] = {}
        #: print GitHub workflow annotations too (--annotations github, or under GitHub Actions)
        self.github = env.github
        #: the options the user gave, by the field a problem or an error names (``"name"``:
        #: ``("--name", "Narrator")``): their messages then name the option (cli/_errors.py)
        self.given: dict[str, tuple[str, str]] = {}
        self.set_mode(mode)

    def gave(self, field: str, option: str, value: str | None) -> None:
        """``option`` set ``field`` to ``value`` (not given: None, nothing to name)."""
        if value is not None:
            self.given[field] = (option, value)

    def set_mode(self, mode: Mode) -> Output:
        env = self.env
        self.mode: Mode = mode
        self.rich = mode == "human" and env.colour and env.stdout_isatty
        self.rich_err = mode != "json" and env.colour and env.stderr_isatty
        #: a progress bar redraws in place on a terminal's stderr (a CI log is not one)
        self.progress_ok = mode == "human" and env.stderr_isatty
        return self

    def console(self, stderr: bool = False) -> Console:
        """The Rich console for stdout (or stderr; the progress bar's): one each per invocation,
        made when first needed."""
        c = self._consoles.get(stderr)
        if c is None:
            from rich.console import Console  # lazy: rich

            c = self._consoles[stderr] = Console(
                file=self.env.stderr if stderr else self.env.stdout,
                highlight=False,
                width=self.env.width(stderr=stderr),
            )
        return c

    # -- diagnostics: stderr -------------------------------------------------------------

    def _fold(self, text: str, *, stderr: bool) -> str:
        """``text`` wrapped at its spaces to a terminal's width (a terminal's own wrapping
        cuts words, and can leave a lone ``).`` on a line); as it is anywhere else, where a
        line is a record for grep."""
        if not (self.env.stderr_isatty if stderr else self.env.stdout_isatty):
            return text
        width = self.env.width(stderr=stderr)
        if len(text) <= width or width < 20:
            return text
        return "\n".join("\n".join(_wrap(line, width)) for line in text.split("\n"))

    def _err(self, prefix: str, style: str, message: str) -> None:
        message = self._fold(f"{prefix} {clean(message)}", stderr=True)[len(prefix) :]
        if self.rich_err:
            prefix = _sgr(prefix, style)
        self.env.stderr.write(f"{prefix}{message}\n")
        self.env.stderr.flush()

    def info(self, message: str) -> None:
        if self.mode == "human":
            print(self._fold(clean(message), stderr=True), file=self.env.stderr)

    def warn(self, message: str | Uncalibrated) -> None:
        if self.mode != "quiet":
            # lazy: start-up (validate --no-quality)
            self._err("warning:", "yellow", note(message))

    def error(self, message: str) -> None:
        self._err("error:", "bold red", message)

    def words(self, error: BlandCloneError) -> str:
        """``error``'s line in the command line's words (cli/_errors.py)."""
        return describe(error, self.given)

    # -- data: stdout --------------------------------------------------------------------

    def json(self, obj: dict[str, Any]) -> None:
        """The one JSON object of a --json run."""
        if self._json_done:
            return
        text = dump_json(obj)  # may raise: then the error's own object is written instead
        self._json_done = True
        self.env.stdout.write(json_text(text) + "\n")
        self.env.stdout.flush()

    def line(self, text: str = "") -> None:
        if self.mode == "human":
            print(self._fold(clean(text), stderr=False), file=self.env.stdout)

    def fields(self, rows: Sequence[tuple[str, str]]) -> None:
        """Labelled values: on a terminal, each value in one column after its label (the label
        bold); otherwise ``Label:<TAB>value`` lines, stable for scripts."""
        if self.mode != "human":
            return
        rows = [(one_line(label) + ":", one_line(value)) for label, value in rows]
        if self.rich:
            width = max(len(label) for label, _ in rows)
            text = "".join(
                f"{_sgr(label, 'bold')}{' ' * (width - len(label) + 1)}{value}\n"
                for label, value in rows
            )
        else:
            text = "".join(f"{label}\t{value}\n" for label, value in rows)
        self.env.stdout.write(text)
        self.env.stdout.flush()

    def result(self, obj: dict[str, Any], human: Callable[[], None] | str | None = None) -> None:
        """Emit a command's result: JSON in json mode, ``human`` otherwise, nothing when quiet."""
        if self.mode == "json":
            self.json(obj)
        elif self.mode == "human" and human is not None:
            if isinstance(human, str):
                print(clean(human), file=self.env.stdout)
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
        stream = self.env.stderr if to_stderr else self.env.stdout
        if rich_ok:
            text = draw_table(
                columns, rows, self.env.width(stderr=to_stderr), title=title, colours=colours or {}
            )
        else:
            lines = ["\t".join(c.upper() for c in columns)]
            lines += ["\t".join(x.replace("\t", " ").replace("\n", " ") for x in r) for r in rows]
            text = "\n".join(lines) + "\n"
        stream.write(text)  # one write: a terminal is line-buffered, and 5,000 flushes show
        stream.flush()

    def report(self, report: Report, *, to_stderr: bool = False) -> None:
        """The table of files, then every problem under it; with --quiet, only the errors
        (each file's, on stderr: what "nothing but errors" promises)."""

        if self.mode == "quiet":
            for p in report.problems:
                if p.severity == "error":
                    self.error(problem_line(p, self.given))
            return
        if self.mode != "human":
            return
        rows = []
        verdicts = report.verdicts()  # problems grouped by file once
        for f in report.files:
            verdict = verdicts.get(f.path, "ok")
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
        stream = self.env.stderr if to_stderr else self.env.stdout
        rich_ok = self.rich_err if to_stderr else self.rich
        lines: list[str] = []
        if rich_ok and report.quality:
            one = len(report.files) == 1
            width = self.env.width(stderr=to_stderr)
            lines += _waveform(report, width) if one else _level_strips(report, width)
        for p in report.problems:
            plain = "error:" if p.severity == "error" else "warning:"
            said = self._fold(f"{plain} {clean(problem_line(p, self.given))}", stderr=to_stderr)
            label = plain
            if rich_ok:
                label = _sgr(plain, "bold red" if p.severity == "error" else "yellow")
            lines.append(label + said[len(plain) :])  # wrapped at spaces on a terminal
        if lines:
            stream.write("\n".join(lines) + "\n")
            stream.flush()

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
        self.env.stdout.write(f"::{kind} {','.join(props)}::{_gh_escape(clean(message))}\n")

    def annotate_report(self, report: Report) -> None:
        for p in report.problems:
            self.annotate(p.severity, p.message, report.given_path(p.file))

    # -- progress ------------------------------------------------------------------------

    @contextlib.contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[int, int], None] | None]:
        """A byte progress bar on a terminal's stderr; None (no bar) in CI, --json or --quiet."""
        if not self.progress_ok:
            yield None
            return
        from rich.progress import (  # lazy: rich
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
            console=self.console(stderr=True),
        ) as bar:
            task = bar.add_task(description, total=total)

            def update(done: int, total_: int) -> None:
                bar.update(task, completed=done, total=total_)

            yield update


def dump_json(obj: object) -> str:
    """Valid JSON, always: a NaN or an infinity (a service's "x-cost: nan") is written as null,
    which JSON has, never as NaN or Infinity, which it has not. Done on the text, token by
    token, so a value nested however deep costs no recursion; a value nested too deep to be
    written at all is a ServiceError (exit 4), never a crash."""

    try:
        text = json.dumps(obj, indent=2, ensure_ascii=False, default=str)
    except RecursionError:
        raise ServiceError(
            "The service's answer is nested too deeply to be written as JSON."
        ) from None
    if "NaN" not in text and "Infinity" not in text:
        return text
    return _NON_FINITE.sub(lambda m: m.group() if m.group()[0] == '"' else "null", text)


#: A JSON string (left as it is), or a bare NaN or infinity, which only json.dumps writes.
_NON_FINITE = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN')


def _gh_escape(text: str, *, prop: bool = False) -> str:
    """Escape data for a workflow command, as @actions/core does."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


# -- terminal rendering: plain strings and SGR codes, written at once -----------------------

_SGR = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "magenta": "35",
    "bold red": "1;31",
}


def _sgr(text: str, style: str) -> str:
    code = _SGR.get(style)
    return f"\x1b[{code}m{text}\x1b[0m" if code and text else text


#: A column whose every cell (and heading) is at most this many cells wide is never folded: a
#: verdict, a format, an action, a rate stay whole.
SHORT_COLUMN = 12


def draw_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    title: str | None = None,
    colours: dict[str, str] | None = None,
) -> str:
    """A boxed table (Rich's default look: heavy head, light body) fitted to ``width`` cells.
    A cell too wide for its column wraps at its spaces, never inside a word; a short column
    (:data:`SHORT_COLUMN`) never wraps. When even that does not fit, each row is drawn as
    labelled lines instead (:func:`_records`). Drawn directly rather than through a Rich
    Table, whose layout costs about 0.6 ms a row (3 s for 5,000 voices)."""
    from rich.cells import cell_len  # lazy: rich

    def cells(x: str) -> int:
        return len(x) if x.isascii() else cell_len(x)  # ASCII: one cell a character

    colours = colours or {}
    n = len(columns)
    widths = [cells(c) for c in columns]
    sized = [[(x, cells(x)) for x in r] for r in rows]
    for r2 in sized:
        for i, (_, w) in enumerate(r2):
            if w > widths[i]:
                widths[i] = w
    budget = width - (3 * n + 1)
    if sum(widths) > budget:
        # the least each column can be: a short one whole, a longer one its longest word
        least = list(widths)
        for i in range(n):
            if widths[i] > SHORT_COLUMN:
                texts = [columns[i], *(r[i] for r in rows)]
                least[i] = max(cells(w) for x in texts for w in x.split(" "))
        if sum(least) > budget:
            return _records(columns, rows, width, title=title, colours=colours)
        while sum(widths) > budget:  # narrow the widest column that can give a cell
            i = max(range(n), key=lambda k: widths[k] if widths[k] > least[k] else -1)
            widths[i] -= max(1, min(widths[i] - least[i], sum(widths) - budget) // 2)

    def rule(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def row(r: list[tuple[str, int]], bar: str, style: Callable[[str], str]) -> list[str]:
        if all(w <= widths[i] for i, (_, w) in enumerate(r)):  # the usual case: one line
            return [
                bar
                + "".join(
                    f" {style(x) if x else ''}{' ' * (widths[i] - w)} {bar}"
                    for i, (x, w) in enumerate(r)
                )
            ]
        parts = [_wrap(x, widths[i]) if w > widths[i] else [x] for i, (x, w) in enumerate(r)]
        out = []
        for k in range(max(len(p) for p in parts)):
            line = bar
            for i, p in enumerate(parts):
                x = p[k] if k < len(p) else ""
                line += f" {style(x) if x else ''}{' ' * (widths[i] - cells(x))} {bar}"
            out.append(line)
        return out

    lines = []
    if title:
        lines.append(_sgr(one_line(title), "bold"))
    lines.append(rule("┏", "━", "┳", "┓"))
    lines += row([(c, cells(c)) for c in columns], "┃", lambda x: _sgr(x, "bold"))
    lines.append(rule("┡", "━", "╇", "┩"))
    plain = not colours
    for r2 in sized:
        lines += row(r2, "│", str if plain else lambda x: _sgr(x, colours.get(x, "")))
    lines.append(rule("└", "─", "┴", "┘"))
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken at spaces (its indent kept); a word
    wider than the whole width (only in a terminal too narrow for it) is the one thing cut."""
    from rich.cells import cell_len, chop_cells  # lazy: rich

    body = text.lstrip(" ")
    indent = text[: len(text) - len(body)]
    lines: list[str] = []
    line, used = "", -1  # -1: nothing on the line yet
    for word in body.split(" "):
        size = cell_len(word)
        if used >= 0 and used + 1 + size <= width:
            line, used = f"{line} {word}", used + 1 + size
            continue
        if used >= 0:
            lines.append(line)
        elif indent and len(indent) + size <= width:
            word, size = indent + word, len(indent) + size
        if size > width:
            *whole, word = chop_cells(word, width) or [""]
            lines += whole
            size = cell_len(word)
        line, used = word, size
    lines.append(line)
    return lines


def _records(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    title: str | None,
    colours: dict[str, str],
) -> str:
    """A table too wide for the terminal, as one record a row: each cell on a line of its own
    after its column's name, a long one wrapped at its spaces under itself; a blank line
    between rows."""
    labels = [f"{c}:" for c in columns]
    pad = max(len(x) for x in labels) + 1
    if width - pad < 16:  # too narrow even for that: values under their labels, indented
        pad = 2
    lines = [_sgr(one_line(title), "bold")] if title else []
    for k, r in enumerate(rows):
        if k:
            lines.append("")
        for label, x in zip(labels, r, strict=False):
            style = colours.get(x, "")
            wrapped = _wrap(x, max(1, width - pad)) if x else [""]
            head = _sgr(label, "bold")
            if pad == 2:
                lines.append(head)
                lines += [f"  {_sgr(v, style)}" for v in wrapped]
                continue
            first, *rest = wrapped
            gap = " " * (pad - len(label))
            lines.append(f"{head}{gap}{_sgr(first, style)}".rstrip())
            lines += [" " * pad + _sgr(v, style) for v in rest]
    return "\n".join(lines) + "\n"


def _level_strips(report: Report, columns: int) -> list[str]:
    """One line per file: loudness over time; silence dotted, clipping red. Each line fits in
    ``columns`` (the terminal's width): the strip narrows to what the name and the level
    leave it (down to 10 characters; a line is never wrapped by the terminal above that)."""
    from ..audio.quality import STRIP_WIDTH, level_strip  # lazy: start-up (voices list)

    width = max(len(one_line(f.given.name)) for f in report.files)
    summaries = {
        f.path: _level_summary(q) for f in report.files if (q := report.quality.get(f.path))
    }
    room = columns - width - 2 - max(map(len, summaries.values()), default=0) - 1
    strip_width = max(10, min(STRIP_WIDTH, room))
    lines = []
    for f in report.files:
        q = report.quality.get(f.path)
        if q is None:
            continue
        strip = _runs(level_strip(q, strip_width))
        summary = summaries[f.path]
        name = _sgr(one_line(f.given.name).ljust(width) + "  ", "bold")
        lines.append(name + strip + _sgr(summary, "dim"))
    return lines


def _level_summary(q: Quality) -> str:
    """Beside a take's picture: its speech level and signal-to-noise, or (no speech found) its
    peak, never the -200 dBFS that stands for no level."""
    if q.speech_seconds <= 0 or q.speech_level_dbfs <= -200.0:
        return f"  no speech, peak {q.peak_dbfs:.0f} dBFS"
    return f"  {q.speech_level_dbfs:.0f} dBFS, SNR {q.snr_db:.0f} dB"


#: The waveform's marks line: (character, style, legend) for each kind of place, in priority.
_MARKS = {
    "clipped": ("▲", "bold red", "clipped"),
    "quiet": ("~", "yellow", "too quiet"),
    "edge": ("╌", "dim", "edge silence"),
    "kept": ("━", "magenta", "prepare keeps"),
}


def _waveform(report: Report, width: int) -> list[str]:
    """One take as a waveform in the terminal's width: speech green, pauses dotted, clipping
    red, too-quiet speech yellow; under it, where the faults sit and the window prepare would
    keep, then a legend. Drawn from the take's Timeline, as the --report page is."""
    from ..audio.quality import SPARK  # lazy: start-up (voices list)

    f = report.files[0]
    q = report.quality.get(f.path)
    tl = q.timeline if q is not None else None
    if q is None or tl is None or not tl.columns:
        return _level_strips(report, width)
    name = one_line(f.given.name)  # as the user gave it, not the temporary WAV sent
    summary = _level_summary(q)
    room = width - len(summary) - 1
    pad = len(name) + 2
    if room - pad < 24:  # too narrow beside the name: the name on its own line
        head, pad = [_sgr(name, "bold")], 0
    else:
        head = []
    cells = tl.cells(max(8, min(240, room - pad)))

    top = max((c.peak for c in cells), default=0.0)
    wave: list[tuple[str, str]] = []
    marks: list[tuple[str, str]] = []
    seen: set[str] = set()
    for c in cells:
        rel = 20 * math.log10(c.peak / top) if c.peak > 0 and top > 0 else -200.0
        level = max(0, min(8, round((rel + 48) / 6)))
        if c.kind == "clipped":
            wave.append(("█", "bold red"))
        elif c.kind in ("speech", "quiet") and level:
            wave.append((SPARK[level], "yellow" if c.kind == "quiet" else "green"))
        else:
            wave.append(("·" if level < 2 else SPARK[level], "dim"))
        kind = next(
            (
                k
                for k, on in (
                    ("clipped", c.kind == "clipped"),
                    ("quiet", c.kind == "quiet"),
                    ("edge", c.edge),
                    ("kept", c.kept),
                )
                if on
            ),
            "",
        )
        if kind:
            seen.add(kind)
            marks.append(_MARKS[kind][:2])
        else:
            marks.append((" ", ""))
    legend = [(_sgr("speech", "green"), 6)]
    for k, (ch, style, label) in _MARKS.items():
        if k in seen:
            if k == "kept" and tl.window is not None:
                label += f" {tl.window[0]:.1f}-{tl.window[1]:.1f} s"
            legend.append((f"{_sgr(ch, style)} {label}", len(label) + 2))
    length = f"(the take: {tl.seconds:.1f} s)"  # not "speech (12.0 s)": speech is the colour
    legend.append((_sgr(length, "dim"), len(length)))
    indent = " " * pad
    first = (_sgr(name.ljust(pad - 2) + "  ", "bold") if pad else "") + _runs(wave)
    out = [*head, first + _sgr(summary, "dim"), indent + _runs(marks).rstrip()]
    line, used = "", 0  # the legend, folded to the width
    for text, size in legend:
        if used and pad + used + 2 + size > width:
            out.append(indent + line)
            line, used = "", 0
        line += ("  " if used else "") + text
        used += (2 if used else 0) + size
    return [*out, indent + line]


def _runs(chars: list[tuple[str, str]]) -> str:
    """Characters with styles, neighbours of one style coloured once."""
    runs: list[tuple[str, str]] = []
    for ch, style in chars:
        if runs and runs[-1][1] == style:
            runs[-1] = (runs[-1][0] + ch, style)
        else:
            runs.append((ch, style))
    return "".join(_sgr(text, style) for text, style in runs)

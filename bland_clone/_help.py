"""Every ``--help`` without Typer: the help Typer would print, made from what it recorded.

``python -m bland_clone._docs`` asks Typer for the help of every command of the registry, at
every width Click lays help out at (50 to 98 columns), and records the calls Click's help
formatter received: usage lines, headings, paragraphs of text, definition lists
(bland_clone/_helpdata.py). Here those calls are replayed by a formatter that wraps text as
Click's does (after click/formatting.py and click/_textwrap.py, BSD-3-Clause), at the width
Click would pick for this terminal. A test compares the two for every command at every width;
anything the recording does not cover (an unknown command, other arguments, a width the
generator could not reproduce) returns None and Typer prints the help itself.

Imports nothing but the standard library (textwrap only when a help is printed).
"""

from __future__ import annotations

import os
import sys
import textwrap

from ._helpdata import HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    #: One formatter call: ("w", text) write, ("i",) indent, ("d",) dedent, ("h", heading),
    #: ("p",) paragraph break, ("t", text) wrapped text, ("u", prog, args, prefix) usage,
    #: ("l", rows, col_max, col_spacing) definition list.
    Op = tuple[object, ...]

HELP_FLAGS = ("--help", "-h")
#: The widths Click formats help at: the terminal's columns less 2, clamped to 50..98 (the
#: app's max_content_width is 100: bland_clone/cli/app.py).
MIN_WIDTH, MAX_WIDTH = 50, 98
#: Typer answers shell completion instead of the command line when this is set.
COMPLETE_VAR = "_BLAND_CLONE_COMPLETE"


def terminal_columns() -> int:
    """The columns shutil.get_terminal_size() reports (Click asks it), without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 80
        columns = columns or 80
    return columns


def formatter_width(columns: int) -> int:
    """Click's HelpFormatter width for a terminal of ``columns`` (max_width 100)."""
    return max(min(columns, MAX_WIDTH + 2) - 2, MIN_WIDTH)


def wrap_text(
    text: str, width: int, initial: str = "", subsequent: str = "", paragraphs: bool = False
) -> str:
    """Click's wrap_text: TextWrapper without whitespace replacement, long words cut where the
    line ends; with ``paragraphs``, blank-line separated paragraphs keep their own indent and a
    paragraph opening with a lone "\\b" line is indented but not re-wrapped."""

    class Wrapper(textwrap.TextWrapper):
        def _handle_long_word(
            self, reversed_chunks: list[str], cur_line: list[str], cur_len: int, width: int
        ) -> None:
            space_left = max(width - cur_len, 1)
            last = reversed_chunks[-1]
            cur_line.append(last[:space_left])
            reversed_chunks[-1] = last[space_left:]

    text = text.expandtabs()
    wrapper = Wrapper(
        width, initial_indent=initial, subsequent_indent=subsequent, replace_whitespace=False
    )
    if not paragraphs:
        return wrapper.fill(text)
    found: list[tuple[int, bool, str]] = []
    buf: list[str] = []
    indent: int | None = None

    def flush() -> None:
        if buf:
            if buf[0].strip() == "\b":
                found.append((indent or 0, True, "\n".join(buf[1:])))
            else:
                found.append((indent or 0, False, " ".join(buf)))
            buf.clear()

    for line in text.splitlines():
        if not line:
            flush()
            indent = None
        else:
            if indent is None:
                stripped = line.lstrip()
                indent = len(line) - len(stripped)
                line = stripped
            buf.append(line)
    flush()
    out = []
    for extra, raw, par in found:
        wrapper.initial_indent = initial + " " * extra
        wrapper.subsequent_indent = subsequent + " " * extra
        if raw:
            out.append(
                "\n".join(
                    (wrapper.subsequent_indent if i else wrapper.initial_indent) + line
                    for i, line in enumerate(par.splitlines())
                )
            )
        else:
            out.append(wrapper.fill(par))
    return "\n\n".join(out)


def render(ops: Sequence[Op], width: int) -> str:
    """Replay recorded formatter calls at ``width``: the text ``ctx.get_help()`` returns, plus
    the newline Click's echo adds."""
    buf: list[str] = []
    cur = 0
    for op in ops:
        kind = op[0]
        if kind == "w":
            buf.append(str(op[1]))
        elif kind == "i":
            cur += 2
        elif kind == "d":
            cur -= 2
        elif kind == "h":
            buf.append(f"{'':>{cur}}{op[1]}:\n")
        elif kind == "p":
            if buf:
                buf.append("\n")
        elif kind == "t":
            buf += [wrap_text(str(op[1]), width, " " * cur, " " * cur, paragraphs=True), "\n"]
        elif kind == "u":
            _usage(buf, cur, width, str(op[1]), str(op[2]), op[3])
        elif kind == "l":
            rows, col_max, spacing = op[1], op[2], op[3]
            assert isinstance(rows, (list, tuple)) and isinstance(col_max, int)
            assert isinstance(spacing, int)
            _definitions(buf, cur, width, rows, col_max, spacing)
        else:
            raise ValueError(f"unknown help operation {kind!r}")
    return "".join(buf).rstrip("\n") + "\n"


def _usage(buf: list[str], cur: int, width: int, prog: str, args: str, prefix: object) -> None:
    prefix = "Usage: " if prefix is None else str(prefix)
    usage_prefix = f"{prefix:>{cur}}{prog} "
    text_width = width - cur
    if text_width >= len(usage_prefix) + 20:
        indent = " " * len(usage_prefix)
        buf.append(wrap_text(args, text_width, usage_prefix, indent))
    else:
        buf += [usage_prefix, "\n"]
        indent = " " * (max(cur, len(prefix)) + 4)
        buf.append(wrap_text(args, text_width, indent, indent))
    buf.append("\n")


def _definitions(
    buf: list[str],
    cur: int,
    width: int,
    rows: Sequence[Sequence[str]],
    col_max: int,
    spacing: int,
) -> None:
    first_width = max((len(r[0]) for r in rows), default=0)
    first_col = min(first_width, col_max) + spacing
    for row in rows:
        first, second = row[0], (row[1] if len(row) > 1 else "")
        buf.append(f"{'':>{cur}}{first}")
        if not second:
            buf.append("\n")
            continue
        if len(first) <= first_col - spacing:
            buf.append(" " * (first_col - len(first)))
        else:
            buf += ["\n", " " * (first_col + cur)]
        lines = wrap_text(second, max(width - first_col - 2, 10), paragraphs=True).splitlines()
        if lines:
            buf.append(f"{lines[0]}\n")
            buf += [f"{'':>{first_col + cur}}{line}\n" for line in lines[1:]]
        else:
            buf.append("\n")


def lookup(args: Sequence[str]) -> tuple[str, bool] | None:
    """The help ``args`` ask for, as (its text, whether it goes to stderr as a usage error),
    or None where Typer must answer: ``COMMAND... --help``, and a bare group (the root
    included), which Click answers with its help on stderr and exit code 2."""
    if os.environ.get(COMPLETE_VAR):
        return None
    if args and args[-1] in HELP_FLAGS:
        words, bare = args[:-1], False
    elif len(args) <= 1:
        words, bare = args, True
    else:
        return None
    if any(w.startswith("-") for w in words):
        return None

    raw = HELP.get(" ".join(words))
    if raw is None:
        return None
    head, *variants = raw.split(VARIANTS)
    has_bare, widths = head.split(FIELDS)
    if bare and has_bare != "1":
        return None
    width = formatter_width(terminal_columns())
    i = int(widths.split(",")[width - MIN_WIDTH])
    if i < 0:
        return None
    return render(decode(variants[i]), width), bare


# bland_clone/_helpdata.py holds, a command, one string (parsed without importing json, which
# costs more than the rest of a help): "<1 if a bare invocation prints it, else 0>FIELDS<the
# recording for each width, comma-separated>" then VARIANTS and each recording: its calls
# joined by CALLS, a call's fields by FIELDS, a definition list's rows by ROWS and its two
# cells by CELLS. The generator refuses help text holding any of these characters.
VARIANTS, CALLS, FIELDS, ROWS, CELLS = "\x1c", "\x1d", "\x1e", "\x1f", "\x07"
SEPARATORS = (VARIANTS, CALLS, FIELDS, ROWS, CELLS)


def encode(ops: Sequence[Op]) -> str:
    """One recording as text: the inverse of :func:`decode`."""
    calls = []
    for op in ops:
        kind, *rest = op
        if kind == "l":
            rows, col_max, spacing = rest
            assert isinstance(rows, (list, tuple))
            cells = ROWS.join(CELLS.join(row) for row in rows)
            calls.append(FIELDS.join([kind, cells, str(col_max), str(spacing)]))
        elif kind == "u":
            calls.append(FIELDS.join([kind, *(str(f) for f in rest if f is not None)]))
        else:
            calls.append(FIELDS.join([str(kind), *map(str, rest)]))
    return CALLS.join(calls)


def decode(text: str) -> list[Op]:
    ops: list[Op] = []
    for call in text.split(CALLS):
        kind, *rest = call.split(FIELDS)
        if kind == "l":
            rows = tuple(tuple(r.split(CELLS)) for r in rest[0].split(ROWS)) if rest[0] else ()
            ops.append((kind, rows, int(rest[1]), int(rest[2])))
        elif kind == "u":
            ops.append((kind, rest[0], rest[1], rest[2] if len(rest) > 2 else None))
        else:
            ops.append((kind, *rest))
    return ops


def show(args: Sequence[str]) -> int | None:
    """Print the help ``args`` ask for as Typer would and return the exit code; None when the
    recording does not cover it."""
    found = lookup(args)
    if found is None:
        return None
    text, bare = found
    stream = sys.stderr if bare else sys.stdout
    if stream is None:  # started with the descriptor closed: Click's echo knows what to do
        return None
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if not text.isascii() and encoding != "utf8":
        return None  # Click's echo mends streams that cannot encode it; let it
    stream.write(text)  # a BrokenPipeError is the caller's, as on Typer's path
    stream.flush()
    return 2 if bare else 0

"""Keep the command reference and the exit-code tables generated from the code, so they cannot
drift.

``python -m bland_clone._docs`` rewrites the parts of the pages in ``PAGES`` between the
markers: every command's ``--help`` (the commands of bland_clone.cli.app.COMMANDS, in
docs/reference.md) and the exit-code table (EXIT_CODES, in README.md and docs/scripting.md);
a test fails when a page is stale.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any

from .__main__ import main as cli_main
from ._help import FIELDS, MAX_WIDTH, MIN_WIDTH, SEPARATORS, VARIANTS, decode, encode
from ._help import render as render_help

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

BEGIN = "<!-- BEGIN GENERATED HELP: python -m bland_clone._docs -->"
END = "<!-- END GENERATED HELP -->"

EXIT_BEGIN = "<!-- BEGIN GENERATED EXIT CODES: python -m bland_clone._docs -->"
EXIT_END = "<!-- END GENERATED EXIT CODES -->"


def commands() -> list[list[str]]:
    """Every command of the registry (bland_clone.cli.app.COMMANDS), in its order; a group
    (voices, samples, config) with each of its subcommands."""
    import typer  # lazy: typer (outside the CLI)

    from .cli.app import COMMANDS, build_app  # lazy: pulls in typer

    root = typer.main.get_command(build_app(full=True))
    out: list[list[str]] = [[]]
    for name, *_ in COMMANDS:
        out.append([name])
        group = getattr(root, "commands", {})[name]
        out += [[name, sub] for sub in getattr(group, "commands", {})]
    return out


def run(argv: list[str], columns: int, *, fast: bool = False) -> tuple[int, str, str]:
    """The exit code, stdout and stderr of ``bland-clone ARGV`` at ``columns``: through Typer,
    or with ``fast`` as a user's run goes (the recorded help where it serves)."""

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(argv, fast=fast)
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return code, out.getvalue(), err.getvalue()


def help_text(argv: list[str], columns: int = 100) -> str:
    return run([*argv, "--help"], columns)[1].rstrip() + "\n"


def section() -> str:
    parts = [BEGIN, ""]
    for argv in commands():
        title = " ".join(["bland-clone", *argv])
        parts += [f"### `{title}`", "", "```text", help_text(argv).rstrip(), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def exit_codes() -> str:
    from .cli.app import EXIT_CODES  # lazy: pulls in typer

    rows = [f"| {code} | {meaning} |" for code, meaning in EXIT_CODES.items()]
    return "\n".join([EXIT_BEGIN, "", "| code | meaning |", "|---|---|", *rows, "", EXIT_END])


ROOT = Path(__file__).resolve().parents[1]

#: The pages that hold generated parts, relative to the repository's root.
PAGES = ("README.md", "docs/reference.md", "docs/scripting.md")


def render(page: str) -> str:
    """``page`` with each generated part it holds (between its markers) made anew."""
    for begin, end, make in ((BEGIN, END, section), (EXIT_BEGIN, EXIT_END, exit_codes)):
        if begin in page:
            start, stop = page.index(begin), page.index(end) + len(end)
            page = page[:start] + make() + page[stop:]
    return page


HELP_DATA = Path(__file__).resolve().parent / "_helpdata.py"


@contextlib.contextmanager
def _recording() -> Iterator[list[Any]]:
    """While open, every help formatter Click makes records the calls it receives (the
    primitives of bland_clone._help.render); the formatters made are listed in the yield."""
    import typer  # lazy: typer (outside the CLI)

    base: Any = next(k for k in typer.Context.__mro__ if "formatter_class" in vars(k))
    original = base.formatter_class
    made: list[Any] = []

    class Recorder(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.ops: list[tuple[object, ...]] = []
            self.depth = 0
            made.append(self)

        def _call(
            self, op: tuple[object, ...], method: Callable[..., object], *args: object
        ) -> None:
            if self.depth == 0:  # a call made by the command, not by the formatter itself
                self.ops.append(op)
            self.depth += 1
            try:
                method(*args)
            finally:
                self.depth -= 1

        def write(self, string: str) -> None:
            self._call(("w", string), super().write, string)

        def indent(self) -> None:
            self._call(("i",), super().indent)

        def dedent(self) -> None:
            self._call(("d",), super().dedent)

        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            self._call(("u", prog, args, prefix), super().write_usage, prog, args, prefix)

        def write_heading(self, heading: str) -> None:
            self._call(("h", heading), super().write_heading, heading)

        def write_paragraph(self) -> None:
            self._call(("p",), super().write_paragraph)

        def write_text(self, text: str) -> None:
            self._call(("t", text), super().write_text, text)

        def write_dl(
            self, rows: Iterable[Iterable[str]], col_max: int = 30, col_spacing: int = 2
        ) -> None:
            rows = tuple(tuple(r) for r in rows)
            self._call(
                ("l", rows, col_max, col_spacing), super().write_dl, rows, col_max, col_spacing
            )

    base.formatter_class = Recorder
    try:
        yield made
    finally:
        base.formatter_class = original


def help_entries() -> dict[str, str]:
    """For every command of the registry: whether a bare invocation prints its help (on stderr,
    exit 2), the distinct recordings of its help, and which recording serves each width from
    _help.MIN_WIDTH to MAX_WIDTH (-1: none reproduces Typer's text there; Typer answers)."""
    import typer  # lazy: typer (outside the CLI)

    from .cli.app import build_app  # lazy: pulls in typer

    root = typer.main.get_command(build_app(full=True))
    entries: dict[str, str] = {}
    for argv in commands():
        node: Any = root
        for word in argv:
            node = node.commands[word]
        variants: dict[tuple[tuple[object, ...], ...], int] = {}
        index: list[int] = []
        widest = ""
        for width in range(MIN_WIDTH, MAX_WIDTH + 1):
            with _recording() as made:
                code, out, err = run([*argv, "--help"], width + 2)
            ops = tuple(made[0].ops) if len(made) == 1 else ()
            if (
                code != 0
                or err
                or made[0].width != width
                or made[0].indent_increment != 2
                or any(c in text for text in _strings(ops) for c in ("\x1b", *SEPARATORS))
                or render_help(decode(encode(ops)), width) != out
            ):
                index.append(-1)
                print(f"  help of {argv} at {width} columns is left to Typer", file=sys.stderr)
                continue
            index.append(variants.setdefault(ops, len(variants)))
            widest = out
        bare = bool(getattr(node, "no_args_is_help", False)) and index[-1] >= 0
        bare = bare and run(argv, MAX_WIDTH + 2) == (2, "", widest)
        entries[" ".join(argv)] = _help_entry(bare, list(variants), index)
    return entries


def _strings(value: object) -> Iterator[str]:
    """Every string in a recording (an escape sequence or a separator in one: left to Typer)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _help_entry(
    bare: bool, variants: list[tuple[tuple[object, ...], ...]], index: list[int]
) -> str:
    """One command's line of bland_clone/_helpdata.py (its format: bland_clone._help)."""

    head = FIELDS.join(["1" if bare else "0", ",".join(map(str, index))])
    return VARIANTS.join([head, *map(encode, variants)])


def help_module() -> str:
    """bland_clone/_helpdata.py: every command's help as recorded formatter calls."""
    lines = [
        '"""Generated by python -m bland_clone._docs: every help, as the calls Click\'s help',
        "formatter received, one string a command (its format: bland_clone._help): only the",
        "one asked for is parsed, and the module compiles fast where no .pyc is kept. Do not edit.",
        '"""',
        "",
        "HELP = {",
    ]
    for key, entry in help_entries().items():
        lines.append(f"    {key!r}: {entry!r},")
    return "\n".join([*lines, "}", ""])


def main() -> int:
    for name in PAGES:
        path = ROOT / name
        path.write_text(render(path.read_text()))
        print(f"updated {path}")
    HELP_DATA.write_text(help_module())
    print(f"updated {HELP_DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

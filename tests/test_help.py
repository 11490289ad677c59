"""Every --help is printed without Typer, and is byte for byte what Typer prints.

bland_clone/_helpdata.py is generated from the registry (python -m bland_clone._docs): when a
command or an option is added, the staleness test below fails until it is regenerated.
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from bland_clone import _help
from bland_clone._docs import commands, help_module, run

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = commands()
#: The root and the groups (voices, samples, config): the commands with subcommands.
GROUPS = [a for a in COMMANDS if any(len(b) > len(a) and b[: len(a)] == a for b in COMMANDS)]
#: Below, at and above each of Click's limits (50 and 98 columns of text, 2 of margin).
WIDTHS = [1, 20, 51, 52, 53, 60, 67, 79, 80, 81, 99, 100, 101, 300]


def test_generated_help_is_current() -> None:
    text = (ROOT / "bland_clone" / "_helpdata.py").read_text()
    assert text == help_module(), "the help is stale: run python -m bland_clone._docs"


def test_every_command_is_served_at_every_width(monkeypatch: pytest.MonkeyPatch) -> None:
    for columns in range(_help.MIN_WIDTH + 2, _help.MAX_WIDTH + 3):
        monkeypatch.setenv("COLUMNS", str(columns))
        for argv in COMMANDS:
            assert _help.lookup([*argv, "--help"]) is not None, (argv, columns)


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a) or "root")
def test_help_is_typers_at_every_width(argv: list[str]) -> None:
    for columns in WIDTHS:
        typer = run([*argv, "--help"], columns)
        assert typer[0] == 0 and typer[1]
        assert run([*argv, "--help"], columns, fast=True) == typer, columns
    for columns in (53, 80):
        assert run([*argv, "-h"], columns, fast=True) == run([*argv, "-h"], columns)


@pytest.mark.parametrize("argv", GROUPS, ids=lambda a: " ".join(a) or "root")
def test_bare_group_is_typers_usage_error(argv: list[str]) -> None:
    """`bland-clone` and `bland-clone voices`: the help on stderr, exit code 2."""
    assert len(GROUPS) >= 4
    for columns in (20, 60, 80, 120):
        typer = run(argv, columns)
        assert typer[0] == 2 and typer[1] == "" and typer[2].startswith("Usage: ")
        assert run(argv, columns, fast=True) == typer


def test_what_the_recording_does_not_cover_is_left_to_typer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for argv in (
        ["nosuch", "--help"],  # Typer's "No such command"
        ["validate", "--json", "--help"],
        ["--help", "validate"],
        ["validate"],  # a missing argument, not a help
        ["validate", "--", "--help"],
    ):
        assert _help.lookup(argv) is None, argv
        assert run(argv, 80, fast=True) == run(argv, 80)
    monkeypatch.setenv(_help.COMPLETE_VAR, "bash_complete")  # Typer completes instead
    assert _help.lookup([]) is None


def test_help_imports_neither_typer_nor_the_commands() -> None:
    code = (
        "import sys\nfrom bland_clone.__main__ import main\n"
        "main(['voices', 'list', '--help']); main(['--help'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('typer', 'rich', 'click', 'numpy', 'requests') or m.startswith('bland_clone.cli')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[-1] == "[]"


def _on_terminal(args: list[str], columns: int) -> bytes:
    """The bytes `python -c ... ARGS` shows on a terminal `columns` wide (no COLUMNS set)."""
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom bland_clone.__main__ import run\nrun()", *args],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=30)
    os.close(primary)
    return seen + f"\nexit {proc.returncode}".encode()


@pytest.mark.parametrize("columns", [58, 200])
def test_width_comes_from_the_terminal(columns: int) -> None:
    seen = _on_terminal(["clone", "--help"], columns)
    expected = run(["clone", "--help"], columns)[1].replace("\n", "\r\n").encode()
    assert seen == expected + b"\nexit 0"
    bare = run([], columns)[2].replace("\n", "\r\n").encode()
    assert _on_terminal([], columns) == bare + b"\nexit 2"


def test_help_with_stdout_closed_is_typers() -> None:
    """Started with descriptor 1 closed (`bland-clone --help >&-`): no traceback, exit 0."""
    proc = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom bland_clone.__main__ import run\nrun()", "-h"],
        preexec_fn=lambda: os.close(1),
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")


@pytest.mark.parametrize("columns", [100, 120, 200])
def test_help_uses_a_wide_terminal_up_to_100_columns(columns: int) -> None:
    """Click alone stops at 80 columns; the help follows a wider terminal up to 100, where
    prose is still read in one sweep (Rich's help, Typer's default, takes the whole width)."""
    code, out, _ = run(["clone", "--help"], columns, fast=True)
    assert code == 0
    assert max(len(x) for x in out.splitlines()) <= min(columns, 100)
    example = 'bland-clone clone --name "Narrator" sample.wav --preview "Hello." -o hello.wav'
    assert f"    {example}\n" in out  # one line, not cut at 78
    assert max(len(x) for x in out.splitlines()) > 80

"""Tables on a real terminal of 60 and 100 columns: a cell's words wrap at spaces and are never
cut in the middle; a table that cannot fit is drawn as labelled records."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .audiofiles import write_wav
from .manifests import manifest
from .ptys import run_on_tty, service_env
from .servers import Service

_SGR = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _plain(args: list[str], env: dict[str, str], cwd: Path | None = None) -> list[list[str]]:
    """The table's cells off a terminal (tab-separated), header row included."""
    proc = subprocess.run(
        [sys.executable, "-m", "bland_clone", *args],
        capture_output=True,
        text=True,
        env=dict(env, NO_COLOR="1"),
        cwd=cwd,
    )
    return [x.split("\t") for x in proc.stdout.splitlines() if "\t" in x]


def _words_whole(cells: list[list[str]], screen: str, width: int) -> None:
    text = _SGR.sub("", screen).replace("\r", "")
    lines = text.splitlines()
    assert lines and max(len(x) for x in lines) <= width, text
    seen = {w.rstrip(":") for w in re.findall(r"[^\s│┃]+", text)}
    words = {w for r in cells for c in r for w in c.split()}
    missing = {w for w in words if w not in seen and w.lower() not in {s.lower() for s in seen}}
    assert not missing, f"split or missing: {missing}\n{text}"


@pytest.mark.parametrize("columns", [60, 100])
def test_validate_table_never_cuts_a_word(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    monkeypatch.chdir(tmp_path)  # the file as a user names it: voice.wav
    wav = Path("voice.wav")
    write_wav(wav, 2.0)  # too short: a warning, whose line is wrapped at spaces too
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLAND_", "NO_COLOR"))}
    env.update(TERM="xterm-256color", COLUMNS=str(columns))
    cells = _plain(["validate", "--no-quality", str(wav)], env)
    assert cells and cells[0][0] == "FILE"
    cells[0] = [c.title() for c in cells[0]]
    code, screen = run_on_tty(["validate", "--no-quality", str(wav)], env)
    assert code in (0, 1), screen
    _words_whole(cells, screen, columns)
    assert "Forma\n" not in screen and "voice\n" not in screen
    said = " ".join(_SGR.sub("", screen).split())
    assert 'warning: File "voice.wav" is 2.0s long; 10-15 seconds of clear speech' in said


@pytest.mark.parametrize("columns", [60, 100])
def test_plan_table_never_cuts_a_word(tmp_path: Path, service: Service, columns: int) -> None:
    m = manifest(tmp_path)
    env = dict(service_env(service), COLUMNS=str(columns))
    cells = _plain(["plan", str(m)], env)
    assert any("Legacy Narrator" in r for r in cells), cells  # a voice in neither file
    cells[0] = [c.capitalize() for c in cells[0]]
    code, screen = run_on_tty(["plan", str(m)], env)
    assert code == 0, screen
    _words_whole(cells, screen, columns)
    for voice in service.voices_named("Legacy Narrator"):
        assert voice.id in _SGR.sub("", screen)  # an id on one line


def test_a_long_message_wraps_at_spaces_on_a_terminal() -> None:
    from bland_clone.cli.output import _wrap

    said = "Asking the service for 3 preview(s), charged: one of 'Narrator' and 2 of stock"
    said += " voices ('Josh', 'Maya')."
    lines = _wrap(said, 100 - 8)
    assert lines[-1].endswith("('Josh', 'Maya').") and all(len(x) <= 92 for x in lines)
    assert _wrap("abcdefgh", 3) == ["abc", "def", "gh"]  # only a word wider than the line
    assert _wrap("  an indented line", 12) == ["  an", "indented", "line"]  # its indent kept


def test_a_result_table_at_100_columns_wraps_its_detail_at_spaces() -> None:
    """apply's result table: a long detail beside a voice id wraps at its spaces; the short
    columns (the result) stay whole."""
    from bland_clone.cli.output import draw_table

    detail = (
        "The samples hold no voice the service could hear: more than one person speaking "
        "in samples/a.wav, or none at all; record one person speaking"
    )
    rows = [
        ["Legacy Narrator", "create", "failed", "4b1c1b9e-2a3f-4c55-9a0e-1d2f3a4b5c6d", detail],
        ["Alpha", "unchanged", "ok", "-", ""],
    ]
    columns = ["Name", "Action", "Result", "Voice id", "Detail"]
    text = _SGR.sub("", draw_table(columns, rows, 100))
    lines = text.splitlines()
    assert all(len(x) <= 100 for x in lines) and len({len(x) for x in lines}) == 1
    words = set(re.findall(r"[^\s│┃]+", text))
    assert {w for r in rows for c in r for w in c.split()} <= words, text
    assert {"unchanged", "failed", rows[0][3]} <= words

    narrow = draw_table(columns, rows, 60, colours={"failed": "red"})  # labelled records
    assert "Voice id: 4b1c1b9e-2a3f-4c55-9a0e-1d2f3a4b5c6d" in _SGR.sub("", narrow)
    assert all(len(_SGR.sub("", x)) <= 60 for x in narrow.splitlines())
    assert {w for r in rows for c in r for w in c.split()} <= set(_SGR.sub("", narrow).split())


def test_a_long_line_on_a_terminal_is_wrapped_at_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    """clone --verify's 'Asking ... ('Josh', 'Maya').' at 100 columns: folded by us at a
    space, not by the terminal inside the last word; off a terminal it stays one line."""
    import io

    from bland_clone.cli.environment import Environment
    from bland_clone.cli.output import Output

    monkeypatch.setenv("COLUMNS", "100")
    said = (
        "Asking the service for 3 preview(s), charged: one of 'A fairly long voice name' "
        "and 2 of stock voices ('Josh', 'Maya')."
    )
    for tty in (True, False):
        err = io.StringIO()
        env = Environment(stdin=io.StringIO(), stdout=io.StringIO(), stderr=err)
        Output(Environment(**{**env.__dict__, "stderr_isatty": tty})).info(said)
        lines = err.getvalue().splitlines()
        if tty:
            assert len(lines) == 2 and all(len(x) <= 100 for x in lines)
            assert lines[1].endswith("('Josh', 'Maya').") and " ".join(lines) == said
        else:
            assert lines == [said]


@pytest.mark.parametrize("columns", [60, 100])
def test_level_strips_of_several_takes_fit_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """validate of several takes draws a loudness strip a take: each line (name, strip, level)
    fits the terminal's width; at 60 columns the 60-character strip had wrapped."""
    monkeypatch.chdir(tmp_path)
    takes = [write_wav(Path(f"take-number-{i}.wav"), 4.0) for i in range(2)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLAND_", "NO_COLOR"))}
    env.update(TERM="xterm-256color", COLUMNS=str(columns), XDG_CACHE_HOME=str(tmp_path / "c"))
    code, screen = run_on_tty(["validate", "--each", *map(str, takes)], env)
    assert code in (0, 1), screen
    text = _SGR.sub("", screen).replace("\r", "")
    strips = [x for x in text.splitlines() if x.startswith("take-number-") and "dBFS" in x]
    assert len(strips) == 2, text
    assert max(len(x) for x in text.splitlines()) <= columns, text

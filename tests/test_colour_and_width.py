"""Colour and width on a terminal: NO_COLOR as no-color.org defines it, and a width for a terminal
that reports none."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .ptys import run_on_pty, run_on_tty
from .servers import Service


def test_an_empty_no_color_keeps_colour(sample: Path) -> None:
    env = dict(os.environ, NO_COLOR="", TERM="xterm-256color", COLUMNS="160")
    code, screen = run_on_tty(["validate", str(sample)], env)
    assert code == 0
    assert "\x1b[" in screen and ("│" in screen or "┃" in screen)  # no-color.org: non-empty only


def test_a_terminal_of_0_columns_gets_an_80_column_table(service: Service) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    code, screen, _ = run_on_pty(["-m", "bland_clone", "voices", "list"], env)  # 0 x 0
    assert code == 0, screen
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", x) for x in screen.splitlines()]
    assert any("│ Legacy Narrator " in x for x in lines), screen  # one cell, one line
    assert 60 < max(len(x) for x in lines) <= 80, screen  # the fallback width, not 1

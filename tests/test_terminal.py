"""The CLI as a separate process: on a pseudo-terminal (prompts, colour, tables) and off one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .ptys import run_on_tty
from .ptys import service_env as _env
from .servers import Service


def test_delete_asks_on_a_terminal(service: Service) -> None:
    v = service.state.add_voice("Asked")
    code, screen = run_on_tty(["voices", "delete", "Asked"], _env(service), answer=b"n\n")
    assert f"Delete 1 voice(s): 'Asked' ({v.id})? [y/N]" in screen
    # a "no" is not an error: said plainly, exit 0, as rm -i declined
    assert code == 0 and not v.deleted
    assert "Nothing was deleted." in screen and "error:" not in screen
    code, screen = run_on_tty(["voices", "delete", "Asked"], _env(service), answer=b"y\n")
    assert code == 0 and v.deleted
    assert f"Deleted 'Asked' ({v.id})." in screen


def test_a_terminal_gets_a_table_and_colour(sample: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm-256color", COLUMNS="160")
    code, screen = run_on_tty(["validate", str(sample)], env)
    assert code == 0
    assert "\x1b[" in screen  # colour
    assert "┃" in screen or "│" in screen  # box drawing of a Rich table
    assert "sample.wav" in screen


def test_no_color_on_a_terminal_is_plain(sample: Path) -> None:
    env = dict(os.environ, NO_COLOR="1", TERM="xterm-256color")
    code, screen = run_on_tty(["validate", str(sample)], env)
    assert code == 0
    assert "\x1b[" not in screen and "│" not in screen
    assert "FILE\tFORMAT\tDURATION" in screen


def test_off_a_terminal_nothing_but_plain_text(sample: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bland_clone", "validate", str(sample)],
        capture_output=True,
        text=True,
        env=dict(os.environ, TERM="xterm-256color"),
    )
    assert proc.returncode == 0
    assert "\x1b[" not in proc.stdout + proc.stderr


def test_upload_shows_a_progress_bar_on_a_terminal_only(service: Service, tmp_path: Path) -> None:
    from .audiofiles import write_wav

    big = write_wav(tmp_path / "big.wav", 14.0, 48000, channels=2)  # 2.6 MB
    code, screen = run_on_tty(["clone", "--name", "Progress", str(big)], _env(service))
    assert code == 0, screen
    assert "Uploading 1 file(s)" in screen
    assert "MB" in screen  # bytes done / total
    argv = [sys.executable, "-m", "bland_clone", "clone", "--name", "NoBar", str(big)]
    proc = subprocess.run(argv, capture_output=True, text=True, env=_env(service))
    assert proc.returncode == 0
    assert "Uploading" not in proc.stderr and proc.stderr == ""


def test_a_terminal_shows_a_level_strip_per_file(tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    from .audiofiles import speech_like

    rate = 16000
    x = np.concatenate([np.zeros(rate * 3, np.float32), speech_like(12.0, rate)])
    x[rate * 5 : rate * 5 + 400] = 1.0  # a clipped burst
    p = tmp_path / "strip.wav"
    sf.write(p, x, rate, subtype="PCM_16")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm-256color", COLUMNS="160")
    code, screen = run_on_tty(["validate", str(p)], env)
    assert code == 0, screen
    strip = next(
        line
        for line in screen.splitlines()
        if line.startswith("strip.wav") or "strip.wav  " in line
    )
    assert "·" in strip  # the leading silence
    assert "█" in strip  # the clipped burst (in red)
    assert any(c in strip for c in "▁▂▃▄▅▆▇")  # speech
    assert "dBFS, SNR" in strip


def test_the_sandbox_command_serves_the_cli(sample: Path) -> None:
    """`bland-clone sandbox` as a user runs it: start, read the URL and key it prints, clone."""
    from .servers import closed_port

    port = closed_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bland_clone", "sandbox", "--port", str(port), "--no-log"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first == f"Sandbox of Bland's voice API listening on http://127.0.0.1:{port}\n"
        key_line = server.stdout.readline()
        assert key_line.startswith("API key: sk-sandbox-")
        key = key_line.split(": ", 1)[1].strip()
        assert server.stdout.readline() == (
            f"Try: export BLAND_API_URL=http://127.0.0.1:{port} BLAND_API_KEY={key}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("BLAND_")}
        env.update(BLAND_API_URL=f"http://127.0.0.1:{port}", BLAND_API_KEY=key)
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "bland_clone",
                "clone",
                "--name",
                "Sandboxed",
                str(sample),
                "--json",
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        assert run.returncode == 0, run.stderr
        voice_id = json.loads(run.stdout)["voice_id"]
        listed = subprocess.run(
            [sys.executable, "-m", "bland_clone", "voices", "list", "--cloned", "--json"],
            capture_output=True,
            text=True,
            env=env,
        )
        assert voice_id in {v["id"] for v in json.loads(listed.stdout)["voices"]}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_sandbox_refuses_a_port_in_use() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        port = s.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "bland_clone", "sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        s.close()
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: Cannot listen on 127.0.0.1:{port}: ")


def test_one_take_on_a_terminal_is_a_waveform_with_its_places_marked(tmp_path: Path) -> None:
    """The waveform fills the terminal's width; under it the clipped burst, the edge silence
    and the window prepare would keep, where the analysis found them; off a terminal, none."""
    import re

    import numpy as np
    import soundfile as sf

    from bland_clone.audio import quality
    from bland_clone.audio.inspection import inspect

    from .audiofiles import speech_like

    rate = 16000
    x = np.concatenate([np.zeros(rate * 3, np.float32), speech_like(12.0, rate)])
    x[rate * 9 : rate * 9 + 400] = 1.0  # a clipped burst at 9 s of 15
    p = tmp_path / "wave.wav"
    sf.write(p, x, rate, subtype="PCM_16")
    window = quality.check(inspect(str(p)))[0].timeline.window
    for columns in (80, 140):
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        env.update(TERM="xterm-256color", COLUMNS=str(columns))
        code, screen = run_on_tty(["validate", str(p)], env)
        assert code == 0, screen
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", x) for x in screen.splitlines()]
        i = next(n for n, x in enumerate(lines) if x.startswith("wave.wav  "))
        wave, marks = lines[i], lines[i + 1]
        legend = "\n".join(x for x in lines[i + 2 : i + 4] if not x.startswith("warning"))
        assert all(len(x) <= columns for x in (wave, marks, *legend.splitlines()))
        assert len(wave) >= columns - 2  # in the width it has
        start = len("wave.wav  ")
        cells = wave[start : wave.index("  ", start)]
        assert "█" in cells and "·" in cells  # the burst, the silent start
        at = marks.index("▲") - start  # the clipped place, at 9/15 of the width
        assert abs(at / len(cells) - 9 / 15) < 1.5 / len(cells)
        assert marks[start : start + len(cells) // 6].strip("╌") == ""  # the silent start
        kept = [n - start for n, c in enumerate(marks) if c in "━▲"]
        assert kept[0] / len(cells) == pytest.approx(window[0] / 15, abs=1.5 / len(cells))
        assert "prepare keeps" in legend and "clipped" in legend and "edge silence" in legend
    proc = subprocess.run(
        [sys.executable, "-m", "bland_clone", "validate", str(p)],
        capture_output=True,
        text=True,
        env=dict(os.environ, TERM="xterm-256color"),
    )
    assert proc.returncode == 0
    assert "━" not in proc.stdout and "prepare keeps" not in proc.stdout + proc.stderr


def test_voices_show_is_a_listing_on_a_terminal_and_tab_separated_off_one(
    cli, service: Service
) -> None:
    """On a terminal: each value in one column after its label, no tabs. Off one (a pipe,
    NO_COLOR): 'Label:<TAB>value' lines, the stable form docs/scripting.md names."""
    import re

    voice = service.voices_named("Legacy Narrator")[0]
    env = dict(_env(service), TERM="xterm-256color", COLUMNS="120")
    env.pop("NO_COLOR", None)
    code, screen = run_on_tty(["voices", "show", "Legacy Narrator"], env)
    assert code == 0
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", x) for x in screen.splitlines()]
    fields = [x for x in lines if x.startswith(("Id:", "Name:", "Engine:", "Description:"))]
    assert len(fields) == 4 and not any("\t" in x for x in fields), fields
    assert len({x.index(x.split(":", 1)[1].strip()) for x in fields}) == 1, fields  # one column
    assert f"Id:          {voice.id}" in lines
    r = cli("voices", "show", "Legacy Narrator")
    assert f"Id:\t{voice.id}\n" in r.out and "Name:\tLegacy Narrator\n" in r.out

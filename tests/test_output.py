"""What a person sees of large outputs: tables on a terminal, verdicts per file, one output per run."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .audiofiles import write_wav
from .ptys import run_on_pty
from .servers import Service


def on_tty(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """``python -m bland_clone ARGS`` with stdout and stderr on a pseudo-terminal."""
    code, screen, _ = run_on_pty(["-m", "bland_clone", *args], env, stdin=False, timeout=timeout)
    return code, screen.replace("\r\n", "\n")


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _env(columns: int, service: Service | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLAND_", "NO_COLOR"))}
    env.update(TERM="xterm-256color", COLUMNS=str(columns))
    if service is not None:
        env.update(BLAND_API_URL=service.url, BLAND_API_KEY=service.key)
    return env


def test_a_long_voice_list_on_a_terminal_is_a_whole_boxed_table(service: Service) -> None:
    voices = [service.state.add_voice(f"Voz {i:03d} ñandú") for i in range(300)]
    code, screen = on_tty(["voices", "list", "--cloned"], _env(160, service))
    assert code == 0, screen
    plain = ANSI.sub("", screen)
    rows = [line for line in plain.splitlines() if line.startswith("│")]
    assert len([r for r in rows if "Voz " in r]) == 300  # one line each: none folded at 160
    for v in voices:  # each voice's id and name on its own row, in the table's frame
        assert any(v.id in r and v.name in r and r.endswith("│") for r in rows), v.name
    assert plain.splitlines()[0].startswith("┏") and "┃ Id" in plain
    assert "\x1b[1mId\x1b[0m" in screen  # the heading in bold


def test_a_narrow_terminal_folds_cells_inside_its_width(service: Service) -> None:
    """At 100 columns the table folds the long name at its spaces, every row of the frame
    lined up; at 60, where the id (36 cells) leaves too little room for the rest, each voice
    is a record of labelled lines: no word and no id is cut either way."""
    v = service.state.add_voice("A name long enough to need folding on a narrow terminal")
    code, screen = on_tty(["voices", "list", "--cloned"], _env(100, service))
    assert code == 0, screen
    lines = [ANSI.sub("", line) for line in screen.splitlines() if line.strip()]
    table = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert table and all(len(line) <= 100 for line in table)
    assert len({len(line) for line in table}) == 1  # every row of the frame lines up
    body = [line for line in table if line.startswith("│")]
    at = next(i for i, line in enumerate(body) if v.id in line)
    names = [line.split("│")[2].strip() for line in body[at : at + 3]]
    assert " ".join(x for x in names if x) == v.name  # folded at its spaces
    assert names[1]  # onto more than one line
    assert any(v.id in line for line in table)

    code, screen = on_tty(["voices", "list", "--cloned"], _env(60, service))
    assert code == 0, screen
    lines = [ANSI.sub("", line).rstrip() for line in screen.splitlines() if line.strip()]
    assert all(len(line) <= 60 for line in lines), lines
    assert f"Id:     {v.id}" in lines
    at = lines.index(f"Id:     {v.id}")
    name = " ".join(x.removeprefix("Name:").strip() for x in lines[at + 1 : at + 3])
    assert name == v.name, lines


def test_verdicts_of_many_files_each_name_their_own_problems(cli, tmp_path: Path) -> None:
    folder = tmp_path / "takes"
    folder.mkdir()
    for i in range(30):  # ok, too short (a warning), not audio (an error), in turn
        if i % 3 == 0:
            write_wav(folder / f"t{i:02d}.wav", 12.0)
        elif i % 3 == 1:
            write_wav(folder / f"t{i:02d}.wav", 2.0)
        else:
            (folder / f"t{i:02d}.wav").write_bytes(b"not audio at all" * 8)
    r = cli("validate", "--json", "--no-quality", "--engine", "v2", folder)
    assert r.code == 1
    doc = r.json()
    problems = doc["errors"] + doc["warnings"]
    for f in doc["files"]:
        mine = {p["severity"] for p in problems if p.get("file") == f["path"]}
        want = "error" if "error" in mine else "warning" if mine else "ok"
        assert f["verdict"] == want, f["path"]
    by_kind = {i % 3: doc["files"][i]["verdict"] for i in range(3)}
    assert by_kind == {0: "ok", 1: "warning", 2: "error"}
    r = cli("validate", "--no-quality", "--engine", "v2", folder)  # the table says the same
    verdicts = [line.rsplit("\t", 1)[1] for line in r.out.splitlines()[1:31]]
    assert verdicts == [f["verdict"] for f in doc["files"]]


def test_each_run_in_one_process_gets_its_own_output(cli, sample: Path) -> None:
    r = cli("validate", "--json", sample)
    assert r.code == 0 and json.loads(r.out)["ok"] is True
    r = cli("validate", "--quiet", sample)
    assert r.code == 0 and r.out == ""
    r = cli("validate", sample)  # human again: neither the JSON nor the quiet mode lingers
    assert r.code == 0 and r.out.startswith("FILE\tFORMAT") and "sample.wav" in r.out
    r = cli("validate", "--json", "--bogus")  # a usage error after them: still one JSON object
    assert r.code == 2 and json.loads(r.out)["ok"] is False


def test_a_level_strip_is_as_wide_for_a_long_take(tmp_path: Path) -> None:
    long = write_wav(tmp_path / "long.wav", 55.0)  # 2,750 frames of 20 ms, drawn in 60 cells
    short = write_wav(tmp_path / "tiny.wav", 12.0)  # a name as long: the strips line up
    code, screen = on_tty(["validate", str(long), str(short)], _env(160))
    assert code in (0, 1), screen
    line = next(ANSI.sub("", x) for x in screen.splitlines() if "dBFS, SNR" in x)
    strip = line.split("  ")[1]
    assert len(strip) == 60 and set(strip) <= set("·▁▂▃▄▅▆▇█")
    # one take alone is a waveform as wide as the terminal, however long the take
    code, screen = on_tty(["validate", str(long)], _env(160))
    line = next(ANSI.sub("", x) for x in screen.splitlines() if "dBFS, SNR" in x)
    assert 150 <= len(line) <= 160

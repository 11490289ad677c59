"""Every command, driven with hostile arguments and against a service giving
hostile answers, ends with a documented exit code and one clear line: never 70, never a
traceback, and with --json exactly one JSON object."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import KEY
from .servers import Service

DEEP = b"[" * 100_000 + b"]" * 100_000
WRONG_TYPES = json.dumps(
    {
        "status": "200",
        "data": {"voice_id": 5, "name": ["x"], "samples": "none", "voice": [1]},
        "voices": [
            {"id": 7, "name": {"a": 1}, "tags": "t", "service": 3, "is_custom": "yes"},
            {"id": "ok", "name": "Maya", "tags": [1, None], "description": 2.5},
        ],
        "voice": {"id": None, "name": 12},
        "samples": [{"id": [], "duration_seconds": "x", "created_at": 5}],
        "result": "yes",
        "errors": "none",
    }
).encode()
ESCAPES = json.dumps(
    {"data": None, "errors": [{"error": 3, "message": "\x1b[2J\udcff\u202e" * 3}]}
).encode()

ANSWERS = {
    "deeply nested JSON": (200, DEEP, "application/json"),
    "fields of the wrong type": (200, WRONG_TYPES, "application/json"),
    "escape sequences": (400, ESCAPES, "application/json"),
    "not JSON": (200, b"\xff\xfe<html>", "text/html"),
    "empty": (200, b"", "application/json"),
    "JSON where audio belongs": (200, b'{"data": {}}', "application/json"),
}


def commands(tmp: Path, sample: Path) -> list[list[str]]:
    manifest = tmp / "voices.toml"
    manifest.write_text(f'[[voice]]\nname = "M1"\nsamples = ["{sample}"]\n')
    return [
        ["voices", "list"],
        ["voices", "show", "Maya"],
        ["voices", "rename", "Maya", "New"],
        ["voices", "delete", "Maya", "--yes"],
        ["samples", "list", "Maya"],
        ["samples", "get", "Maya", "s1", "-o", str(tmp / "s.wav"), "--force"],
        ["speak", "Maya", "Hello.", "-o", str(tmp / "p.wav"), "--force"],
        ["clone", "--name", "H", str(sample), "--timeout", "0.5"],
        ["clone", "--name", "H", str(sample), "--dry-run"],
        ["add-samples", "Maya", str(sample)],
        ["apply", str(manifest), "--timeout", "0.5"],
    ]


def check(r, *, json_mode: bool = True) -> None:  # type: ignore[no-untyped-def]
    assert r.code != 70, r.err
    assert "Traceback" not in r.err and "internal error" not in r.err, r.err
    assert r.code in (0, 1, 2, 3, 4), r.code
    if r.code:
        assert r.err.startswith("error: ") or "\nerror: " in r.err, r.err
    if json_mode:
        doc = json.loads(r.out)
        assert isinstance(doc, dict) and doc["ok"] is (r.code == 0)
    assert KEY not in r.out + r.err and "\x1b" not in r.out + r.err


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_every_command_survives_hostile_answers(
    cli, service: Service, sample: Path, tmp_path: Path, answer: str
) -> None:
    status, body, ctype = ANSWERS[answer]
    for method in ("GET", "POST", "PATCH", "DELETE"):
        service.faults.add(
            method, "/", status=status, body=body, headers={"Content-Type": ctype}, times=10**6
        )
    for args in commands(tmp_path, sample):
        check(cli(*args, "--json"))


def _bad_name_file(tmp: Path, sample: Path) -> Path:
    bad = Path(os.fsdecode(bytes(tmp) + b"/\xff\x1b[2J.wav"))
    bad.write_bytes(sample.read_bytes())
    return bad


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["voices", "list", "--timeout", "nan"], 2),
        (["voices", "list", "--timeout", "inf"], 2),
        (["voices", "list", "--timeout", "1e308"], 2),
        (["voices", "list", "--api-url", "http://[::1"], 2),
        (["voices", "list", "--api-url", "http://127.0.0.1:99999"], 2),
        (["voices", "list", "--api-url", "ftp://127.0.0.1"], 2),
        (["speak", "Maya", "Hi.", "-o", "{tmp}"], 1),
        (["speak", "Maya", "Hi.", "-o", "{sample}/x.wav"], 1),
        (["speak", "Maya", "Hi.", "-o", "{tmp}/nowhere/x.wav"], 1),
        (["clone", "--name", "\udcff", "{sample}"], 1),
        (["clone", "--name", "\udcff", "{sample}", "--dry-run"], 1),
        (["speak", "\udcff", "Hi.", "-o", "{tmp}/x.wav"], 1),
        (["voices", "delete", "..", "--yes"], 1),
        (["samples", "get", "Legacy Narrator", "../../v1", "-o", "{tmp}/x.wav"], 1),
        (["validate", "{bad}"], 0),
        (["clone", "--name", "B", "{bad}", "--dry-run"], 0),
        (["prepare", "{sample}", "-o", "{tmp}/out.wav", "--seconds", "nan"], 2),
        (["config", "set", "api_url", "\udcff"], 2),
    ],
)
def test_every_command_survives_hostile_arguments(
    cli, service: Service, sample: Path, tmp_path: Path, args: list[str], code: int
) -> None:
    bad = _bad_name_file(tmp_path, sample)
    args = [a.format(tmp=tmp_path, sample=sample, bad=bad) for a in args]
    for json_mode in (False, True) if args[0] != "config" else (False,):
        r = cli(*args, *(["--json"] if json_mode else []))
        check(r, json_mode=json_mode)
        assert r.code == code, r.err


@pytest.mark.parametrize(
    ("key", "command"),
    [
        ("sk-with space-0123456789", None),
        ("sk-line\nbreak-0123456789", None),
        (None, "printf 'sk-one-0123456789\\nsk-two-0123456789\\n'"),
    ],
)
def test_a_key_no_header_can_carry_is_exit_3_with_its_cause(
    cli,
    service: Service,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str | None,
    command: str | None,
) -> None:
    if key:
        monkeypatch.setenv("BLAND_API_KEY", key)
    else:
        monkeypatch.delenv("BLAND_API_KEY")
        cfg = isolated / ".config" / "bland-clone"
        cfg.mkdir(parents=True)
        (cfg / "config.toml").write_text(f'[profiles.default]\napi_key_command = "{command}"\n')
    r = cli("voices", "list")
    assert r.code == 3, r.err
    assert "a space, a line break or another character a header cannot carry" in r.err
    assert service.faults.seen == []


def test_a_line_break_in_a_file_name_is_escaped_in_error_lines(cli, tmp_path: Path) -> None:
    """An error or warning is one line: a file named with a line break shows it escaped, in
    the report and in the error a command ends with."""
    odd = tmp_path / "new\nline.wav"
    odd.write_bytes(b"not audio at all")
    for args in (("validate", odd), ("prepare", odd, "-o", tmp_path / "out.wav")):
        r = cli(*args)
        assert r.code == 1, r.err
        said = [ln for ln in (r.out + r.err).splitlines() if "cannot be used" in ln]
        assert said, r.out + r.err
        assert all('File "new\\x0aline.wav" cannot be used' in ln for ln in said), said
        assert not any(ln.startswith('line.wav"') for ln in (r.out + r.err).splitlines())

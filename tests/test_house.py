"""Issue 14: what a newcomer trips on, and names that explain themselves (driven through the
real CLI against the sandbox)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .audiofiles import write_wav
from .servers import Service


def test_clone_says_cloned_before_the_preview_it_wrote(service: Service, sample: Path, tmp_path: Path) -> None:
    """The voice is the news; the preview follows it (one terminal, both streams in order)."""
    out = tmp_path / "hello.wav"
    proc = subprocess.run(
        [sys.executable, "-m", "bland_clone", "clone", "--name", "Ordered", str(sample),
         "--preview", "Hello.", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy(),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout
    assert "Cloned voice 'Ordered'" in proc.stdout and "Preview written to" in proc.stdout
    assert proc.stdout.index("Cloned voice") < proc.stdout.index("Preview written to")
    assert out.stat().st_size > 44


def test_a_dry_run_with_a_taken_name_says_so_once(cli, service: Service, sample: Path) -> None:
    service.state.add_voice("Taken")
    r = cli("clone", "--name", "Taken", sample, "--dry-run")
    assert r.code == 1
    assert r.err.count("already taken") == 1, r.err
    assert r.err.rstrip().endswith("error: Voice name is already taken")
    assert service.posts("/v1/voices/clone") == 0


def test_annotations_is_the_name_and_format_a_hidden_alias(cli, tmp_path: Path) -> None:
    short = write_wav(tmp_path / "short.wav", 0.5)
    line = (
        f"::error file={str(short).replace(':', '%3A')},title=bland-clone::"
        'File "short.wav" is too short (estimated 0.5s). Minimum duration is 1 seconds.'
    )
    for flag in ("--annotations", "--format"):
        r = cli("validate", short, flag, "github")
        assert r.code == 1 and line in r.out.splitlines(), flag
    r = cli("validate", short, "--annotations", "xml")
    assert (r.code, r.err) == (2, "error: --annotations must be text or github, not 'xml'\n")
    for cmd in ("validate", "plan", "apply"):
        shown = cli(cmd, "--help").out
        assert "--annotations text|github" in shown and "--format" not in shown, cmd


def test_one_registry_drives_help_readme_and_exit_codes(cli) -> None:
    """Every command of the registry has a README reference section and is in --help; every exit
    code (5 and 70 included) is in README's table and in --help."""
    from bland_clone.cli.app import COMMANDS, EXIT_CODES
    from bland_clone.errors import ExitCode

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    root = cli("--help").out
    for name, *_ in COMMANDS:
        assert f"### `bland-clone {name}`" in readme, name
        assert f"  {name} " in root, name
    for code in ("prepare", "record", "plan", "export", "models"):
        assert f"### `bland-clone {code}`" in readme
    assert set(EXIT_CODES) == {int(c) for c in ExitCode} | {70}
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in readme
        assert f"  {code:<4} {meaning}" in root

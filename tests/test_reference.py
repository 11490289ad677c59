"""One registry of commands and exit codes drives --help and the README's reference."""

from __future__ import annotations

from pathlib import Path

from bland_clone.cli.app import COMMANDS, EXIT_CODES
from bland_clone.core.errors import ExitCode


def test_one_registry_drives_help_readme_and_exit_codes(cli) -> None:
    """Every command of the registry has a section in the command reference and is in --help;
    every exit code (5 and 70 included) is in README's table and in --help."""
    root_dir = Path(__file__).resolve().parents[1]
    readme = (root_dir / "README.md").read_text()
    reference = (root_dir / "docs" / "reference.md").read_text()
    root = cli("--help").out
    for name, *_ in COMMANDS:
        assert f"### `bland-clone {name}`" in reference, name
        assert f"  {name} " in root, name
    for code in ("prepare", "record", "plan", "export", "models"):
        assert f"### `bland-clone {code}`" in reference
    assert set(EXIT_CODES) == {int(c) for c in ExitCode} | {70}
    flat = " ".join(root.split())  # --help wraps the meanings to the terminal
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in readme
        assert f"\n  {code:<4} " in root and f" {code} {' '.join(meaning.split())}" in flat

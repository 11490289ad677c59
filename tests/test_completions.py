"""completions/ is generated from the command tree, and the scripts complete what they should."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bland_clone._completions import render_all

COMPLETIONS = Path(__file__).resolve().parents[1] / "completions"


def test_committed_completions_match_the_command_tree() -> None:
    for name, text in render_all().items():
        committed = (COMPLETIONS / name).read_text()
        assert committed == text, (
            f"completions/{name} is stale: run python -m bland_clone._completions"
        )


def bash_complete(line: str) -> list[str]:
    script = COMPLETIONS / "bland-clone.bash"
    words = line.split(" ")
    quoted = " ".join(f"'{w}'" for w in words)
    prog = (
        f"source '{script}'\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
        "_bland_clone\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, check=True).stdout
    return [x for x in out.splitlines() if x]


def test_bash_completes_commands_options_and_values() -> None:
    assert bash_complete("bland-clone ") == [
        "add-samples",
        "apply",
        "clone",
        "config",
        "export",
        "models",
        "plan",
        "prepare",
        "record",
        "samples",
        "sandbox",
        "speak",
        "validate",
        "verify",
        "voices",
    ]
    assert bash_complete("bland-clone voices ") == [
        "add-shared",
        "check-name",
        "delete",
        "list",
        "rate",
        "rename",
        "set",
        "settings",
        "shared",
        "show",
    ]
    assert bash_complete("bland-clone clone --gender ") == ["male", "female"]
    assert bash_complete("bland-clone clone -e ") == ["v3", "v2"]
    assert "--dry-run" in bash_complete("bland-clone clone --d")
    assert bash_complete("bland-clone voices delete --y") == ["--yes"]


def test_bash_offers_audio_formats_only_to_speak() -> None:
    """--format is speak's audio format; validate's annotation style is --annotations (its old
    name --format is hidden and offers no audio formats)."""
    assert "pcm_8000" in bash_complete("bland-clone speak --format ")
    assert bash_complete("bland-clone validate --format ") == []
    assert bash_complete("bland-clone validate --annotations ") == ["text", "github"]
    assert "--annotations" in bash_complete("bland-clone validate --a")
    assert "--format" not in bash_complete("bland-clone validate --f")


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_nested_commands() -> None:
    script = COMPLETIONS / "bland-clone.fish"
    out = subprocess.run(
        ["fish", "-c", f"source '{script}'; complete -C 'bland-clone voices '"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # every command of the voices group, as fish lists them (sorted); the list had stopped at
    # four while fish was not installed in CI and this test was skipped
    assert [line.split("\t")[0] for line in out.splitlines()] == [
        "add-shared",
        "check-name",
        "delete",
        "list",
        "rate",
        "rename",
        "set",
        "settings",
        "shared",
        "show",
    ]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_parses() -> None:
    subprocess.run(["zsh", "-n", str(COMPLETIONS / "_bland-clone")], check=True)


def test_readme_command_reference_is_generated_from_the_code() -> None:
    from bland_clone._docs import PAGES, render

    for name in PAGES:
        page = (COMPLETIONS.parent / name).read_text()
        assert page == render(page), f"{name} is stale: run python -m bland_clone._docs"

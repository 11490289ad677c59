"""The API key through the CLI: none at all, and one the service refuses, said with where it came
from and never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from .expect import one_error_line
from .servers import Service


def test_no_key_suggests_a_dry_run_only_where_there_is_one(cli, sample: Path) -> None:
    r = cli("voices", "list")
    assert r.code == 3
    line = one_error_line(r.err)
    assert "No API key" in line and "BLAND_API_KEY" in line and "api_key" in line
    assert "--dry-run" not in line  # voices list has none to offer
    r = cli("add-samples", "Legacy Narrator", sample)
    assert r.code == 3 and r.err.endswith("or use --dry-run to check files without one.\n")


def test_a_refused_key_names_where_it_came_from(
    cli, service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "sk-wrong-key-0000000000000000"
    r = cli("voices", "list", env={"BLAND_API_KEY": wrong})
    assert r.code == 3
    line = one_error_line(r.err)
    assert line.startswith("error: Invalid token (")  # the service's words, then the source
    assert "the API key used: the BLAND_API_KEY variable" in line
    # from a profile: the profile and its file, never the key
    monkeypatch.delenv("BLAND_API_KEY")
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.work]\napi_key = "{wrong}"\n')
    config.chmod(0o600)
    r = cli("voices", "list", "--profile", "work", env={"BLAND_CLONE_CONFIG": str(config)})
    assert r.code == 3
    assert f"(the API key used: api_key of profile 'work' in {config})" in r.err
    assert wrong not in r.err + r.out

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bland_clone.__main__ import main

from .audiofiles import write_wav
from .servers import Service

# The tests press Ctrl-C (SIGINT) at the real program as a person at a terminal does. A suite
# started as a background job of a non-interactive shell (`cmd &`) inherits SIGINT ignored, and
# an ignored signal stays ignored in every child it starts (Python then installs no
# KeyboardInterrupt handler, as it should for such a job): every Ctrl-C test would then time out.
# A handler of our own is reset to the default in each child at exec, so they hear it again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

KEY = "sk-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own home and config folder, and none of the user's settings."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for var in (
        "BLAND_API_KEY",
        "BLAND_API_URL",
        "BLAND_BASE_URL",
        "BLAND_PROFILE",
        "BLAND_CLONE_CONFIG",
        "NO_COLOR",
        "GITHUB_ACTIONS",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    return home


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Drive the real CLI entry point (argument parsing, commands, error mapping) in-process."""

    def run(*args: Any, env: dict[str, str] | None = None) -> Result:
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        capsys.readouterr()
        code = main([os.fspath(a) if isinstance(a, Path) else str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def serve(monkeypatch: pytest.MonkeyPatch, **state: Any) -> Iterator[Service]:
    """The sandbox (made with SandboxState's ``state`` options) on 127.0.0.1, with
    BLAND_API_URL and BLAND_API_KEY pointing at it, for a fixture to yield from."""
    svc = Service(KEY, **state)
    monkeypatch.setenv("BLAND_API_URL", svc.url)
    monkeypatch.setenv("BLAND_API_KEY", svc.key)
    yield svc
    svc.close()


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """The sandbox on 127.0.0.1, with BLAND_API_URL and BLAND_API_KEY pointing at it."""
    yield from serve(monkeypatch)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A clean 12-second speech-like WAV."""
    return write_wav(tmp_path / "sample.wav", 12.0)

"""Manifests for the voices-as-code tests: three voices with their samples, and the live id of a
voice on the sandbox."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .audiofiles import write_wav
from .servers import Service

THREE = """\
    [[voice]]
    name = "Alpha"
    samples = ["samples/a.wav"]
    gender = "female"

    [[voice]]
    name = "Beta"
    samples = ["samples/b.wav"]
    engine = "v2"
    settings = { consistency = 8 }

    [[voice]]
    name = "Gamma"
    samples = ["samples/d.wav"]
    settings = { boost_language_consistency = true }
"""


def manifest(tmp_path: Path, body: str = THREE) -> Path:
    (tmp_path / "samples").mkdir(exist_ok=True)
    for i, name in enumerate("abcd"):
        if not (tmp_path / "samples" / f"{name}.wav").exists():
            write_wav(tmp_path / "samples" / f"{name}.wav", 11.0 + i / 10)
    p = tmp_path / "voices.toml"
    p.write_text(textwrap.dedent(body))
    return p


def live_id(service: Service, name: str) -> str:
    [v] = service.voices_named(name)
    return v.id

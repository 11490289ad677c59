"""apply's promise holds when a voice's verdict is already known: "Every voice is validated
first: nothing is uploaded when any fails." A voice the plan marks invalid from a cached verdict
(a previous validate, plan or apply analysed its sample) stops every upload as a fresh check
does, with the same message and exit code; with --keep-going the others go on. Against the
sandbox on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from .audiofiles import write_wav
from .servers import Service

CLONE = "/v1/voices/clone"
REFUSED = (
    "error: 1 voice(s) fail validation; nothing was uploaded "
    "(use --keep-going to apply the others)."
)


def _two(tmp_path: Path) -> Path:
    """Narrator B (a clean speech-like take) and Noisy B (white noise: no voice in it)."""
    write_wav(tmp_path / "narrator.wav", 12.0)
    rng = np.random.default_rng(1)
    sf.write(tmp_path / "noise.wav", (0.3 * rng.standard_normal(16000 * 12)), 16000)
    m = tmp_path / "voices.toml"
    m.write_text(
        '[[voice]]\nname = "Narrator B"\nsamples = ["narrator.wav"]\n\n'
        '[[voice]]\nname = "Noisy B"\nsamples = ["noise.wav"]\n'
    )
    return m


def _refused(r, service: Service) -> None:  # type: ignore[no-untyped-def]
    assert r.code == 1, (r.out, r.err)
    assert r.err.rstrip().splitlines()[-1] == REFUSED, r.err
    assert "voice 'Noisy B' (line 5): refused" in r.out
    assert 'File "noise.wav": no speech found' in r.out
    assert service.posts(CLONE) == 0
    assert service.voices_named("Narrator B") == []


@pytest.mark.parametrize("before", [["apply"], ["validate"], ["validate", "plan"]])
def test_a_cached_invalid_verdict_stops_every_upload(
    cli, service: Service, tmp_path: Path, before: list[str]
) -> None:
    m = _two(tmp_path)
    for command in before:
        assert cli(command, m).code == 1
    assert service.posts(CLONE) == 0
    _refused(cli("apply", m), service)
    _refused(cli("apply", m), service)  # and again, every verdict now cached
    assert not (tmp_path / "voices.lock").exists()


def test_a_cached_invalid_verdict_stops_the_dry_run_as_it_stops_apply(
    cli, service: Service, tmp_path: Path
) -> None:
    m = _two(tmp_path)
    first = cli("apply", m, "--dry-run", "--json")
    again = cli("apply", m, "--dry-run", "--json")
    for r in (first, again):
        assert r.code == 1
        doc = r.json()
        assert doc["ok"] is False
        assert [(v["name"], v["status"]) for v in doc["voices"]] == [
            ("Narrator B", "ok"),
            ("Noisy B", "invalid"),
        ]
    assert again.json() == first.json()
    # plan says the same of the voice, and why
    r = cli("plan", m, "--json")
    assert r.code == 1
    rows = {v["name"]: v["action"] for v in r.json()["voices"]}
    assert (rows["Narrator B"], rows["Noisy B"]) == ("create", "invalid")
    assert service.posts(CLONE) == 0


def test_keep_going_applies_the_others_when_the_verdict_is_cached(
    cli, service: Service, tmp_path: Path
) -> None:
    m = _two(tmp_path)
    assert cli("validate", m).code == 1
    r = cli("apply", m, "--keep-going", "--json")
    assert r.code == 1
    doc = r.json()
    assert [(v["name"], v["status"]) for v in doc["voices"]] == [
        ("Narrator B", "created"),
        ("Noisy B", "invalid"),
    ]
    assert service.posts(CLONE) == 1
    assert len(service.voices_named("Narrator B")) == 1
    assert service.voices_named("Noisy B") == []
    # once Narrator B exists, the invalid voice still stops apply without --keep-going
    again = cli("apply", m)
    assert again.code == 1
    assert again.err.rstrip().splitlines()[-1] == REFUSED
    assert service.posts(CLONE) == 1

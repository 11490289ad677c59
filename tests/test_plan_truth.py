"""plan never claims `create` for a voice apply refuses: a verdict it knows (the cached quality
verdict beside the lock) makes the voice `invalid` with the reason, and a sample it has not
judged says so. --detailed-exitcode means what Terraform's does: 1 on an error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from .audiofiles import write_wav
from .servers import Service

RATE = 16000


def _manifest(tmp_path: Path) -> Path:
    write_wav(tmp_path / "one.wav", 12.0)
    write_wav(tmp_path / "two.wav", 13.0)
    noise = 0.3 * np.random.default_rng(5).uniform(-1, 1, 12 * RATE)
    sf.write(tmp_path / "noise.wav", noise.astype(np.float32), RATE, subtype="PCM_16")
    m = tmp_path / "voices.toml"
    m.write_text(
        '[[voice]]\nname = "VacOne"\nsamples = ["one.wav"]\n\n'
        '[[voice]]\nname = "VacBad"\nsamples = ["noise.wav"]\n\n'
        '[[voice]]\nname = "VacTwo"\nsamples = ["two.wav"]\n'
    )
    return m


def _actions(r) -> dict[str, tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    return {v["name"]: (v["action"], v["detail"]) for v in r.json()["voices"]}


def test_plan_says_invalid_for_a_sample_whose_cached_verdict_refuses_it(
    cli, service: Service, tmp_path: Path
) -> None:
    m = _manifest(tmp_path)
    r = cli("plan", m, "--json")
    assert r.code == 0, r.err
    acts = _actions(r)
    # not judged yet: it says so rather than promising an upload apply would refuse
    assert acts["VacBad"][0] == "create"
    unchecked = {v["name"]: v.get("quality_unchecked") for v in r.json()["voices"]}
    assert unchecked["VacBad"] == ["noise.wav"] and unchecked["VacOne"] == ["one.wav"], unchecked
    assert "Quality not checked yet for 'VacOne', 'VacBad', 'VacTwo'" in r.err, r.err
    r = cli("validate", m)
    assert r.code != 0 and "VacBad" in r.out + r.err
    for args in (("plan", m, "--json"), ("plan", m, "--detailed-exitcode", "--json")):
        r = cli(*args)
        assert r.code == 1, (r.code, r.out, r.err)
        acts = _actions(r)
        assert acts["VacBad"][0] == "invalid", acts
        assert "noise.wav" in (acts["VacBad"][1] or "") and "voice" in acts["VacBad"][1]
        assert acts["VacOne"] == ("create", None) and acts["VacTwo"] == ("create", None), acts
        assert not any(v.get("quality_unchecked") for v in r.json()["voices"])
        assert "Quality not checked" not in r.err
    r = cli("plan", m)
    assert r.code == 1
    assert "1 invalid" in r.out and "2 to create" in r.out, r.out
    r = cli("apply", m, "--keep-going", "--yes")
    assert service.posts("/v1/voices/clone") == 2
    r = cli("plan", m, "--detailed-exitcode", "--json")
    assert r.code == 1, r.out
    acts = _actions(r)
    assert acts["VacBad"][0] == "invalid" and acts["VacOne"][0] == "nothing", acts

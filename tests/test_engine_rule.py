"""One engine rule everywhere (issue 19): validate, clone, add-samples, plan and apply read the
files each engine takes from the one table (limits.ENGINE_RULES), the README's own example
manifest passes plan, and added samples are sent as WAV ("WAV files to append")."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import soundfile as sf

from .audiofiles import write_wav
from .servers import Service

README = Path(__file__).resolve().parents[1] / "README.md"
V2_TWO = "The v2 engine takes exactly 1 WAV file; 2 were given. To choose the best take: "


def _readme_manifest(page: Path) -> str:
    text = page.read_text()
    section = text[re.search(r"^#+ Voices as code", text, re.M).start() :]  # type: ignore[union-attr]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("page", [README, README.parent / "docs" / "voices-as-code.md"])
def test_the_readme_example_manifest_passes_plan(
    cli, service: Service, tmp_path: Path, page: Path
) -> None:
    body = _readme_manifest(page)
    for sample in re.findall(r'"(samples/[^"]+)"', body):
        (tmp_path / sample).parent.mkdir(exist_ok=True)
        write_wav(tmp_path / sample, 12.0)
    m = tmp_path / "voices.toml"
    m.write_text(body)
    r = cli("plan", m, "--json")
    assert r.code == 0, r.out + r.err
    actions = {v["name"]: v["action"] for v in r.json()["voices"]}
    assert (actions["Narrator"], actions["Support"]) == ("create", "create")


def test_validate_clone_plan_and_apply_agree_on_v2(cli, service: Service, tmp_path: Path) -> None:
    """Before: validate said '2 files OK' and apply sent both with isBTTS_V2=true."""
    (tmp_path / "samples").mkdir()
    a = write_wav(tmp_path / "samples" / "a.wav", 11.0)
    b = write_wav(tmp_path / "samples" / "b.wav", 12.0)
    r = cli("validate", "--engine", "v2", a, b, "--no-quality")
    assert r.code == 1 and f"error: {V2_TWO}" in r.out
    r = cli("clone", "-n", "Two", "--engine", "v2", a, b)
    assert r.code == 1 and f"error: {V2_TWO}" in r.err
    m = tmp_path / "voices.toml"
    m.write_text(
        textwrap.dedent(
            """\
            [[voice]]
            name = "Two"
            samples = ["samples/a.wav", "samples/b.wav"]
            engine = "v2"
            """
        )
    )
    for command in ("plan", "apply"):
        r = cli(command, m)
        assert r.code == 1, (command, r.out, r.err)
        assert V2_TWO in r.out, (command, r.out)
    assert service.state.uploads == [] and service.posts("/v1/voices/clone") == 0


def test_the_sandbox_refuses_a_second_file_on_its_own(service: Service, tmp_path: Path) -> None:
    """The sandbox judges with its own reading of the page, not the client's check."""
    import requests

    a = write_wav(tmp_path / "a.wav", 11.0).read_bytes()
    for flags in ({}, {"isBTTS_V2": "true"}):
        r = requests.post(
            service.url + "/v1/voices/clone",
            headers={"Authorization": service.key},
            data={"name": "Sneaky", **flags},
            files=[("audio_samples", ("a.wav", a)), ("audio_samples", ("b.wav", a))],
            timeout=10,
        )
        assert r.status_code == 400
        assert r.json()["errors"][0]["error"] == "Validation Error"
    assert service.voices_named("Sneaky") == []


def test_add_samples_converts_flac_to_wav(cli, service: Service, tmp_path: Path) -> None:
    flac = tmp_path / "take.flac"
    x, rate = sf.read(str(write_wav(tmp_path / "src.wav", 12.0)), dtype="float32")
    sf.write(str(flac), x, rate, format="FLAC")
    v = service.state.add_voice("Old", service="BTTS", samples=1)
    r = cli("add-samples", v.id, flac, "--json")
    assert r.code == 0, r.err
    (upload,) = service.state.uploads
    assert upload["filenames"] == ["take.wav"]
    assert v.samples[-1].audio[:4] == b"RIFF"

"""A voice's samples through the CLI: what the service exposes (samples list, voices show),
samples get's file and its name, and add-samples' dry run looking the voice up."""

from __future__ import annotations

from pathlib import Path

from .audiofiles import write_wav
from .servers import Service


def test_samples_get_warns_when_the_name_says_another_format(
    cli, service: Service, tmp_path: Path
) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    sid = legacy.samples[0].id
    out = tmp_path / "s.mp3"
    r = cli("samples", "get", "Legacy Narrator", sid, "-o", out)
    assert r.code == 0, r.err
    assert out.read_bytes()[:4] == b"RIFF"  # what the service sent, unchanged
    (warning,) = [x for x in r.err.splitlines() if x.startswith("warning: ")]
    assert str(out) in warning and "holds WAV audio" in warning and "not MP3" in warning
    r = cli("samples", "get", "Legacy Narrator", sid, "-o", tmp_path / "s.wav")
    assert r.code == 0 and "warning" not in r.err


def test_voices_show_says_what_samples_list_says(cli, service: Service, sample: Path) -> None:
    assert cli("clone", "--name", "One", sample).code == 0
    r = cli("voices", "show", "One")
    assert r.code == 0, r.err
    assert "Samples:\tnone the service exposes\n" in r.out and "Samples:\t0" not in r.out
    r = cli("samples", "list", "One")
    assert "has no samples the service exposes" in r.err
    r = cli("voices", "show", "Legacy Narrator")
    assert "Samples:\t" in r.out and "none" not in r.out.split("Samples:\t")[1].split("\n")[0]


def test_add_samples_dry_run_with_a_key_looks_the_voice_up(
    cli, service: Service, tmp_path: Path
) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    take = write_wav(tmp_path / "take.wav", 11.0)
    r = cli("add-samples", "Legacy Narrator", take, "--dry-run", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert (doc["voice_id"], doc["name"], doc["existing_samples"]) == (
        legacy.id,
        "Legacy Narrator",
        2,
    )
    assert doc["request"]["fields"] == {"voice_id": legacy.id}
    assert len(legacy.samples) == 2 and service.posts("/v1/voices/samples") == 0
    r = cli("add-samples", "Legacy Narrator", take, "--dry-run")
    assert "Dry run: nothing was sent" in r.err and "'Legacy Narrator' has 2 sample(s)" in r.err
    # too many for the voice: refused in the dry run too, before anything is sent
    takes = [write_wav(tmp_path / f"t{i}.wav", 11.0) for i in range(4)]
    r = cli("add-samples", "Legacy Narrator", *takes, "--dry-run")
    assert r.code == 1 and "Voice already has 2 samples" in r.err
    assert service.posts("/v1/voices/samples") == 0

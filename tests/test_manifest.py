"""Voices as code: manifests, apply, GitHub annotations, config profiles."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .audiofiles import write_wav
from .servers import Service, closed_port


def manifest(tmp_path: Path, body: str) -> Path:
    (tmp_path / "samples").mkdir(exist_ok=True)
    for name in ("a", "b", "c", "d"):
        if not (tmp_path / "samples" / f"{name}.wav").exists():
            write_wav(tmp_path / "samples" / f"{name}.wav", 11.0)
    p = tmp_path / "voices.toml"
    p.write_text(textwrap.dedent(body))
    return p


THREE = """\
    [[voice]]
    name = "Alpha"
    samples = ["samples/a.wav"]
    gender = "female"

    [[voice]]
    name = "Beta"
    samples = ["samples/b.wav"]
    engine = "v2"
    description = "One take"

    [[voice]]
    name = "Gamma"
    samples = ["samples/d.wav"]
"""


def test_apply_twice_creates_nothing_the_second_time(cli, service: Service, tmp_path: Path) -> None:
    m = manifest(tmp_path, THREE)
    r = cli("apply", m, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert (doc["created"], doc["present"], doc["failed"]) == (3, 0, 0)
    assert {v["name"]: v["status"] for v in doc["voices"]} == {
        "Alpha": "created",
        "Beta": "created",
        "Gamma": "created",
    }
    beta = service.voices_named("Beta")[0]
    assert beta.service == "BTTS_V2" and beta.description == "One take"
    assert len(beta.samples) == 1
    assert service.posts("/v1/voices/clone") == 3

    r = cli("apply", m)
    assert r.code == 0, r.err
    rows = [line.split("\t") for line in r.out.splitlines()]
    assert rows[0] == ["NAME", "STATUS", "VOICE ID", "DETAIL"]
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("Alpha", "present"),
        ("Beta", "present"),
        ("Gamma", "present"),
    ]
    assert service.posts("/v1/voices/clone") == 3  # nothing more was uploaded


def test_one_bad_voice_stops_every_upload(cli, service: Service, tmp_path: Path) -> None:
    m = manifest(tmp_path, THREE)
    write_wav(tmp_path / "samples" / "d.wav", 0.5)  # Gamma's sample is now too short
    r = cli("apply", m)
    assert r.code == 1
    assert "voice 'Gamma' (line 12): refused" in r.out
    assert (
        'error: File "d.wav" is too short (estimated 0.5s). Minimum duration is 1 seconds.' in r.out
    )
    assert r.err.startswith("error: 1 voice(s) fail validation; nothing was uploaded")
    assert service.faults.seen == []

    r = cli("apply", m, "--keep-going", "--json")
    assert r.code == 1
    doc = r.json()
    assert {v["name"]: v["status"] for v in doc["voices"]} == {
        "Alpha": "created",
        "Beta": "created",
        "Gamma": "invalid",
    }
    assert doc["errors"][0]["voice"] == "Gamma"


def test_manifest_errors_name_the_voice_and_the_line(cli, tmp_path: Path) -> None:
    m = manifest(
        tmp_path,
        """\
        [[voice]]
        name = "Alpha"
        samples = ["samples/a.wav"]
        gendr = "female"

        [[voice]]
        name = "Beta"
        samples = ["samples/missing.wav"]
        engine = "v9"
    """,
    )
    r = cli("validate", m)
    assert r.code == 1
    assert r.err.splitlines() == [
        f"error: {m}: 3 problem(s) in the manifest:",
        f"{m}:4: voice 'Alpha': unknown key 'gendr' (known: name, samples, gender, description, engine, settings)",
        f"{m}:8: voice 'Beta': sample samples/missing.wav does not exist",
        f"{m}:9: voice 'Beta': engine must be one of v3, v2, not 'v9'",
    ]


def test_invalid_toml_is_a_clear_error(cli, tmp_path: Path) -> None:
    m = tmp_path / "voices.toml"
    m.write_text("[[voice]\nname = 1\n")
    r = cli("validate", m)
    assert r.code == 1
    assert r.err.startswith(f"error: {m}: invalid TOML:")


def test_validate_a_manifest_offline_voice_by_voice(cli, tmp_path: Path) -> None:
    m = manifest(tmp_path, THREE)
    r = cli("validate", m, "--json", env={"BLAND_API_URL": f"http://127.0.0.1:{closed_port()}"})
    assert r.code == 0, r.err
    doc = r.json()
    assert [v["name"] for v in doc["voices"]] == ["Alpha", "Beta", "Gamma"]
    assert [len(v["files"]) for v in doc["voices"]] == [1, 1, 1]


def test_apply_dry_run_plans_without_uploading(cli, service: Service, tmp_path: Path) -> None:
    service.state.add_voice("alpha")  # names match case-insensitively
    m = manifest(tmp_path, THREE)
    r = cli("apply", m, "--dry-run", "--json")
    assert r.code == 0, r.err
    assert {v["name"]: v["status"] for v in r.json()["voices"]} == {
        "Alpha": "present",
        "Beta": "would create",
        "Gamma": "would create",
    }
    assert service.posts("/v1/voices/clone") == 0


def test_apply_dry_run_without_a_key_stays_offline(cli, tmp_path: Path) -> None:
    m = manifest(tmp_path, THREE)
    r = cli(
        "apply",
        m,
        "--dry-run",
        "--json",
        env={"BLAND_API_URL": f"http://127.0.0.1:{closed_port()}"},
    )
    assert r.code == 0, r.err
    assert {v["status"] for v in r.json()["voices"]} == {"unknown (no key)"}


def test_parallel_apply(cli, service: Service, tmp_path: Path) -> None:
    body = "".join(f'[[voice]]\nname = "P{i}"\nsamples = ["samples/a.wav"]\n\n' for i in range(6))
    m = manifest(tmp_path, body)
    r = cli("apply", m, "--jobs", "4", "--json")
    assert r.code == 0, r.err
    assert r.json()["created"] == 6
    assert sorted(v.name for v in service.state.live() if v.name.startswith("P")) == [
        f"P{i}" for i in range(6)
    ]


def test_a_failed_upload_in_apply_is_exit_4(cli, service: Service, tmp_path: Path) -> None:
    m = manifest(tmp_path, THREE)
    service.faults.add(
        "POST",
        "/v1/voices/clone",
        status=500,
        times=1,
        body=b'{"status":500,"data":null,"errors":[{"error":"Server Error","message":"An unknown error occurred"}]}',
        headers={"Content-Type": "application/json"},
    )
    r = cli("apply", m, "--jobs", "1", "--json")
    assert r.code == 4
    doc = r.json()
    assert doc["created"] == 2 and doc["failed"] == 1
    assert doc["errors"][0]["message"].endswith(": An unknown error occurred")


# -- GitHub annotations -------------------------------------------------------------------------


def test_annotations_with_format_github(cli, tmp_path: Path) -> None:
    short = write_wav(tmp_path / "short.wav", 0.5)
    r = cli("validate", short, "--format", "github")
    assert r.code == 1
    assert (
        f"::error file={str(short).replace(':', '%3A')},title=bland-clone::"
        'File "short.wav" is too short (estimated 0.5s). Minimum duration is 1 seconds.'
    ) in r.out.splitlines()


def test_annotations_under_github_actions_and_escaping(cli, tmp_path: Path) -> None:
    odd = tmp_path / "50%,odd.wav"
    write_wav(odd, 4.0)
    r = cli("validate", odd, env={"GITHUB_ACTIONS": "true"})
    assert r.code == 0
    line = next(x for x in r.out.splitlines() if x.startswith("::warning"))
    assert line == (
        f"::warning file={tmp_path!s}/50%25%2Codd.wav,title=bland-clone::"
        'File "50%25,odd.wav": the take is 4.0s long (first word to last, pauses included); '
        "10-15 seconds of clear speech is recommended: record a longer take."
    )
    assert "::" not in cli("validate", odd, "--json", env={"GITHUB_ACTIONS": "true"}).out


def test_manifest_annotations_point_at_the_line(cli, tmp_path: Path) -> None:
    m = manifest(tmp_path, '[[voice]]\nname = "A"\nsamples = ["samples/a.wav"]\ncolour = "red"\n')
    r = cli("validate", m, "--format", "github")
    assert f"::error file={m},line=4,title=bland-clone::voice 'A': unknown key 'colour'" in r.out


# -- profiles and settings --------------------------------------------------------------------


def test_quiet_clone_prints_nothing(cli, service: Service, sample: Path) -> None:
    r = cli("clone", "--name", "Quiet", sample, "-q")
    assert (r.code, r.out, r.err) == (0, "", "")


def test_a_voice_created_meanwhile_counts_as_present(cli, service: Service, tmp_path: Path) -> None:
    """Another run created the name between apply's look-up and its upload: the service answers
    'Voice name is already taken'; apply reports the voice as present, not as a failure."""
    m = manifest(tmp_path, THREE)
    taken = b'{"status":400,"data":null,"errors":[{"error":"Validation Error","message":"Voice name is already taken"}]}'
    service.faults.add(
        "POST",
        "/v1/voices/clone",
        status=400,
        body=taken,
        after=True,
        headers={"Content-Type": "application/json"},
    )
    r = cli("apply", m, "--jobs", "1", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert (doc["created"], doc["present"]) == (2, 1)
    present = next(v for v in doc["voices"] if v["status"] == "present")
    assert present["voice_id"] == service.voices_named(present["name"])[0].id

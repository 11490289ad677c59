"""A real clone asks the service whether its name is free before the upload, as the dry run
does: a taken name is refused with the dry run's words and exit code, and nothing is uploaded
(the service would refuse it only after receiving the audio). When the question cannot be
answered, clone says so and uploads as before. Against the sandbox on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from bland_clone.core import limits

from .servers import Service

CLONE = "/v1/voices/clone"
CHECK = "/v1/voices/check_name_availability"


def test_a_taken_name_is_refused_before_the_upload(cli, service: Service, sample: Path) -> None:
    service.state.add_voice("Narrator")
    dry = cli("clone", "--name", "narrator", sample, "--dry-run", "--json")
    real = cli("clone", "--name", "narrator", sample, "--json")
    assert real.code == dry.code == 1
    assert real.err == dry.err == "error: Voice name is already taken: --name 'narrator'.\n"
    assert real.json()["errors"] == dry.json()["errors"]
    assert real.json()["errors"] == [{"error": "Validation Error", "message": limits.NAME_TAKEN}]
    assert real.json()["files"] == dry.json()["files"]
    assert service.posts(CLONE) == 0  # no upload at all
    assert service.posts(CHECK) == 2
    # on a terminal or a pipe, without --json: the same line
    r = cli("clone", "--name", "Narrator", sample)
    assert r.code == 1 and r.err.endswith(
        "error: Voice name is already taken: --name 'Narrator'.\n"
    )
    assert service.posts(CLONE) == 0
    assert len(service.voices_named("Narrator")) == 1


def test_a_free_name_is_checked_then_uploaded(cli, service: Service, sample: Path) -> None:
    r = cli("clone", "--name", "Fresh", sample, "--json")
    assert r.code == 0, r.err
    asked = [(m, p) for m, p, _ in service.faults.seen if p in (CHECK, CLONE)]
    assert asked == [("POST", CHECK), ("POST", CLONE)]
    assert len(service.voices_named("Fresh")) == 1


def test_a_name_check_that_fails_is_said_and_the_upload_goes_on(
    cli, service: Service, sample: Path
) -> None:
    service.faults.add("POST", CHECK, status=404, times=10)
    r = cli("clone", "--name", "Fresh", sample)
    assert r.code == 0, r.err
    assert "warning: The name could not be checked before the upload" in r.err
    assert service.posts(CLONE) == 1 and len(service.voices_named("Fresh")) == 1

"""A hostile network: real HTTP on 127.0.0.1, faults injected by a WSGI wrapper or a TCP proxy."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import KEY
from .servers import BreakingProxy, Service

HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def html(status: int, times: int = 1, after: bool = False) -> dict:
    return {
        "status": status,
        "body": HTML_502,
        "headers": {"Content-Type": "text/html"},
        "times": times,
        "after": after,
    }


def test_503_to_a_clone_is_not_resent_and_the_outcome_is_unknown(
    cli, service: Service, sample: Path
) -> None:
    # A 503 may come after the voice was made, so a clone is never resent after one (a resend
    # could make a duplicate). Nothing appears: exit 4, how to check.
    service.faults.add("POST", "/v1/voices/clone", **html(503))
    started = time.monotonic()
    r = cli("clone", "--name", "R", sample, "--timeout", "1", "--json")
    assert r.code == 4, r.err
    assert 2 <= time.monotonic() - started < 10  # the bounded wait for the voice to appear
    assert service.posts("/v1/voices/clone") == 1
    assert service.voices_named("R") == []
    message = r.json()["errors"][0]["message"]
    assert "whether 'R' was created is unknown, so it was not uploaded again" in message
    assert "Check with 'bland-clone voices list' before trying again" in message


def test_503_after_the_voice_was_made_reports_it_once(cli, service: Service, sample: Path) -> None:
    service.faults.add("POST", "/v1/voices/clone", **html(503, after=True))
    r = cli("clone", "--name", "Made", sample, "--json")
    assert r.code == 0, r.err
    (voice,) = service.voices_named("Made")
    assert r.json()["voice_id"] == voice.id and r.json()["recovered"] is True
    assert service.posts("/v1/voices/clone") == 1


def test_429_honours_retry_after(cli, service: Service, sample: Path) -> None:
    service.faults.add(
        "POST", "/v1/voices/clone", status=429, headers={"Retry-After": "1"}, times=1
    )
    started = time.monotonic()
    r = cli("clone", "--name", "Rate", sample)
    assert r.code == 0, r.err
    assert time.monotonic() - started >= 1.0
    assert service.posts("/v1/voices/clone") == 2


def test_429_storm_gives_up_after_bounded_retries(cli, service: Service, sample: Path) -> None:
    service.faults.add(
        "POST", "/v1/voices/clone", status=429, headers={"Retry-After": "0"}, times=50
    )
    r = cli("clone", "--name", "Storm", sample, "--json")
    assert r.code == 4
    assert service.posts("/v1/voices/clone") == 4  # the first try and three retries
    assert r.json()["errors"][0]["message"] == (
        "Rate limited by the service after retries: The service answered 429 X"
    )
    assert service.voices_named("Storm") == []


def test_429_asking_for_a_long_wait_gives_up_at_once(cli, service: Service, sample: Path) -> None:
    service.faults.add(
        "POST", "/v1/voices/clone", status=429, headers={"Retry-After": "3600"}, times=5
    )
    started = time.monotonic()
    r = cli("clone", "--name", "Wait", sample)
    assert r.code == 4
    assert time.monotonic() - started < 10
    assert "asked to wait longer than 60s in total" in r.err


def test_html_500_is_exit_4_without_a_traceback(cli, service: Service, sample: Path) -> None:
    service.faults.add("POST", "/v1/voices/clone", **html(500))
    r = cli("clone", "--name", "H", sample)
    assert r.code == 4
    assert r.err == "error: The service answered 500 X (an HTML page: 502 Bad Gateway)\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>oops</html>", "with something that is not JSON (an HTML page)"),
        (b"", "with an empty body"),
        (
            b'{"status": 200, "data": {"name": "x"}, "errors": null}',
            "The clone's answer has no voice_id.",
        ),
    ],
    ids=["html", "empty", "no-voice-id"],
)
def test_a_200_that_is_not_a_clone_answer(
    cli, service: Service, sample: Path, body: bytes, message: str
) -> None:
    service.faults.add(
        "POST", "/v1/voices/clone", status=200, body=body, headers={"Content-Type": "text/html"}
    )
    r = cli("clone", "--name", "M", sample)
    assert r.code == 4
    assert message in r.err
    assert "Traceback" not in r.err


def test_a_huge_error_body_is_read_only_in_part(cli, service: Service, sample: Path) -> None:
    service.faults.add("POST", "/v1/voices/clone", status=500, body=b"x" * (20 * 1024 * 1024))
    r = cli("clone", "--name", "Huge", sample)
    assert r.code == 4
    assert len(r.err) < 400
    assert r.err.startswith("error: The service answered 500 X (xxxx")


def test_502_after_the_voice_was_made_reports_it_instead_of_a_duplicate(
    cli, service: Service, sample: Path
) -> None:
    service.faults.add("POST", "/v1/voices/clone", **html(502, after=True))
    r = cli("clone", "--name", "Gateway", sample, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    (voice,) = service.voices_named("Gateway")
    assert doc["voice_id"] == voice.id and doc["recovered"] is True
    assert service.posts("/v1/voices/clone") == 1  # never uploaded again
    assert "the voice was found by name and was not uploaded again" in r.err


def test_502_before_the_voice_was_made_is_not_resent(cli, service: Service, sample: Path) -> None:
    # The client cannot tell this 502 from one sent after the voice was made, so it does not
    # resend: one upload, exit 4, and how to check.
    service.faults.add("POST", "/v1/voices/clone", **html(502, after=False))
    r = cli("clone", "--name", "Retry", sample, "--timeout", "1")
    assert r.code == 4
    assert service.posts("/v1/voices/clone") == 1
    assert "Check with 'bland-clone voices list' before trying again" in r.err


def test_dropped_connection_after_upload_finds_the_voice(
    cli, service: Service, sample: Path
) -> None:
    proxy = BreakingProxy(
        service.http.port, ["pass", "pass", "drop_response"]
    )  # name, list, upload
    try:
        r = cli("clone", "--name", "Dropped", sample, "--api-url", proxy.url)
    finally:
        proxy.close()
    assert r.code == 0, r.err
    (voice,) = service.voices_named("Dropped")
    assert r.out == f"Found existing voice 'Dropped': {voice.id}\n"
    assert service.posts("/v1/voices/clone") == 1


def test_reset_in_the_middle_of_an_upload_uploads_again_once(
    cli, service: Service, tmp_path: Path
) -> None:
    from .audiofiles import write_wav

    # 8.6 MB, more than the socket buffers hold: the reset comes while the body is being sent,
    # so the service cannot have it whole and a resend is safe.
    big = write_wav(tmp_path / "big.wav", 45.0, 48000, channels=2)
    proxy = BreakingProxy(  # the name check, the list, the upload
        service.http.port, ["pass", "pass", "reset_upload"], reset_after=200_000
    )
    try:
        r = cli("clone", "--name", "Reset", big, "--api-url", proxy.url)
    finally:
        proxy.close()
    assert r.code == 0, r.err
    assert len(service.voices_named("Reset")) == 1
    assert service.posts("/v1/voices/clone") == 1  # the broken first try never reached it


def test_a_stalled_service_times_out(cli, service: Service, sample: Path) -> None:
    proxy = BreakingProxy(service.http.port, ["pass", "pass"] + ["stall"] * 10)  # the upload stalls
    started = time.monotonic()
    try:
        r = cli("clone", "--name", "Stall", sample, "--api-url", proxy.url, "--timeout", "1")
    finally:
        proxy.close()
    assert r.code == 4
    assert time.monotonic() - started < 15
    assert "no answer within 1s" in r.err
    assert "Check with 'bland-clone voices list' before trying again." in r.err


def test_redirects_are_not_followed_and_the_key_goes_nowhere_else(
    cli, service: Service, sample: Path
) -> None:
    other = Service("sk-other-000000000000000")
    try:
        service.faults.add(
            "POST",
            "/v1/voices/clone",
            status=307,
            headers={"Location": other.url + "/v1/voices/clone"},
        )
        r = cli("clone", "--name", "Redirect", sample)
    finally:
        other.close()
    assert r.code == 4
    assert "redirecting to 127.0.0.1; not followed" in r.err
    assert other.faults.seen == []
    assert KEY not in r.err + r.out


def test_a_cut_off_answer_is_said_in_words(cli, service: Service, tmp_path: Path) -> None:
    from .expect import one_error_line
    from .servers import sized

    service.faults.add(
        "POST",
        "/v2/tts",
        status=200,
        stream=sized(1000),
        headers={"Content-Type": "audio/wav", "Content-Length": "5000"},
    )
    r = cli("speak", "Maya", "Hello.", "-o", tmp_path / "out.wav")
    assert r.code == 4
    line = one_error_line(r.err)
    assert "answer was cut off" in line and "connection closed" in line
    assert not (tmp_path / "out.wav").exists()

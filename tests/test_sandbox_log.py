"""The sandbox command's request log: plain text when redirected, one line per request even when
the client leaves in the middle of one."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .servers import closed_port


def test_the_sandbox_log_is_plain_text_when_redirected(tmp_path: Path) -> None:
    port = closed_port()
    log = tmp_path / "log.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    with log.open("w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "bland_clone", "sandbox", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/no/such/path", timeout=10)
            except urllib.error.HTTPError as e:
                assert e.code == 404
        finally:
            server.terminate()
            server.wait(timeout=10)
    text = log.read_text()
    assert '"GET /no/such/path HTTP/1.1" 404' in text
    assert "\x1b[" not in text


def test_the_sandbox_logs_a_client_that_leaves_mid_upload_in_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLAND_")}
    env["BLAND_SANDBOX_KEY"] = "sk-sandbox-test-key"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bland_clone", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(re.search(r":(\d+)$", proc.stdout.readline().strip()).group(1))  # type: ignore[union-attr]
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(
            b"POST /v1/voices/clone HTTP/1.1\r\nHost: x\r\nAuthorization: sk-sandbox-test-key\r\n"
            b"Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: 5000000\r\n\r\n"
            + b"x"
            * 100_000
        )
        time.sleep(0.3)
        s.close()  # gone, 4.9 MB short
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err and "Error on request" not in err, err
    (line,) = [x for x in err.splitlines() if "/v1/voices/clone" in x]
    assert line.endswith('"POST /v1/voices/clone HTTP/1.1" 400 -')

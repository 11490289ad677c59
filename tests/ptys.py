"""Run the real program on a pseudo-terminal and read what a person would see."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .servers import Service


def _controlling_tty() -> None:  # so that \x03 on the terminal sends SIGINT, as in a shell
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_on_pty(
    argv: list[str],
    env: dict[str, str],
    *,
    answer: bytes | None = None,
    prompt: bytes = b"[y/N]",
    stdin: bool = True,
    controlling: bool = False,
    timeout: float = 30,
    pause: float = 0.0,
) -> tuple[int, str, bool]:
    """``python ARGV`` with stdout and stderr (and stdin, unless ``stdin`` is false) on a
    pseudo-terminal. ``answer`` is typed once ``prompt`` appears; ``controlling`` makes the
    terminal the process's own, so that a typed \\x03 is Ctrl-C. Returns (exit code, screen,
    whether the answer was typed). ``pause`` waits that long after the prompt before typing, as a
    person would: a Ctrl-C sent in the microseconds between the prompt's last byte and the read
    that follows it is seen by no reader (Python's handler runs only once the read returns)."""
    primary, secondary = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, *argv],
        stdin=secondary if stdin else subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
        preexec_fn=_controlling_tty if controlling else None,
    )
    os.close(secondary)
    seen, answered = b"", False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([primary], [], [], 0.1)[0]:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if answer is not None and not answered and prompt in seen:
                time.sleep(pause)
                os.write(primary, answer)
                answered = True
        elif proc.poll() is not None:
            break
    code = proc.wait(timeout=5)
    os.close(primary)
    return code, seen.decode("utf-8", "replace"), answered


def run_on_tty(
    args: list[str], env: dict[str, str], answer: bytes | None = None, timeout: float = 30
) -> tuple[int, str]:
    """Run ``python -m bland_clone ARGS`` with stdin/stdout/stderr on a pseudo-terminal."""
    code, screen, _ = run_on_pty(["-m", "bland_clone", *args], env, answer=answer, timeout=timeout)
    return code, screen


def service_env(service: Service) -> dict[str, str]:
    """This process's environment with the user's BLAND_* and NO_COLOR settings removed, pointed
    at ``service``, as a 120-column colour terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLAND_", "NO_COLOR"))}
    env.update(
        BLAND_API_URL=service.url, BLAND_API_KEY=service.key, TERM="xterm-256color", COLUMNS="120"
    )
    return env

"""The run's environment: what the command line writes reaches the person even while a C
library is silenced in another thread, and options of the whole run go before the command."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import bland_clone.cli

from .servers import Service

#: A thread holds audio.quiet.quiet_stderr (as apply's background check does while FFmpeg or
#: libsndfile decodes) while the main thread runs the real entry point, whose error goes to
#: stderr. What a C library writes to descriptor 2 meanwhile must still vanish.
_SCRIPT = textwrap.dedent(
    """
    import os, sys, threading
    from bland_clone.__main__ import main
    from bland_clone.audio.quiet import quiet_stderr

    silenced, done = threading.Event(), threading.Event()

    def decode_in_background():
        with quiet_stderr():
            silenced.set()
            done.wait()

    original = sys.stderr
    worker = threading.Thread(target=decode_in_background)
    worker.start()
    silenced.wait()
    os.write(2, b"C library noise\\n")  # what libsndfile would print: silenced
    code = main(["validate", "no-such-take.wav"])
    print("stderr given back:", sys.stderr is original, flush=True)
    done.set()
    worker.join()
    print("after the redirect:", code, file=sys.stderr, flush=True)
    """
)


def test_the_cli_is_heard_while_another_thread_silences_c_libraries() -> None:
    got = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    assert "C library noise" not in got.stderr  # the redirect was in force
    # the entry point's error, written while descriptor 2 pointed at /dev/null, arrived
    assert "error: 1 problem found" in got.stderr
    assert "stderr given back: True" in got.stdout
    assert "after the redirect: 1" in got.stderr


def test_verbose_goes_before_the_command_as_after_it(cli, service: Service) -> None:
    service.state.add_voice("Traced")
    before = cli("--verbose", "voices", "list")
    after = cli("voices", "list", "-v")
    plain = cli("voices", "list")
    assert before.code == after.code == plain.code == 0
    for r in (before, after):
        assert "> GET " in r.err and "/v1/voices" in r.err
        assert "Authorization: ****" in r.err and service.key not in r.err
    assert "> GET " not in plain.err
    # a command that talks to no service takes it and has nothing to trace
    assert cli("-v", "config", "show").code == 0


def test_only_the_environment_asks_the_process() -> None:
    """Commands read streams, terminals and the variables that shape output from the run's
    Environment, and keep no module state: a grep, so a new command cannot slip back."""
    cli_dir = Path(bland_clone.cli.__file__).parent
    asked = re.compile(
        r"\.isatty\(|sys\.std(?:in|out|err)\b|^global |"
        r"environ(?:\.get\(|\[)[\"'](?:GITHUB_|NO_COLOR|TERM|COLUMNS)"
    )
    found = [
        f"{path.relative_to(cli_dir)}:{n}: {line.strip()}"
        for path in sorted(cli_dir.rglob("*.py"))
        if path.name != "environment.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if asked.search(line.strip())
    ]
    assert found == []

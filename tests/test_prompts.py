"""Questions on a terminal: Ctrl-C at a prompt is an interruption, and nothing is done."""

from __future__ import annotations

from pathlib import Path

from .audiofiles import write_wav
from .manifests import manifest
from .ptys import run_on_pty, service_env
from .servers import Service


def test_ctrl_c_at_a_prompt_is_interrupted_130(service: Service) -> None:
    v = service.state.add_voice("Asked")
    env = dict(service_env(service), TERM="xterm")
    code, screen, sent = run_on_pty(
        ["-m", "bland_clone", "voices", "delete", "Asked"],
        env,
        answer=b"\x03",
        prompt=b"[y/N]: ",
        pause=0.3,
        controlling=True,
    )
    assert sent, screen
    assert code == 130, screen
    assert "Interrupted." in screen and "Aborted" not in screen
    assert not v.deleted


def test_apply_keep_going_holds_its_checks_warnings_while_it_asks(
    cli, service: Service, tmp_path: Path
) -> None:
    """apply --keep-going checks samples while it asks to confirm a replacement: a check's
    warning (a GitHub annotation, as in a workflow run on a terminal-backed runner) waits until
    the question is answered, never written into the prompt."""
    m = manifest(tmp_path, '[[voice]]\nname = "Asked"\nsamples = ["samples/a.wav"]\n')
    env = dict(service_env(service), TERM="xterm", XDG_CACHE_HOME=str(tmp_path / "cache"))
    env["GITHUB_ACTIONS"] = "true"  # the checks' problems are annotated: ::warning ...
    r = cli("apply", m, "--json")
    assert r.code == 0, r.err
    write_wav(tmp_path / "samples" / "a.wav", 4.0)  # changed, and short: a length warning
    code, screen, sent = run_on_pty(
        ["-m", "bland_clone", "apply", str(m), "--keep-going"],
        env,
        answer=b"y\r",
        prompt=b"[y/N]: ",
        pause=2.0,  # the check is done meanwhile
    )
    assert sent, screen
    asked, _, after = screen.partition("[y/N]: ")
    assert "::warning" not in asked, screen
    assert after.startswith("y"), screen  # nothing between the question and its answer
    assert "::warning" in after and "4.0s" in after, screen
    assert code == 0, screen

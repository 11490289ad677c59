"""Questions on a terminal: Ctrl-C at a prompt is an interruption, and nothing is done."""

from __future__ import annotations

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

"""Helpers the commands share: the output mode, the confirmation before a destructive change,
and the samples table. (Settings, clients and
the checks of an upload's files are operations: bland_clone.ops.session and ops.inputs.)"""

from __future__ import annotations

import sys
from typing import Any

from ..errors import UsageError
from .output import Mode, Output


def make_output(json_: bool = False, quiet: bool = False, fmt: str | None = None) -> Output:
    if json_ and quiet:
        raise UsageError("--json and --quiet cannot be used together")
    if fmt not in (None, "text", "github"):
        raise UsageError(f"--annotations must be text or github, not {fmt!r}")
    mode: Mode = "json" if json_ else "quiet" if quiet else "human"
    from .output import current

    out = current().set_mode(mode)  # the invocation's one output, made by the entry point
    if fmt is not None:
        out.github = fmt == "github"
    return out


def can_confirm(what: str, *, yes: bool) -> None:
    """A destructive command goes on with --yes, or with a terminal to ask on; off a terminal
    without --yes it stops here (exit 2), before anything is looked up or sent."""
    if not yes and not sys.stdin.isatty():
        raise UsageError(
            f"Refusing to {what} without --yes: standard input is not a terminal to confirm on."
        )


def confirm(prompt: str, *, yes: bool, what: str) -> bool:
    """Ask before ``what`` (to delete, to replace...): yes with --yes, else the person's answer
    on the terminal (no by default); off a terminal without --yes, a UsageError (exit 2). The
    one confirmation every destructive command uses."""
    if yes:
        return True
    can_confirm(what, yes=yes)
    import typer  # only when asking: --help is served without Typer

    return bool(typer.confirm(prompt, default=False, err=True))


def samples_table(out: Output, samples: list[dict[str, Any]]) -> None:
    out.table(
        ["Sample id", "Duration", "Created", "Transcription"],
        [
            [
                str(s.get("id", "")),
                f"{s['duration_seconds']:.2f}s"
                if isinstance(s.get("duration_seconds"), (int, float))
                else "-",
                str(s.get("created_at") or "-"),
                str(s.get("transcription") or ""),
            ]
            for s in samples
        ],
    )

"""Helpers the commands share: the output mode and a dry run's request. (Settings, clients and
the checks of an upload's files are operations: bland_clone.ops.session and ops.inputs.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .output import Mode, Output

if TYPE_CHECKING:
    from ..api.upload import UploadPlan

_current: Output | None = None


def make_output(json_: bool = False, quiet: bool = False, fmt: str | None = None) -> Output:
    global _current
    if json_ and quiet:
        raise UsageError("--json and --quiet cannot be used together")
    if fmt not in (None, "text", "github"):
        raise UsageError(f"--annotations must be text or github, not {fmt!r}")
    mode: Mode = "json" if json_ else "quiet" if quiet else "human"
    _current = Output(mode)
    if fmt is not None:
        _current.github = fmt == "github"
    return _current


def current_output(default_json: bool = False) -> Output:
    return _current or Output("json" if default_json else "human")


def reset_output() -> None:
    global _current
    _current = None


def print_plan(out: Output, plan: UploadPlan, api_url: str) -> None:
    """A dry run's request, as the client would send it."""
    for line in plan.lines(api_url):
        out.line(line)


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

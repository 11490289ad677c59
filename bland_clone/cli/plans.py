"""How manifests' checks and plans are shown: voice reports, the plan table, its JSON, GitHub's
job summary. (The checks and the plan themselves are bland_clone.ops.workflow.)"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from ..core.envelope import envelope
from ..core.errors import InputError
from ..core.plan import Action, Status, summary
from ..core.safetext import one_line, quoted
from ..ops.workflow import build_plan

if TYPE_CHECKING:
    from ..audio.verdict import Report
    from ..core.manifest import VoiceSpec
    from ..core.plan import VoicePlan
    from ..ops.session import Connection
    from ..ops.workflow import Planned
    from .environment import Environment
    from .output import Output

#: A table cell's colour by its text: the actions of a plan and the statuses of apply.
COLOURS: dict[str, str] = {
    Action.CREATE: "green",
    Status.CREATED: "green",
    Action.ADOPT: "cyan",
    Status.PRESENT: "cyan",
    Action.NOTHING: "cyan",
    Action.REPLACE: "yellow",
    Status.REPLACED: "yellow",
    Action.UPDATE_SETTINGS: "yellow",
    Action.RENAME: "yellow",
    Status.RENAMED: "yellow",
    Status.SETTINGS_UPDATED: "yellow",
    Action.MISSING: "magenta",
    Action.DELETE: "red",
    Status.DELETED: "red",
    Status.FAILED: "red",
    Status.INVALID: "red",
    Status.INTERRUPTED: "red",
    Status.WOULD_CREATE: "yellow",
    Action.FINISH_REPLACEMENT: "yellow",
    Action.UNDO_REPLACEMENT: "yellow",
    Action.FINISHED_REPLACEMENT: "yellow",
    Action.UNDID_REPLACEMENT: "yellow",
}


def show_voice_reports(
    out: Output, checked: list[tuple[VoiceSpec, Report]], *, only_bad: bool = False
) -> None:
    for spec, report in checked:
        if only_bad and report.ok:
            continue
        out.line(f"voice {spec.name!r} (line {spec.line}): {voice_status(report)}")
        out.report(report)


def voice_status(report: Report) -> str:
    """A voice's line above its table, as the table's verdicts say it: refused, warning (with
    how many), or ok."""
    n = len(report.warnings)
    if not report.ok:
        return "refused"
    return f"warning ({n} warning{'s' if n != 1 else ''})" if n else "ok"


# -- showing a plan ---------------------------------------------------------------------------


def summary_line(voices: list[VoicePlan]) -> str:
    c = Counter(v.action for v in voices)
    parts = [
        f"{c[Action.CREATE]} to create",
        f"{c[Action.REPLACE]} to replace",
        f"{c[Action.UPDATE_SETTINGS]} settings to update",
        *([f"{c[Action.RENAME]} to rename"] if c[Action.RENAME] else []),
        f"{c[Action.DELETE]} to delete",
    ]
    extra = [
        f"{c[k]} {label}"
        for k, label in (
            (Action.FINISH_REPLACEMENT, "interrupted replacement(s) to finish"),
            (Action.UNDO_REPLACEMENT, "interrupted replacement(s) to undo"),
            (Action.ADOPT, "to adopt"),
            (Action.MISSING, "missing on the service"),
            (Action.NOTHING, "unchanged"),
            (Action.NOT_IN_MANIFEST, "not in the manifest"),
            (Action.UNMANAGED, "unmanaged"),
            (Action.INVALID, "invalid"),
            (Action.UNKNOWN, "unknown (no key)"),
        )
        if c[k]
    ]
    return "Plan: " + ", ".join(parts) + ("; " + ", ".join(extra) if extra else "") + "."


def plan_json(p: Planned) -> dict[str, Any]:
    return envelope(
        {
            "manifest": p.manifest,
            "lock": str(p.lock_path),
            "changes": p.changes,
            "summary": summary(p.voices),
            "voices": [v.to_dict() | {"detail": said(v) or None} for v in p.voices],
        },
        ok=not p.invalid,
    )


def said(v: VoicePlan) -> str | None:
    """A voice's detail (or, after apply, its outcome's message) in the command line's words:
    the remedy the plan and the operation leave to it."""
    shown = v.shown_message
    o = v.outcome
    if (o is None or o.message is None) and v.action is Action.NOT_IN_MANIFEST:
        return f"{shown}; apply --prune deletes it"
    if o is not None and o.status is Status.INTERRUPTED and v.action is not Action.REPLACE:
        return f"{shown}; check with 'bland-clone voices list'"
    return shown


def plan_rows(p: Planned) -> list[list[str]]:
    """The plan's table: name, action, voice id, detail."""
    return [[v.name, v.action.value, v.voice_id or "-", said(v) or ""] for v in p.voices]


def show_plan(out: Output, p: Planned) -> None:
    out.table(["Name", "Action", "Voice id", "Detail"], plan_rows(p), colours=COLOURS)
    out.line(summary_line(p.voices))


def job_summary(
    env: Environment, title: str, columns: list[str], rows: list[list[str]], footer: str = ""
) -> None:
    """A Markdown table on the GitHub Actions job summary page ($GITHUB_STEP_SUMMARY)."""
    target = env.step_summary
    if not target:
        return

    def cell(text: str) -> str:
        text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
        for ch in "\\`*_[]<>|":
            text = text.replace(ch, "\\" + ch)
        return text or " "

    code = "".join(c if c.isprintable() and c != "`" else "?" for c in title)
    lines = [f"### `{code}`", "", "| " + " | ".join(columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    if footer:
        lines += ["", cell(footer)]
    try:
        with open(target, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n\n")
    except OSError:
        pass  # the summary is a courtesy; the log has everything


def run_plan(
    out: Output,
    path: str,
    conn: Connection,
    *,
    prune: bool = False,
    detailed_exitcode: bool = False,
) -> int:
    """`plan` and `apply --plan`: show the plan; the exit code --detailed-exitcode asks for."""

    p = build_plan(out, path, conn, prune=prune)
    job_summary(
        out.env,
        f"bland-clone plan {path}",
        ["Name", "Action", "Voice id", "Detail"],
        plan_rows(p),
        summary_line(p.voices),
    )
    if p.invalid:
        show_plan(out, p)
        doc = plan_json(p)
        raise InputError(
            f"{len(p.invalid)} voice(s) fail validation; fix them before applying.",
            errors=[
                {"error": "Validation Error", "message": f"{v.name}: {v.detail}", "voice": v.name}
                for v in p.invalid
            ],
            payload={k: v for k, v in doc.items() if k not in ("ok", "errors")},
        )
    unjudged = [v.name for v in p.voices if v.unjudged]
    if unjudged:
        out.warn(
            f"Quality not checked yet for {', '.join(map(quoted, unjudged))} "
            "(plan reads no audio): apply analyses the samples before uploading and may "
            "refuse them; "
            f"'bland-clone validate {one_line(path)}' checks them now."
        )
    out.result(plan_json(p), lambda: show_plan(out, p))
    return 2 if detailed_exitcode and p.changes else 0

"""Helpers the commands share: the run's output and its mode, the confirmation before a
destructive change, and the samples table. (Settings, clients and the checks of an upload's
files are operations: bland_clone.ops.session and ops.inputs.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from ..core.errors import UsageError
from ..core.safetext import quoted
from .environment import Environment
from .output import Mode, Output

if TYPE_CHECKING:
    from ..audio.inspection import AudioInfo
    from ..audio.verdict import Report
    from ..ops.verifying import Verification


def run_output(ctx: typer.Context) -> Output:
    """The run's one Output, which the entry point hands down as the context's ``obj``; one
    made from the process's environment when the app runs without it (Typer's CliRunner)."""
    out = ctx.obj
    if not isinstance(out, Output):
        out = ctx.obj = Output(Environment.detect())
    return out


def make_output(
    ctx: typer.Context, json_: bool = False, quiet: bool = False, fmt: str | None = None
) -> Output:
    """The run's Output in the mode the command's options ask for."""
    if json_ and quiet:
        raise UsageError("--json and --quiet cannot be used together")
    if fmt not in (None, "text", "github"):
        raise UsageError(f"--annotations must be text or github, not {fmt!r}")
    mode: Mode = "json" if json_ else "quiet" if quiet else "human"
    out = run_output(ctx).set_mode(mode)
    if fmt is not None:
        out.github = fmt == "github"
    return out


def can_confirm(env: Environment, what: str, *, yes: bool) -> None:
    """A destructive command goes on with --yes, or with a terminal to ask on; off a terminal
    without --yes it stops here (exit 2), before anything is looked up or sent."""
    if not yes and not env.stdin_isatty:
        raise UsageError(
            f"Refusing to {what} without --yes: standard input is not a terminal to confirm on."
        )


def confirm(env: Environment, prompt: str, *, yes: bool, what: str) -> bool:
    """Ask before ``what`` (to delete, to replace...): yes with --yes, else the person's answer
    on the terminal (no by default); off a terminal without --yes, a UsageError (exit 2). The
    one confirmation every destructive command uses."""
    if yes:
        return True
    can_confirm(env, what, yes=yes)
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


@dataclass(frozen=True)
class Page:
    """Where --report writes its page, and whether the takes are linked (--report-link)."""

    path: str
    link: bool = False


def report_target(path: str | None, link: bool) -> Page | None:
    """--report and --report-link, checked before any work is done."""
    if path is None:
        if link:
            raise UsageError("--report-link goes with --report PAGE.html")
        return None
    from ..report import check_target  # lazy: start-up (voices list)

    check_target(path)
    return Page(path, link)


def write_report(
    out: Output,
    page: Page,
    report: Report,
    *,
    command: str,
    paths: Sequence[str],
    ranked: Sequence[AudioInfo] | None = None,
    best: AudioInfo | None = None,
    summary: str = "",
    notes: dict[str, list[str]] | None = None,
    names: dict[str, str] | None = None,
    sources: dict[str, Any] | None = None,
) -> None:
    """The --report page of checked takes (Jinja2 and the encoders load only here)."""
    from ..report import takes_page, title_of, write  # lazy: start-up (voices list)

    html = takes_page(
        report,
        title=title_of(command, paths),
        ranked=ranked,
        best=best,
        report_path=page.path,
        link=page.link,
        summary=summary,
        notes=notes,
        names=names,
        sources=sources,
    )
    write(page.path, html)
    out.info(f"Report: {page.path}")


def write_verification_report(out: Output, page: Page, v: Verification) -> None:
    """verify's --report page (bland_clone.ops.verifying.Verification): the first sample and
    the voice's preview side by side, with the numbers and the verdict."""
    from ..audio import decode  # lazy: start-up (voices list)
    from ..audio.inspection import inspect  # lazy: start-up (voices list)
    from ..audio.quality import mixdown  # lazy: start-up (voices list)
    from ..report import verify_page, write  # lazy: start-up (voices list)

    info = inspect(v.samples[0])
    data, rate = decode.excerpt(info.path, info)
    more = len(v.samples) - 1
    name = v.samples[0] + (f" (and {more} more sample{'s' if more != 1 else ''})" if more else "")
    mono, heard_rate = v.heard
    html = verify_page(
        voice=v.name,
        sample=(name, mixdown(data), rate),
        preview=(v.kept or f"the preview of {v.name}", mono, heard_rate),
        similarity=v.similarity,
        baseline=v.baseline,
        margin=v.margin,
        verdict=v.verdict,
        explanation=f"{v.verdict}: {VERDICT_MEANING[v.verdict]}. A margin over other voices, "
        "not proof of identity.",
        stock=[(s.name, s.similarity) for s in v.stock],
        links=(v.samples[0], v.kept) if page.link else (None, None),
        report_path=page.path,
    )
    write(page.path, html)
    out.info(f"Report: {page.path}")


#: What each verdict of verify means, said after it.
VERDICT_MEANING = {
    "similar": "the preview sounds like the samples, clearly more than stock voices do",
    "unclear": "the preview is not clearly closer to the samples than other voices are",
    "different": "the preview sounds no more like the samples than other voices do",
}


def show_verification(out: Output, v: Verification) -> None:
    """verify's result (bland_clone.ops.verifying.Verification), as lines: shared by verify and
    clone --verify."""
    out.line(
        f"Similarity of {quoted(v.name)} to the samples: {v.similarity:.2f} "
        f"({v.speech_seconds:.1f} s of speech compared)"
    )
    if v.baseline is not None:
        each = ", ".join(f"{quoted(s.name)} {s.similarity:.2f}" for s in v.stock)
        out.line(f"Baseline (stock voices: {each}): {v.baseline:.2f}")
        out.line(f"Margin: {v.margin:+.2f}")
    out.line(f"Verdict: {v.verdict}: {VERDICT_MEANING[v.verdict]}.")
    if v.verdict != "similar":
        out.info(
            "Listen to it ('bland-clone speak'); a clone follows its samples, and "
            "'bland-clone validate' says what in them to fix (noise, echo, level, length)."
        )
    if v.kept is not None:
        out.info(f"The voice's preview was kept as {v.kept}.")
    if v.cost is not None:
        out.info(f"Previews asked: {v.requests}; cost {v.cost:g}.")

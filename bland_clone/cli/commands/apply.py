"""bland-clone apply: make the service match a manifest, and record what was made in its lock."""

from contextlib import nullcontext
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ...core.errors import BlandCloneError, Declined, ExitCode, InputError, UsageError
from ...core.plan import Action
from ...ops import applying
from ..common import confirm
from ..options import (
    AnnotationsOpt,
    Connection,
    DryRunOpt,
    FormatAliasOpt,
    YesOpt,
    annotations_style,
    with_connection,
)
from ..output import Output
from ..plans import COLOURS, job_summary, run_plan, said, show_voice_reports

if TYPE_CHECKING:
    from ...core.plan import VoicePlan
    from ...ops.applying import Applied


class Interrupted(BlandCloneError):
    exit_code = ExitCode.INTERRUPTED
    kind = "Interrupted"


def _exit_code(codes: list[int]) -> ExitCode:
    for c in (ExitCode.AUTH, ExitCode.SERVICE):
        if c in codes:
            return c
    return ExitCode.INPUT


def _confirm(out: Output, voices: list["VoicePlan"], yes: bool) -> None:
    """Replacing and deleting ask on a terminal and need --yes off one."""

    risky = [v for v in voices if v.action.destructive]
    if not risky or yes:
        return
    what = " and ".join(
        f"{verb} {n} voice(s)"
        for verb, n in (
            ("replace", sum(1 for v in risky if v.action is Action.REPLACE)),
            ("delete", sum(1 for v in risky if v.action is Action.DELETE)),
        )
        if n
    )
    listing = ", ".join(f"{v.name!r} ({v.action})" for v in risky)
    if not confirm(out.env, f"Apply will {what}: {listing}. Go on?", yes=yes, what=what):
        raise Declined("Nothing was changed.")


COLUMNS = ["Name", "Status", "Voice id", "Detail"]


def _rows(done: "Applied") -> list[list[str]]:
    return [
        [
            v.name,
            str(v.outcome.status if v.outcome else ""),
            v.shown_voice_id or "-",
            said(v) or "",
        ]
        for v in done.voices
    ]


def _worded(done: "Applied") -> dict[str, Any]:
    """apply's JSON, each voice's message in the command line's words (as in the table)."""
    doc = done.to_dict()
    doc["voices"] = [
        row | {"message": said(v)} for row, v in zip(doc["voices"], done.voices, strict=True)
    ]
    return doc


def _human_table(out: Output, done: "Applied") -> None:
    out.table(COLUMNS, _rows(done), colours=COLOURS)


def _job_summary(out: Output, done: "Applied") -> None:
    job_summary(out.env, f"bland-clone apply {done.manifest}", COLUMNS, _rows(done))


def _render(out: Output, done: "Applied") -> None:
    """The table (or JSON), GitHub's job summary, and the exit code of what apply did."""
    if done.interrupted is not None:
        _human_table(out, done)
        _job_summary(out, done)
        raise Interrupted(done.interrupted, payload=_worded(done) | {"ok": False})
    result = _worded(done)
    failed = done.failed
    if not done.dry_run:
        _job_summary(out, done)
    if failed:
        if out.mode == "human":
            _human_table(out, done)
        exc = InputError(
            f"{len(failed)} of {len(done.voices)} voice(s) not applied.",
            errors=[
                {"error": "Apply Error", "message": f"{v.name}: {said(v)}", "voice": v.name}
                for v in failed
            ],
            payload={k: v for k, v in result.items() if k not in ("ok", "errors")},
        )
        exc.exit_code = _exit_code([v.outcome.exit_code or 1 if v.outcome else 1 for v in failed])
        raise exc
    out.result(result, lambda: _human_table(out, done))


def apply_manifest(
    out: Output,
    path: str,
    *,
    dry_run: bool = False,
    jobs: int = 2,
    keep_going: bool = False,
    prune: bool = False,
    yes: bool = False,
    lock_timeout: float = 30.0,
    conn: Connection | None = None,
) -> None:
    """Plan, confirm what replaces or deletes, carry out the plan in parallel, show it. All but
    a dry run hold the manifest's apply lock throughout."""

    with nullcontext() if dry_run else applying.exclusive(out, path, wait=lock_timeout):
        _apply(out, path, dry_run, jobs, keep_going, prune, yes, conn)


def _apply(
    out: Output,
    path: str,
    dry_run: bool,
    jobs: int,
    keep_going: bool,
    prune: bool,
    yes: bool,
    conn: Connection | None,
) -> None:
    try:
        p = applying.plan_apply(
            out, path, dry_run=dry_run, keep_going=keep_going, prune=prune, conn=conn
        )
    except applying.InvalidVoices as exc:
        show_voice_reports(out, exc.checked, only_bad=True)
        raise
    try:
        if dry_run:
            done = applying.dry_run(p)
        else:
            _confirm(out, p.voices, yes)
            p.asked()  # the checks' warnings, held while the question was on the screen
            done = applying.execute(out, p, jobs=jobs)
    finally:
        p.close()  # checks still running (--keep-going) stop when apply ends early
    _render(out, done)


@with_connection
def apply(
    manifest: Annotated[
        str,
        typer.Argument(
            help="The manifest, e.g. voices.toml.", show_default=False, metavar="MANIFEST"
        ),
    ],
    dry_run: DryRunOpt = False,
    plan: Annotated[
        bool,
        typer.Option("--plan", help="Only show what apply would do (as 'bland-clone plan')."),
    ] = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="With --plan: exit 0 with no changes, 2 with changes."
        ),
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Delete the voices the lock manages that the manifest no longer names "
            "(never a voice the lock does not manage).",
        ),
    ] = False,
    yes: YesOpt = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=16, metavar="N", help="Uploads in parallel.")
    ] = 2,
    keep_going: Annotated[
        bool,
        typer.Option("--keep-going", help="Apply the valid voices even when some fail validation."),
    ] = False,
    lock_timeout: Annotated[
        float,
        typer.Option(
            "--lock-timeout",
            min=0,
            max=86400,
            metavar="SECONDS",
            help="Wait this long for another apply of the manifest to end (then exit 75).",
        ),
    ] = 30.0,
    annotations: AnnotationsOpt = None,
    fmt: FormatAliasOpt = None,
    *,
    conn: Connection,
) -> None:
    """Create and keep the voices of a manifest; write its lock.

    Creates missing voices, replaces a voice whose sample changed (a new voice takes the name
    before the old one is deleted), applies settings, and with --prune deletes the voices the
    lock manages that the manifest dropped. Writes voices.lock next to the manifest. Replacing
    and deleting ask first on a terminal; off a terminal they need --yes (exit 2 without).

    Every voice is validated first: nothing is uploaded when any fails. With --keep-going
    each voice uploads as soon as its own check passes, and one that fails is skipped.

    Holds a lock beside voices.lock while it runs: a second apply waits (--lock-timeout) or
    exits 75 naming the holder. A replacement cut off (killed, Ctrl-C) is journaled step by
    step; the next plan shows, and the next apply does, what finishes or undoes it.

    Examples:

      bland-clone apply voices.toml --plan

      bland-clone apply voices.toml --jobs 4 --json

      bland-clone apply voices.toml --prune --yes
    """
    out = conn.output(annotations_style(annotations, fmt))
    if detailed_exitcode and not plan:
        raise UsageError("--detailed-exitcode goes with --plan (or use 'bland-clone plan').")
    if plan:
        code = run_plan(out, manifest, conn, prune=prune, detailed_exitcode=detailed_exitcode)
        if code:
            raise typer.Exit(code)
        return
    apply_manifest(
        out,
        manifest,
        dry_run=dry_run,
        jobs=jobs,
        keep_going=keep_going,
        prune=prune,
        yes=yes,
        lock_timeout=lock_timeout,
        conn=conn,
    )

"""bland-clone apply: create the voices of a manifest that do not exist yet."""

from typing import Annotated, Any

import typer

from .. import common
from ..errors import BlandCloneError, ExitCode, InputError
from ..options import (
    Connection,
    DryRunOpt,
    FormatOpt,
    with_connection,
)
from ..output import Output


def load_manifest(out: Output, path: str) -> list[Any]:
    """Parse the manifest; on problems, annotate each with its line and re-raise."""
    from .. import manifest

    try:
        return manifest.load(path)
    except InputError as exc:
        for e in exc.errors:
            out.annotate("error", e["message"].split(": ", 1)[-1], e.get("file"), e.get("line"))
        raise


def check_manifest(
    out: Output, path: str, *, quality: bool = True, strict: bool = False
) -> list[tuple[Any, Any]]:
    """Every voice of the manifest checked as its own upload: [(VoiceSpec, Report)]."""
    from ..validation import validate_upload

    checked = []
    for spec in load_manifest(out, path):
        infos = common.checked_files(spec.samples, send_engine=spec.engine)
        report = validate_upload(
            infos,
            name=spec.name,
            require_name=True,
            gender=spec.gender,
            engine=spec.engine,
            quality=quality,
            strict=strict,
        )
        checked.append((spec, report))
        for p in report.problems:
            out.annotate(
                p.severity,
                f"voice {spec.name!r}: {p.message}",
                p.file or path,
                None if p.file else spec.line,
            )
    return checked


def voice_report_json(spec: Any, report: Any) -> dict[str, Any]:
    d = report.to_dict()
    for e in d["errors"] + d["warnings"]:
        e["voice"] = spec.name
    return {"name": spec.name, "line": spec.line, **d}


def show_voice_reports(
    out: Output, checked: list[tuple[Any, Any]], *, only_bad: bool = False
) -> None:
    for spec, report in checked:
        if only_bad and report.ok:
            continue
        status = "ok" if report.ok else "refused"
        out.line(f"voice {spec.name!r} (line {spec.line}): {status}")
        out.report(report)


def _exit_code(codes: list[int]) -> ExitCode:
    for c in (ExitCode.AUTH, ExitCode.SERVICE):
        if c in codes:
            return c
    return ExitCode.INPUT


def apply_manifest(
    out: Output,
    path: str,
    *,
    dry_run: bool = False,
    jobs: int = 2,
    keep_going: bool = False,
    conn: Connection | None = None,
) -> dict[str, Any]:
    """Validate every voice, look up which exist, clone the missing ones (in parallel)."""
    conn = conn or Connection()
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from .. import limits

    checked = check_manifest(out, path)
    bad = [(s, r) for s, r in checked if not r.ok]
    rows: dict[str, dict[str, Any]] = {
        s.name: {
            "name": s.name,
            "status": "invalid" if not r.ok else "pending",
            "voice_id": None,
            "message": "; ".join(p.message for p in r.errors) or None,
        }
        for s, r in checked
    }
    if bad and not keep_going:
        show_voice_reports(out, checked, only_bad=True)
        errors = [e for s, r in bad for e in voice_report_json(s, r)["errors"]]
        raise InputError(
            f"{len(bad)} voice(s) fail validation; nothing was uploaded "
            "(use --keep-going to apply the others).",
            errors=errors,
            payload={"voices": list(rows.values())},
        )
    settings = common.get_settings(out, conn)
    existing: dict[str, Any] | None = None
    if settings.has_key or not dry_run:
        client = common.make_client(out, settings, conn)
        existing = {v.name.casefold(): v for v in client.list_voices() if v.is_cloned}
    todo = []
    for spec, report in checked:
        row = rows[spec.name]
        if row["status"] == "invalid":
            continue
        found = existing.get(spec.name.casefold()) if existing is not None else None
        if found is not None:
            row.update(status="present", voice_id=found.id)
        elif dry_run:
            row["status"] = "would create" if existing is not None else "unknown (no key)"
        else:
            todo.append((spec, report))

    def clone_one(spec: Any, report: Any) -> tuple[str, dict[str, Any]]:
        c = common.make_client(out, settings, conn)
        try:
            res = c.clone(
                spec.name,
                report.files,
                gender=spec.gender,
                description=spec.description,
                engine=spec.engine,
            )
        except BlandCloneError as exc:
            if limits.NAME_TAKEN in exc.message:  # created meanwhile: present, not a failure
                again = {v.name.casefold(): v for v in c.list_voices() if v.is_cloned}
                v = again.get(spec.name.casefold())
                if v is not None:
                    return spec.name, {"status": "present", "voice_id": v.id}
            return spec.name, {
                "status": "failed",
                "message": exc.message,
                "exit_code": int(exc.exit_code),
            }
        return spec.name, {"status": "created", "voice_id": res.voice_id}

    if todo:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(clone_one, s, r) for s, r in todo]
            for fut in as_completed(futures):
                name, update = fut.result()
                rows[name].update(update)
                detail = update.get("voice_id") or update.get("message")
                out.info(f"{update['status']}: {name} ({detail})")
    result_rows = list(rows.values())
    counts = {
        k: sum(1 for r in result_rows if r["status"] == k)
        for k in ("created", "present", "failed", "invalid")
    }
    failed = [r for r in result_rows if r["status"] in ("failed", "invalid")]
    result = {"ok": not failed, "dry_run": dry_run, "voices": result_rows, **counts, "errors": []}

    def human() -> None:
        out.table(
            ["Name", "Status", "Voice id", "Detail"],
            [
                [r["name"], r["status"], r["voice_id"] or "-", r.get("message") or ""]
                for r in result_rows
            ],
            colours={
                "created": "green",
                "present": "cyan",
                "failed": "red",
                "invalid": "red",
                "would create": "yellow",
            },
        )

    if failed:
        if out.mode == "human":
            human()
        exc = InputError(
            f"{len(failed)} of {len(result_rows)} voice(s) not applied.",
            errors=[
                {
                    "error": "Apply Error",
                    "message": f"{r['name']}: {r.get('message')}",
                    "voice": r["name"],
                }
                for r in failed
            ],
            payload={k: v for k, v in result.items() if k not in ("ok", "errors")},
        )
        exc.exit_code = _exit_code([r.get("exit_code", 1) for r in failed])
        raise exc
    out.result(result, human)
    return result


@with_connection
def apply(
    manifest: Annotated[
        str, typer.Argument(help="The manifest, e.g. voices.toml.", show_default=False)
    ],
    dry_run: DryRunOpt = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=16, metavar="N", help="Uploads in parallel.")
    ] = 2,
    keep_going: Annotated[
        bool,
        typer.Option("--keep-going", help="Apply the valid voices even when some fail validation."),
    ] = False,
    fmt: FormatOpt = None,
    *,
    conn: Connection,
) -> None:
    """Create the voices of a manifest that do not exist yet. Running it twice creates nothing.

    Every voice is validated first: nothing is uploaded when any fails, unless --keep-going.

    Examples:

      bland-clone apply voices.toml --dry-run

      bland-clone apply voices.toml --jobs 4 --json
    """
    out = conn.output(fmt)
    apply_manifest(
        out,
        manifest,
        dry_run=dry_run,
        jobs=jobs,
        keep_going=keep_going,
        conn=conn,
    )

"""bland-clone models: what the service can speak (GET /v2/models; no key needed)."""

from typing import Any

from ...ops import session
from ...safetext import one_line
from ..options import Connection, with_connection


@with_connection
def models(*, conn: Connection) -> None:
    """Show what the service can speak: models, encodings, sample rates, containers and
    controls (GET /v2/models, which needs no key; /v1/models where there is no /v2).

    Example:

      bland-clone models --json
    """
    from ...api.client import Client
    from ...ops.voices import models as read_models

    out = conn.output()
    settings = session.get_settings(out, conn)
    if settings.has_key:
        client = session.make_client(settings, conn)
    else:
        client = Client.keyless(
            settings.api_url, timeout=conn.timeout, allow_insecure=conn.allow_insecure
        )
    got = read_models(client)

    def human() -> None:
        out.line(f"Source:\t{got.source}")
        for label, values in (
            ("Encodings", got.encodings),
            ("Sample rates", got.sample_rates),
            ("Containers", got.containers),
        ):
            out.line(f"{label}:\t{one_line(', '.join(map(str, values))) or '-'}")
        for name, rule in got.controls.items():
            out.line(f"Control:\t{one_line(_control(name, rule))}")
        if got.models:
            out.table(
                ["Model", "Name", "Engines"],
                [
                    [
                        str(m.get("model_id") or m.get("id") or ""),
                        str(m.get("display_name") or m.get("name") or ""),
                        ", ".join(map(str, m.get("engines") or [])),
                    ]
                    for m in got.models
                ],
            )

    out.result({"ok": True, **got.to_dict(), "errors": []}, human)


def _control(name: str, rule: Any) -> str:
    lo, hi = (rule.get("min"), rule.get("max")) if isinstance(rule, dict) else (None, None)
    if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (lo, hi)):
        return f"{name} {lo:g}-{hi:g}"
    return str(name)

"""bland-clone models: what the service can speak (GET /v2/models; no key needed)."""

from typing import Annotated, Optional

import typer

from ...core.envelope import envelope
from ...core.safetext import one_line
from ...ops import session
from ...ops.voices import models as read_models
from ..options import Connection, with_connection


@with_connection
def models(
    model: Annotated[
        Optional[str],
        typer.Argument(
            metavar="[MODEL]",
            help="One model's manifest (GET /v2/tts/models/MODEL; needs the key).",
            show_default=False,
        ),
    ] = None,
    *,
    conn: Connection,
) -> None:
    """Show what the service can speak: models, encodings, sample rates, containers and
    controls (GET /v2/models, which needs no key; /v1/models where there is no /v2).

    Examples:

      bland-clone models --json

      bland-clone models btts-3
    """
    from ...api.client import Client  # lazy: pulls in requests, urllib3

    out = conn.output()
    settings = session.get_settings(out, conn)
    if settings.has_key or model is not None:
        client = session.make_client(settings, conn)
    else:
        client = Client.keyless(
            settings.api_url, timeout=conn.timeout, allow_insecure=conn.allow_insecure
        )
    got = read_models(client, model)

    def human() -> None:
        out.fields(
            [
                ("Source", got.source),
                *(
                    (label, ", ".join(map(str, values)) or "-")
                    for label, values in (
                        ("Encodings", got.encodings),
                        ("Sample rates", got.sample_rates),
                        ("Containers", got.containers),
                    )
                ),
                *(("Control", _control(name, rule)) for name, rule in got.controls.items()),
            ]
        )
        if got.models:
            out.table(
                ["Model", "Name", "Max characters"],
                [
                    [
                        one_line(str(m.get("model_id") or m.get("id") or "")),
                        one_line(str(m.get("display_name") or m.get("name") or "")),
                        one_line(str(m.get("max_characters") or "-")),
                    ]
                    for m in got.models
                ],
            )

    out.result(envelope({**got.to_dict()}), human)


def _control(name: str, rule: object) -> str:
    lo, hi = (rule.get("min"), rule.get("max")) if isinstance(rule, dict) else (None, None)
    if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (lo, hi)):
        return f"{name} {lo:g}-{hi:g}"
    return str(name)

"""bland-clone sandbox: serve a local stand-in of Bland's voice API on 127.0.0.1."""

import os
import socket
from typing import Annotated, Optional

import typer

from ...core.errors import UsageError
from ..common import run_output


def sandbox(
    ctx: typer.Context,
    port: Annotated[
        int,
        typer.Option("--port", "-p", min=0, max=65535, metavar="N", help="Port (0: any free one)."),
    ] = 8765,
    key: Annotated[
        Optional[str],
        typer.Option(
            "--key",
            metavar="KEY",
            help="The API key to accept (default: $BLAND_SANDBOX_KEY, else a new random one; "
            "the variable keeps it out of 'ps').",
            show_default=False,
        ),
    ] = None,
    log: Annotated[bool, typer.Option("--log/--no-log", help="Log each request.")] = True,
    clone_previews: Annotated[
        str,
        typer.Option(
            "--clone-previews",
            metavar="own|other",
            help="How a clone's previews sound: 'own' (its sample's voice) or 'other' (a stock "
            "voice's, as a clone that came out as someone else: verify says 'different').",
        ),
    ] = "own",
) -> None:
    """Serve the voice endpoints on 127.0.0.1, with voices in memory. No account, no network.

    It enforces the same limits with the same messages as the service and accepts one key,
    printed at start. Previews are cut from the speech uploaded to it: a clone speaks in its
    sample's voice, a stock voice as another person made from the newest voice's sample. Stop
    it with Ctrl-C.

    Example:

      bland-clone sandbox --port 8765
    """

    from ...sandbox import Sandbox, SandboxState, make_server  # lazy: pulls in secrets, werkzeug
    from ...sandbox.previews import CLONE_PREVIEWS  # lazy: pulls in secrets, werkzeug

    if clone_previews not in CLONE_PREVIEWS:
        raise UsageError(f"--clone-previews must be own or other, not {clone_previews!r}")
    state = SandboxState(
        api_key=key or os.environ.get("BLAND_SANDBOX_KEY") or None, clone_previews=clone_previews
    )
    if port:  # Werkzeug would print its own message and exit 1: say it our way, exit 2
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(f"Cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
        finally:
            probe.close()
    try:
        server = make_server(Sandbox(state), "127.0.0.1", port, quiet=not log)
    except (OSError, SystemExit):
        raise UsageError(f"Cannot listen on 127.0.0.1:{port}") from None
    url = f"http://127.0.0.1:{server.server_port}"
    env = run_output(ctx).env
    print(f"Sandbox of Bland's voice API listening on {url}", file=env.stdout, flush=True)
    print(f"API key: {state.api_key}", file=env.stdout, flush=True)
    print(
        f"Try: export BLAND_API_URL={url} BLAND_API_KEY={state.api_key}",
        file=env.stdout,
        flush=True,
    )
    print("Press Ctrl-C to stop.", file=env.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()

"""The command tree. Each command lives in its own module under ``bland_clone.commands``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import __version__
from .commands import add_samples, clone, samples, sandbox, speak, validate, voices
from .settings import ENVIRONMENT

EXIT_CODES = {
    0: "success",
    1: "the input was refused (locally, or by the service: validation, processing, limits)",
    2: "usage error (bad options; a destructive action without --yes off a terminal)",
    3: "authentication: no API key, or the service answered 401/403",
    4: "the service could not be reached or failed (network, timeout, 5xx, 429 after retries, "
    "a malformed answer)",
    130: "interrupted (Ctrl-C)",
}

# "\b" keeps Click from re-wrapping these paragraphs.
_EPILOG = (
    "\b\nEnvironment:\n"
    + "\n".join(f"  {k:<19} {v}" for k, v in ENVIRONMENT.items())
    + "\n\n\b\nExit codes:\n"
    + "\n".join(f"  {k:<4} {v}" for k, v in EXIT_CODES.items())
)

app = typer.Typer(
    name="bland-clone",
    help="Check voice samples locally, then clone voices with Bland's voice API.\n\n"
    "Examples:\n\n"
    "  bland-clone validate sample.wav\n\n"
    "  bland-clone clone --name Narrator sample.wav --dry-run\n\n"
    "  BLAND_API_KEY=... bland-clone clone --name Narrator --gender female sample.wav",
    epilog=_EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bland-clone {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Check voice samples locally, then clone voices with Bland's voice API."""


app.command("validate")(validate.validate)
app.command("clone")(clone.clone)
app.command("add-samples")(add_samples.add_samples)
app.add_typer(voices.app, name="voices")
app.add_typer(samples.app, name="samples")
app.command("speak")(speak.speak)
app.command("sandbox")(sandbox.sandbox)

"""Option and argument types shared by the commands, declared once."""

from typing import Annotated, Optional

import typer

from . import limits

JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print exactly one JSON object on stdout (schema in README)."),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print nothing but errors; rely on the exit code.")
]
ApiUrlOpt = Annotated[
    Optional[str],
    typer.Option(
        "--api-url",
        help="API base URL. Default: $BLAND_API_URL, $BLAND_BASE_URL, the profile's, "
        "or https://api.bland.ai.",
        show_default=False,
    ),
]
ProfileOpt = Annotated[
    Optional[str],
    typer.Option(
        "--profile",
        help="Config profile to use (default: $BLAND_PROFILE or 'default').",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float,
    typer.Option("--timeout", min=0.1, help="Seconds to wait for the service to answer."),
]
VerboseOpt = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Trace HTTP requests on stderr (the key is masked)."),
]
InsecureOpt = Annotated[
    bool,
    typer.Option(
        "--allow-insecure",
        help="Allow sending the key over plain http to a host that is not loopback.",
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Run every local check, print what would be sent, and stop. Needs no key.",
    ),
]
NameOpt = Annotated[
    str,
    typer.Option(
        "--name",
        "-n",
        help=f"Name of the voice (1-{limits.NAME_MAX_CHARS} characters, unique).",
        show_default=False,
    ),
]
GenderOpt = Annotated[
    Optional[str],
    typer.Option("--gender", "-g", help="Gender of the voice: male or female.", show_default=False),
]
DescriptionOpt = Annotated[
    Optional[str],
    typer.Option(
        "--description", "-d", help="Description (context for tone and style).", show_default=False
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        "-e",
        help="Cloning engine: v3 (default; uses only the first sample) or v2 (isBTTS_V2=true).",
    ),
]
FilesArg = Annotated[
    list[str],
    typer.Argument(
        help="Audio files, or folders standing for the audio files directly inside them.",
        show_default=False,
        metavar="FILE...",
    ),
]
YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (required off a terminal).")
]

FormatOpt = Annotated[
    Optional[str],
    typer.Option(
        "--format",
        help="Also print problems as 'github' workflow annotations (on by default when "
        "GITHUB_ACTIONS=true).",
        show_default=False,
    ),
]

DEFAULT_TIMEOUT = 120.0

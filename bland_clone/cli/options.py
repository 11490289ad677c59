"""Option and argument types shared by the commands, declared once."""

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..core import limits
from ..core.safetext import clean
from ..core.settings import DEFAULT_TIMEOUT
from ..ops import session
from .common import make_output, run_output

if TYPE_CHECKING:
    from ..api.client import Client
    from .output import Output

JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json", help="Print exactly one JSON object on stdout (schema in docs/scripting.md)."
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print nothing but errors; rely on the exit code.")
]
ReportOpt = Annotated[
    Optional[str],
    typer.Option(
        "--report",
        metavar="PAGE.html",
        help="Also write one offline HTML page: each take's waveform and spectrogram with its "
        "speech and faults marked, its verdict and causes, and a player.",
        show_default=False,
    ),
]
ReportLinkOpt = Annotated[
    bool,
    typer.Option(
        "--report-link",
        help="In the --report page, link each take's file (relative to the page) instead of "
        "embedding it.",
    ),
]
ApiUrlOpt = Annotated[
    Optional[str],
    typer.Option(
        "--api-url",
        metavar="URL",
        help="API base URL. Default: $BLAND_API_URL, $BLAND_BASE_URL, the profile's, "
        "or https://api.bland.ai.",
        show_default=False,
    ),
]
ProfileOpt = Annotated[
    Optional[str],
    typer.Option(
        "--profile",
        metavar="NAME",
        help="Config profile to use (default: $BLAND_PROFILE or 'default').",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout", min=0.1, metavar="SECONDS", help="Seconds to wait for the service to answer."
    ),
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
        metavar="NAME",
        help=f"Name of the voice (1-{limits.NAME_MAX_CHARS} characters, unique).",
        show_default=False,
    ),
]
GenderOpt = Annotated[
    Optional[str],
    typer.Option(
        "--gender",
        "-g",
        metavar="male|female",
        help="Gender of the voice: male or female.",
        show_default=False,
    ),
]
DescriptionOpt = Annotated[
    Optional[str],
    typer.Option(
        "--description",
        "-d",
        metavar="TEXT",
        help="Description (context for tone and style).",
        show_default=False,
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        "-e",
        metavar="v3|v2",
        help="Cloning engine: v3 (default) or v2 (isBTTS_V2=true); each takes exactly 1 file.",
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
WavOutOpt = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="WAV file to write ('-': stdout).",
        show_default=False,
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing file.")]
#: Speech: speak and clone --preview.
LanguageOpt = Annotated[
    Optional[str],
    typer.Option(
        "--language",
        metavar="CODE",
        help="Language of the text (en, es, pt-BR...).",
        show_default=False,
    ),
]
ExpressivenessOpt = Annotated[
    Optional[float],
    typer.Option(
        "--expressiveness",
        metavar="N",
        help="0-1 (calibrated for V3 voices).",
        show_default=False,
    ),
]
StabilityOpt = Annotated[
    Optional[float],
    typer.Option(
        "--stability",
        metavar="N",
        help="0-1 (/v2/tts only; calibrated for V3 voices).",
        show_default=False,
    ),
]
VoiceArg = Annotated[
    str, typer.Argument(help="Voice id or name.", show_default=False, metavar="VOICE")
]
YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (required off a terminal).")
]

AnnotationsOpt = Annotated[
    Optional[str],
    typer.Option(
        "--annotations",
        metavar="text|github",
        help="Also print problems as 'github' workflow annotations (on by default when "
        "GITHUB_ACTIONS=true).",
        show_default=False,
    ),
]
#: The old name of --annotations, kept hidden for one release (speak's --format is the audio's).
FormatAliasOpt = Annotated[
    Optional[str], typer.Option("--format", hidden=True, metavar="text|github", show_default=False)
]


def annotations_style(annotations: Optional[str], old: Optional[str]) -> Optional[str]:
    """--annotations, or its hidden old name --format."""
    return annotations if annotations is not None else old


@dataclass(frozen=True)
class Connection(session.Connection):
    """The options every command that talks to the service shares: json and quiet choose the
    output; the rest say where and how to reach the service (--verbose: a trace to stderr);
    and the run's context."""

    json: bool = False
    quiet: bool = False
    #: the command's context, whose obj is the run's Output (see common.run_output)
    ctx: Optional[typer.Context] = field(default=None, repr=False, compare=False)

    def output(self, fmt: Optional[str] = None) -> "Output":
        assert self.ctx is not None, "a command's Connection is made by with_connection"
        return make_output(self.ctx, self.json, self.quiet, fmt)

    def client(self, out: "Output") -> "Client":
        """Settings resolved (flag > environment > profile > default) and a client made."""
        return session.make_client(session.get_settings(out, self), self)


_KW = inspect.Parameter.KEYWORD_ONLY
_CONNECTION_PARAMS = [
    inspect.Parameter("json_", _KW, default=False, annotation=JsonOpt),
    inspect.Parameter("quiet", _KW, default=False, annotation=QuietOpt),
    inspect.Parameter("api_url", _KW, default=None, annotation=ApiUrlOpt),
    inspect.Parameter("profile", _KW, default=None, annotation=ProfileOpt),
    inspect.Parameter("timeout", _KW, default=DEFAULT_TIMEOUT, annotation=TimeoutOpt),
    inspect.Parameter("verbose", _KW, default=False, annotation=VerboseOpt),
    inspect.Parameter("allow_insecure", _KW, default=False, annotation=InsecureOpt),
    inspect.Parameter("ctx", _KW, annotation=typer.Context),  # the run's Output is its obj
]


def trace_to_stderr(ctx: typer.Context) -> Callable[[str], None]:
    """--verbose: each request and answer on the run's stderr, escaped
    (bland_clone.core.safetext)."""

    stderr = run_output(ctx).env.stderr

    def trace(line: str) -> None:
        print(clean(line), file=stderr)

    return trace


def with_connection(fn: Callable[..., None]) -> Callable[..., None]:
    """Give a command the shared service options, declared once here.

    The command takes ``conn: Connection`` instead; Typer sees the options in its signature.
    """
    sig = inspect.signature(fn)
    own = [p for p in sig.parameters.values() if p.name != "conn"]

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> None:
        ctx: typer.Context = kwargs.pop("ctx")
        verbose = kwargs.pop("verbose") or bool(ctx.find_root().params.get("verbose"))
        conn = Connection(
            json=kwargs.pop("json_"),
            quiet=kwargs.pop("quiet"),
            api_url=kwargs.pop("api_url"),
            profile=kwargs.pop("profile"),
            timeout=kwargs.pop("timeout"),
            # --verbose after the command, or before it (the root's option)
            trace=trace_to_stderr(ctx) if verbose else None,
            allow_insecure=kwargs.pop("allow_insecure"),
            ctx=ctx,
        )
        fn(*args, conn=conn, **kwargs)

    command.__signature__ = sig.replace(parameters=own + _CONNECTION_PARAMS)  # type: ignore[attr-defined]
    return command

"""The command tree. Each command lives in its own module under ``bland_clone.cli.commands``."""

import importlib
from typing import Annotated, Optional

import typer

from .. import __version__
from ..core.settings import ENVIRONMENT

TYPE_CHECKING = False
if TYPE_CHECKING:
    # the context and formatter Typer hands a command's help (no click import at run time)
    from typer._click.core import Context
    from typer._click.formatting import HelpFormatter

#: Every exit code and what it means: --help's last section and README's table are made from this.
EXIT_CODES = {
    0: "success (also a no at a confirmation prompt: nothing changed, as asked)",
    1: "the input was refused (locally, or by the service: validation, processing, limits)",
    2: "usage error (bad options; a destructive action without --yes off a terminal); "
    "with plan --detailed-exitcode: changes are planned",
    3: "authentication: no API key, or the service answered 401/403",
    4: "the service could not be reached or failed (network, timeout, 5xx, 429 after retries, "
    "a malformed answer)",
    5: "record, speak --play: no microphone or speaker, no PortAudio, or the audio device "
    "could not be opened",
    70: "internal error: a bug in bland-clone (BLAND_CLONE_DEBUG=1 shows the traceback)",
    75: "apply: another apply of the same manifest holds its lock (it names the holder)",
    130: "interrupted (Ctrl-C, SIGTERM or SIGHUP)",
    141: "the reader of the output went away (| head): bland-clone dies of SIGPIPE, as cat and "
    "grep do, and says nothing more (what it did before stands)",
}


class _Root(typer.core.TyperGroup):
    """The root command: its help ends with the environment and the exit codes, each a
    section of name and meaning wrapped to the terminal, as the options are."""

    def format_epilog(self, ctx: "Context", formatter: "HelpFormatter") -> None:
        for title, rows in (
            ("Environment", list(ENVIRONMENT.items())),
            ("Exit codes", [(str(k), v) for k, v in EXIT_CODES.items()]),
        ):
            with formatter.section(title):
                formatter.write_dl(rows)


#: Every command: (name, module under bland_clone.cli.commands, attribute, short help). The short
#: help is what the root --help lists; a test checks it against each command's own help. The
#: command reference and the completions are generated from this list (python -m bland_clone._docs).
COMMANDS = [
    ("validate", "validate", "validate", "Check audio files as one upload would be checked."),
    ("clone", "clone", "clone", "Check audio samples locally, then create a voice clone."),
    ("add-samples", "add_samples", "add_samples", "Add samples to an existing (BTTS V1) voice."),
    (
        "voices",
        "voices",
        "app",
        "See and manage voices: list, show, settings, shared library, rate, rename, delete.",
    ),
    ("samples", "samples", "app", "See a voice's samples: list, get, set-text, delete."),
    ("speak", "speak", "speak", "Speak text with a voice and write the audio: a preview."),
    (
        "verify",
        "verify",
        "verify",
        "Compare a voice's preview with the samples it should sound like.",
    ),
    ("models", "models", "models", "Show what the service can speak: formats and controls."),
    ("prepare", "prepare", "prepare", "Turn long or rough recordings into good samples."),
    ("record", "record", "record", "Record a sample from the microphone, checked as it is made."),
    ("apply", "apply", "apply", "Create and keep the voices of a manifest; write its lock."),
    ("plan", "plan", "plan", "Show what apply would do, voice by voice."),
    ("export", "export", "export", "Write a manifest and lock from the voices that exist."),
    ("config", "config", "app", "Show settings, write config profiles, choose one."),
    ("sandbox", "sandbox", "sandbox", "Serve a local stand-in of the voice API on 127.0.0.1."),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bland-clone {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Trace HTTP requests on stderr (the key is masked), as --verbose after the "
            "command does.",
        ),
    ] = False,
) -> None:
    """Check voice samples locally, then clone voices with Bland's voice API."""


def _stub() -> None:  # pragma: no cover - never invoked, see build_app
    """A placeholder that lists a command in the root help without importing it."""


def build_app(command: Optional[str] = None, *, full: bool = False) -> typer.Typer:
    """The command tree. Only ``command``'s module is imported (all of them with ``full``):
    the others are listed by name and short help, so start-up does not pay for them."""
    app = typer.Typer(
        name="bland-clone",
        help="Check voice samples locally, then clone voices with Bland's voice API.\n\n"
        "Examples:\n\n"
        "  bland-clone validate sample.wav\n\n"
        "  bland-clone clone --name Narrator sample.wav --dry-run\n\n"
        "  BLAND_API_KEY=... bland-clone clone --name Narrator --gender female sample.wav",
        cls=_Root,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        # Click's help stops at 80 columns; Rich's (Typer's default) takes the whole terminal.
        # Up to 100 (98 of text): a wide terminal is used, prose still reads in one sweep.
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    )
    app.callback()(_root)
    for name, module, attr, short in COMMANDS:
        if full or name == command:
            obj = getattr(importlib.import_module(f".commands.{module}", __package__), attr)
            if isinstance(obj, typer.Typer):
                app.add_typer(obj, name=name)
            else:
                app.command(name, short_help=short)(obj)
        elif module in ("voices", "samples", "config"):
            app.add_typer(typer.Typer(help=short), name=name)
        else:
            app.command(name, short_help=short, add_help_option=False)(_stub)
    return app

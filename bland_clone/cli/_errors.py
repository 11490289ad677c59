"""The command line's words for the typed errors and notes of the operations.

Operations (bland_clone.ops) raise errors that carry data: the parameter, the value, the
choices, the remedy (bland_clone.core.errors). They never name an option. Here each type is
said as a user of the command line reads it: parameters become the options that set them, and
a remedy becomes the option or command that applies it. ``bland_clone.__main__`` reports every error
through :func:`describe`; an error of no type listed here is said as its own message.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from ..core import limits
from ..core.errors import (
    BadChoice,
    BadForm,
    BadOrder,
    BlandCloneError,
    Busy,
    Insecure,
    JournalDamaged,
    NameTaken,
    NameUnavailable,
    NeedsFileName,
    NeedsValue,
    NoKey,
    NoSuchDevice,
    NotAnId,
    NotOffered,
    NotRegularFile,
    PastTheEnd,
    Redirected,
    SingleSampleVoice,
    VoicesInvalid,
    WouldOverwrite,
)
from ..core.safetext import quoted
from ..ops.notes import Uncalibrated

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..core.validation import Problem

#: An operation's parameter -> the option that sets it.
FLAGS = {
    "best": "--best",
    "end": "--end",
    "engine": "--engine",
    "expressiveness": "--expressiveness",
    "fmt": "--format",
    "language": "--language",
    "output": "--output",
    "preview": "--preview",
    "preview_output": "--output FILE",
    "stability": "--stability",
    "start": "--start",
    "timeout": "--timeout",
}


def flag(field: str) -> str:
    """The option for a parameter (a parameter no option sets is named as it is)."""
    return FLAGS.get(field, field)


def _bad_order(e: BadOrder) -> str:
    (first, a), (second, b) = e.earlier, e.later
    return f"{flag(second)} ({b:g}s) must be after {flag(first)} ({a:g}s)."


def _no_key(e: NoKey) -> str:
    return e.reason + (", or use --dry-run to check files without one." if e.dry_run else ".")


#: Each typed error, said for the command line (the first type that matches wins).
WORDS: dict[type[BlandCloneError], Callable[[Any], str]] = {
    BadChoice: lambda e: f"{flag(e.field)} must be one of {', '.join(e.choices)}, not {e.value!r}",
    BadForm: lambda e: f"{flag(e.field)} must be {e.expected}, not {e.shown}",
    NeedsValue: lambda e: f"{flag(e.because)} needs {flag(e.field)} {e.purpose}.",
    NeedsFileName: lambda e: (
        f"{flag(e.because)} writes one file: give {flag(e.field)} a file name (OUT.wav)."
    ),
    BadOrder: _bad_order,
    WouldOverwrite: lambda e: f"{e.path} exists; use --force to overwrite it.",
    PastTheEnd: lambda e: (
        f'File "{e.shown}": {flag(e.field)} {e.at:g}s is past its end ({e.duration:.1f}s).'
    ),
    NoSuchDevice: lambda e: (
        f"--device {e.spec!r} "
        + ("matches several input devices" if e.several else "is not an input device")
        + "; 'bland-clone record --list-devices' lists them."
    ),
    Insecure: lambda e: (
        f"Refusing to send the API key over plain http to {e.host}; "
        "use https, or --allow-insecure if you really mean it."
    ),
    Redirected: lambda e: (
        f"The service answered {e.status} redirecting to {e.where}; not followed "
        "(the API key is only sent to the configured URL). Check --api-url."
    ),
    Busy: lambda e: (
        f"Another apply of this manifest is running ({e.holder}); nothing was changed. Wait for "
        f"it to end (or --lock-timeout SECONDS), then run apply again. ({e.path})"
    ),
    JournalDamaged: lambda e: (
        f"{e.path}: damaged; it records a replacement apply did not finish. Check "
        "'bland-clone voices list' for voices named '~new' or '~old', then delete the file"
    ),
    NameUnavailable: lambda e: e.message,  # the service's words (with --name: describe)
    NotAnId: lambda e: (
        f"{e.reason} (add-shared takes a voice's id, from 'bland-clone voices shared')"
    ),
    NotRegularFile: lambda e: (
        f"Cannot write {e.path}: it is not a regular file (a device or a pipe?); "
        "it is never replaced, even with --force."
    ),
    NoKey: _no_key,
    NotOffered: lambda e: (
        f"{flag(e.field)} needs {e.endpoint}, which this service does not offer ({e.why}); "
        f"{e.fallback} has no {e.field}."
    ),
    SingleSampleVoice: lambda e: f"{e.reason} {e.REMEDY}: bland-clone clone --name NAME FILE",
    VoicesInvalid: lambda e: (
        f"{e.invalid} voice(s) fail validation; {e.consequence} "
        "(use --keep-going to apply the others)."
    ),
}


#: The commands with subcommands (a group's first word names the subcommand).
GROUPS = ("voices", "samples", "config")


def _command_words(args: Sequence[str], commands: Collection[str]) -> list[str]:
    """The command a line asks for (``["voices", "list"]``), or none: the first word that is
    not an option, when it names one of ``commands``, and a group's next word."""
    for i, word in enumerate(args):
        if word == "--":
            break
        if word.startswith("-"):
            continue
        if word not in commands:
            break
        after = [a for a in args[i + 1 :] if not a.startswith("-")][:1]  # options may come first
        if word in GROUPS and after:
            return [word, after[0]]
        return [word]
    return []


def usage_line(
    message: str,
    args: Sequence[str],
    *,
    path: str | None,
    unknown: str | None,
    commands: Collection[str],
    accepted: bool = False,
    possible: Sequence[str] = (),
) -> str:
    """Typer's usage error as the tool's one line: its cause and the help to read, as
    ``<cause>; see 'bland-clone CMD -h'.``. An option the command takes, given before it
    (``bland-clone --json voices list``, ``voices --json list``: ``accepted``), is shown where
    it belongs; an option before a word that is no command is said as that unknown command.
    Typer's suggestions are kept only when close (``--jsno``: ``--json``, not ``--bogus``:
    ``--verbose``)."""
    words = _command_words(args, commands)
    at = next((i for i, a in enumerate(args) if unknown and a.startswith(unknown)), len(args))
    if unknown and words and accepted and at < args.index(words[-1]):
        rest = len(args) > at + len(words) + 1
        where = " ".join(["bland-clone", *words, unknown] + (["..."] if rest else []))
        return f"{unknown} goes after the command: {where}"
    if unknown and not words and path == "bland-clone":
        word = next((a for a in args if not a.startswith("-")), None)
        if word is not None:  # --json valdate: the command is what is wrong
            return _with_help(f"No such command {word!r}", _close(word, commands), "bland-clone")
    path = path or " ".join(["bland-clone", *words])
    if unknown:
        cause = f"No such option: {unknown}" + _file_hint(args[at] if at < len(args) else None)
        return _with_help(cause, _close(unknown, possible), path)
    m = re.fullmatch(r"No such command '(.*)'\. Did you mean '(.*)'\?", message.strip())
    if m:
        return _with_help(f"No such command {m[1]!r}", [m[2]], path)
    m = re.fullmatch(
        r"Invalid value for '([^']*)'(?: / '[^']*')*: (.*) is not a valid (float|int)\w*.*",
        message,
    )
    if m:  # "'--jobs' / '-j': 'x' is not a valid int range." -> "--jobs takes a whole number"
        kind = "a number" if m[3] == "float" else "a whole number"
        message = f"{m[1]} takes {kind}, not {m[2]}"
    return f"{message.rstrip('.')}; see '{path} -h'."


def _file_hint(arg: str | None) -> str:
    """A word read as an option that looks like a file (``-take.wav``: one in this folder, or
    an audio file's name): how to give it as a file."""
    if arg is None or not arg.startswith("-") or arg == "-":
        return ""
    looks = os.path.splitext(arg)[1].lower() in limits.AUDIO_EXTENSIONS
    if not looks:
        try:
            looks = os.path.lexists(arg)
        except (OSError, ValueError):  # a name no file can have (a NUL)
            looks = False
    if not looks:
        return ""
    return f" ({quoted(arg)} looks like a file: put -- before it, or write {quoted('./' + arg)})"


def _close(word: str, choices: Collection[str]) -> list[str]:
    """The choices close enough to ``word`` to suggest (a typo, not any shared letters)."""
    return difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)


def _with_help(cause: str, close: Sequence[str], path: str) -> str:
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{cause}{hint}; see '{path} -h'."


#: The errors that are a bad option value: said as Typer's own usage errors are, with the help.
OPTION_ERRORS = (BadChoice, BadForm, BadOrder, NeedsValue, NeedsFileName)


def option_line(
    message: str, error: BlandCloneError, args: Sequence[str], commands: Collection[str]
) -> str:
    """``message`` of a bad option value (``--engine v9``), ending as a usage error of
    Typer's does: ``; see 'bland-clone validate -h'.``"""
    if not isinstance(error, OPTION_ERRORS):
        return message
    path = " ".join(["bland-clone", *_command_words(args, commands)])
    return f"{message.rstrip('.')}; see '{path} -h'."


#: A local check's problem code -> the field whose value it judges.
PROBLEM_FIELDS = {
    "name_required": "name",
    "name_too_long": "name",
    "name_not_utf8": "name",
    "name_control_chars": "name",
    "name_spaces": "name",
    "invalid_gender": "gender",
}


def problem_line(p: Problem, given: Mapping[str, tuple[str, str]]) -> str:
    """A local check's problem: the service's words, then the option the value came from
    (where the user gave one) and the limit."""
    field = PROBLEM_FIELDS.get(p.code)
    if field is None or field not in given:
        return p.message
    option, value = given[field]
    if p.code == "name_required":
        return f"{p.message}: {option} is empty."
    if p.code == "name_too_long":
        from ..core.validation import name_length  # lazy: start-up (voices list)

        n, most = name_length(value), limits.NAME_MAX_CHARS
        return f"{p.message}: {option} has {n} characters, at most {most}."
    if p.code == "invalid_gender":
        return f"{p.message}: {option} is {value!r}, not {' or '.join(limits.GENDERS)}."
    return f"{p.message} ({option})."


def describe(exc: BlandCloneError, given: Mapping[str, tuple[str, str]] | None = None) -> str:
    """The error's one line, in the command line's words (``given``: the options the user
    gave, as :attr:`Output.given`)."""
    if isinstance(exc, (NameTaken, NameUnavailable)) and given and "name" in given:
        option, value = given["name"]
        return f"{exc.message}: {option} {value!r}."
    for kind, words in WORDS.items():
        if isinstance(exc, kind):
            return words(exc)
    return exc.message


def note(message: str | Uncalibrated) -> str:
    """An operation's note (a warning on the way), in the command line's words."""
    if isinstance(message, Uncalibrated):
        settings = " and ".join(flag(f) for f in message.fields)
        return (
            f"{settings} are calibrated for V3 voices; {message.voice!r} is a "
            f"{message.engine} voice."
        )
    return message

"""Operations are a library: no module under bland_clone/ops imports the command line, prints,
writes to the process's stdout or stderr, or names a command-line option in a string it builds
(a message, a note). Options are the command line's words (bland_clone.cli._errors words the
typed errors); docstrings and comments may still mention them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bland_clone.cli import _errors
from bland_clone.core import errors

from .servers import Service

OPS = Path(__file__).resolve().parents[1] / "bland_clone" / "ops"

#: An option such as --name or --dry-run: two dashes and a letter, not inside a word or a rule.
FLAG = re.compile(r"(?<![\w-])--[a-z]")


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring constants (a module's, a class's, a function's)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
        ):
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.add(id(first.value))
    return found


def _imported(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    """The absolute names an import statement of ``module`` (bland_clone.ops.x) reads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        package = module.split(".")[:-1]
        base = package[: len(package) - (node.level - 1)]
        mod = ".".join(base + ([node.module] if node.module else []))
    else:
        mod = node.module or ""
    return [mod] + [f"{mod}.{a.name}" for a in node.names]


STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}


def _offence(node: ast.AST, module: str, docs: set[int]) -> str | None:
    """What ``node`` does that an operation must not, or None."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        names = _imported(node, module)
        if any(n == "bland_clone.cli" or n.startswith("bland_clone.cli.") for n in names):
            return "imports the command line"
        if any(n in {f"sys.{s}" for s in STREAMS} for n in names):
            return "imports sys's stdout/stderr"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
        return "print()"
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"sys.{node.attr}" if node.value.id == "sys" and node.attr in STREAMS else None
    # a string constant, or a literal part of an f-string (an ast.Constant in it too)
    text = node.value if isinstance(node, ast.Constant) and id(node) not in docs else None
    if isinstance(text, str) and FLAG.search(text):
        return f"names an option: {text!r}"
    return None


def offences(source: str, module: str) -> list[str]:
    """What in ``source`` (the text of ``module``) speaks the command line: one line each."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        said = _offence(node, module, docs)
        if said is not None:
            found.append(f"{module}:{getattr(node, 'lineno', '?')}: {said}")
    return found


@pytest.mark.parametrize("path", sorted(OPS.glob("*.py")), ids=lambda p: p.name)
def test_an_operation_speaks_no_command_line(path: Path) -> None:
    assert offences(path.read_text(), f"bland_clone.ops.{path.stem}") == []


#: A command given as a remedy ("check with 'bland-clone voices list'"): the command line's
#: words, as its options are. (adopt.py writes commands into a manifest's header: content.)
COMMAND = re.compile(r"'bland-clone [a-z]")


@pytest.mark.parametrize("name", ["applying.py", "voices.py"])
def test_an_operations_message_names_no_command(name: str) -> None:
    path = OPS / name
    tree = ast.parse(path.read_text())
    docs = _docstrings(tree)
    named = [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and id(node) not in docs
        and isinstance(node.value, str)
        and COMMAND.search(node.value)
    ]
    assert named == []


#: Below the command line, outside ops: their messages name no option either (typed errors
#: carry the data; bland_clone.cli._errors words them).
BELOW = ["audio/prepare.py", "core/files.py", "audio/recording.py", "api/transport.py"]
BELOW += ["core/journal.py", "core/plan.py"]


@pytest.mark.parametrize("name", BELOW)
def test_the_layers_below_the_command_line_name_no_option(name: str) -> None:
    path = OPS.parent / name
    module = "bland_clone." + name.removesuffix(".py").replace("/", ".")
    assert [x for x in offences(path.read_text(), module) if "names an option" in x] == []


def test_the_check_finds_each_kind_of_offence() -> None:
    bad = '''
"""A docstring may say --name."""
import sys
from sys import stderr
from ..cli.output import Output
import bland_clone.cli.app

def f(x):
    """So may this one: --force."""
    print("hello")
    sys.stderr.write("x")
    sys.stdout.flush()
    raise ValueError("use --force to overwrite it")

def g(n):
    return f"{n} voices; use --keep-going to apply the others"
'''
    found = offences(bad, "bland_clone.ops.sample")
    assert len(found) == 8, found
    kinds = "\n".join(found)
    for expected in (
        ":4: imports sys's stdout/stderr",
        ":5: imports the command line",
        ":6: imports the command line",
        ":10: print()",
        ":11: sys.stderr",
        ":12: sys.stdout",
        ":13: names an option: 'use --force to overwrite it'",
        ":16: names an option: ' voices; use --keep-going to apply the others'",
    ):
        assert expected in kinds
    # Not options: a rule, a word with a dash, a negative number, docstrings, comments.
    fine = 's = "---- x --- --1 well-known a--b -- "  # --name\n'
    assert offences(fine, "bland_clone.ops.sample") == []


def test_the_command_line_words_a_typed_error_with_its_options() -> None:
    """The data an operation raises, and the line a user reads."""
    e = errors.BadChoice("engine", "v9", ("v3", "v2"))
    assert (e.field, e.value, e.choices, e.exit_code) == ("engine", "v9", ("v3", "v2"), 2)
    assert not FLAG.search(e.message)
    assert _errors.describe(e) == "--engine must be one of v3, v2, not 'v9'"
    e2 = errors.BadOrder(("start", 5.0), ("end", 3.0))
    assert e2.exit_code == 2 and not FLAG.search(e2.message)  # a usage error, as prepare's own
    assert _errors.describe(e2) == "--end (3s) must be after --start (5s)."
    e3 = errors.NoKey("No API key", dry_run=True)
    assert e3.exit_code == 3 and not FLAG.search(e3.message)
    assert _errors.describe(e3) == "No API key, or use --dry-run to check files without one."
    assert _errors.describe(errors.NoKey("No API key")) == "No API key."
    e4 = errors.WouldOverwrite(Path("a/b.wav"))
    assert e4.path == "a/b.wav" and not FLAG.search(e4.message)
    assert _errors.describe(e4) == "a/b.wav exists; use --force to overwrite it."
    # the JSON error object carries the same words as the line
    assert e4.errors_worded(_errors.describe(e4)) == [
        {"error": "Validation Error", "message": "a/b.wav exists; use --force to overwrite it."}
    ]
    # the same lines as when they were written below the command line
    said = {
        errors.NoSuchDevice("7", several=False): "--device '7' is not an input device; "
        "'bland-clone record --list-devices' lists them.",
        errors.NoSuchDevice("USB", several=True): "--device 'USB' matches several input "
        "devices; 'bland-clone record --list-devices' lists them.",
        errors.Insecure("example.com"): "Refusing to send the API key over plain http to "
        "example.com; use https, or --allow-insecure if you really mean it.",
        errors.Redirected(302, "evil.example"): "The service answered 302 redirecting to "
        "evil.example; not followed (the API key is only sent to the configured URL). Check "
        "--api-url.",
        errors.PastTheEnd("a.wav", "start", 50, 40): 'File "a.wav": --start 50s is past its '
        "end (40.0s).",
        errors.NotRegularFile("/dev/null"): "Cannot write /dev/null: it is not a regular file "
        "(a device or a pipe?); it is never replaced, even with --force.",
    }
    said[errors.Busy("pid 7 on h", "a/.v.lock.apply")] = (
        "Another apply of this manifest is running (pid 7 on h); nothing was changed. Wait for "
        "it to end (or --lock-timeout SECONDS), then run apply again. (a/.v.lock.apply)"
    )
    said[errors.JournalDamaged("a/.v.lock.journal")] = (
        "a/.v.lock.journal: damaged; it records a replacement apply did not finish. Check "
        "'bland-clone voices list' for voices named '~new' or '~old', then delete the file"
    )
    for e, line in said.items():
        assert not FLAG.search(e.message) and _errors.describe(e) == line, e
    assert [errors.NoSuchDevice("7", several=False).exit_code, errors.Insecure("h").exit_code] == [
        5,
        2,
    ]
    assert errors.Redirected(302, "x").exit_code == 4
    # an error of no listed type is said as its own message
    assert _errors.describe(errors.InputError("plain")) == "plain"


def test_every_typed_error_is_worded_by_the_command_line() -> None:
    """A typed error below the base classes that the command line forgot would be said in the
    operation's terms (``preview_output``) instead of its options."""
    bases = {
        errors.BlandCloneError,
        errors.InputError,
        errors.UsageError,
        errors.AuthError,
        errors.ServiceError,
        errors.OutcomeUnknown,
        errors.DeviceError,
        errors.Declined,
        errors.APIError,
        errors.NotFoundError,
        errors.NameTaken,
    }
    typed = {
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.BlandCloneError) and c not in bases
    }
    assert typed and typed == set(_errors.WORDS)


def test_a_preview_failing_after_the_clone_names_the_option(
    cli, service: Service, sample: Path, tmp_path: Path
) -> None:
    """The voice exists when the preview asks for what the service lacks: the warning names
    the option the user typed, while the JSON keeps the operation's own words."""
    service.faults.add("GET", "/v2/models", status=404, body=b"Not found", times=100)
    out = tmp_path / "p.wav"
    r = cli("clone", "--name", "Pv", sample, "--preview", "Hello.", "-o", out, "--stability", "0.5")
    assert r.code == 0, r.err
    (voice,) = service.voices_named("Pv")
    assert (
        f"warning: The voice {voice.id} was created, but the preview failed: --stability needs "
        "/v2/tts, which this service does not offer (GET /v2/models answered 404); /v1/speak "
        "has no stability.\n"
    ) in r.err
    assert not out.exists()


def test_every_json_object_has_ok_first_and_errors_last() -> None:
    from bland_clone.core.envelope import envelope

    doc = envelope({"voice_id": "v1", "errors": ["ignored"]}, ok=False)
    assert list(doc) == ["ok", "voice_id", "errors"] and doc["errors"] == []
    assert envelope({}, errors=[{"message": "m"}]) == {"ok": True, "errors": [{"message": "m"}]}


def test_the_command_line_says_where_to_look_for_a_voice_cut_off() -> None:
    """apply's operation says a cut-off voice's outcome is unknown; the command line adds the
    command that shows it (and a replacement, which the next apply finishes, gets none)."""
    from bland_clone.cli.plans import said
    from bland_clone.core.plan import Action, VoicePlan
    from bland_clone.ops.applying import _cut_off

    made = VoicePlan("A", Action.CREATE)
    cut = _cut_off(made)
    assert not COMMAND.search(cut.message or "")
    assert said(VoicePlan("A", Action.CREATE, outcome=cut)) == (
        "cut off by Ctrl-C: its outcome is not known; check with 'bland-clone voices list'"
    )
    swap = VoicePlan("B", Action.REPLACE)
    assert "bland-clone" not in (said(VoicePlan("B", Action.REPLACE, outcome=_cut_off(swap))) or "")

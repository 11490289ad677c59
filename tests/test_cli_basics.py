"""Usage errors, --version, --help, and what start-up imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bland_clone import __version__
from bland_clone.cli.app import EXIT_CODES


def test_version(cli) -> None:
    assert cli("--version").out == f"bland-clone {__version__}\n"
    assert cli("-V").code == 0


def test_help_documents_environment_and_exit_codes(cli) -> None:
    r = cli("--help")
    assert r.code == 0
    for var in ("BLAND_API_KEY", "BLAND_API_URL", "BLAND_BASE_URL", "NO_COLOR"):
        assert var in r.out
    flat = " ".join(r.out.split())  # the meanings wrap to the terminal
    for code, meaning in EXIT_CODES.items():
        assert f" {code} {' '.join(meaning.split())}" in flat
        assert f"\n  {code:<4} " in r.out


@pytest.mark.parametrize("columns", ["60", "80"])
def test_the_root_help_fits_the_terminal(cli, columns: str) -> None:
    """The environment and exit-code sections wrap as the options do, each line within the
    terminal, continued under its meaning."""
    r = cli("--help", env={"COLUMNS": columns})
    assert r.code == 0
    too_long = [x for x in r.out.splitlines() if len(x) > int(columns)]
    assert too_long == []
    lines = r.out.splitlines()
    at = lines.index("Exit codes:")
    assert lines[at + 1].startswith("  0    success")
    two = next(i for i, x in enumerate(lines) if x.startswith("  2    usage error"))
    assert lines[two + 1].startswith("       ") and lines[two + 1][7] != " "  # under it


def test_every_command_has_help_with_examples(cli) -> None:
    for argv in (["validate"], ["clone"], ["add-samples"], ["speak"], ["voices", "delete"]):
        r = cli(*argv, "--help")
        assert r.code == 0, argv
        assert "--json" in r.out
    assert "Examples:" in cli("clone", "--help").out


def test_unknown_option_is_a_usage_error(cli, sample: Path) -> None:
    r = cli("validate", sample, "--bogus")
    assert r.code == 2
    assert "No such option: --bogus" in r.err
    assert r.out == ""


def test_usage_error_with_json_is_one_json_object(cli) -> None:
    r = cli("clone", "--json", "x.wav")  # --name is missing
    assert r.code == 2
    doc = json.loads(r.out)
    assert doc["ok"] is False
    assert doc["errors"][0]["error"] == "Usage Error"
    assert "--name" in doc["errors"][0]["message"]


@pytest.mark.parametrize(
    ("argv", "cause", "see"),
    [
        (["clone", "--preview"], "Option '--preview' requires an argument", "bland-clone clone -h"),
        (["voices", "show", "--name"], "No such option: --name", "bland-clone voices show -h"),
        (["validate"], "Missing argument 'FILE...'", "bland-clone validate -h"),
        (["-q", "voices", "list"], "goes after the command", "bland-clone voices list -q"),
        (["--quiet=1", "voices", "list"], "goes after the command", "voices list --quiet"),
        # config show takes no --quiet: not sent after it, where it is refused too
        (["--quiet=1", "config", "show"], "No such option: --quiet", "bland-clone -h"),
        (["-q", "validate", "x.wav"], "goes after the command", "bland-clone validate -q"),
        (["--bogus"], "No such option: --bogus", "bland-clone -h"),
        (["voices", "-q", "list"], "goes after the command", "bland-clone voices list -q"),
        (["-q", "valdate", "x"], "No such command 'valdate' (did you mean 'validate'?)", "-h'."),
        (["valdate", "x"], "No such command 'valdate' (did you mean 'validate'?); see", "-h'."),
        (["speak", "--timeout", "abc", "A", "hi"], "--timeout takes a number, not 'abc'", "-h'."),
        (["apply", "v.toml", "--jobs", "x"], "--jobs takes a whole number, not 'x'", "-h'."),
        (["apply", "v.toml", "-j", "2.5"], "--jobs takes a whole number, not '2.5'", "-h'."),
        (["speak", "--jsno", "A", "hi"], "No such option: --jsno (did you mean '--json'?)", ";"),
        (["validate", "x", "--engine", "v9"], "not 'v9'; see", "bland-clone validate -h'."),
    ],
)
def test_a_usage_error_is_the_tools_own_line(cli, argv: list[str], cause: str, see: str) -> None:
    """Click's usage errors (a missing value, an unknown option, an option before the command)
    are one line of the tool's, naming the cause and where to look; exit 2."""
    r = cli(*argv)
    assert (r.code, r.out) == (2, "")
    assert r.err.startswith("error: ") and r.err.count("\n") == 1, r.err
    assert cause in r.err and see in r.err, r.err
    assert "Usage:" not in r.err and "Error:" not in r.err


@pytest.mark.parametrize(
    "argv",
    [
        ["--json", "voices", "list"],
        ["clone", "--preview", "--json"],
        ["clone", "--json", "--preview"],
        ["--json", "--bogus"],
        ["voices", "--json", "list"],
        ["--json", "valdate", "x"],
    ],
)
def test_a_usage_error_with_json_anywhere_is_one_json_object(cli, argv: list[str]) -> None:
    r = cli(*argv)
    assert r.code == 2
    doc = json.loads(r.out)
    assert list(doc) == ["ok", "errors"] and doc["ok"] is False
    assert doc["errors"][0]["error"] == "Usage Error"
    message = doc["errors"][0]["message"]
    assert "Usage:" not in message
    if argv[:2] == ["--json", "voices"] or argv[:2] == ["voices", "--json"]:
        assert "bland-clone voices list --json" in message, message
    assert "Possible options" not in message and "?;" not in message, message
    if "valdate" in argv:
        assert message.startswith("No such command 'valdate'"), message


def test_a_far_suggestion_is_not_made(cli) -> None:
    """speak --help --bogus: --verbose shares letters with --bogus, not a typo of it."""
    r = cli("speak", "--help", "--bogus")
    assert r.code == 2 and "--verbose" not in r.err, r.err
    assert r.err == "error: No such option: --bogus; see 'bland-clone speak -h'.\n"


def test_bad_engine_and_conflicting_modes(cli, sample: Path) -> None:
    r = cli("validate", sample, "--engine", "v9")
    assert (r.code, r.err) == (
        2,
        "error: --engine must be one of v3, v2, not 'v9'; see 'bland-clone validate -h'.\n",
    )
    r = cli("validate", sample, "--json", "--quiet")
    assert r.code == 2


def test_no_key_on_the_command_line(cli) -> None:
    r = cli("clone", "--api-key", "sk-123", "--name", "x", "a.wav")
    assert (r.code, r.err) == (
        2,
        "error: The API key is never taken on the command line (other users' ps shows it): "
        "set BLAND_API_KEY, or pipe it to 'bland-clone config set api_key'.\n",
    )
    assert "sk-123" not in r.out + r.err
    r = cli("voices", "list", "--api-key=sk-123", "--json")
    assert r.code == 2 and "never taken on the command line" in r.json()["errors"][0]["message"]


HEAVY = (
    "numpy",
    "soundfile",
    "requests",
    "rich.table",
    "rich.console",
    "werkzeug",
    "sounddevice",
    "jinja2",  # the --report page's templates: only when a page is made
)


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["clone", "--help"],
        ["voices", "--help"],
        ["record", "--help"],
        ["validate", "--help"],
    ],
)
def test_version_and_help_import_no_heavy_module(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from bland_clone.__main__ import main\n"
        f"rc = main({argv!r})\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(rc, heavy)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="100"),
    )
    assert proc.stdout.strip().splitlines()[-1] == "0 []", proc.stdout + proc.stderr


def test_version_fast_path_imports_not_even_typer() -> None:
    code = (
        "import sys\nfrom bland_clone.__main__ import main\nmain(['--version'])\n"
        "print('typer' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.splitlines()[-1] == "False"


def test_python_api_is_importable(sample: Path) -> None:
    import bland_clone

    info = bland_clone.inspect(sample)
    report = bland_clone.validate_upload([info], name="API user", require_name=True)
    assert report.ok and info.duration == pytest.approx(12.0)
    with pytest.raises(bland_clone.AuthError):
        bland_clone.Client(None)


def test_lazy_root_help_is_the_same_as_the_full_tree() -> None:
    """Start-up imports only the command asked for; the root listing must not differ for it."""
    from typer.testing import CliRunner

    from bland_clone.cli.app import build_app

    runner = CliRunner()
    lazy = runner.invoke(build_app(), ["--help"], prog_name="bland-clone")
    full = runner.invoke(build_app(full=True), ["--help"], prog_name="bland-clone")
    assert lazy.exit_code == full.exit_code == 0
    assert lazy.output == full.output


def test_root_help_and_bare_invocation_are_typers(cli) -> None:
    """The recorded help (bland_clone._help) prints what Typer prints; tests/test_help.py
    checks every command at every width."""
    from bland_clone._docs import help_text

    text = help_text([], columns=80)
    assert cli("--help", env={"COLUMNS": "80"}).out == text
    bare = cli(env={"COLUMNS": "80"})  # no arguments: the help, as a usage error (Click's rule)
    assert (bare.code, bare.out, bare.err) == (2, "", text)
    narrow = cli("--help", env={"COLUMNS": "60"})
    assert narrow.code == 0 and narrow.out != text  # narrower terminals get Typer's own wrapping
    assert narrow.out == help_text([], columns=60)


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--no-quality"],
        ["clone", "--name", "Dry", "--dry-run"],
        ["add-samples", "some-id", "--dry-run"],
    ],
)
def test_offline_checks_import_no_http_or_numpy(argv: list[str]) -> None:
    """Header checks and dry runs without a key need neither requests nor numpy (clone's and
    add-samples' dry runs of a take validate judged: they read its verdict;
    tests/test_clone_judges.py shows an unjudged take analysed)."""
    sample = Path(__file__).resolve().parents[1] / "examples" / "sample.wav"
    code = (
        "import sys\n"
        "from bland_clone.__main__ import main\n"
        f"rc = main({[*argv, str(sample)]!r})\n"
        f"print(rc, [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLAND_")}
    if argv[0] in ("clone", "add-samples"):
        judged = [sys.executable, "-m", "bland_clone", "validate", str(sample)]
        assert subprocess.run(judged, capture_output=True, env=env).returncode == 0
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.stdout.strip().splitlines()[-1] == "0 []", proc.stdout + proc.stderr


def test_every_error_line_says_error_in_lower_case(
    cli, service, sample: Path, tmp_path: Path
) -> None:
    assert cli("clone", "--name", "Three", sample).code == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("x = [\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (
        ["add-samples", "Three", sample],
        ["plan", bad],
        ["prepare", empty, "-o", tmp_path / "o.wav"],
    ):
        r = cli(*args)
        assert r.code != 0 and r.err.startswith("error: "), (args, r.err)
        assert "Error:" not in r.err + r.out, (args, r.err)

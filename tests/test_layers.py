"""The layers a newcomer sees in the tree are the layers the imports follow.

cli -> ops -> audio/api -> core, never back up: audio and api never import each other, the core
(bland_clone/core/) imports nothing but the core, report (the HTML pages) reads
audio and the core, the sandbox imports only the core modules in SANDBOX_READS, and a command
never imports another command (what two commands share lives in ops or the core). No two
modules import each other, however long the way round. Every import counts, including those
under ``if TYPE_CHECKING`` and inside functions.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).resolve().parents[1] / "bland_clone"

#: The program's entry points sit above every layer. ``bland_clone`` (the package itself) is the
#: Python API's front door: it names what it offers under TYPE_CHECKING and imports it only when
#: a name is first used (its ``__getattr__``), so loading it loads nothing else.
ENTRY = {
    "bland_clone",
    "bland_clone.__main__",
    "bland_clone._completions",
    "bland_clone._docs",
    "bland_clone._help",
    "bland_clone._helpdata",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    base = PACKAGE.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from X import y`` counts as X and X.y)."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names if is_module(f"{mod}.{a.name}"))
    return {m for m in found if m == "bland_clone" or m.startswith("bland_clone.")}


def layer(mod: str) -> str:
    if mod in ENTRY:
        return "entry"
    parts = mod.split(".")
    if len(parts) >= 2 and parts[1] in ("cli", "ops", "report", "audio", "api", "sandbox"):
        return parts[1]
    return "core"


#: What each layer may import besides itself.
ALLOWED = {
    "entry": {"cli", "ops", "report", "audio", "api", "sandbox", "core"},
    "cli": {"ops", "report", "audio", "api", "sandbox", "core"},
    "ops": {"audio", "api", "core"},
    "report": {"audio", "core"},
    "audio": {"core"},
    "api": {"core"},
    "sandbox": {"core"},
    "core": set(),
}

#: The core modules the sandbox may read: how the service compares names, never the client's
#: judgement of an upload (see CLIENT_JUDGEMENT below; limits and validation stay out).
SANDBOX_READS = {"bland_clone.core.names"}

#: Imports that break the rules above, each with why it stays for now. Kept exact: the test
#: fails when one of them is gone, so that the entry goes with it. (None today: the sandbox's
#: own reader in sandbox/contract.py replaced its use of audio.inspection.)
EXCEPTIONS: dict[tuple[str, str], str] = {}


@functools.cache
def graph() -> dict[str, set[str]]:
    """Every module of the package and the modules of the package it imports. A module's own
    packages are left out as targets: ``from . import contract`` names the package only on the
    way to the module, Python loads a module's packages before it anyway, and the layers below
    read ``__version__`` from ``bland_clone`` (loading it loads nothing)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        mod = module_name(path)
        found[mod] = {t for t in imports(path) if t != mod and not mod.startswith(t + ".")}
    return found


def breaks(mod: str, target: str) -> bool:
    mine, theirs = layer(mod), layer(target)
    if mine == "sandbox" and theirs == "core":
        return target not in SANDBOX_READS
    return mine != theirs and theirs not in ALLOWED[mine]


def violations() -> list[str]:
    found = []
    for mod, targets in graph().items():
        for target in sorted(targets):
            if breaks(mod, target) and (mod, target) not in EXCEPTIONS:
                found.append(f"{mod} ({layer(mod)}) imports {target} ({layer(target)})")
            if (
                mod.startswith("bland_clone.cli.commands.")
                and target.startswith("bland_clone.cli.commands.")
                and not target.startswith(mod)
            ):
                found.append(f"command {mod} imports command {target}")
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import loops: each group of modules that reach one another (Tarjan's strongly
    connected components), sorted; a module importing itself is a loop too."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges[v]:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def test_no_lower_layer_imports_a_higher_one() -> None:
    assert violations() == []


def test_the_check_sees_every_kind_of_import() -> None:
    """Guards the test above from passing on nothing: relative imports at every depth, imports
    inside functions and under TYPE_CHECKING, and ``from . import module`` are all seen."""
    assert "bland_clone.core.settings" in imports(PACKAGE / "cli" / "app.py")  # top level, ..
    # inside a function: the terminal's level strip (lazy, so that voices list loads no audio)
    assert "bland_clone.audio.quality" in imports(PACKAGE / "cli" / "output.py")
    # under TYPE_CHECKING
    assert "bland_clone.ops.notes" in imports(PACKAGE / "ops" / "workflow.py")
    # from .. import common (a module, not a name)
    assert "bland_clone.cli.common" in imports(PACKAGE / "cli" / "commands" / "voices.py")
    assert layer("bland_clone.cli.commands.apply") == "cli"
    assert layer("bland_clone.core.validation") == "core"


#: What the sandbox must never import, directly or through another module: it judges with its
#: own reading of the documented limits (bland_clone/sandbox/contract.py), so a mistake the
#: client makes cannot be made by the sandbox at the same time and go unseen.
CLIENT_JUDGEMENT = ("bland_clone.audio", "bland_clone.core.validation", "bland_clone.core.limits")


def reached_from(start: str) -> dict[str, str]:
    """Every bland_clone module ``start`` imports, directly or not: {module: the importer}."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        mod = todo.pop()
        base = PACKAGE.parent.joinpath(*mod.split("."))
        path = base / "__init__.py" if (base / "__init__.py").exists() else base.with_suffix(".py")
        if not path.exists():
            continue
        for target in imports(path):
            if target not in seen and target != start:
                seen[target] = mod
                todo.append(target)
    return seen


def test_the_sandbox_does_not_share_the_clients_judgement() -> None:
    found = []
    for path in sorted((PACKAGE / "sandbox").rglob("*.py")):
        mod = module_name(path)
        for target, via in reached_from(mod).items():
            if target.startswith(CLIENT_JUDGEMENT):
                found.append(f"{mod} reaches {target} (imported by {via})")
    assert found == []


def test_the_reach_check_sees_indirect_imports() -> None:
    """Guards the test above: the client's clone operation reaches limits through validation."""
    reach = reached_from("bland_clone.ops.cloning")
    assert "bland_clone.core.validation" in reach and "bland_clone.core.limits" in reach
    assert "bland_clone.audio.inspection" in reach


def test_every_layer_imports_only_what_it_is_allowed() -> None:
    """The rules are whole: every module falls in a layer the table names, and every layer's
    allowed imports are only lower layers (nothing allowed both ways)."""
    layers = {layer(m) for m in graph()}
    assert layers == set(ALLOWED)
    for a, below in ALLOWED.items():
        for b in below:
            assert a not in ALLOWED[b], f"{a} and {b} may import each other"
    assert not [m for m in SANDBOX_READS if layer(m) != "core" or m not in graph()]
    # the core takes nothing from audio or api, and they take nothing from each other
    assert breaks("bland_clone.core.validation", "bland_clone.audio.quality")
    assert breaks("bland_clone.core.plan", "bland_clone.api.client")
    assert breaks("bland_clone.api.upload", "bland_clone.audio.inspection")
    assert breaks("bland_clone.audio.prepare", "bland_clone.api.client")
    assert breaks("bland_clone.sandbox.server", "bland_clone.api.answers")
    assert breaks("bland_clone.sandbox.server", "bland_clone.core.lockfile")
    assert breaks("bland_clone.sandbox.server", "bland_clone.core.limits")
    assert breaks("bland_clone.ops.workflow", "bland_clone.sandbox")
    assert breaks("bland_clone.report.media", "bland_clone.api.client")
    assert breaks("bland_clone.ops.workflow", "bland_clone.report")
    assert not breaks("bland_clone.sandbox.state", "bland_clone.core.names")


def test_each_exception_is_still_needed() -> None:
    edges = graph()
    assert [pair for pair in EXCEPTIONS if pair[1] not in edges[pair[0]]] == []


def test_no_module_imports_itself_back() -> None:
    assert cycles(graph()) == []


def test_the_loop_check_finds_loops() -> None:
    """Guards the test above: a loop through three modules, one to itself, none in a chain; and
    the graph holds the imports that once made loops (in functions and under TYPE_CHECKING)."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}, "b": set()}) == [["a"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    edges = graph()
    assert "bland_clone.api.voice_endpoints" in edges["bland_clone.api.client"]
    assert "bland_clone.api.transport" in edges["bland_clone.api.voice_endpoints"]
    assert "bland_clone.audio.decode" in edges["bland_clone.audio.inspection"]  # in a function
    assert "bland_clone.core.audioinfo" in edges["bland_clone.audio.decode"]  # under TYPE_CHECKING


@functools.cache
def hoister() -> ModuleType:
    """scripts/hoist_imports.py, whose rules decide which imports may stay in a function."""
    path = PACKAGE.parent / "scripts" / "hoist_imports.py"
    spec = importlib.util.spec_from_file_location("hoist_imports", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@functools.cache
def startup() -> list[set[str]]:
    return hoister().startup_modules()  # type: ignore[no-any-return]


def test_imports_inside_functions_are_heavy_and_say_why() -> None:
    """Only heavy modules are imported inside functions (numpy, rich, requests...: see
    scripts/hoist_imports.py for the rules), each with a '# lazy: <reason>' comment; the
    project's light modules and the fast standard library are imported at the top. Run
    ``python scripts/hoist_imports.py`` to move what this finds."""
    found = hoister().plan(startup=startup())
    moving = [f"{f.where}: {f.source().strip()}" for f in found if f.reason is None]
    assert moving == []
    lines = {f.module.path: f.module.text.splitlines() for f in found}
    unexplained = [
        f.where
        for f in found
        if not any(
            "# lazy" in line for line in lines[f.module.path][f.node.lineno - 2 : f.node.end_lineno]
        )
    ]
    assert unexplained == []


def test_the_import_rules_tell_light_from_heavy() -> None:
    """Guards the test above: it would see a light module imported in a function."""
    h = hoister()
    project = h.Project()

    def verdicts(module: str, code: str) -> list[str | None]:
        real = project.modules[module]
        mod = h.Module(module, real.path, code, ast.parse(code))
        return [h.verdict(f, project, startup(), set()) for f in h.function_imports(mod)]

    code = (
        "def f():\n"
        "    from ..errors import UsageError\n"  # light, project: to the top
        "    import json\n"  # fast stdlib: to the top
        "    import numpy as np\n"
        "    from ..api.client import Client\n"  # loads requests at import
        "    import subprocess\n"  # slow stdlib
        "    import typer\n"  # outside the CLI
    )
    assert verdicts("bland_clone.ops.cloning", code) == [
        None,
        None,
        "numpy",
        "pulls in requests, urllib3",
        "subprocess is slow to import",
        "typer (outside the CLI)",
    ]
    assert verdicts("bland_clone.cli.common", "def f():\n    import typer\n") == [None]
    # --version and --help load __main__: it takes at its top only what they load
    assert verdicts("bland_clone.__main__", "def f():\n    from .errors import UsageError\n") == [
        "start-up (--version)"
    ]

"""Move the package's function-level imports of light modules to the top of their module.

Issue 21: "Keep lazy imports for heavy modules only, each with a one-line reason, and import the
project's own light modules at the top." Re-runnable on any tree (written to be run again on main
after merges); a second run changes nothing.

    python scripts/hoist_imports.py            # rewrite bland_clone/, then ruff isort + format
    python scripts/hoist_imports.py --check    # list what a run would change; exit 1 if anything
    python scripts/hoist_imports.py --list     # every function-level import and its verdict

The rules, in the order they are applied to each import statement inside a function (or method):

1. Heavy: the statement loads a module in HEAVY (by its top-level name), or a project module whose
   import-time imports (its module-level imports, transitively, ``if TYPE_CHECKING`` blocks left
   out) load one. typer counts as heavy only for modules outside ``bland_clone.cli``. Stays, with
   ``# lazy: <what it pulls in>``.
2. Slow standard library: a module in SLOW_STDLIB (or under it), measured by ``--measure``: over
   4 ms of import time on top of what ``--help`` already loads. Stays, ``# lazy: <module> is slow``.
3. Start-up: a module that one of STARTUP_RUNS loads (``--version``, ``--help``, a command's
   ``--help``, ``voices list``, ``validate --no-quality``; measured by running them) takes at its
   top only what that run already loads, so that they stay as lean as they are
   (tests/test_cli_basics.py and tests/test_help.py check the first three).
4. Commands: a command's module (``bland_clone.cli.commands.*``) is loaded only for that command.
5. Kept where it is for correctness: a module only some platforms have (PLATFORM_ONLY), one
   inside ``try`` with an ``except`` that takes ImportError (an optional module), under ``if
   TYPE_CHECKING``, a name that would clash with another at module level, with a loop variable
   or a builtin, or with a local of its function, a ``from M import name`` of a variable M
   rebinds at run time or tests replace, or an import that would make a loop at import time.
6. Everything else (light project modules, light third-party modules, fast standard library) moves
   to the top of its module: deduplicated, then sorted by ``ruff check --select I --fix`` and
   formatted by ``ruff format``. A comment on the moved line (about it being inside its
   function) is dropped, and so is an ``if TYPE_CHECKING`` import of a name now imported at run
   time.

A statement that stays gets a trailing ``# lazy: <reason>`` (or the same comment on its own line
just above it when the line would be too long); an existing ``# lazy`` comment is kept as written.
tests/test_layers.py runs this script's plan and fails if any import would move or lacks a reason.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bland_clone"
LINE_LENGTH = 100

#: Third-party modules too slow to load for a command that does not use them (each loads in
#: tens of milliseconds or more, or pulls in something that does); their top-level names.
HEAVY = {
    "numpy",
    "av",
    "requests",
    "urllib3",
    "rich",
    "sounddevice",
    "soundfile",
    "soxr",
    "pyloudnorm",
    "webrtcvad",
    "_webrtcvad",
    "jinja2",
    "threadpoolctl",
    "requests_toolbelt",
    "werkzeug",
    "platformdirs",  # 6 ms measured (--measure)
    "tomli",  # Python 3.10's stand-in for tomllib (slow, below)
    "typer",  # heavy outside bland_clone.cli only (see is_heavy)
}

#: Standard-library modules over 4 ms to import on top of what --help loads (``--measure``,
#: 2026-12-04, two runs at load 4-5 on 2 cores, so noisy): asyncio 30 ms, importlib.metadata 21,
#: http.client 21, urllib.request 21, concurrent.futures 14, ssl 10, importlib.resources 10,
#: tomllib 7-9, email.utils 9, secrets 5-9, subprocess 4-8, multiprocessing 6, inspect 5,
#: zipfile 4, xml 4. Under 4 ms, so hoisted: tempfile 3.7, socket 2.6, uuid 1.9, shutil 1.7,
#: json 1.5, datetime 1.2, decimal 1.1, selectors 1.1, and base64, textwrap, threading, wave,
#: signal, contextlib, array, re (under 1 ms).
SLOW_STDLIB = {
    "asyncio",
    "importlib.metadata",
    "importlib.resources",
    "http",
    "urllib.request",
    "email",
    "concurrent",
    "ssl",
    "secrets",
    "subprocess",
    "tomllib",
    "multiprocessing",
    "inspect",
    "zipfile",
    "xml",
}

#: Modules only some platforms have: imported where the code has checked the platform.
PLATFORM_ONLY = {
    "msvcrt",
    "winreg",
    "winsound",
    "_winapi",
    "nt",
    "fcntl",
    "termios",
    "tty",
    "pty",
    "grp",
    "pwd",
    "resource",
    "posix",
    "readline",
    "curses",
}

#: Runs whose imports must not grow (docs/performance.md): --version and every --help import
#: nothing heavy; a network command loads the HTTP stack and its own module only (measured up to
#: where it asks for a key); header checks load no audio analysis.
STARTUP_RUNS = {
    "--version": ["--version"],
    "--help": ["--help"],
    "voices list --help": ["voices", "list", "--help"],
    "voices list": ["voices", "list"],
    "validate --no-quality": ["validate", "--no-quality", str(ROOT / "examples" / "sample.wav")],
}

BUILTINS = set(dir(__builtins__)) if not isinstance(__builtins__, dict) else set(__builtins__)
LAZY = re.compile(r"#\s*lazy\b")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_path(mod: str) -> Path | None:
    base = ROOT.joinpath(*mod.split("."))
    for p in (base / "__init__.py", base.with_suffix(".py")):
        if p.exists():
            return p
    return None


def is_project(mod: str) -> bool:
    return mod == "bland_clone" or mod.startswith("bland_clone.")


def parents(mod: str) -> list[str]:
    parts = mod.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def loaded_by(node: ast.Import | ast.ImportFrom, mod: str, is_package: bool) -> list[str]:
    """The modules an import statement in ``mod`` loads (absolute names, without parents)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        package = mod.split(".") if is_package else mod.split(".")[:-1]
        base = ".".join(
            package[: len(package) - (node.level - 1)] + ([node.module] if node.module else [])
        )
    else:
        base = node.module or ""
    found = [base]
    for a in node.names:
        sub = f"{base}.{a.name}"
        if is_project(sub) and module_path(sub) is not None:
            found.append(sub)
    return found


def top_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports run when the module is loaded (not under TYPE_CHECKING, not in functions)."""

    def walk(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node
            elif isinstance(node, ast.If):
                if not is_type_checking(node.test):
                    yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try):
                yield from walk(node.body)
                for h in node.handlers:
                    yield from walk(h.body)
                yield from walk(node.orelse)
                yield from walk(node.finalbody)
            elif isinstance(node, (ast.With, ast.ClassDef)):
                yield from walk(node.body)

    yield from walk(tree.body)


@dataclass
class Module:
    name: str
    path: Path
    text: str
    tree: ast.Module
    #: what loading it loads directly: project modules (with their packages) and other modules
    direct: set[str] = field(default_factory=set)


@dataclass
class Found:
    """One import statement inside a function, and what to do with it."""

    module: Module
    node: ast.Import | ast.ImportFrom
    function: ast.FunctionDef | ast.AsyncFunctionDef
    enclosing: list[ast.FunctionDef | ast.AsyncFunctionDef]
    context: str  # "plain", "try" (with handlers) or "type_checking"
    targets: list[str]
    reason: str | None = None  # None: move it to the top

    @property
    def where(self) -> str:
        return f"{self.module.path.relative_to(ROOT)}:{self.node.lineno}"

    def source(self) -> str:
        lines = self.module.text.splitlines()[self.node.lineno - 1 : self.node.end_lineno]
        return "\n".join(lines)

    def bindings(self) -> dict[str, tuple[str, ...]]:
        """name -> what it is bound to (a key equal for equal imports)."""
        out = {}
        for a in self.node.names:
            if isinstance(self.node, ast.Import):
                name = a.asname or a.name.split(".")[0]
                out[name] = ("import", (a.asname and a.name) or name)
            else:
                out[a.asname or a.name] = ("from", self.targets[0], a.name)
        return out


class Project:
    def __init__(self) -> None:
        self.modules: dict[str, Module] = {}
        for path in sorted(PACKAGE.rglob("*.py")):
            text = path.read_text()
            mod = Module(module_name(path), path, text, ast.parse(text, str(path)))
            self.modules[mod.name] = mod
        for mod in self.modules.values():
            is_package = mod.path.name == "__init__.py"
            for node in top_level_imports(mod.tree):
                for target in loaded_by(node, mod.name, is_package):
                    mod.direct.add(target)
                    mod.direct.update(p for p in parents(target) if is_project(p))
            mod.direct -= {mod.name, *parents(mod.name)}

    def closure(self, start: str, loading: frozenset[str] = frozenset()) -> set[str]:
        """Every module loading ``start`` loads (itself and its packages included, but for
        the packages in ``loading``, which are being loaded already)."""
        seen: set[str] = set()
        todo = [start, *(p for p in parents(start) if is_project(p) and p not in loading)]
        while todo:
            m = todo.pop()
            if m in seen:
                continue
            seen.add(m)
            if m in self.modules:
                todo.extend(self.modules[m].direct)
        return seen

    def reaches(self, start: str, goal: str) -> bool:
        """Whether loading ``start`` from ``goal`` loads ``goal`` (a loop at load time)."""
        return goal in self.closure(start, frozenset([goal, *parents(goal)]))


def is_heavy(mod: str, importer: str) -> bool:
    root = mod.split(".")[0]
    if root == "typer":
        return not importer.startswith("bland_clone.cli")
    return root in HEAVY


def is_slow_stdlib(mod: str) -> bool:
    return any(mod == s or mod.startswith(s + ".") for s in SLOW_STDLIB)


def heavy_in(mods: set[str], importer: str) -> list[str]:
    found = {m.split(".")[0] for m in mods if not is_project(m) and is_heavy(m, importer)}
    found |= {m for m in mods if not is_project(m) and is_slow_stdlib(m)}
    return sorted(found)


def startup_modules() -> dict[str, set[str]]:
    """The modules each of STARTUP_RUNS loads, each in a fresh interpreter, with no API key
    and an empty home (a command stops where it would need the key)."""
    found = {}
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BLAND_")}
        env.update(HOME=home, XDG_CONFIG_HOME=home, XDG_CACHE_HOME=home)
        for label, argv in STARTUP_RUNS.items():
            code = (
                "import contextlib, io, json, sys\n"
                "from bland_clone.__main__ import main\n"
                "with contextlib.redirect_stdout(io.StringIO()):\n"
                "    with contextlib.redirect_stderr(io.StringIO()):\n"
                f"        main({argv!r})\n"
                "print(json.dumps(sorted(sys.modules)))\n"
            )
            proc = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
            )
            found[label] = set(json.loads(proc.stdout.splitlines()[-1]))
    return found


def function_imports(mod: Module) -> Iterator[Found]:
    is_package = mod.path.name == "__init__.py"

    def walk(node: ast.AST, funcs: list, context: str) -> Iterator[Found]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from walk(child, [*funcs, child], context)
            elif isinstance(child, (ast.Import, ast.ImportFrom)) and funcs:
                if child.module == "__future__" if isinstance(child, ast.ImportFrom) else False:
                    continue
                targets = loaded_by(child, mod.name, is_package)
                yield Found(mod, child, funcs[-1], funcs[:-1], context, targets)
            elif isinstance(child, ast.If) and funcs and is_type_checking(child.test):
                yield from walk(child, funcs, "type_checking")
            elif isinstance(child, ast.Try) and funcs and any(map(catches_import, child.handlers)):
                for stmt in [*child.body, *child.orelse]:
                    yield from walk(ast.Module([stmt], []), funcs, "try")
                for h in child.handlers:
                    yield from walk(h, funcs, context)
                for stmt in child.finalbody:
                    yield from walk(ast.Module([stmt], []), funcs, context)
            else:
                yield from walk(child, funcs, context)

    yield from walk(mod.tree, [], "plain")


def catches_import(handler: ast.ExceptHandler) -> bool:
    """Whether an ``except`` takes a failed import (ImportError, ModuleNotFoundError, bare)."""
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        (isinstance(n, ast.Name) and n.id.endswith("Error") and "Import" in n.id)
        or (isinstance(n, ast.Name) and n.id == "ModuleNotFoundError")
        for n in names
    )


def module_bindings(mod: Module) -> dict[str, set[tuple[str, ...]]]:
    """Names bound at module level at run time: imports (by what they bind), the rest by kind."""
    out: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    is_package = mod.path.name == "__init__.py"

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out[node.name].add(("def",))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = loaded_by(node, mod.name, is_package)
                for a in node.names:
                    if isinstance(node, ast.Import):
                        name = a.asname or a.name.split(".")[0]
                        out[name].add(("import", (a.asname and a.name) or name))
                    else:
                        out[a.asname or a.name].add(("from", targets[0], a.name))
            elif isinstance(node, ast.If):
                if not is_type_checking(node.test):
                    walk(node.body)
                else:  # names only for typing: a run-time import of the same is still needed
                    for sub in ast.walk(node):
                        if isinstance(sub, (ast.Import, ast.ImportFrom)):
                            for a in sub.names:
                                out[a.asname or a.name.split(".")[0]].add(("typing",))
                walk(node.orelse)
            elif isinstance(node, (ast.Try, ast.With, ast.For, ast.While)):
                for part in ("body", "orelse", "finalbody"):
                    walk(getattr(node, part, []))
                for h in getattr(node, "handlers", []):
                    walk(h.body)
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        out[sub.id].add(("value",))
            else:
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        out[sub.id].add(("value",))

    walk(mod.tree.body)
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Global):
            for name in node.names:
                out[name].add(("value",))
    return out


def local_names(func: ast.FunctionDef | ast.AsyncFunctionDef, same: Found) -> set[str]:
    """Names a function binds itself (parameters, assignments, other imports of something
    else), nested functions' own locals left out."""
    skip = same.node
    mine = same.bindings()
    a = func.args
    names = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
    names |= {x.arg for x in (a.vararg, a.kwarg) if x}

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if child is skip:
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(child.name)
                continue
            if isinstance(child, ast.Lambda):
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                other = Found(same.module, child, func, [], "plain", loaded_by_in(child, same))
                names.update(n for n, key in other.bindings().items() if mine.get(n) != key)
            elif isinstance(child, ast.ExceptHandler) and child.name:
                names.add(child.name)
            elif isinstance(child, (ast.Global, ast.Nonlocal)):
                names.update(child.names)
            walk(child)

    walk(func)
    return names


def loaded_by_in(node: ast.Import | ast.ImportFrom, f: Found) -> list[str]:
    return loaded_by(node, f.module.name, f.module.path.name == "__init__.py")


def rebound(project: Project) -> set[tuple[str, str]]:
    """(module, name) pairs read through ``from module import name`` at call time on purpose:
    variables the module rebinds (``global``), and attributes tests replace (monkeypatch)."""
    out = set()
    for mod in project.modules.values():
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.Global):
                out.update((mod.name, n) for n in node.names)
    patched = re.compile(r"monkeypatch\.setattr\(\s*(\w+)\s*,\s*\"(\w+)\"")
    for path in (ROOT / "tests").rglob("*.py"):
        for last, name in patched.findall(path.read_text()):
            out.update((m, name) for m in project.modules if m.rsplit(".", 1)[-1] == last)
    return out


def plan(project: Project | None = None, startup: list[set[str]] | None = None) -> list[Found]:
    """Every function-level import of the package, each with its verdict."""
    project = project or Project()
    startup = startup if startup is not None else startup_modules()
    replaced = rebound(project)
    found = [f for m in project.modules.values() for f in function_imports(m)]
    # top-level edges added so far, for the loop check
    for f in found:
        f.reason = verdict(f, project, startup, replaced)
    by_module: dict[str, list[Found]] = defaultdict(list)
    for f in found:
        if f.reason is None:
            by_module[f.module.name].append(f)
    for name, moving in by_module.items():
        bound = module_bindings(project.modules[name])
        loops = {
            n.id
            for node in ast.walk(project.modules[name].tree)
            if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension))
            for n in ast.walk(node.target)
            if isinstance(n, ast.Name)
        }
        wanted: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        for f in moving:
            for n, key in f.bindings().items():
                wanted[n].add(key)
        for f in moving:
            for n, key in f.bindings().items():
                others = {k for k in bound.get(n, set()) if k != ("typing",)} - {key}
                if others or len(wanted[n]) > 1:
                    f.reason = f"the name {n} means something else at module level"
                    break
                if n in loops:
                    f.reason = f"the name {n} is a loop variable elsewhere in the module"
                    break
                if n in BUILTINS:
                    f.reason = f"the name {n} would hide the builtin"
                    break
                if any(n in local_names(g, f) for g in [f.function, *f.enclosing]):
                    f.reason = f"the name {n} is also a local of {f.function.name}"
                    break
    # a loop at import time: add the moves one by one, refusing one that closes a loop
    for f in found:
        if f.reason is not None:
            continue
        mod = f.module
        targets = {t for t in f.targets if is_project(t)}
        if any(
            project.reaches(t, mod.name) for t in targets if t not in [mod.name, *parents(mod.name)]
        ):
            f.reason = "an import loop at load time"
            continue
        for t in targets:
            if t not in [mod.name, *parents(mod.name)]:
                mod.direct.add(t)
                mod.direct.update(p for p in parents(t) if is_project(p))
    return found


def verdict(
    f: Found, project: Project, startup: dict[str, set[str]], replaced: set[tuple[str, str]]
) -> str | None:
    importer = f.module.name
    loads: set[str] = set()
    for t in f.targets:
        loads |= project.closure(t) if is_project(t) else {t}
    own = [t for t in f.targets if not is_project(t)]
    platform = [t for t in own if t.split(".")[0] in PLATFORM_ONLY]
    if platform:
        return f"{platform[0]} is not on every platform"
    heavy = sorted({t.split(".")[0] for t in own if is_heavy(t, importer)})
    if heavy:
        return ", ".join(heavy) + (" (outside the CLI)" if heavy == ["typer"] else "")
    slow = [t for t in own if is_slow_stdlib(t)]
    if slow:
        return f"{slow[0]} is slow to import"
    heavy = heavy_in(loads, importer)
    if heavy:
        return "pulls in " + ", ".join(heavy[:3])
    if f.context == "type_checking":
        return "for type checking only"
    if f.context == "try":
        return "optional: its absence is handled"
    for label, loaded in startup.items():  # each start-up run loading the importer
        if importer in loaded and not loads <= loaded:  # already loads what it would add
            return f"start-up ({label})"
    commands = [t for t in f.targets if t.startswith("bland_clone.cli.commands.")]
    if commands and not importer.startswith("bland_clone.cli.commands."):
        return "a command's module is loaded only for that command"
    if isinstance(f.node, ast.ImportFrom):
        for a in f.node.names:
            if (f.targets[0], a.name) in replaced:
                return f"reads {f.targets[0].rsplit('.', 1)[-1]}.{a.name} at call time"
    return None


# --- rewriting ---------------------------------------------------------------------------------


def insertion_line(tree: ast.Module) -> int:
    """The line after which module-level imports go: after the last top-level import that
    comes before the first definition (or after the docstring)."""
    line = 0
    for i, node in enumerate(tree.body):
        docstring = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if docstring or isinstance(node, (ast.Import, ast.ImportFrom)):
            line = node.end_lineno or node.lineno
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If)):
            break
    return line


def split_comment(line: str) -> tuple[str, str]:
    """(code, comment) of one line, the comment with its '#' (strings in imports are rare)."""
    if "#" not in line:
        return line.rstrip(), ""
    code, _, comment = line.partition("#")
    return code.rstrip(), "#" + comment


def rewrite(mod: Module, moving: list[Found], staying: list[Found]) -> str:
    lines = mod.text.splitlines()
    bound = module_bindings(mod)
    edits: dict[int, list[str] | None] = {}  # 0-based line -> replacement lines (None: drop)
    added: list[str] = []
    seen: set[str] = set()
    for f in moving:
        keys = f.bindings()
        already = all(key in bound.get(n, set()) for n, key in keys.items())
        first_indent = len(lines[f.node.lineno - 1]) - len(lines[f.node.lineno - 1].lstrip())
        # a comment on the moved line spoke of it inside its function: it does not go along
        block = "\n".join(split_comment(x)[0] for x in textwrap.dedent(f.source()).splitlines())
        if not already and block not in seen:
            seen.add(block)
            added.append(block)
        start, end = f.node.lineno - 1, (f.node.end_lineno or f.node.lineno) - 1
        body = parent_body(f)
        gone = [s for s in body if any(s is g.node for g in moving)]
        last_one = len(gone) == len(body) and f.node is gone[0]
        edits[start] = [" " * first_indent + "pass"] if last_one else None
        for i in range(start + 1, end + 1):
            edits[i] = None
    for f in staying:
        if any(LAZY.search(line) for line in lines[f.node.lineno - 2 : f.node.end_lineno]):
            continue
        i = f.node.lineno - 1
        code, comment = split_comment(lines[i])
        note = f"# lazy: {f.reason}"
        new = f"{code}  {note}" + (f"  {comment}" if comment else "")
        if len(new) <= LINE_LENGTH:
            edits[i] = [new]
        else:
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            edits[i] = [indent + note, lines[i]]
    out: list[str] = []
    at = insertion_line(mod.tree)
    dropped = False  # the line before was a moved import
    for i, line in enumerate(lines):
        if i == at and added:
            out.extend(added)
        if i in edits:
            replacement = edits[i]
            dropped = replacement is None
            out.extend(replacement or [])
            continue
        kept = out[-1].strip() if out else ""
        if dropped and not line.strip() and (kept.startswith("#") or kept.endswith(":")):
            continue  # no blank line left between a comment (or a block's start) and its code
        dropped = False
        out.append(line)
    if at >= len(lines) and added:
        out.extend(added)
    return "\n".join(out) + "\n"


def parent_body(f: Found) -> list[ast.stmt]:
    for node in ast.walk(f.function):
        for part in ("body", "orelse", "finalbody"):
            body = getattr(node, part, None)
            if isinstance(body, list) and any(s is f.node for s in body):
                return body
        for h in getattr(node, "handlers", []):
            if any(s is f.node for s in h.body):
                return h.body
    return [f.node]


def alias_key(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> tuple[object, ...]:
    if isinstance(node, ast.Import):
        return ("import", alias.name, alias.asname)
    return ("from", node.level, node.module, alias.name, alias.asname)


def without_typing_duplicates(text: str) -> str:
    """``text`` without the ``if TYPE_CHECKING`` imports of names the module imports at run
    time anyway (left over when an import moved to the top); an emptied block goes too."""
    tree = ast.parse(text)
    runtime = {
        alias_key(node, a)
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for a in node.names
    }
    lines = text.splitlines()
    edits: dict[int, str | None] = {}  # 0-based line -> its replacement (None: drop)
    for node in tree.body:
        if not (isinstance(node, ast.If) and is_type_checking(node.test)) or node.orelse:
            continue
        changes: dict[int, str | None] = {}
        left = 0
        for sub in node.body:
            if not isinstance(sub, (ast.Import, ast.ImportFrom)):
                left += 1
                continue
            keep = [a for a in sub.names if alias_key(sub, a) not in runtime]
            if len(keep) == len(sub.names):
                left += 1
                continue
            indent = lines[sub.lineno - 1][: sub.col_offset]
            new = None
            if keep:
                left += 1
                sub.names = keep
                new = indent + ast.unparse(sub)
            changes[sub.lineno - 1] = new
            for i in range(sub.lineno, sub.end_lineno or sub.lineno):
                changes[i] = None
        if not changes:
            continue
        if left == 0:
            changes = dict.fromkeys(range(node.lineno - 1, node.end_lineno or node.lineno))
        edits.update(changes)
    if not edits:
        return text
    out = []
    for i, line in enumerate(lines):
        if i not in edits:
            out.append(line)
        elif edits[i] is not None:
            out.append(edits[i] or "")
    return "\n".join(out) + "\n"


def run(check: bool, show: bool) -> int:
    found = plan()
    moving = [f for f in found if f.reason is None]
    staying = [f for f in found if f.reason is not None]
    if show:
        for f in found:
            print(f"{f.where}: {f.source().strip().splitlines()[0]}  -> {f.reason or 'HOIST'}")
    reasons: dict[str, int] = defaultdict(int)
    for f in staying:
        reasons[f.reason or ""] += 1
    unmarked = [
        f
        for f in staying
        if not any(
            LAZY.search(line)
            for line in f.module.text.splitlines()[f.node.lineno - 2 : f.node.end_lineno]
        )
    ]
    print(
        f"function-level imports: {len(found)}; to move to the top: {len(moving)}; "
        f"staying: {len(staying)} ({len(unmarked)} without a '# lazy' reason yet)"
    )
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"  {n:4}  {reason}")
    untidy = [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if without_typing_duplicates(p.read_text()) != p.read_text()
    ]
    print(f"modules importing a name both at run time and under TYPE_CHECKING: {len(untidy)}")
    if check or show:
        for p in untidy:
            print(f"  TYPE_CHECKING duplicate: {p.relative_to(ROOT)}")
        for f in moving:
            print(f"  would move: {f.where}: {f.source().strip().splitlines()[0]}")
        for f in unmarked:
            print(f"  no reason: {f.where}: {f.source().strip().splitlines()[0]}")
        return 1 if check and (moving or unmarked or untidy) else 0
    changed = []
    by_module: dict[str, tuple[list[Found], list[Found]]] = defaultdict(lambda: ([], []))
    for f in moving:
        by_module[f.module.name][0].append(f)
    for f in unmarked:
        by_module[f.module.name][1].append(f)
    for mv, st in by_module.values():
        mod = next(f.module for f in mv + st)
        mod.path.write_text(rewrite(mod, mv, st))
        changed.append(str(mod.path))
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        tidy = without_typing_duplicates(text)
        if tidy != text:
            path.write_text(tidy)
            if str(path) not in changed:
                changed.append(str(path))
    if changed:
        ruff = [sys.executable, "-m", "ruff"]
        # F401: a TYPE_CHECKING flag left unused when its block went
        fix = ["check", "--select", "I,F401", "--fix", "-q"]
        subprocess.run([*ruff, *fix, *changed], cwd=ROOT)
        subprocess.run([*ruff, "format", "-q", *changed], cwd=ROOT, check=True)
        print(f"rewrote {len(changed)} files")
    return 0


def measure(mods: list[str]) -> None:
    """Import time of each module on top of what --help loads (best of 5 runs, ms)."""
    base = "import bland_clone.__main__, bland_clone._help, os, pathlib"
    for m in mods:
        best = float("inf")
        for _ in range(5):
            code = f"{base}\nimport sys; sys.stderr.write('-- mark\\n')\nimport {m}"
            err = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", code],
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stderr
            after = err.split("-- mark\n", 1)[-1].splitlines()
            total = sum(
                int(line.split("|")[0].split(":")[1]) for line in after if "import time:" in line
            )
            best = min(best, total)
        print(f"{m:24} {best / 1000:6.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    parser.add_argument("--list", action="store_true", help="print every verdict")
    parser.add_argument("--measure", nargs="*", metavar="MODULE", help="import times (ms)")
    args = parser.parse_args()
    if args.measure is not None:
        measure(args.measure)
        return 0
    return run(args.check, args.list)


if __name__ == "__main__":
    sys.exit(main())

"""Move the core modules (bland_clone/*.py below every layer) into bland_clone/core/.

Issue 21: "Put the core in its own folder if that makes the layers plainer from the file list."
Re-runnable: a module already under core/ is left alone, and imports already pointing there are
not touched, so it can run again on main after merges.

    python scripts/move_core.py           # git mv, rewrite imports, ruff isort + format
    python scripts/move_core.py --check   # list what would move; exit 1 if anything

What it does:
1. ``git mv bland_clone/X.py bland_clone/core/X.py`` for each X in CORE (and writes
   ``bland_clone/core/__init__.py``, which imports nothing).
2. Rewrites every import of them in bland_clone/, tests/, bench/ and scripts/ (by the syntax
   tree: relative imports stay relative and are recomputed from the importer's new place, a
   statement mixing core and other names is split), the package's lazy name table
   (``_LAZY`` in bland_clone/__init__.py), and every remaining ``bland_clone.X`` dotted name or
   ``bland_clone/X.py`` path in those files, the docs, README.md and pyproject.toml.
3. Sorts and formats the changed Python files (ruff).
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bland_clone"

#: The core (tests/test_layers.py: every module at bland_clone/*.py but the entry points).
CORE = (
    "audioinfo",
    "envelope",
    "errors",
    "files",
    "journal",
    "limits",
    "lockfile",
    "manifest",
    "names",
    "parallel",
    "plan",
    "safetext",
    "settings",
    "speech",
    "tomlfile",
    "units",
    "validation",
    "verdicts",
    "voice_settings",
    "wavsizes",
)
PY_DIRS = ("bland_clone", "tests", "bench", "scripts")
TEXT_FILES = ("README.md", "pyproject.toml")
INIT = '"""The core: the rules, records and files every layer reads; it imports nothing above."""\n'

DOTTED = re.compile(r"\bbland_clone\.(" + "|".join(CORE) + r")\b")
PATH = re.compile(r"\bbland_clone/(" + "|".join(CORE) + r")\.py\b")


def new_name(mod: str) -> str:
    """A module's name after the move (``bland_clone.limits`` -> ``bland_clone.core.limits``)."""
    parts = mod.split(".")
    if len(parts) >= 2 and parts[0] == "bland_clone" and parts[1] in CORE:
        return ".".join(["bland_clone", "core", *parts[1:]])
    return mod


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def exists_old(mod: str) -> bool:
    """Whether ``mod`` is a module of the tree as it is now (before or after a move)."""
    base = ROOT.joinpath(*mod.split("."))
    if base.with_suffix(".py").exists() or (base / "__init__.py").exists():
        return True
    moved = new_name(mod)
    return moved != mod and exists_old(moved)


def relative(target: str, importer: str, is_package: bool) -> tuple[int, str]:
    """(level, module) of ``from <dots><module> import`` naming ``target`` from ``importer``."""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    parts = target.split(".")
    common = 0
    while common < min(len(package), len(parts)) and package[common] == parts[common]:
        common += 1
    return len(package) - common + 1, ".".join(parts[common:])


def rewrite_import(
    node: ast.ImportFrom | ast.Import, old_mod: str, new_mod: str, is_package: bool
) -> list[str] | None:
    """The statement(s) replacing ``node`` once the core moved; None when it stays as it is."""
    if isinstance(node, ast.Import):
        names = [ast.alias(new_name(a.name), a.asname) for a in node.names]
        if [a.name for a in names] == [a.name for a in node.names]:
            return None
        return [ast.unparse(ast.Import(names=names))]
    if node.level:
        package = old_mod.split(".") if is_package else old_mod.split(".")[:-1]
        base_parts = package[: len(package) - (node.level - 1)]
        base = ".".join(base_parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if not (base == "bland_clone" or base.startswith("bland_clone.")):
        return None
    groups: dict[str, list[ast.alias]] = {}
    for a in node.names:
        sub = f"{base}.{a.name}"
        if a.name != "*" and exists_old(sub):  # a module: from its (new) package
            new = new_name(sub)
            groups.setdefault(new.rsplit(".", 1)[0], []).append(ast.alias(a.name, a.asname))
        else:
            groups.setdefault(new_name(base), []).append(ast.alias(a.name, a.asname))
    out = []
    for target, names in groups.items():
        if node.level:
            level, module = relative(target, new_mod, is_package)
            stmt = ast.ImportFrom(module=module or None, names=names, level=level)
        else:
            stmt = ast.ImportFrom(module=target, names=names, level=0)
        out.append(ast.unparse(stmt))
    original = ast.unparse(node)
    return None if out == [original] else out


def rewrite_python(path: Path, old_mod: str, new_mod: str) -> str:
    text = path.read_text()
    tree = ast.parse(text)
    is_package = path.name == "__init__.py"
    lines = text.splitlines()
    edits: dict[int, list[str] | None] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            new = rewrite_import(node, old_mod, new_mod, is_package)
            if new is None:
                continue
            first = lines[node.lineno - 1]
            indent = first[: node.col_offset]
            comment = ""
            if "#" in first and (node.end_lineno or node.lineno) == node.lineno:
                comment = "  #" + first.split("#", 1)[1]
            edits[node.lineno - 1] = [indent + s for s in new]
            edits[node.lineno - 1][-1] += comment
            for i in range(node.lineno, node.end_lineno or node.lineno):
                edits[i] = None
        # the package's table of lazily imported names (bland_clone/__init__.py)
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)
            and isinstance(node.value, ast.Dict)
            and old_mod == "bland_clone"
        ):
            for v in node.value.values:
                if isinstance(v, ast.Constant) and v.value in CORE:
                    i = v.lineno - 1
                    line = edits.get(i, [lines[i]])
                    assert line is not None
                    edits[i] = [
                        line[0][: v.col_offset] + f'"core.{v.value}"' + line[0][v.end_col_offset :]
                    ]
    out = []
    for i, line in enumerate(lines):
        if i in edits:
            out.extend(edits[i] or [])
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def plan() -> list[tuple[Path, Path]]:
    return [
        (PACKAGE / f"{name}.py", PACKAGE / "core" / f"{name}.py")
        for name in CORE
        if (PACKAGE / f"{name}.py").exists()
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    args = parser.parse_args()
    moves = plan()
    for src, dst in moves:
        print(f"{src.relative_to(ROOT)} -> {dst.relative_to(ROOT)}")
    if args.check:
        return 1 if moves else 0
    # the names each file had before the move, for resolving its relative imports
    me = Path(__file__).resolve()
    files = sorted(p for d in PY_DIRS for p in (ROOT / d).rglob("*.py") if p.resolve() != me)
    old_names = {p: module_of(p) for p in files}
    core = PACKAGE / "core"
    core.mkdir(exist_ok=True)
    if not (core / "__init__.py").exists():
        (core / "__init__.py").write_text(INIT)
        subprocess.run(["git", "add", str(core / "__init__.py")], cwd=ROOT, check=True)
    for src, dst in moves:
        subprocess.run(["git", "mv", str(src), str(dst)], cwd=ROOT, check=True)
    changed = []
    for old_path, old_mod in old_names.items():
        moved = dict(moves).get(old_path)
        path = moved or old_path
        new_mod = new_name(old_mod)
        text = path.read_text()
        new = rewrite_python(path, old_mod, new_mod)
        new = PATH.sub(r"bland_clone/core/\1.py", DOTTED.sub(r"bland_clone.core.\1", new))
        if new != text:
            path.write_text(new)
            changed.append(str(path))
    for path in [*sorted((ROOT / "docs").glob("*.md")), *(ROOT / f for f in TEXT_FILES)]:
        if path.exists():
            text = path.read_text()
            new = PATH.sub(r"bland_clone/core/\1.py", DOTTED.sub(r"bland_clone.core.\1", text))
            if new != text:
                path.write_text(new)
                print(f"rewrote {path.relative_to(ROOT)}")
    ruff = [sys.executable, "-m", "ruff"]
    if changed:
        subprocess.run([*ruff, "check", "--select", "I", "--fix", "-q", *changed], cwd=ROOT)
        subprocess.run([*ruff, "format", "-q", *changed], cwd=ROOT, check=True)
    print(f"moved {len(moves)} modules; rewrote {len(changed)} Python files")
    # a longer name can push a docstring or comment past the line length: those are shown
    subprocess.run([*ruff, "check", "--select", "E501", "-q", *changed], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The layers a newcomer sees in the tree are the layers the imports follow.

cli -> ops -> core/audio/api/sandbox, never back up; audio does not talk to the service; a
command never imports another command (what two commands share lives in ops or the core).
Every import counts, including those under ``if TYPE_CHECKING`` and inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bland_clone"

#: The program's entry points sit above every layer.
ENTRY = {
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
    if len(parts) >= 2 and parts[1] in ("cli", "ops", "audio", "api", "sandbox"):
        return parts[1]
    return "core"


#: What each layer must never import.
FORBIDDEN = {
    "core": {"cli", "ops"},
    "audio": {"cli", "ops", "api"},
    "api": {"cli", "ops"},
    "sandbox": {"cli", "ops"},
    "ops": {"cli"},
}


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        mod = module_name(path)
        mine = layer(mod)
        for target in sorted(imports(path)):
            if target == "bland_clone":
                continue
            theirs = layer(target)
            if theirs in FORBIDDEN.get(mine, set()):
                found.append(f"{mod} ({mine}) imports {target} ({theirs})")
            if (
                mod.startswith("bland_clone.cli.commands.")
                and target.startswith("bland_clone.cli.commands.")
                and not target.startswith(mod)
            ):
                found.append(f"command {mod} imports command {target}")
    return found


def test_no_lower_layer_imports_a_higher_one() -> None:
    assert violations() == []


def test_the_check_sees_every_kind_of_import() -> None:
    """Guards the test above from passing on nothing: relative imports at every depth, imports
    inside functions and under TYPE_CHECKING, and ``from . import module`` are all seen."""
    assert "bland_clone.settings" in imports(PACKAGE / "cli" / "app.py")  # top level, ..
    # inside a function: clone --prepare runs the prepare operation
    assert "bland_clone.ops.preparing" in imports(PACKAGE / "ops" / "cloning.py")
    # under TYPE_CHECKING
    assert "bland_clone.ops.notes" in imports(PACKAGE / "ops" / "workflow.py")
    # from .. import common (a module, not a name)
    assert "bland_clone.cli.common" in imports(PACKAGE / "cli" / "commands" / "voices.py")
    assert layer("bland_clone.cli.commands.apply") == "cli"
    assert layer("bland_clone.validation") == "core"


#: What the sandbox must never import, directly or through another module: it judges with its
#: own reading of the documented limits (bland_clone/sandbox/contract.py), so a mistake the
#: client makes cannot be made by the sandbox at the same time and go unseen.
CLIENT_JUDGEMENT = ("bland_clone.audio", "bland_clone.validation", "bland_clone.limits")


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
    assert "bland_clone.validation" in reach and "bland_clone.limits" in reach
    assert "bland_clone.audio.inspection" in reach

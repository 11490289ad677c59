"""Parameters say what they take: at most ANY_BUDGET parameters in the package are typed ``Any``.

``mypy --strict`` checks every annotation, but ``Any`` switches the check off for that value.
What is left is a pass-through whose signature is not ours (urllib3's ``request``, Typer's
wrapped command), or a third-party object whose types do not fit (PyAV's frames, Click's
commands, which the project never imports). Anything else has a real type: a class or a Protocol
(under TYPE_CHECKING where it would load a heavy module), ``object`` where any value is taken
and narrowed with isinstance.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bland_clone"

#: The most parameters typed exactly ``Any`` (``*args``/``**kwargs`` included) the package holds.
ANY_BUDGET = 15


def any_parameters(source: str) -> list[str]:
    """``function(parameter)`` for each parameter annotated exactly ``Any`` (or ``typing.Any``)
    in ``source``: positional, keyword-only, ``*args`` and ``**kwargs``, in nested functions and
    methods too. ``dict[str, Any]`` and other types that merely contain Any are not counted."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        a = node.args
        params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, (a.vararg, a.kwarg))]
        for p in params:
            if p.annotation is not None and ast.unparse(p.annotation) in ("Any", "typing.Any"):
                found.append(f"{node.name}({p.arg})")
    return found


def package_any_parameters() -> list[str]:
    return [
        f"{path.relative_to(PACKAGE.parent)}:{where}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for where in any_parameters(path.read_text(encoding="utf-8"))
    ]


def test_at_most_the_budget_of_parameters_is_typed_any() -> None:
    found = package_any_parameters()
    assert len(found) <= ANY_BUDGET, "\n".join(found)


def test_the_count_sees_every_kind_of_parameter() -> None:
    """Guards the test above from passing on nothing."""
    source = (
        "def f(a: Any, /, b: Any, *args: Any, c: Any = 1, **kwargs: Any) -> Any: ...\n"
        "class C:\n"
        "    async def m(self, x: typing.Any, y: dict[str, Any], z: object) -> None:\n"
        "        def inner(w: Any) -> None: ...\n"
    )
    assert any_parameters(source) == [
        "f(a)",
        "f(b)",
        "f(c)",
        "f(args)",
        "f(kwargs)",
        "m(x)",
        "inner(w)",
    ]
    assert len(list(PACKAGE.rglob("*.py"))) > 50  # the package itself is where it is looked for

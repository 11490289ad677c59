"""Keep README's command reference generated from the code, so it cannot drift.

``python -m bland_clone._docs`` rewrites the part of README.md between the HELP markers with
every command's ``--help``; a test fails when README.md is stale.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

BEGIN = "<!-- BEGIN GENERATED HELP: python -m bland_clone._docs -->"
END = "<!-- END GENERATED HELP -->"

COMMANDS = [
    [],
    ["validate"],
    ["clone"],
    ["add-samples"],
    ["voices", "list"],
    ["voices", "show"],
    ["voices", "rename"],
    ["voices", "delete"],
    ["samples", "list"],
    ["samples", "get"],
    ["speak"],
    ["sandbox"],
]


def help_text(argv: list[str]) -> str:
    from .__main__ import main

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            main([*argv, "--help"])
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return buf.getvalue().rstrip() + "\n"


def section() -> str:
    parts = [BEGIN, ""]
    for argv in COMMANDS:
        title = " ".join(["bland-clone", *argv])
        parts += [f"### `{title}`", "", "```text", help_text(argv).rstrip(), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def render(readme: str) -> str:
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + section() + readme[end:]


def main() -> int:
    path = Path(__file__).resolve().parents[1] / "README.md"
    path.write_text(render(path.read_text()))
    print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reading TOML (config, manifest, lock), written once: each caller words its own errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


class InvalidToml(ValueError):
    """The file is not valid TOML; the message is the parser's (with its line and column)."""


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file. Raises OSError (FileNotFoundError when absent) and InvalidToml."""
    if sys.version_info >= (3, 11):
        import tomllib  # lazy: tomllib is slow to import
    else:  # pragma: no cover
        import tomli as tomllib  # lazy: tomli
    with open(path, "rb") as f:
        try:
            data: dict[str, Any] = tomllib.load(f)
            return data
        except tomllib.TOMLDecodeError as exc:
            raise InvalidToml(str(exc)) from None
        except UnicodeDecodeError as exc:
            raise InvalidToml(f"it is not UTF-8 text (byte {exc.start} is not)") from None

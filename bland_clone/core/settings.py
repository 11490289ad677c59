"""Settings, resolved in one place with one precedence: flag > environment > profile > default.

Environment: BLAND_API_KEY, BLAND_API_URL (or BLAND_BASE_URL, the variable Bland's own CLIs read),
BLAND_PROFILE. Config file: ``config.toml`` in the platform's user config folder (on Linux
``$XDG_CONFIG_HOME/bland-clone/config.toml``, else ``~/.config/bland-clone/config.toml``), with
named profiles as ``[profiles.NAME]`` tables holding ``api_url`` and ``api_key`` or
``api_key_command``. The API key is never taken from the command line.
"""

from __future__ import annotations

import os
import re
import selectors
import stat
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AuthError, UsageError

DEFAULT_API_URL = "https://api.bland.ai"
#: Seconds to wait for the service to answer (--timeout).
DEFAULT_TIMEOUT = 120.0
DEFAULT_PROFILE = "default"
PROFILE_KEYS = ("api_url", "api_key", "api_key_command")

#: Environment variables bland-clone reads, for --help and the README.
ENVIRONMENT = {
    "BLAND_API_KEY": "API key (sent as the Authorization header; never printed)",
    "BLAND_API_URL": "API base URL (default https://api.bland.ai)",
    "BLAND_BASE_URL": "API base URL, as Bland's own CLIs read it (BLAND_API_URL wins)",
    "BLAND_PROFILE": "config profile to use (default: the one 'config use' chose, else 'default')",
    "BLAND_CLONE_CONFIG": "path of the config file (default: the user config folder)",
    "NO_COLOR": "plain output without colour, even on a terminal",
}


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("BLAND_CLONE_CONFIG"):
        return Path(env["BLAND_CLONE_CONFIG"])
    if sys.platform.startswith("linux") or not sys.platform.startswith(("darwin", "win")):
        base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        return Path(base) / "bland-clone" / "config.toml"
    from platformdirs import user_config_dir  # lazy: platformdirs

    return Path(user_config_dir("bland-clone", appauthor=False)) / "config.toml"


def load_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    from .tomlfile import InvalidToml, read_toml  # lazy: start-up (voices list)

    try:
        return read_toml(path)
    except OSError as exc:
        raise UsageError(f"Cannot read config file {path}: {exc.strerror}") from None
    except InvalidToml as exc:
        raise UsageError(f"Config file {path} is not valid TOML: {exc}") from None


def _toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character (DEL included)
    escaped, so the file stays valid TOML whatever the value holds."""
    out = ['"']
    for ch in value:
        c = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif c < 0x20 or c == 0x7F:
            out.append(f"\\u{c:04X}")
        elif 0xD800 <= c <= 0xDFFF:
            raise UsageError(
                "The value holds bytes that are not valid UTF-8; a config file cannot store it."
            )
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return _toml_string(str(value))


def _render_config(config: dict[str, Any]) -> str:
    lines = ["# bland-clone settings: see 'bland-clone config show'", ""]
    if config.get("profile"):  # chosen by 'bland-clone config use NAME'
        lines += [f"profile = {_toml_string(str(config['profile']))}", ""]
    for name, table in sorted(config.get("profiles", {}).items()):
        key = name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml_string(name)
        lines.append(f"[profiles.{key}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in sorted(table.items())]
        lines.append("")
    return "\n".join(lines)


def write_config(path: Path, config: dict[str, Any]) -> None:
    """Write the config (profiles of plain values) owner-only: it may hold a key.

    Through bland_clone.core.files: a new temporary file (an unpredictable name, created
    exclusively, mode 600) beside the config, then renamed over it. Comments and layout are not
    kept.
    """
    from .files import write_file  # lazy: start-up (voices list)

    path = _through_links(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_file(str(path), _render_config(config).encode("utf-8"), mode=0o600, fsync=True)


def _through_links(path: Path) -> Path:
    """The file a symlinked config points at (a dotfiles repository's), written there: the
    link stays a link. A link to nowhere is refused rather than replaced by a file."""
    if not path.is_symlink():
        return path
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise UsageError(
            f"Config file {path} is a link to {target}, whose folder does not exist; "
            "nothing was written."
        )
    return target


def update_config(path: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Read, ``change(config)`` and write the config under an exclusive lock, so concurrent
    runs each see the others' changes and none is lost."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl  # lazy: fcntl is not on every platform

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows: no advisory locks here
            pass
        config = load_config(path)
        change(config)
        write_config(path, config)
    finally:
        os.close(lock)


def insecure_permissions(path: Path) -> bool:
    """True when a config file is readable or writable by group or others."""
    try:
        return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except OSError:
        return False


@dataclass
class Settings:
    api_url: str = DEFAULT_API_URL
    profile: str = DEFAULT_PROFILE
    config_file: Path | None = None
    #: where each setting came from: "flag", "env BLAND_API_URL", "profile default", "default"
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _key: str | None = field(default=None, repr=False)
    _key_command: str | None = field(default=None, repr=False)
    #: where the key came from, in words for a refused key ("the BLAND_API_KEY variable");
    #: names the variable or the profile, never the key
    key_origin: str | None = None

    @property
    def has_key(self) -> bool:
        return bool(self._key or self._key_command)

    def api_key(self) -> str | None:
        """The key; runs ``api_key_command`` on first use. Never printed."""
        if self._key is None and self._key_command:
            self._key = _run_key_command(self._key_command)
        return self._key


#: The most api_key_command may print: a key is one line; more is a wrong command (``yes``,
#: ``cat`` of a large file), and is not read into memory.
MAX_KEY_OUTPUT = 4096
#: Seconds api_key_command may take.
KEY_COMMAND_TIMEOUT = 30.0


def _run_key_command(command: str) -> str:
    import shlex  # lazy: start-up (voices list)
    import subprocess  # lazy: subprocess is slow to import

    try:
        proc = subprocess.Popen(
            shlex.split(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, ValueError) as exc:
        raise AuthError(f"api_key_command could not run: {type(exc).__name__}") from None
    assert proc.stdout is not None
    deadline = time.monotonic() + KEY_COMMAND_TIMEOUT
    got = b""
    with proc, selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while len(got) <= MAX_KEY_OUTPUT:
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                raise AuthError("api_key_command could not run: TimeoutExpired")
            if sel.select(left):
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                got += chunk
        if len(got) > MAX_KEY_OUTPUT:
            proc.kill()
            raise AuthError(
                f"api_key_command printed more than {MAX_KEY_OUTPUT // 1024} KB; "
                "it should print the key alone"
            )
        try:
            returncode = proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AuthError("api_key_command could not run: TimeoutExpired") from None
    if returncode != 0:
        raise AuthError(f"api_key_command failed with exit code {returncode}")
    key = got.decode("utf-8", "replace").strip()
    if not key:
        raise AuthError("api_key_command printed no key")
    return key


def resolve(
    *,
    api_url: str | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve every setting: flag > environment > profile > default."""
    env = os.environ if env is None else env
    s = Settings()
    path = config_path(env)
    config = load_config(path)
    profiles = config.get("profiles", {}) if isinstance(config, dict) else {}
    if not isinstance(profiles, dict):
        raise UsageError(
            f"Config file {path}: 'profiles' must be a table of [profiles.NAME] tables"
        )

    if profile:
        s.profile, s.sources["profile"] = profile, "flag --profile"
    elif env.get("BLAND_PROFILE"):
        s.profile, s.sources["profile"] = env["BLAND_PROFILE"], "env BLAND_PROFILE"
    elif isinstance(config.get("profile"), str) and config["profile"]:
        s.profile, s.sources["profile"] = config["profile"], f"config use ({path})"
    else:
        s.sources["profile"] = "default"
    prof = profiles.get(s.profile)
    if prof is None and s.sources["profile"] != "default":
        known = ", ".join(sorted(profiles)) or "none"
        raise UsageError(f"No profile {s.profile!r} in {path} (profiles: {known})")
    prof = prof or {}
    if not isinstance(prof, dict):
        raise UsageError(f"Config file {path}: [profiles.{s.profile}] must be a table")
    unknown = sorted(set(prof) - set(PROFILE_KEYS))
    if unknown:
        raise UsageError(
            f"Config file {path}: unknown key(s) in [profiles.{s.profile}]: {', '.join(unknown)} "
            f"(known: {', '.join(PROFILE_KEYS)})"
        )
    if config:
        s.config_file = path
    where = f"profile {s.profile} ({path})"

    if api_url:
        s.api_url, s.sources["api_url"] = api_url, "flag --api-url"
    elif env.get("BLAND_API_URL"):
        s.api_url, s.sources["api_url"] = env["BLAND_API_URL"], "env BLAND_API_URL"
    elif env.get("BLAND_BASE_URL"):
        s.api_url, s.sources["api_url"] = env["BLAND_BASE_URL"], "env BLAND_BASE_URL"
    elif prof.get("api_url"):
        s.api_url, s.sources["api_url"] = str(prof["api_url"]), where
    else:
        s.sources["api_url"] = "default"

    if env.get("BLAND_API_KEY"):
        s._key, s.sources["api_key"] = env["BLAND_API_KEY"], "env BLAND_API_KEY"
        s.key_origin = "the BLAND_API_KEY variable"
    elif prof.get("api_key"):
        s._key, s.sources["api_key"] = str(prof["api_key"]), where
        s.key_origin = f"api_key of profile {s.profile!r} in {path}"
        if insecure_permissions(path):
            s.warnings.append(
                f"{path} holds an API key and others can read it; run: chmod 600 '{path}'"
            )
    elif prof.get("api_key_command"):
        s._key_command, s.sources["api_key"] = (
            str(prof["api_key_command"]),
            where + " api_key_command",
        )
        s.key_origin = f"what api_key_command of profile {s.profile!r} in {path} printed"
    else:
        s.sources["api_key"] = "not set"
    return s

"""bland-clone config: see where each setting comes from, and write profiles."""

from typing import Annotated, Any, Optional

import typer

from ...core.envelope import envelope
from ...core.errors import AuthError, UsageError
from ...core.safetext import clean
from ...core.settings import load_config, update_config
from ...ops import session
from .. import common
from ..options import ApiUrlOpt, Connection, JsonOpt, ProfileOpt

app = typer.Typer(help="Show settings, write config profiles, choose one.", no_args_is_help=True)

SETTABLE = ("api_url", "api_key_command", "api_key")


@app.command("show")
def show(
    ctx: typer.Context,
    api_url: ApiUrlOpt = None,
    profile: ProfileOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show each setting and where it came from (flag, environment, profile, default).

    The API key is masked; an api_key_command is not run.
    """
    from ...api.client import mask  # lazy: pulls in requests, urllib3

    out = common.make_output(ctx, json_)
    s = session.get_settings(out, Connection(api_url=api_url, profile=profile))
    key = s._key  # an api_key_command is not run just to show the settings
    shown_key = mask(key) if key else ("(from api_key_command)" if s.has_key else None)
    rows = [
        ("config_file", str(out.env.config_file), "exists" if s.config_file else "not found"),
        ("profile", s.profile, s.sources["profile"]),
        ("api_url", s.api_url, s.sources["api_url"]),
        ("api_key", shown_key or "(not set)", s.sources["api_key"]),
    ]
    result = envelope(
        {
            "settings": {name: {"value": value, "source": source} for name, value, source in rows},
            "warnings": s.warnings,
        }
    )
    out.result(result, lambda: out.table(["Setting", "Value", "Source"], [list(r) for r in rows]))


@app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(
            help=f"One of: {', '.join(SETTABLE)}.", show_default=False, metavar="SETTING"
        ),
    ],
    value: Annotated[
        Optional[str],
        typer.Argument(
            help="The value; for api_key it is read from standard input instead.",
            show_default=False,
            metavar="[VALUE]",
        ),
    ] = None,
    profile: Annotated[
        str, typer.Option("--profile", metavar="NAME", help="Profile to write.")
    ] = "default",
) -> None:
    """Write a setting into a profile of the config file (created owner-only, mode 600).

    The API key is never taken from the command line: pipe it in.

    Examples:

      bland-clone config set api_url https://api.bland.ai --profile prod

      printf '%s' "$KEY" | bland-clone config set api_key --profile prod

      bland-clone config set api_key_command "pass show bland/api-key"
    """

    env = common.run_output(ctx).env
    if key not in SETTABLE:
        raise UsageError(f"Unknown setting {key!r}; settable: {', '.join(SETTABLE)}")
    if key == "api_key":
        if value is not None:
            raise UsageError("The API key is not taken on the command line; pipe it to stdin.")
        if env.stdin_isatty:
            value = typer.prompt("API key", hide_input=True, err=True)
        else:
            value = env.stdin.read().strip()
        if not value:
            raise UsageError("No API key on standard input.")
    elif value is None:
        raise UsageError(f"config set {key} needs a value.")
    _check_setting(key, value)
    path = env.config_file
    setting: str = value

    def change(config: dict[str, Any]) -> None:
        profiles = config.setdefault("profiles", {})
        if not isinstance(profiles, dict) or not isinstance(profiles.get(profile, {}), dict):
            raise UsageError(f"Config file {path}: 'profiles' must hold [profiles.NAME] tables")
        profiles.setdefault(profile, {})[key] = setting
        if key == "api_key":
            profiles[profile].pop("api_key_command", None)
        elif key == "api_key_command":
            profiles[profile].pop("api_key", None)

    update_config(path, change)
    shown = "(hidden)" if key == "api_key" else value

    print(clean(f"Set {key} = {shown} in profile {profile!r} of {path}"), file=env.stderr)


def _check_setting(key: str, value: str) -> None:
    """A value is checked when it is set, not at the next run: a key a header cannot carry, a
    URL that is not one, a command with a line break are refused (exit 2), nothing written."""
    from ...api.transport import check_key, check_url  # lazy: pulls in requests, urllib3

    if key == "api_key":
        try:
            check_key(value)
        except AuthError as exc:
            raise UsageError(exc.message.split(";")[0] + "; nothing was written.") from None
    elif key == "api_url":
        check_url(value, allow_insecure=True)  # plain http to a remote host is refused at use
    elif any(c in value for c in "\r\n\x00"):
        raise UsageError(f"{key} must be one line; nothing was written.")


@app.command("use")
def use(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            help="The profile to use from now on.", show_default=False, metavar="PROFILE"
        ),
    ],
    json_: JsonOpt = False,
) -> None:
    """Choose the profile every later run uses (--profile and BLAND_PROFILE still override it).

    Examples:

      bland-clone config use sandbox

      bland-clone config use default
    """

    out = common.make_output(ctx, json_)
    path = out.env.config_file
    profiles = load_config(path).get("profiles", {})
    if name != "default" and (not isinstance(profiles, dict) or name not in profiles):
        known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) and profiles else "none"
        raise UsageError(
            f"No profile {name!r} in {path} (profiles: {known}); "
            f"write one first: bland-clone config set api_url URL --profile {name}"
        )

    def change(config: dict[str, Any]) -> None:
        if name == "default":
            config.pop("profile", None)
        else:
            config["profile"] = name

    update_config(path, change)
    out.result(
        envelope({"profile": name, "config_file": str(path), "warnings": []}),
        f"Using profile {clean(name)!r} from now on ({clean(str(path))}).",
    )

"""Settings and config profiles: precedence (flag > environment > profile > default), the file
bland-clone writes (owner-only, valid TOML), and `config use`."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

from .conftest import KEY
from .servers import Service


def write_config(home: Path, text: str, mode: int = 0o600) -> Path:
    p = home / ".config" / "bland-clone" / "config.toml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text))
    p.chmod(mode)
    return p


def test_config_set_writes_valid_toml_whatever_the_value(cli, service: Service) -> None:
    r = cli("config", "set", "api_key_command", 'echo a\x7fb"c\\', "--profile", "p\x7fq")
    assert r.code == 0, r.err
    r = cli("config", "show", "--json")
    assert r.code == 0, r.err


def test_profile_precedence(cli, isolated: Path, monkeypatch) -> None:
    write_config(
        isolated,
        f"""\
        [profiles.default]
        api_url = "http://127.0.0.1:1111"

        [profiles.prod]
        api_url = "http://127.0.0.1:2222"
        api_key = "{KEY}"
    """,
    )

    def sources(*args: str, env: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
        doc = cli("config", "show", "--json", *args, env=env).json()
        return {k: (v["value"], v["source"]) for k, v in doc["settings"].items()}

    s = sources()
    assert s["api_url"][0] == "http://127.0.0.1:1111" and s["api_url"][1].startswith(
        "profile default"
    )
    assert s["api_key"] == ("(not set)", "not set")
    s = sources("--profile", "prod")
    assert s["api_url"][0] == "http://127.0.0.1:2222"
    assert s["api_key"][0] == "****cdef" and KEY not in str(s)
    s = sources(env={"BLAND_PROFILE": "prod"})
    assert s["profile"] == ("prod", "env BLAND_PROFILE")
    s = sources(env={"BLAND_API_URL": "http://127.0.0.1:3333"})
    assert s["api_url"] == ("http://127.0.0.1:3333", "env BLAND_API_URL")
    s = sources("--api-url", "http://127.0.0.1:4444")
    assert s["api_url"] == ("http://127.0.0.1:4444", "flag --api-url")
    monkeypatch.setenv("BLAND_API_KEY", "sk-env-key-000000000000")
    s = sources("--profile", "prod")
    assert s["api_key"][1] == "env BLAND_API_KEY"  # environment beats the profile
    r = cli("config", "show", "--profile", "nope")
    assert r.code == 2 and "No profile 'nope'" in r.err


def test_a_profile_key_and_url_reach_the_service(
    cli, service: Service, isolated: Path, monkeypatch, sample: Path
) -> None:
    monkeypatch.delenv("BLAND_API_KEY")
    monkeypatch.delenv("BLAND_API_URL")
    write_config(
        isolated,
        f"""\
        [profiles.sandbox]
        api_url = "{service.url}"
        api_key_command = "printf %s {KEY}"
    """,
    )
    r = cli("clone", "--name", "FromProfile", sample, "--profile", "sandbox")
    assert r.code == 0, r.err
    assert service.voices_named("FromProfile")


def test_config_set_writes_an_owner_only_file(cli, isolated: Path, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    r = cli("config", "set", "api_key", "--profile", "prod")
    assert r.code == 0, r.err
    assert KEY not in r.out + r.err
    path = isolated / ".config" / "bland-clone" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cli("config", "set", "api_url", "http://127.0.0.1:5555", "--profile", "prod").code == 0
    doc = cli("config", "show", "--profile", "prod", "--json").json()
    assert doc["settings"]["api_url"]["value"] == "http://127.0.0.1:5555"
    assert doc["settings"]["api_key"]["value"] == "****cdef"
    r = cli("config", "set", "api_key", "sk-on-the-command-line")
    assert r.code == 2 and "not taken on the command line" in r.err


def test_a_config_with_a_key_that_others_can_read_warns(cli, isolated: Path) -> None:
    p = write_config(isolated, f'[profiles.default]\napi_key = "{KEY}"\n', mode=0o644)
    r = cli("config", "show")
    assert f"warning: {p} holds an API key and others can read it; run: chmod 600 '{p}'" in r.err
    os.chmod(p, 0o600)
    assert "warning" not in cli("config", "show").err


def test_config_set_refuses_what_it_cannot_write(cli, isolated: Path) -> None:
    r = cli("config", "set", "colour", "red")
    assert (r.code, r.err) == (
        2,
        "error: Unknown setting 'colour'; settable: api_url, api_key_command, api_key\n",
    )
    r = cli("config", "set", "api_url")
    assert (r.code, r.err) == (2, "error: config set api_url needs a value.\n")
    assert not (isolated / ".config" / "bland-clone" / "config.toml").exists()


def test_config_set_api_key_command_replaces_a_stored_key(cli, isolated: Path, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(KEY))
    assert cli("config", "set", "api_key").code == 0
    assert cli("config", "set", "api_key_command", f"printf %s {KEY}").code == 0
    text = (isolated / ".config" / "bland-clone" / "config.toml").read_text()
    assert "api_key =" not in text and KEY in text  # the command, not the key, is stored
    doc = cli("config", "show", "--json").json()
    assert doc["settings"]["api_key"]["value"] == "(from api_key_command)"
    assert doc["settings"]["api_key"]["source"].endswith("api_key_command")


def test_config_use_chooses_the_profile_of_later_runs(cli, isolated: Path, monkeypatch) -> None:
    path = write_config(
        isolated,
        """\
        [profiles.default]
        api_url = "http://127.0.0.1:1111"

        [profiles.sandbox]
        api_url = "http://127.0.0.1:8765"
    """,
    )
    r = cli("config", "use", "nowhere")
    assert r.code == 2 and "No profile 'nowhere'" in r.err and "profiles: default, sandbox" in r.err
    r = cli("config", "use", "sandbox")
    assert (r.code, r.out) == (0, f"Using profile 'sandbox' from now on ({path}).\n")
    doc = cli("config", "show", "--json").json()["settings"]
    assert doc["profile"] == {"value": "sandbox", "source": f"config use ({path})"}
    assert doc["api_url"]["value"] == "http://127.0.0.1:8765"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # a flag and the environment still choose another for one run
    assert (
        cli("config", "show", "--json", "--profile", "default").json()["settings"]["profile"][
            "value"
        ]
        == "default"
    )
    monkeypatch.setenv("BLAND_PROFILE", "default")
    assert (
        cli("config", "show", "--json").json()["settings"]["profile"]["source"]
        == "env BLAND_PROFILE"
    )
    monkeypatch.delenv("BLAND_PROFILE")
    assert cli("config", "use", "default").code == 0
    assert cli("config", "show", "--json").json()["settings"]["profile"] == {
        "value": "default",
        "source": "default",
    }


def test_an_api_url_ending_in_v1_gets_a_hint(cli, service: Service) -> None:
    r = cli("voices", "list", "--api-url", f"{service.url}/v1")
    assert r.code == 1
    hint = r.err.splitlines()[-1]
    assert "ends in /v1" in hint and "adds /v1 itself" in hint and "leave it out" in hint, r.err
    assert "Not found" in r.err

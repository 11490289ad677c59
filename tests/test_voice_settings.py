"""Voice settings end to end against the sandbox: voices settings, voices set, the Client's
get_voice_settings/set_voice_settings, the legacy PATCH .../config, and per-engine limits."""

from __future__ import annotations

import json

from bland_clone.api.client import Client
from bland_clone.core.errors import APIError
from bland_clone.sandbox.voice_api import extras

from .servers import Service


def _sent(service: Service, method: str, suffix: str) -> int:
    return sum(1 for m, p, _ in service.faults.seen if m == method and p.endswith(suffix))


def test_settings_show_values_and_ranges_per_engine(cli, service: Service) -> None:
    v2 = service.state.add_voice("Two", service="BTTS_V2")
    doc = cli("voices", "settings", "Two", "--json").json()
    assert doc == {
        "ok": True,
        "voice_id": v2.id,
        "name": "Two",
        "service": "BTTS_V2",
        "settings": {"consistency": 32, "expressiveness": 0.5},
        "limits": {
            "consistency": {"type": "integer", "min": 0, "max": 64, "default": 32},
            "expressiveness": {"type": "number", "min": 0, "max": 1, "default": 0.5},
        },
        "errors": [],
    }
    r = cli("voices", "settings", "Legacy Narrator")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[1] == "Engine:\tBTTS"
    assert lines[2].split("\t") == ["SETTING", "VALUE", "VALID", "ENGINES"]
    assert lines[3].split("\t") == ["consistency", "0.5", "0-1", "V1 (BTTS) and V2"]
    assert lines[4].split("\t") == ["expressiveness", "0.5", "0-1", "V1 (BTTS) and V2"]
    doc = cli("voices", "settings", "Josh", "--json").json()
    assert doc["settings"] == {"boost_language_consistency": False}


def test_set_sends_checked_values_and_the_service_keeps_them(cli, service: Service) -> None:
    v1 = service.state.add_voice("One", service="BTTS")
    r = cli("voices", "set", "One", "--consistency", "0.8", "--expressiveness", "0.25", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["settings"] == {"consistency": 0.8, "expressiveness": 0.25}
    assert doc["changed"] == ["consistency", "expressiveness"]
    assert extras(service.state).settings[v1.id] == {"consistency": 0.8, "expressiveness": 0.25}
    v3 = service.state.add_voice("Three")
    r = cli("voices", "set", "Three", "--boost-language-consistency")
    assert (r.code, r.out) == (0, f"Set boost_language_consistency=true on 'Three' ({v3.id}).\n")
    r = cli("voices", "set", "Three", "--no-boost-language-consistency", "--json")
    assert r.json()["settings"] == {"boost_language_consistency": False}


def test_mixed_up_settings_name_the_engine_and_send_nothing(cli, service: Service) -> None:
    service.state.add_voice("Two", service="BTTS_V2")
    r = cli("voices", "set", "Two", "--boost-language-consistency")
    assert r.code == 1
    assert r.err == (
        "error: boost_language_consistency applies to V3 voices, not to V2 voices; "
        "a V2 voice takes consistency (integer 0-64), expressiveness (0-1); "
        "nothing was changed.\n"
    )
    r = cli("voices", "set", "Two", "--consistency", "2.5", "--json")
    assert r.code == 1
    assert r.json()["errors"] == [
        {
            "error": "Validation Error",
            "message": "consistency must be an integer from 0 to 64 (got 2.5)",
        }
    ]
    service.state.add_voice("Three")
    r = cli("voices", "set", "Three", "--consistency", "0.5")
    assert r.err == (
        "error: consistency applies to V1 (BTTS) and V2 voices, not to V3 voices; "
        "a V3 voice takes boost_language_consistency (true/false); nothing was changed.\n"
    )
    assert _sent(service, "POST", "/settings") == 0
    before = len(service.faults.seen)
    r = cli("voices", "set", "Three")
    assert r.code == 2
    assert "Nothing to set" in r.err and len(service.faults.seen) == before


def test_the_service_limits_are_trusted_not_a_fixed_range(cli, service: Service) -> None:
    """The docs disagree on V2's range (0-64 or 1-32): the CLI follows what the service says."""
    v2 = service.state.add_voice("Two", service="BTTS_V2")
    extras(service.state).limits["BTTS_V2"]["consistency"].update(min=1, max=32)
    r = cli("voices", "set", "Two", "--consistency", "40")
    assert (
        r.err
        == "error: consistency must be an integer from 1 to 32 (got 40); nothing was changed.\n"
    )
    extras(service.state).limits["BTTS_V2"]["consistency"].update(min=0, max=64)
    r = cli("voices", "set", "Two", "--consistency", "40", "--json")
    assert r.code == 0, r.err
    assert r.json()["settings"] == {"consistency": 40, "expressiveness": 0.5}
    assert extras(service.state).settings[v2.id] == {"consistency": 40}
    body = [p for m, p, _ in service.faults.seen if m == "POST"]
    assert body == [f"/v1/voices/{v2.id}/settings"]


def test_the_sandbox_refuses_what_the_cli_would(service: Service) -> None:
    """Bland's own CLIs skip local checks: the sandbox refuses by its own reading of the pages
    (sandbox/contract.py), not by the CLI's code."""
    client = Client(service.key, service.url)
    v2 = service.state.add_voice("Two", service="BTTS_V2")
    for wrong in ({"boost_language_consistency": True}, {"consistency": 65}, {"expressiveness": 2}):
        try:
            client.set_voice_settings(v2.id, wrong)
        except APIError as err:
            assert err.status == 400 and next(iter(wrong)) in err.message
        else:
            raise AssertionError(f"the sandbox accepted {wrong} on a V2 voice")
    assert client.set_voice_settings(v2.id, {"consistency": 0, "expressiveness": 1})[
        "settings"
    ] == {
        "consistency": 0,
        "expressiveness": 1,
    }
    maya = next(v for v in service.state.live() if v.name == "Maya")
    try:
        client.set_voice_settings(maya.id, {"consistency": 3})
    except Exception as err:
        assert str(err) == "Only your own cloned voices' settings can be changed"
    else:
        raise AssertionError("a stock voice's settings were changed")


def test_client_methods_and_the_legacy_config_path(service: Service) -> None:
    client = Client(service.key, service.url)
    v1 = service.state.add_voice("One", service="BTTS")
    got = client.get_voice_settings(v1.id)
    assert got == {
        "voice_id": v1.id,
        "service": "BTTS",
        "settings": {"consistency": 0.5, "expressiveness": 0.5},
        "limits": extras(service.state).limits["BTTS"],
    }
    # An older service without POST .../settings: the client falls back to the legacy
    # PATCH .../config, whose page gives V2 and V3 voices consistency 1-32 and boost 0/1.
    v2, v3 = service.state.add_voice("Two", service="BTTS_V2"), service.state.add_voice("Three")
    for v in (v2, v3):
        service.faults.add(
            "POST",
            f"/v1/voices/{v.id}/settings",
            status=405,
            body=json.dumps(
                {"errors": [{"error": "Method Error", "message": "Method not allowed"}]}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
    got = client.set_voice_settings(v2.id, {"consistency": 8})
    assert got["settings"]["consistency"] == 8
    got = client.set_voice_settings(v3.id, {"boost_language_consistency": True})
    assert got["settings"] == {"boost_language_consistency": True}
    assert _sent(service, "PATCH", f"/v1/voices/{v2.id}/config") == 1
    assert _sent(service, "PATCH", f"/v1/voices/{v3.id}/config") == 1
    patched = [h for m, p, h in service.faults.seen if m == "PATCH"]
    assert len(patched) == 2
    assert extras(service.state).settings[v2.id] == {"consistency": 8}
    assert extras(service.state).settings[v3.id] == {"boost_language_consistency": True}


def test_stock_voices_and_answers_without_limits(cli, service: Service) -> None:
    r = cli("voices", "set", "Maya", "--consistency", "3")
    assert (r.code, r.err) == (1, "error: Only your own cloned voices' settings can be changed\n")
    # A service that reports no limits: the documented ranges (V2's widest, 0-64) are assumed.
    v2 = service.state.add_voice("Two", service="BTTS_V2")
    body = json.dumps({"settings": {"consistency": 16}, "service": "BTTS_V2"}).encode()
    for _ in range(2):
        service.faults.add(
            "GET",
            f"/v1/voices/{v2.id}/settings",
            status=200,
            body=body,
            headers={"Content-Type": "application/json"},
        )
    r = cli("voices", "set", "Two", "--consistency", "70")
    assert (
        r.err
        == "error: consistency must be an integer from 0 to 64 (got 70); nothing was changed.\n"
    )
    r = cli("voices", "set", "Two", "--consistency", "20", "--json")
    assert r.code == 0, r.err
    assert extras(service.state).settings[v2.id] == {"consistency": 20}

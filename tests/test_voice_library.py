"""The rest of Bland's voice API end to end against the sandbox: ratings, the shared library,
check-name, deleting samples, samples get's documented path, models, and the sandbox as a target
for Bland's own CLIs (bland-tts's clone engine field, the docs' rename path)."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from bland_clone.sandbox.voice_api import extras

from .servers import Service


def _seen(service: Service, method: str) -> list[str]:
    return [p for m, p, _ in service.faults.seen if m == method]


def test_rate_a_voice(cli, service: Service) -> None:
    maya = next(v for v in service.state.live() if v.name == "Maya")
    r = cli("voices", "rate", "Maya", "4")
    assert (r.code, r.out) == (0, "Rated 'Maya' 4/5; average 4 of 1 ratings.\n")
    doc = cli("voices", "rate", "maya", "2", "--json").json()
    assert doc == {
        "ok": True,
        "voice_id": maya.id,
        "name": "Maya",
        "rating": 2,
        "average_rating": 3.0,
        "total_ratings": 2,
        "errors": [],
    }
    before = len(service.faults.seen)
    r = cli("voices", "rate", "Maya", "6")
    assert (r.code, r.err) == (1, "error: Rating must be an integer from 1 to 5\n")
    assert len(service.faults.seen) == before
    assert extras(service.state).ratings[maya.id] == [4, 2]


def test_shared_library_search_and_add(cli, service: Service) -> None:
    doc = cli("voices", "shared", "--json").json()
    assert doc["total"] == 5 and len(doc["voices"]) == 5
    doc = cli("voices", "shared", "--language", "en", "--search", "british", "--json").json()
    assert [v["name"] for v in doc["voices"]] == ["Oliver"]
    assert _seen(service, "GET")[-1] == "/v1/voices/shared"
    r = cli("voices", "shared", "--limit", "2")
    assert r.code == 0
    assert r.out.splitlines()[0].split("\t") == ["ID", "NAME", "LANGUAGE", "ENGINE", "DESCRIPTION"]
    assert len(r.out.splitlines()) == 3 and "5 in all; --offset 2 for more." in r.err
    oliver = doc["voices"][0]["id"]
    r = cli("voices", "add-shared", oliver)
    assert (r.code, r.out) == (0, f"Added 'Oliver' ({oliver}) to your voices.\n")
    assert cli("voices", "show", "Oliver", "--json").json()["voice"]["id"] == oliver
    r = cli("voices", "add-shared", oliver, "--json")
    assert r.code == 1
    assert r.json()["errors"][0]["message"] == "This voice is already in your library"
    r = cli("voices", "add-shared", "no-such-id")
    assert (r.code, r.err) == (  # the service's message, and what add-shared takes
        1,
        "error: Voice not found (add-shared takes a voice's id, from 'bland-clone voices shared')\n",
    )


def test_check_name_local_rules_then_the_service(cli, service: Service) -> None:
    service.state.add_voice("Taken")
    r = cli("voices", "check-name", "Fresh name")
    assert (r.code, r.out) == (0, "'Fresh name' is available.\n")
    r = cli("voices", "check-name", "taken", "--json")
    assert r.code == 1
    assert r.json()["available"] is False
    assert r.json()["errors"][0]["message"] == "Voice name is already taken"
    before = service.posts("/v1/voices/check_name_availability")
    r = cli("voices", "check-name", "x" * 31)
    assert (r.code, r.err) == (1, "error: Voice name too long\n")
    assert service.posts("/v1/voices/check_name_availability") == before


def test_check_name_without_a_key_stays_local(cli, monkeypatch) -> None:
    r = cli("voices", "check-name", "Anything", "--json")
    assert r.code == 0
    assert r.json()["available"] is None


def test_samples_delete_asks_or_needs_yes(cli, service: Service) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    first, second = (s.id for s in legacy.samples)
    r = cli("samples", "delete", "Legacy Narrator", first)  # stdin is not a terminal
    assert r.code == 2
    assert r.err == (
        "error: Refusing to delete without --yes: standard input is not a terminal to confirm on.\n"
    )
    assert service.faults.seen == []
    r = cli("samples", "delete", "Legacy Narrator", first, "nope", "--yes")
    assert r.code == 1 and 'has no sample "nope"' in r.err
    assert _seen(service, "DELETE") == [] and len(legacy.samples) == 2
    r = cli("samples", "delete", "Legacy Narrator", first, "--yes", "--json")
    assert r.code == 0, r.err
    assert r.json() == {
        "ok": True,
        "voice_id": legacy.id,
        "deleted": [first],
        "remaining": 1,
        "errors": [],
    }
    assert [s.id for s in legacy.samples] == [second]
    assert _seen(service, "DELETE") == [f"/v1/voices/{legacy.id}/samples"]


def test_samples_get_uses_the_documented_path_then_falls_back(
    cli, service: Service, tmp_path: Path
) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    sid = legacy.samples[0].id
    out = tmp_path / "s.wav"
    doc = cli("samples", "get", legacy.id, sid, "-o", out, "--json").json()
    assert doc["source"] == f"/v1/voices/{legacy.id}/samples/{sid}?format=audio"
    assert out.read_bytes() == legacy.samples[0].audio
    # A service that does not know the documented path: the older one answers.
    service.faults.add(
        "GET", f"/v1/voices/{legacy.id}/samples/{sid}", status=404, body=b"Not found", times=1
    )
    doc = cli("samples", "get", legacy.id, sid, "-o", out, "--force", "--json").json()
    assert doc["source"] == f"/v1/voices/{legacy.id}/samples/{sid}/audio"
    assert out.read_bytes() == legacy.samples[0].audio


def test_models_needs_no_key(cli, service: Service, monkeypatch) -> None:
    monkeypatch.delenv("BLAND_API_KEY")
    r = cli("models", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["source"] == "/v2/models"
    assert doc["encodings"] == ["pcm_s16le", "mulaw"]
    assert doc["sample_rates"] == [8000, 16000, 24000, 44100, 48000]
    assert doc["containers"] == ["raw", "wav"] and set(doc["controls"]) == {
        "expressiveness",
        "stability",
    }
    assert all("Authorization" not in h for _, _, h in service.faults.seen)
    r = cli("models")
    assert "Containers:\traw, wav" in r.out and "Control:\tstability 0-1" in r.out


def test_models_falls_back_to_v1(cli, service: Service) -> None:
    service.faults.add("GET", "/v2/models", status=404, body=b"Not found")
    doc = cli("models", "--json").json()
    assert doc["source"] == "/v1/models"
    assert [m["model_id"] for m in doc["models"]] == ["BTTS_V3", "BTTS_V2", "BTTS"]
    assert {m["max_characters"] for m in doc["models"]} == {1000}


def test_sandbox_takes_both_clone_styles_and_both_rename_paths(
    service: Service, sample: Path
) -> None:
    """What bland-tts and bland-cli send, as they send it (their published 0.3.0 / 0.6.1)."""
    h = {"Authorization": service.key}
    data = sample.read_bytes()

    def clone(**fields: str) -> requests.Response:
        return requests.post(
            service.url + "/v1/voices/clone",
            headers=h,
            data=fields,
            files=[("audio_samples", ("s.wav", data, "audio/wav"))],
            timeout=30,
        )

    r = clone(name="Tts Two", engine="BTTS_V2")
    assert r.status_code == 200, r.text
    assert service.voices_named("Tts Two")[0].service == "BTTS_V2"
    assert clone(name="Docs Three", isBTTS_V3="true").status_code == 200
    assert service.voices_named("Docs Three")[0].service == "BTTS_V3"
    r = clone(name="Both", isBTTS_V2="true", engine="BTTS_V3")
    assert r.status_code == 400 and service.voices_named("Both") == []
    assert "Invalid engine" in r.json()["errors"][0]["message"]
    vid = service.voices_named("Tts Two")[0].id
    r = requests.patch(
        f"{service.url}/v1/voices/{vid}", headers=h, json={"name": "Docs Rename"}, timeout=10
    )
    assert r.status_code == 200 and service.voices_named("Docs Rename")
    r = requests.patch(
        f"{service.url}/v1/voices/{vid}/rename", headers=h, json={"name": "Tts Rename"}, timeout=10
    )
    assert r.status_code == 200 and service.voices_named("Tts Rename")
    # bland-tts's getVoiceSettings reads `settings`; the limits ride beside them.
    body = requests.get(f"{service.url}/v1/voices/{vid}/settings", headers=h, timeout=10).json()
    # the settings pages: V2 takes consistency 0-64 and expressiveness 0-1
    assert body["data"]["settings"] == {"consistency": 32, "expressiveness": 0.5}
    assert json.dumps(body["data"]["limits"]["consistency"]) == (
        '{"type": "integer", "min": 0, "max": 64, "default": 32}'
    )


def test_samples_delete_asks_on_a_terminal(service: Service) -> None:
    from .test_terminal import _env, run_on_tty

    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    sid = legacy.samples[0].id
    args = ["samples", "delete", "Legacy Narrator", sid]
    code, screen = run_on_tty(args, _env(service), answer=b"n\n")
    assert f"Delete 1 sample(s) of 'Legacy Narrator' ({legacy.id}): {sid}? [y/N]" in screen
    assert code == 0 and "Nothing was deleted." in screen and len(legacy.samples) == 2
    assert "error:" not in screen  # a "no" is not an error
    code, screen = run_on_tty(args, _env(service), answer=b"y\n")
    assert (
        code == 0
        and [s.id for s in legacy.samples] != []
        and sid not in {s.id for s in legacy.samples}
    )
    assert "Deleted 1 sample(s) of 'Legacy Narrator'; 1 left." in screen


def test_voices_list_by_language(cli, service: Service) -> None:
    shared = cli("voices", "shared", "--language", "es", "--json").json()["voices"][0]
    assert cli("voices", "add-shared", shared["id"]).code == 0
    doc = cli("voices", "list", "--language", "es", "--json").json()
    assert [v["name"] for v in doc["voices"]] == ["Mateo"]


NEW_COMMANDS = [
    ["voices", "settings", "Maya"],
    ["voices", "set", "Maya", "--consistency", "3"],
    ["voices", "rate", "Maya", "3"],
    ["voices", "shared", "--search", "x"],
    ["voices", "add-shared", "abc"],
    ["voices", "check-name", "Fresh"],
    ["samples", "delete", "Maya", "s1", "--yes"],
    ["speak", "history"],
    ["speak", "history", "g1"],
    ["models"],
    ["speak", "Maya", "Hi <|1|> there.", "-o", "{tmp}/p.mp3", "--force", "--language", "en"],
]


def test_the_new_commands_survive_hostile_answers(cli, service: Service, tmp_path: Path) -> None:
    """As tests/test_hostile.py does for the older commands: every hostile answer, every new
    command, --json: a documented exit code, one error line, one JSON object, no escape."""
    from .test_hostile import ANSWERS, check

    for status, body, ctype in ANSWERS.values():
        service.faults.rules.clear()
        for method in ("GET", "POST", "PATCH", "DELETE"):
            service.faults.add(
                method, "/", status=status, body=body, headers={"Content-Type": ctype}, times=10**6
            )
        for args in NEW_COMMANDS:
            check(cli(*(a.format(tmp=tmp_path) for a in args), "--json"))


def test_the_new_commands_refuse_hostile_ids_before_sending(cli, service: Service) -> None:
    from .test_hostile import check

    for args in (
        ["voices", "add-shared", ".."],
        ["speak", "history", "../v1/voices"],
        ["voices", "shared", "--language", "\x1b[2J"],
        ["voices", "check-name", "\udcff"],
    ):
        for json_mode in (False, True):
            r = cli(*args, *(["--json"] if json_mode else []))
            check(r, json_mode=json_mode)
            assert r.code in (0, 1), (args, r.err)
    # ".." is refused before sending; "../v1/voices" travels as one escaped segment.
    assert not any("/library/add" in p for _, p, _ in service.faults.seen)


def test_empty_listings_and_a_shared_name_say_what_to_do(cli, service: Service) -> None:
    r = cli("voices", "list", "--language", "zz")
    assert (r.code, r.out, r.err) == (0, "", "No voices match.\n")
    assert cli("voices", "list", "--language", "zz", "--json").json()["voices"] == []
    r = cli("voices", "add-shared", "Ava")
    assert r.code == 1
    hint = r.err.splitlines()[-1]
    assert "add-shared takes a voice's id" in hint and "'bland-clone voices shared'" in hint, r.err

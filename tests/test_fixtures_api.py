"""The documented request and answer of every endpoint bland-clone uses, kept as data in
tests/fixtures/api/ (written from shared/seeds/bland-voices-clone.md and
shared/api/bland-voices-api.md: the shapes, with placeholder values). Two sides are held to them:

- the client: each fixture's answer is served over real HTTP on 127.0.0.1 (the sandbox's fault
  injector answers with the fixture's bytes) and the client's decoding is asserted;
- the sandbox: asked the same request for real, it answers in the fixture's shape (every key the
  fixture has, with the same JSON type, recursively).

So neither the client nor the sandbox can drift from the pages without a failing test.
"""

from __future__ import annotations

import io
import json
import struct
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from bland_clone.api.client import Client
from bland_clone.core.errors import APIError
from bland_clone.sandbox.voice_api import extras

from .audiofiles import write_wav
from .servers import Service

FIXTURES = Path(__file__).parent / "fixtures" / "api"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def is_json(doc: dict[str, Any]) -> bool:
    body = doc["response"]["body"]
    return not (isinstance(body, str) and body.startswith("<"))


def shape_problems(doc: Any, got: Any, where: str = "$") -> list[str]:
    """Where ``got`` lacks the shape of ``doc`` (null in a fixture: any value)."""
    if doc is None:
        return []
    if isinstance(doc, dict):
        if not isinstance(got, dict):
            return [f"{where}: an object expected, got {type(got).__name__}"]
        out = []
        for key, value in doc.items():
            if key not in got:
                out.append(f"{where}.{key}: missing")
            else:
                out += shape_problems(value, got[key], f"{where}.{key}")
        return out
    if isinstance(doc, list):
        if not isinstance(got, list):
            return [f"{where}: a list expected, got {type(got).__name__}"]
        if doc and not got:
            return [f"{where}: an empty list where the page shows items"]
        return [
            p for i, item in enumerate(got) for p in shape_problems(doc[0], item, f"{where}[{i}]")
        ]
    if isinstance(doc, bool):
        return [] if isinstance(got, bool) else [f"{where}: a boolean expected, got {got!r}"]
    if isinstance(doc, (int, float)):
        ok = isinstance(got, (int, float)) and not isinstance(got, bool)
        return [] if ok else [f"{where}: a number expected, got {got!r}"]
    return [] if isinstance(got, type(doc)) else [f"{where}: {type(doc).__name__} expected"]


def test_every_fixture_names_its_page_and_shape() -> None:
    assert len(NAMES) >= 25
    for name in NAMES:
        doc = fixture(name)
        assert set(doc) >= {"endpoint", "source", "request", "response"}, name
        assert doc["source"].startswith(("seeds/bland-voices-clone.md", "api/bland-voices-api.md"))
        assert isinstance(doc["response"]["status"], int), name
    assert set(NAMES) == set(SANDBOX) == set(CLIENT)


def test_the_shape_check_can_fail() -> None:
    """Guards the tests below from passing on nothing."""
    models = fixture("models_v2")["response"]["body"]
    assert shape_problems(models, models) == []
    flat = {"models": models["data"], "encodings": ["pcm_s16le"]}  # the sandbox's old shape
    assert shape_problems(models, flat) == ["$.object: missing", "$.data: missing"]
    assert shape_problems({"a": [{"b": 1}]}, {"a": [{"b": "1"}]}) == [
        "$.a[0].b: a number expected, got '1'"
    ]


# -- the sandbox ----------------------------------------------------------------------------------


def _wav(tmp: Path) -> bytes:
    return write_wav(tmp / "s.wav", 12.0).read_bytes()


def _legacy(service: Service) -> Any:
    return next(v for v in service.state.live() if v.name == "Legacy Narrator")


def _call(
    service: Service, method: str, path: str, bearer: bool = False, **kw: Any
) -> requests.Response:
    key = f"Bearer {service.key}" if bearer else service.key
    return requests.request(
        method, service.url + path, headers={"Authorization": key}, timeout=30, **kw
    )


Ask = Callable[[Service, Path], requests.Response]


def _clone(name: str) -> Ask:
    def ask(s: Service, tmp: Path) -> requests.Response:
        files = [("audio_samples", ("s.wav", _wav(tmp), "audio/wav"))]
        return _call(
            s, "POST", "/v1/voices/clone", data={"name": name, "gender": "female"}, files=files
        )

    return ask


def _limited(s: Service, tmp: Path) -> requests.Response:
    maya = next(v for v in s.state.live() if v.name == "Maya")
    for _ in range(20):
        _call(s, "POST", f"/v1/voices/{maya.id}/rate", json={"rating": 5})
    return _call(s, "POST", f"/v1/voices/{maya.id}/rate", json={"rating": 5})


def _v2(s: Service) -> str:
    return str(s.state.add_voice("Two", service="BTTS_V2").id)


SANDBOX: dict[str, Ask] = {
    "clone": _clone("Blandie"),
    "clone_error": _clone("x" * 31),
    "check_name": lambda s, t: _call(
        s, "POST", "/v1/voices/check_name_availability", json={"name": "B"}
    ),
    "add_samples": lambda s, t: _call(
        s,
        "POST",
        "/v1/voices/samples",
        data={"voice_id": _legacy(s).id},
        files=[("audio_samples", ("s.wav", _wav(t), "audio/wav"))],
    ),
    "voices_list": lambda s, t: _call(s, "GET", "/v1/voices"),
    "voice_get": lambda s, t: _call(s, "GET", f"/v1/voices/{_legacy(s).id}"),
    "voice_samples": lambda s, t: _call(s, "GET", f"/v1/voices/{_legacy(s).id}/samples"),
    "voice_delete": lambda s, t: _call(s, "DELETE", f"/v1/voices/{s.state.add_voice('Gone').id}"),
    "voice_rename": lambda s, t: _call(
        s, "PATCH", f"/v1/voices/{_legacy(s).id}/rename", json={"name": "New"}
    ),
    "voice_settings": lambda s, t: _call(s, "GET", f"/v1/voices/{_v2(s)}/settings"),
    "voice_config_legacy": lambda s, t: _call(
        s, "PATCH", f"/v1/voices/{_v2(s)}/config", json={"consistency": 16, "boost": 1}
    ),
    "rate": lambda s, t: _call(s, "POST", f"/v1/voices/{_legacy(s).id}/rate", json={"rating": 5}),
    "rate_clear": lambda s, t: _call(s, "DELETE", f"/v1/voices/{_legacy(s).id}/rate"),
    "rate_limited": _limited,
    "shared": lambda s, t: _call(s, "GET", "/v1/voices/shared"),
    "library_add": lambda s, t: _call(
        s, "POST", f"/v1/voices/library/add/{extras(s.state).shared[0]['id']}"
    ),
    "sample_audio": lambda s, t: _call(
        s, "GET", f"/v1/voices/{_legacy(s).id}/samples/{_legacy(s).samples[0].id}?format=audio"
    ),
    "samples_with_audio": lambda s, t: _call(
        s, "GET", f"/v1/voices/{_legacy(s).id}/samples?include_audio=true"
    ),
    "samples_set_text": lambda s, t: _call(
        s,
        "PATCH",
        f"/v1/voices/{_legacy(s).id}/samples",
        json={"samples": [{"id": _legacy(s).samples[0].id, "transcription": "Corrected."}]},
    ),
    "samples_delete": lambda s, t: _call(
        s,
        "DELETE",
        f"/v1/voices/{_legacy(s).id}/samples",
        json={"sample_ids": [_legacy(s).samples[0].id]},
    ),
    "speak_v1": lambda s, t: _call(
        s,
        "POST",
        "/v1/speak",
        json={"text": "Hello", "voice_id": _legacy(s).id, "output_format": "pcm_24000"},
    ),
    "speak_stream": lambda s, t: _call(
        s,
        "POST",
        "/v1/speak/stream",
        json={"text": "Hello", "voice_id": _legacy(s).id, "output_format": "pcm_24000"},
    ),
    "tts_v2": lambda s, t: _call(
        s, "POST", "/v2/tts", bearer=True, json={"text": "Hello", "voice": _legacy(s).id}
    ),
    "tts_v2_error": lambda s, t: _call(
        s,
        "POST",
        "/v2/tts",
        bearer=True,
        json={"text": "Hello", "voice": _legacy(s).id, "audio": {"sample_rate": 22050}},
    ),
    "models_v2": lambda s, t: requests.get(s.url + "/v2/models", timeout=10),  # no key
    "tts_models": lambda s, t: _call(s, "GET", "/v2/tts/models", bearer=True),
    "tts_model": lambda s, t: _call(s, "GET", "/v2/tts/models/btts-3", bearer=True),
    "models_v1": lambda s, t: _call(s, "GET", "/v1/models"),
    "speech_history": lambda s, t: (
        SANDBOX["speak_v1"](s, t),
        _call(s, "GET", "/v1/speak/samples"),
    )[1],
}


@pytest.mark.parametrize("name", NAMES)
def test_the_sandbox_answers_in_the_documented_shape(
    name: str, service: Service, tmp_path: Path
) -> None:
    doc = fixture(name)
    extras(service.state).rate_window = 60.0
    got = SANDBOX[name](service, tmp_path)
    want = doc["response"]
    assert got.status_code == want["status"], (name, got.text[:300])
    for header in want.get("headers", {}):
        if header != "Content-Type":
            assert header in got.headers, (name, header)
    body = want["body"]
    if is_json(doc):
        if body is not None:
            assert shape_problems(body, got.json()) == [], name
        return
    assert "json" not in got.headers.get("Content-Type", ""), name
    if name == "tts_v2":  # container raw, the default: no header at all
        assert got.content and got.content[:4] != b"RIFF"
    elif name == "speak_stream":
        assert got.content[:4] == b"RIFF"
        assert struct.unpack("<I", got.content[4:8])[0] == 0xFFFFFFFF
        assert struct.unpack("<I", got.content[40:44])[0] == 0xFFFFFFFF
        assert "Content-Length" not in got.headers  # chunked, as the page says
    else:
        assert got.content[:4] == b"RIFF", name


# -- the client -------------------------------------------------------------------------------------


def _serve(service: Service, name: str, path: str | None = None, body: bytes | None = None) -> None:
    doc = fixture(name)
    method, documented = doc["endpoint"].split(" ", 1)
    want = doc["response"]
    raw = (
        body
        if body is not None
        else json.dumps(want["body"]).encode()
        if want["body"] is not None
        else b""
    )
    headers = dict(want.get("headers", {}))
    headers.setdefault("Content-Type", "application/json" if is_json(doc) else "audio/wav")
    service.faults.add(
        method, path or documented.split("?")[0], status=want["status"], body=raw, headers=headers
    )


def _tone() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes(b"\x01\x00" * 2400)
    return buf.getvalue()


def _client(service: Service) -> Client:
    return Client(service.key, service.url, max_retry_wait=5.0)


def _check_clone(s: Service, c: Client, t: Path) -> None:
    _serve(s, "clone")
    got = c.send_clone(_plan(t))
    assert (got.voice_id, got.name) == ("4cc89edf-c4b7-4df8-98c5-f8548fcd7c62", "Blandie")


def _plan(t: Path) -> Any:
    from bland_clone.api.upload import UploadPlan
    from bland_clone.audio.inspection import inspect

    return UploadPlan.clone("Blandie", [inspect(str(write_wav(t / "a.wav", 12.0)))])


def _check_clone_error(s: Service, c: Client, t: Path) -> None:
    _serve(s, "clone_error")
    with pytest.raises(APIError) as err:
        c.send_clone(_plan(t))
    assert (err.value.status, err.value.message) == (400, "Voice name too long")


def _expect(value: Any, want: Any) -> None:
    assert value == want, (value, want)


CLIENT: dict[str, Callable[[Service, Client, Path], None]] = {
    "clone": _check_clone,
    "clone_error": _check_clone_error,
    "check_name": lambda s, c, t: (_serve(s, "check_name"), _expect(c.name_available("B"), True)),
    "add_samples": lambda s, c, t: (
        _serve(s, "add_samples"),
        _expect(
            [x["id"] for x in c.add_samples("v1", [_plan(t).files[0]])],
            ["s1"],
        ),
    ),
    "voices_list": lambda s, c, t: (
        _serve(s, "voices_list"),
        _expect(
            [(v.id, v.name, v.service, v.is_cloned) for v in c.list_voices()],
            [("v1", "Blandie", "BTTS_V3", True)],
        ),
    ),
    "voice_get": lambda s, c, t: (
        _serve(s, "voice_get", "/v1/voices/v1"),
        _expect((c.get_voice("v1").name, c.get_voice.__name__), ("Blandie", "get_voice")),
    ),
    "voice_samples": lambda s, c, t: (
        _serve(s, "voice_samples", "/v1/voices/v1/samples"),
        _expect([x["duration_seconds"] for x in c.voice_samples("v1")], [12.0]),
    ),
    "voice_delete": lambda s, c, t: (
        _serve(s, "voice_delete", "/v1/voices/v1"),
        _expect(c.delete_voice("v1")["status"], "success"),
    ),
    "voice_rename": lambda s, c, t: (
        _serve(s, "voice_rename", "/v1/voices/v1/rename"),
        _expect(c.rename_voice("v1", "New"), {"name": "New", "voice_id": "v1"}),
    ),
    "voice_settings": lambda s, c, t: (
        _serve(s, "voice_settings", "/v1/voices/v1/settings"),
        _expect(
            c.get_voice_settings("v1"),
            {
                "voice_id": "v1",
                "service": "BTTS_V2",
                "settings": {"consistency": 32, "expressiveness": 0.5},
                "limits": {
                    "consistency": {"type": "integer", "min": 0, "max": 64},
                    "expressiveness": {"type": "number", "min": 0, "max": 1},
                },
            },
        ),
    ),
    "voice_config_legacy": lambda s, c, t: (
        s.faults.add(
            "POST",
            "/v1/voices/v1/settings",
            status=405,
            body=b"{}",
            headers={"Content-Type": "application/json"},
        ),
        _serve(
            s,
            "voice_config_legacy",
            "/v1/voices/v1/config",
            body=json.dumps(fixture("voice_settings")["response"]["body"]).encode(),
        ),
        _expect(
            c.set_voice_settings("v1", {"consistency": 16, "boost_language_consistency": True})[
                "voice_id"
            ],
            "v1",
        ),
        _expect(json.loads(_patched(s)), {"consistency": 16, "boost": 1}),
    ),
    "rate": lambda s, c, t: (
        _serve(s, "rate", "/v1/voices/v1/rate", body=b""),
        _expect(c.rate_voice("v1", 5), {"voice_id": "v1", "rating": 5}),
    ),
    "rate_clear": lambda s, c, t: (
        _serve(s, "rate_clear", "/v1/voices/v1/rate", body=b""),
        _expect(c.clear_rating("v1"), None),
    ),
    "rate_limited": lambda s, c, t: _check_limited(s, c),
    "shared": lambda s, c, t: (
        _serve(s, "shared"),
        _expect([v["name"] for v in c.shared_voices()[0]], ["Ava"]),
    ),
    "library_add": lambda s, c, t: (
        _serve(s, "library_add", "/v1/voices/library/add/v9"),
        _expect(c.add_shared_voice("v9")["id"], "v1"),
    ),
    "sample_audio": lambda s, c, t: (
        _serve(s, "sample_audio", "/v1/voices/v1/samples/s1", body=_tone()),
        _expect(c.sample_file("v1", "s1", str(t / "s.wav"))[0], len(_tone())),
        _expect((t / "s.wav").read_bytes(), _tone()),
    ),
    "samples_with_audio": lambda s, c, t: (
        _serve(s, "samples_with_audio", "/v1/voices/v1/samples"),
        _expect([x["audio"] for x in c.voice_samples("v1", include_audio=True)], ["<base64 WAV>"]),
    ),
    "samples_set_text": lambda s, c, t: (
        _serve(s, "samples_set_text", "/v1/voices/v1/samples", body=b""),
        _expect(c.set_sample_text("v1", "s1", "Corrected words."), {}),
        _expect(json.loads(_patched(s)), fixture("samples_set_text")["request"]["json"]),
    ),
    "samples_delete": lambda s, c, t: (
        _serve(s, "samples_delete", "/v1/voices/v1/samples", body=b""),
        _expect(c.delete_samples("v1", ["s1"]), {"deleted": ["s1"]}),
    ),
    "speak_v1": lambda s, c, t: _check_speak_v1(s, c),
    "speak_stream": lambda s, c, t: _check_stream(s, c, t),
    "tts_v2": lambda s, c, t: _check_tts(s, c),
    "tts_v2_error": lambda s, c, t: _check_tts_error(s, c),
    "models_v2": lambda s, c, t: (
        _serve(s, "models_v2"),
        _expect([m["id"] for m in c.tts_models() or []], ["btts-3"]),
    ),
    "tts_models": lambda s, c, t: (
        _serve(s, "tts_models"),
        _expect([m["encodings"] for m in c.tts_model_list()], [["pcm_s16le", "mulaw"]]),
    ),
    "tts_model": lambda s, c, t: (
        _serve(s, "tts_model", "/v2/tts/models/btts-3"),
        _expect(c.tts_model("btts-3")["sample_rates"], [8000, 16000, 24000, 44100, 48000]),
    ),
    "models_v1": lambda s, c, t: (
        _serve(s, "models_v1"),
        _expect(c.max_characters("BTTS_V3"), 1000),
    ),
    "speech_history": lambda s, c, t: (
        _serve(s, "speech_history"),
        _expect([g["id"] for g in c.speech_history()], ["g1"]),
    ),
}


def _patched(s: Service) -> str:
    """The body of the last request a fault answered: what the client sent."""
    return s.faults.bodies[-1]


def _check_limited(s: Service, c: Client) -> None:
    _serve(s, "rate_limited", f"/v1/voices/{_legacy(s).id}/rate")
    got = c.rate_voice(_legacy(s).id, 4)  # the 429 waited for as Retry-After asks, then sent
    assert got["rating"] == 4
    assert s.posts(f"/v1/voices/{_legacy(s).id}/rate") == 2


def _check_speak_v1(s: Service, c: Client) -> None:
    _serve(s, "speak_v1", body=_tone())
    got = c.speak_v1("v1", "Hello", "pcm_24000")
    assert (got.cost, got.endpoint, got.read()) == (0.01, "/v1/speak", _tone())


def _check_tts(s: Service, c: Client) -> None:
    _serve(s, "tts_v2", body=b"\x01\x00" * 100)
    got = c.tts("v1", "Hello", {"encoding": "pcm_s16le", "sample_rate": 48000, "container": "raw"})
    assert (got.model, got.read()) == ("btts-3", b"\x01\x00" * 100)


def _check_tts_error(s: Service, c: Client) -> None:
    _serve(s, "tts_v2_error")
    with pytest.raises(APIError) as err:
        c.tts("v1", "Hello", {"sample_rate": 48000}).read()
    assert (err.value.status, err.value.message) == (400, "Invalid sample_rate")


def _check_stream(s: Service, c: Client, t: Path) -> None:
    from bland_clone.sandbox.documented import streamed_header

    tone = _tone()
    _serve(s, "speak_stream", body=streamed_header(tone) + tone[44:])
    size = c.speak_stream("v1", "Hello", "pcm_24000").save(str(t / "s.wav"))
    assert size == len(tone)
    assert (t / "s.wav").read_bytes() == tone  # the placeholders backfilled: a valid WAV


@pytest.mark.parametrize("name", NAMES)
def test_the_client_decodes_the_documented_answer(
    name: str, service: Service, tmp_path: Path
) -> None:
    CLIENT[name](service, _client(service), tmp_path)

"""The gaps issue 19 listed, each against the sandbox over real HTTP on 127.0.0.1: the models
endpoints, encodings and rates, the key header per endpoint, V2 settings, transcriptions and
samples with their audio, clearing a rating, and the rate limits' 429 with Retry-After."""

from __future__ import annotations

import base64
import json
import time
import wave
from pathlib import Path

import requests

from bland_clone.sandbox.voice_api import extras

from .servers import Service


def _headers(service: Service, method: str, path: str) -> list[dict[str, str]]:
    return [h for m, p, h in service.faults.seen if m == method and p == path]


def test_models_in_the_documented_shapes(cli, service: Service, monkeypatch) -> None:
    monkeypatch.delenv("BLAND_API_KEY")
    doc = cli("models", "--json").json()
    assert doc["source"] == "/v2/models"
    assert [m["id"] for m in doc["models"]] == ["btts-3", "btts-2"]
    assert {m["object"] for m in doc["models"]} == {"model"}
    monkeypatch.setenv("BLAND_API_KEY", service.key)
    r = cli("models", "btts-3", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["source"] == "/v2/tts/models/btts-3" and doc["encodings"] == ["pcm_s16le", "mulaw"]
    (sent,) = _headers(service, "GET", "/v2/tts/models/btts-3")
    assert sent["Authorization"] == f"Bearer {service.key}"
    r = cli("models", "btts-9")
    assert (r.code, r.err) == (1, "error: Model not found\n")
    listed = requests.get(
        service.url + "/v2/tts/models", headers={"Authorization": service.key}, timeout=10
    ).json()
    assert [m["id"] for m in listed["models"]] == ["btts-3", "btts-2"]


def test_the_key_header_follows_each_page(cli, service: Service, tmp_path: Path) -> None:
    """v1 reference pages: the raw key; v2 (the quickstart, /v2/tts): Bearer. The sandbox
    accepts both forms, as Bland does, and nothing else."""
    assert cli("speak", "Josh", "Hi.", "-o", tmp_path / "a.wav").code == 0
    assert {h["Authorization"] for h in _headers(service, "GET", "/v1/voices")} == {service.key}
    (tts,) = _headers(service, "POST", "/v2/tts")
    assert tts["Authorization"] == f"Bearer {service.key}"
    for header, status in (
        (service.key, 200),
        (f"Bearer {service.key}", 200),
        (f"bearer {service.key}", 200),
        (f"Bearer {service.key}x", 401),
        (f"Basic {service.key}", 401),
        ("", 401),
    ):
        got = requests.get(
            service.url + "/v1/voices", headers={"Authorization": header}, timeout=10
        )
        assert got.status_code == status, header


def test_encodings_and_rates_of_the_v2_pages(cli, service: Service, tmp_path: Path) -> None:
    out = tmp_path / "phone.wav"
    r = cli("speak", "Josh", "Hello.", "-o", out, "--format", "ulaw_8000", "--json")
    assert r.code == 0, r.err
    assert r.json()["endpoint"] == "/v2/tts"
    gens = extras(service.state).generations
    assert gens[-1]["output_format"] == "mulaw_8000_wav"
    with open(out, "rb") as f:
        head = f.read(36)
    assert int.from_bytes(head[20:22], "little") == 7  # WAVE_FORMAT_MULAW
    assert int.from_bytes(head[24:28], "little") == 8000
    josh = next(v for v in service.state.live() if v.name == "Josh")

    def tts(audio: dict[str, object]) -> requests.Response:
        return requests.post(
            service.url + "/v2/tts",
            headers={"Authorization": f"Bearer {service.key}"},
            json={"text": "Hi.", "voice": josh.id, "audio": audio},
            timeout=10,
        )

    for audio in (
        {"encoding": "mulaw", "sample_rate": 16000},
        {"sample_rate": 22050},
        {"encoding": "pcm_mulaw"},
        {"container": "mp3"},
    ):
        got = tts(audio)
        assert got.status_code == 400, audio
        assert set(got.json()["error"]) == {"code", "message"}
    raw = tts({})  # the defaults: 48 kHz pcm_s16le, container raw (no header)
    assert raw.status_code == 200 and raw.content[:4] != b"RIFF"
    assert raw.headers["x-model"] == "btts-3"
    wav = tts({"container": "wav"})
    assert wav.content[:4] == b"RIFF" and wav.content[44:] == raw.content


def test_v2_voices_take_consistency_0_64_and_expressiveness(cli, service: Service) -> None:
    v2 = service.state.add_voice("Two", service="BTTS_V2")
    r = cli("voices", "set", "Two", "--consistency", "64", "--expressiveness", "0.3", "--json")
    assert r.code == 0, r.err
    assert extras(service.state).settings[v2.id] == {"consistency": 64, "expressiveness": 0.3}
    r = cli("voices", "set", "Two", "--consistency", "65")
    assert r.code == 1 and "consistency must be an integer from 0 to 64 (got 65)" in r.err


def test_samples_set_text_and_listing_with_audio(cli, service: Service, tmp_path: Path) -> None:
    legacy = next(v for v in service.state.live() if v.name == "Legacy Narrator")
    sid = legacy.samples[0].id
    r = cli("samples", "set-text", "Legacy Narrator", sid, "Hello, and welcome.")
    assert (r.code, r.out) == (0, f"Set the transcription of sample {sid}.\n")
    assert legacy.samples[0].transcription == "Hello, and welcome."
    (sent,) = [p for m, p, _ in service.faults.seen if m == "PATCH"]
    assert sent == f"/v1/voices/{legacy.id}/samples"
    doc = cli("samples", "list", "Legacy Narrator", "--json").json()
    assert doc["samples"][0]["transcription"] == "Hello, and welcome."
    before = len(service.faults.seen)
    r = cli("samples", "set-text", "Legacy Narrator", "nope", "Words.")
    assert r.code == 1 and "has no sample 'nope'" in r.err
    assert not [m for m, _, _ in service.faults.seen[before:] if m == "PATCH"]
    # ?include_audio=true: one request, each sample written where asked
    folder = tmp_path / "audio"
    r = cli("samples", "list", "Legacy Narrator", "--save-audio", folder, "--json")
    assert r.code == 0, r.err
    got = r.json()["samples"]
    assert [s["path"] for s in got] == [str(folder / f"{s.id}.wav") for s in legacy.samples]
    for s in legacy.samples:
        assert (folder / f"{s.id}.wav").read_bytes() == s.audio
        with wave.open(str(folder / f"{s.id}.wav")) as w:
            assert w.getnframes() > 0
    assert "audio" not in got[0]
    r = cli("samples", "list", "Legacy Narrator", "--save-audio", folder)
    assert r.code == 1 and "exists" in r.err  # not overwritten without --force
    r = cli("samples", "list", "Legacy Narrator", "--save-audio", folder, "--force")
    assert r.code == 0 and r.err == f"Wrote 2 sample(s) to {folder}.\n"
    listed = requests.get(
        f"{service.url}/v1/voices/{legacy.id}/samples?include_audio=true",
        headers={"Authorization": service.key},
        timeout=10,
    ).json()
    assert base64.b64decode(listed["samples"][0]["audio"]) == legacy.samples[0].audio


def test_rate_clear(cli, service: Service) -> None:
    maya = next(v for v in service.state.live() if v.name == "Maya")
    assert cli("voices", "rate", "Maya", "4").code == 0
    assert extras(service.state).ratings[maya.id] == [4]
    r = cli("voices", "rate", "Maya", "--clear")
    assert (r.code, r.out) == (0, "Cleared your rating of 'Maya'.\n")
    assert maya.id not in extras(service.state).ratings
    assert [p for m, p, _ in service.faults.seen if m == "DELETE"] == [f"/v1/voices/{maya.id}/rate"]
    for args in (("Maya",), ("Maya", "3", "--clear")):
        r = cli("voices", "rate", *args)
        assert r.code == 2 and "Give a rating from 1 to 5, or --clear" in r.err


def test_rate_limits_answer_429_and_retry_after_is_honoured(cli, service: Service) -> None:
    """20 ratings a minute per organisation: the 21st waits as Retry-After asks, then goes
    through; a wait longer than the client's bound (60 s) is not waited for."""
    maya = next(v for v in service.state.live() if v.name == "Maya")
    extras(service.state).rate_window = 1.5
    h = {"Authorization": service.key}
    for _ in range(20):
        got = requests.post(
            f"{service.url}/v1/voices/{maya.id}/rate", headers=h, json={"rating": 5}, timeout=10
        )
        assert got.status_code == 200
    limited = requests.post(
        f"{service.url}/v1/voices/{maya.id}/rate", headers=h, json={"rating": 5}, timeout=10
    )
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 2
    started = time.monotonic()
    r = cli("voices", "rate", "Maya", "3", "--json")
    assert r.code == 0, r.err
    assert time.monotonic() - started >= 0.5
    posts = [p for m, p, _ in service.faults.seen if m == "POST" and p.endswith("/rate")]
    assert len(posts) >= 23  # 21 above, then the CLI's refused try and its retry
    extras(service.state).rate_window = 3600.0
    for _ in range(20):
        requests.post(
            f"{service.url}/v1/voices/{maya.id}/rate", headers=h, json={"rating": 5}, timeout=10
        )
    started = time.monotonic()
    r = cli("voices", "rate", "Maya", "3")
    assert r.code == 4 and "asked to wait longer than 60s" in r.err
    assert time.monotonic() - started < 10
    # library adds: 30 a minute
    extras(service.state).rate_window = 3600.0
    shared = extras(service.state).shared[0]["id"]
    codes = [
        requests.post(
            f"{service.url}/v1/voices/library/add/{shared}", headers=h, timeout=10
        ).status_code
        for _ in range(31)
    ]
    assert codes.count(429) == 1 and codes[-1] == 429
    assert (
        json.loads(
            requests.post(
                f"{service.url}/v1/voices/library/add/{shared}", headers=h, timeout=10
            ).text
        )["errors"][0]["error"]
        == "Rate Limit"
    )

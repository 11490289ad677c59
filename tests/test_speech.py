"""Previews end to end against the sandbox: /v2/tts where offered, /v1/speak otherwise, the file
format following the extension, pause markers, controls, cost, speak history, and previews that
come from each clone's own sample."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
import soundfile as sf

from bland_clone.sandbox.voice_api import extras

from .servers import Service


def _tts_bodies(service: Service) -> list[str]:
    return [p for m, p, _ in service.faults.seen if m == "POST" and p in ("/v2/tts", "/v1/speak")]


def _no_v2(service: Service) -> None:
    """A service without /v2: GET /v2/models answers 404."""
    service.faults.add("GET", "/v2/models", status=404, body=b"Not found", times=100)


def test_speak_uses_v2_tts_and_reports_the_model(cli, service: Service, tmp_path: Path) -> None:
    out = tmp_path / "line.wav"
    r = cli("speak", "Maya", "Hello there.", "-o", out, "--format", "pcm_16000", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["endpoint"] == "/v2/tts" and doc["model"] == "btts-2" and doc["cost"] is None
    assert doc["file_format"] == "WAV" and doc["bytes"] == out.stat().st_size
    with wave.open(str(out)) as w:
        assert w.getframerate() == 16000 and w.getnframes() > 0
    assert _tts_bodies(service) == ["/v2/tts"]
    gens = extras(service.state).generations
    assert [g["output_format"] for g in gens] == ["pcm_s16le_16000_wav"]


def test_the_file_format_follows_the_extension(cli, service: Service, tmp_path: Path) -> None:
    wav, raw, mp3, flac = (tmp_path / f"line.{e}" for e in ("wav", "raw", "mp3", "flac"))
    for path in (wav, raw, mp3, flac):
        r = cli("speak", "Maya", "Hello there.", "-o", path, "--json")
        assert r.code == 0, r.err
    # .raw: the service's raw container, no header; the same samples the WAV holds.
    with wave.open(str(wav)) as w:
        frames = w.readframes(w.getnframes())
    assert raw.read_bytes() == frames and raw.read_bytes()[:4] != b"RIFF"
    # .mp3 holds MP3, not WAV bytes: the file's content follows its name.
    assert mp3.read_bytes()[:4] != b"RIFF"
    assert sf.info(str(mp3)).format == "MP3"
    assert sf.info(str(flac)).format == "FLAC"
    assert abs(sf.info(str(mp3)).duration - sf.info(str(wav)).duration) < 0.2
    r = cli("speak", "Maya", "Hello.", "-o", tmp_path / "line.m4a")
    assert r.code == 2
    assert r.err == (
        'error: Cannot write ".m4a": the service speaks WAV or raw PCM, and bland-clone converts '
        "to MP3, FLAC and Ogg; name the file .wav, .wave, .raw, .pcm, .mp3, .flac, .ogg, .oga.\n"
    )


def test_without_v2_speak_falls_back_and_shows_the_cost(
    cli, service: Service, tmp_path: Path
) -> None:
    _no_v2(service)
    out = tmp_path / "line.wav"
    r = cli("speak", "Maya", "Hello there.", "-o", out, "--language", "en")
    assert r.code == 0, r.err
    assert r.out == (
        f"Wrote {out} ({out.stat().st_size} bytes, WAV) in the voice 'Maya' via /v1/speak; "
        "cost 0.0012.\n"
    )
    assert _tts_bodies(service) == ["/v1/speak"]
    assert extras(service.state).generations[0]["language"] == "en"
    r = cli("speak", "Maya", "Hi.", "-o", tmp_path / "s.wav", "--stability", "0.5")
    assert r.code == 1
    assert r.err == (
        "error: --stability needs /v2/tts, which this service does not offer "
        "(GET /v2/models answered 404); /v1/speak has no stability.\n"
    )
    assert _tts_bodies(service) == ["/v1/speak"]


def test_pause_markers_are_checked_locally_and_honoured(
    cli, service: Service, tmp_path: Path
) -> None:
    r = cli("speak", "Maya", "Wait <|12|> for it.", "-o", tmp_path / "p.wav")
    assert (r.code, r.err) == (
        1,
        "error: Pause marker <|12|> is out of range: pauses are from 0.1 to 10 seconds.\n",
    )
    r = cli("speak", "Maya", "Wait <|soon|> now", "-o", tmp_path / "p.wav", "--json")
    assert r.code == 1
    assert r.json()["errors"][0]["message"] == (
        "Invalid pause marker <|soon|>: write <|N|> with N in seconds, from 0.1 to 10."
    )
    assert service.faults.seen == []
    plain, paused = tmp_path / "plain.wav", tmp_path / "paused.wav"
    assert cli("speak", "Maya", "Wait for it.", "-o", plain).code == 0
    assert cli("speak", "Maya", "Wait <|2|> for it.", "-o", paused).code == 0
    assert abs(sf.info(str(paused)).duration - sf.info(str(plain)).duration - 2.0) < 0.6


def test_controls_and_format_are_checked_against_the_service(
    cli, service: Service, tmp_path: Path
) -> None:
    r = cli("speak", "Josh", "Hi.", "-o", tmp_path / "a.wav", "--expressiveness", "1.5")
    assert (r.code, r.err) == (1, "error: expressiveness must be from 0 to 1 (got 1.5).\n")
    r = cli("speak", "Maya", "Hi.", "-o", tmp_path / "a.wav", "--language", "english!")
    assert r.code == 2 and "--language must be a language code" in r.err
    for model in extras(service.state).models:
        model["sample_rates"] = [8000, 48000]
    r = cli("speak", "Maya", "Hi.", "-o", tmp_path / "a.wav")
    assert (r.code, r.err) == (
        1,
        "error: The service does not offer 24000 Hz through /v2/tts; its sample rates: 8000, 48000.\n",
    )
    assert _tts_bodies(service) == []
    r = cli("speak", "Maya", "Hi.", "-o", tmp_path / "b.wav", "--expressiveness", "0.7")
    assert r.code == 1  # still 24000 Hz
    r = cli(
        "speak",
        "Maya",
        "Hi.",
        "-o",
        tmp_path / "c.wav",
        "--format",
        "ulaw_8000",
        "--expressiveness",
        "0.7",
        "--stability",
        "0.2",
    )
    assert r.code == 0, r.err
    assert (
        "warning: --expressiveness and --stability are calibrated for V3 voices; 'Maya' is a V2 voice."
        in r.err
    )
    assert sf.info(str(tmp_path / "c.wav")).subtype == "ULAW"


def _peak_hz(path: Path) -> float:
    data, rate = sf.read(str(path), dtype="float64")
    spectrum = np.abs(np.fft.rfft(data * np.hanning(len(data))))
    return float(np.fft.rfftfreq(len(data), 1 / rate)[int(np.argmax(spectrum))])


def test_a_clone_previews_with_its_own_sample(cli, service: Service, tmp_path: Path) -> None:
    """Two clones' previews differ, and each speaks in its own sample's voice: at its pitch (the
    sandbox re-splices the sample; it no longer re-pitches it)."""
    peaks = {}
    for name, hz in (("Low", 200.0), ("High", 320.0)):
        t = np.arange(12 * 16000) / 16000
        sample = tmp_path / f"{name}.wav"
        sf.write(str(sample), (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32), 16000)
        out = tmp_path / f"{name}-preview.wav"
        r = cli("clone", "--name", name, sample, "--preview", "The same words.", "-o", out)
        assert r.code == 0, r.err
        peaks[name] = _peak_hz(out)
    assert abs(peaks["Low"] - 200.0) < 5 and abs(peaks["High"] - 320.0) < 5
    low, high = (tmp_path / f"{n}-preview.wav" for n in ("Low", "High"))
    assert low.read_bytes() != high.read_bytes()


def test_clone_preview_takes_language_and_an_mp3(
    cli, service: Service, sample: Path, tmp_path: Path
) -> None:
    out = tmp_path / "hola.mp3"
    r = cli(
        "clone",
        "--name",
        "Hola",
        sample,
        "--preview",
        "Hola.",
        "-o",
        out,
        "--language",
        "es",
        "--json",
    )
    assert r.code == 0, r.err
    assert r.json()["preview"]["file_format"] == "MP3"
    assert sf.info(str(out)).format == "MP3"
    assert extras(service.state).generations[-1]["language"] == "es"


def test_speak_history(cli, service: Service, tmp_path: Path) -> None:
    assert cli("speak", "Maya", "First line.", "-o", tmp_path / "1.wav").code == 0
    assert cli("speak", "Josh", "Second line.", "-o", tmp_path / "2.wav").code == 0
    doc = cli("speak", "history", "--json").json()
    assert [g["text"] for g in doc["generations"]] == ["Second line.", "First line."]
    josh = next(v for v in service.state.live() if v.name == "Josh")
    doc = cli("speak", "history", "--voice", "Josh", "--json").json()
    assert [g["voice_id"] for g in doc["generations"]] == [josh.id]
    gen_id = doc["generations"][0]["id"]
    doc = cli("speak", "history", gen_id, "--json").json()
    assert doc["generation"]["text"] == "Second line."
    r = cli("speak", "history")
    assert r.code == 0 and r.out.splitlines()[0].split("\t") == [
        "ID",
        "VOICE",
        "CREATED",
        "COST",
        "TEXT",
    ]
    r = cli("speak", "history", "nope", "--json")
    assert r.code == 1 and r.json()["errors"][0]["message"] == "Sample not found"
    # A voice named "history" is still spoken with -o.
    service.state.add_voice("history")
    assert cli("speak", "history", "Hi.", "-o", tmp_path / "h.wav").code == 0


def test_raw_from_a_wav_only_service_and_a_failing_models_list(
    cli, service: Service, tmp_path: Path
) -> None:
    for model in extras(service.state).models:
        model["containers"] = ["wav"]
    wav, raw = tmp_path / "a.wav", tmp_path / "a.raw"
    assert cli("speak", "Maya", "Same words.", "-o", wav).code == 0
    r = cli("speak", "Maya", "Same words.", "-o", raw, "--json")
    assert r.code == 0, r.err
    assert r.json()["file_format"] == "raw PCM (no header)"
    with wave.open(str(wav)) as w:
        assert raw.read_bytes() == w.readframes(w.getnframes())  # the header taken off here
    service.faults.add("GET", "/v2/models", status=500, body=b"boom")
    r = cli("speak", "Maya", "Hi.", "-o", tmp_path / "b.wav", "--json")
    assert r.code == 0, r.err
    assert r.json()["endpoint"] == "/v1/speak"
    assert "warning: GET /v2/models failed" in r.err and "speaking through /v1/speak" in r.err


def test_speak_checks_the_output_can_be_created_before_the_charged_request(
    cli, service: Service
) -> None:
    import os

    r = cli("speak", "Maya", "Hi", "-o", "/proc/x.wav")
    assert r.code == 1 and r.err.startswith("error: Cannot write /proc/x.wav: "), r.err
    assert not [p for m, p, _ in service.faults.seen if p in ("/v2/tts", "/v1/speak")]
    assert not [n for n in os.listdir("/proc") if n.startswith(".x.wav")]


def test_speak_to_stdout_on_a_terminal_is_refused(service: Service) -> None:
    from .ptys import run_on_tty, service_env

    code, screen = run_on_tty(["speak", "Maya", "Hi", "-o", "-"], service_env(service))
    assert code == 2, screen
    assert "Refusing to write audio to a terminal: redirect it" in screen and "RIFF" not in screen
    assert not [p for m, p, _ in service.faults.seen if p in ("/v2/tts", "/v1/speak")]


def test_speak_refuses_play_and_audio_to_the_same_terminal(service: Service) -> None:
    """On a terminal, --play and '-o -' both want it: one usage line, nothing asked of the
    service, no audio bytes on the screen (in either order of the options)."""
    from .ptys import run_on_tty, service_env

    for args in (["--play", "-o", "-"], ["-o", "-", "--play"]):
        code, screen = run_on_tty(["speak", "Maya", "Hi", *args], service_env(service))
        assert code == 2, screen
        said = re.sub(r"\x1b\[[0-9;]*m", "", screen).replace("\r\n", "\n")  # no colour
        assert (
            "error: --play and '-o -' both want this terminal: write a file with -o FILE." in said
        )
        assert "RIFF" not in screen
    assert service.faults.seen == []


def test_speak_refuses_json_and_audio_on_one_stdout(cli, service: Service) -> None:
    r = cli("speak", "Maya", "Hello.", "-o", "-", "--json")
    assert r.code == 2
    assert r.json()["errors"][0]["message"].startswith("--json and '-o -' both want stdout")
    assert not extras(service.state).generations

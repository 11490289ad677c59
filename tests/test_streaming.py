"""Speech written or played as it arrives (issue 19, and issue 20's endless answers): speak
--stream through /v2/tts (container raw) or /v1/speak/stream, a streamed WAV's placeholder
sizes filled in, speak --play off a terminal and without an output device, and every format
written to disk as it arrives with a bounded decoded length."""

from __future__ import annotations

import struct
import tracemalloc
import wave
from collections.abc import Iterable
from pathlib import Path

import pytest
import soundfile as sf

from bland_clone.sandbox.documented import streamed_header
from bland_clone.sandbox.voice_api import extras

from .servers import Service
from .test_terminal import _env, run_on_tty

DOCS = Path(__file__).resolve().parents[1] / "docs" / "scripting.md"


def _frames(path: Path) -> bytes:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes())


def _valid_sizes(path: Path) -> None:
    data = path.read_bytes()
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    assert struct.unpack("<I", data[40:44])[0] == len(data) - 44


def test_stream_asks_v2_for_raw_and_writes_a_valid_wav(
    cli, service: Service, tmp_path: Path
) -> None:
    plain, streamed = tmp_path / "plain.wav", tmp_path / "streamed.wav"
    assert cli("speak", "Josh", "Hello there.", "-o", plain).code == 0
    r = cli("speak", "Josh", "Hello there.", "-o", streamed, "--stream", "--json")
    assert r.code == 0, r.err
    assert r.json()["endpoint"] == "/v2/tts"
    gens = [g["output_format"] for g in extras(service.state).generations]
    assert gens == ["pcm_s16le_24000_wav", "pcm_s16le_24000_raw"]
    _valid_sizes(streamed)
    assert _frames(streamed) == _frames(plain)


def test_stream_falls_back_to_v1_speak_stream_and_fills_in_the_sizes(
    cli, service: Service, tmp_path: Path
) -> None:
    service.faults.add("GET", "/v2/models", status=404, body=b"Not found", times=100)
    plain, streamed, raw = tmp_path / "plain.wav", tmp_path / "streamed.wav", tmp_path / "s.raw"
    assert cli("speak", "Josh", "Hello there.", "-o", plain).code == 0
    r = cli("speak", "Josh", "Hello there.", "-o", streamed, "--stream", "--json")
    assert r.code == 0, r.err
    assert r.json()["endpoint"] == "/v1/speak/stream"
    assert [p for m, p, _ in service.faults.seen if m == "POST"] == [
        "/v1/speak",
        "/v1/speak/stream",
    ]
    _valid_sizes(streamed)  # the sandbox sent 0xFFFFFFFF in both places
    assert _frames(streamed) == _frames(plain)
    assert cli("speak", "Josh", "Hello there.", "-o", raw, "--stream").code == 0
    assert raw.read_bytes() == _frames(plain)


def _endless_wav(rate: int = 24000, tag: int = 1, bits: int = 16) -> Iterable[bytes]:
    head = bytearray(streamed_header(b"RIFF" + b"\0" * 40))
    head[8:36] = b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, tag, 1, rate, rate * bits // 8, bits // 8, bits
    )
    head[36:40] = b"data"
    yield bytes(head)
    block = b"\0\1" * (1 << 17)
    while True:
        yield block


@pytest.mark.parametrize("ext", ["mp3", "flac", "ogg", "raw", "wav"])
def test_an_endless_answer_is_bounded_in_every_format(
    cli, service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ext: str
) -> None:
    """Issue 20: an endless body went to memory (1.6 GB at its peak) before being encoded;
    now every format is written as it arrives and at most MAX_SECONDS are decoded."""
    import bland_clone.api.transport as transport
    import bland_clone.audio.speechout as speechout

    monkeypatch.setattr(speechout, "MAX_SECONDS", 20)
    monkeypatch.setattr(transport, "MAX_AUDIO_BODY", 8 * 1024 * 1024)
    warm = cli("speak", "Josh", "Hi.", "-o", tmp_path / f"warm.{ext}")  # imports, not measured
    assert warm.code == 0, warm.err
    service.faults.add(
        "POST", "/v2/tts", status=200, stream=_endless_wav, headers={"Content-Type": "audio/wav"}
    )
    out = tmp_path / f"out.{ext}"
    args = ["speak", "Josh", "Hello.", "-o", out] + (["--stream"] if ext == "wav" else [])
    tracemalloc.start()
    try:
        r = cli(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    decoded = (
        "error: /v2/tts answered speech bland-clone cannot write: it is longer than 20 s of "
        "speech; nothing was written.\n"
    )
    # .raw is the service's own bytes, not decoded: bounded by the answer's size instead
    copied = (
        "error: The service's answer for the speech is larger than 8 MB; nothing was written.\n"
    )
    assert (r.code, r.err) == (4, copied if ext == "raw" else decoded)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert peak < 16 * 1024 * 1024


def test_only_pcm_and_mulaw_are_decoded(cli, service: Service, tmp_path: Path) -> None:
    """Issue 20: a 256 MB IMA-ADPCM answer decoded to 2.9 GB; it is refused from its header."""
    service.faults.add(
        "POST",
        "/v2/tts",
        status=200,
        stream=lambda: _endless_wav(tag=0x11, bits=4),
        headers={"Content-Type": "audio/wav"},
    )
    r = cli("speak", "Josh", "Hello.", "-o", tmp_path / "out.flac")
    assert (r.code, r.err) == (
        4,
        "error: /v2/tts answered speech bland-clone cannot write: its WAV holds format 17 at 4 "
        "bits, not 16-bit PCM or mu-law; nothing was written.\n",
    )
    assert not (tmp_path / "out.flac").exists()


def test_mp3_flac_and_ogg_hold_the_speech(cli, service: Service, tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    assert cli("speak", "Josh", "Same words.", "-o", wav).code == 0
    for ext, kind in (("mp3", "MP3"), ("flac", "FLAC"), ("ogg", "OGG")):
        out = tmp_path / f"a.{ext}"
        r = cli("speak", "Josh", "Same words.", "-o", out, "--format", "ulaw_8000")
        assert r.code == 0, r.err
        info = sf.info(str(out))
        assert (info.format, info.samplerate) == (kind, 8000)
        assert abs(info.duration - sf.info(str(wav)).duration) < 0.2


def test_play_off_a_terminal_says_so_on_one_line(cli, service: Service) -> None:
    r = cli("speak", "Josh", "Hello.", "--play")
    assert (r.code, r.err) == (
        2,
        "error: speak --play plays on this machine's speakers, and standard output is not a "
        "terminal; write a file with -o FILE instead.\n",
    )
    assert not [p for m, p, _ in service.faults.seen if m == "POST"]


def test_play_with_json_off_a_terminal_is_one_json_usage_error(cli, service: Service) -> None:
    """A script's --play --json: the same refusal as one JSON object, nothing spoken (charged);
    docs/scripting.md says so where it lists speak's fields."""
    r = cli("speak", "Josh", "Hello.", "--play", "--json")
    assert r.code == 2
    doc = r.json()
    assert doc["ok"] is False and "not a terminal" in doc["errors"][0]["message"]
    assert not [p for m, p, _ in service.faults.seen if m == "POST"]
    row = next(x for x in DOCS.read_text().splitlines() if x.startswith("| `speak` |"))
    assert "only on a terminal" in row and "exit 2" in row


def test_play_without_an_output_device_says_so_on_one_line(service: Service) -> None:
    """This machine has no sound card: one line, exit 5 (a device error, as record's), nothing
    spoken (a device would play)."""
    import sounddevice as sd

    try:
        sd.query_devices(kind="output")
    except Exception:
        pass
    else:
        pytest.skip("this machine has an audio output device")
    code, screen = run_on_tty(["speak", "Josh", "Hello.", "--play"], _env(service))
    import re

    lines = [re.sub(r"\x1b\[[0-9;]*m", "", x) for x in screen.splitlines() if x.strip()]
    assert code == 5
    assert len(lines) == 1 and lines[0].startswith(
        "error: Cannot play here: no audio output device"
    )
    assert lines[0].endswith("Write a file with -o FILE.")
    assert not [p for m, p, _ in service.faults.seen if m == "POST"]


def test_play_feeds_the_device_what_the_file_holds(service: Service, tmp_path: Path) -> None:
    """The player gets 16-bit frames as they arrive (mu-law decoded first), the same speech the
    file holds. The device is this test's recorder: sounddevice has no device here."""
    from bland_clone.api.client import Client
    from bland_clone.ops import preview

    class Device:
        def __init__(self) -> None:
            self.frames = bytearray()
            self.stopped = self.closed = False

        def write(self, data: bytes) -> None:
            self.frames += data

        def stop(self) -> None:
            self.stopped = True

        def close(self) -> None:
            self.closed = True

    devices: list[tuple[object, Device]] = []

    def player(fmt: object) -> Device:
        devices.append((fmt, Device()))
        return devices[-1][1]

    client = Client(service.key, service.url)
    josh = client.find_voice("Josh")
    out = tmp_path / "both.wav"
    req = preview.Request("Hello there.")
    got = preview.speak(client, josh, req, preview.target_for(str(out)), player=player)
    assert (got.played, got.path, got.endpoint) == (True, str(out), "/v2/tts")
    ((fmt, device),) = devices
    assert (fmt.encoding, fmt.rate) == ("pcm_s16le", 24000)  # type: ignore[attr-defined]
    assert bytes(device.frames) == _frames(out) and device.stopped and device.closed
    devices.clear()
    got = preview.speak(client, josh, preview.Request("Hi.", "ulaw_8000"), None, player=player)
    assert got.path is None and got.bytes == 0
    ((fmt, device),) = devices
    assert (fmt.encoding, fmt.rate) == ("mulaw", 8000)  # type: ignore[attr-defined]
    assert len(device.frames) == 2 * 4000  # 0.5 s of mu-law bytes, decoded to 16-bit frames

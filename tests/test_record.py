"""bland-clone record, through PortAudio and a real ALSA capture device made from a file.

ALSA's ``file`` plugin with ``infile`` (in an .asoundrc under the test's HOME) makes the default
capture device read raw 16-bit samples from a file: PortAudio opens it like any microphone. From a
regular file the device is as fast as the disk; from a FIFO fed by a thread it runs at the pace the
thread writes (here four times real time), which the interactive screen needs: Enter is pressed
while the take is being recorded.
"""

from __future__ import annotations

import errno
import json
import os
import re
import select
import shutil
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from .servers import Service

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng makes the speech (apt-get install espeak-ng)",
)

RATE = 44100  # PortAudio's default rate for an ALSA plugin device
SCRIPT = (
    "The morning train was late again, so I walked along the river instead. "
    "Have you ever noticed how quiet the city sounds just before sunrise? "
    "Honestly, it's my favourite part of the day. "
    "Let's meet at half past nine on Thursday, and bring a warm jacket!"
)


def _noise(seconds: float, dbfs: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(int(seconds * RATE)) * 10 ** (dbfs / 20)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """The default script spoken by espeak-ng, at 44.1 kHz, float in -1..1."""
    import soundfile as sf
    import soxr

    wav = tmp_path_factory.mktemp("speech") / "script.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), SCRIPT], check=True)
    x, rate = sf.read(wav, dtype="float32")
    return soxr.resample(x, rate, RATE).astype(np.float64)


def _raw(x: np.ndarray) -> bytes:
    return (np.clip(x, -1, 32767 / 32768) * 32768).round().astype("<i2").tobytes()


def _asoundrc(home: Path, infile: Path) -> None:
    (home / ".asoundrc").write_text(
        "pcm.!default {\n"
        "  type file\n"
        '  slave.pcm "null"\n'
        '  file "/dev/null"\n'
        f'  infile "{infile}"\n'
        '  format "raw"\n'
        "}\n"
    )


def _read_wav(path: Path) -> tuple[np.ndarray, int, int, int]:
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        return data, w.getframerate(), w.getnchannels(), w.getsampwidth()


def _dbfs(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean((x.astype(np.float64) / 32768) ** 2))))


def _run(
    args: list[str], cwd: Path, service: Service | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLAND_")}
    if service is not None:
        env.update(BLAND_API_URL=service.url, BLAND_API_KEY=service.key)
    return subprocess.run(
        [sys.executable, "-m", "bland_clone", "record", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- off a terminal: a regular file as the microphone -------------------------------------------


def test_seconds_records_what_the_microphone_hears_and_prints_the_verdict(
    isolated: Path, tmp_path: Path, speech: np.ndarray
) -> None:
    room = _noise(2.0, -60)
    feed = np.concatenate([room, speech * 0.5, _noise(3.0, -60, seed=1)])
    (tmp_path / "mic.raw").write_bytes(_raw(feed))
    _asoundrc(isolated, tmp_path / "mic.raw")

    r = _run(["--seconds", "14", "-o", "take.wav", "--json"], tmp_path)

    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    take, rate, channels, width = _read_wav(tmp_path / "take.wav")
    # 16-bit mono at the device's rate, exactly 14 s, and exactly what the device delivered
    # after the 2 s room check.
    assert (rate, channels, width) == (RATE, 1, 2)
    assert len(take) == 14 * RATE
    expected = np.frombuffer(_raw(feed), "<i2")[2 * RATE : 16 * RATE]
    assert np.array_equal(take, expected)
    assert out["ok"] is True and out["verdict"] in ("ok", "warning")
    assert out["seconds"] == 14.0 and out["samplerate"] == RATE
    assert out["room"]["noise_floor_dbfs"] == pytest.approx(-60, abs=1.5)
    assert out["room"]["hum_hz"] is None and out["room"]["too_loud"] is False
    q = out["file"]["quality"]
    spoken = _raw(speech * 0.5)
    assert q["speech_level_dbfs"] == pytest.approx(
        _dbfs(np.frombuffer(spoken, "<i2")[np.abs(np.frombuffer(spoken, "<i2")) > 0]), abs=4
    )
    assert 10 <= q["speech_seconds"] <= 14
    _, prate, _, _ = _read_wav(tmp_path / "take.prepared.wav")
    assert out["prepared"]["output"] == "take.prepared.wav" and prate == RATE
    assert out["prepared"]["file"]["quality"]["speech_level_dbfs"] == pytest.approx(-20, abs=1.5)
    assert not out["errors"]

    again = _run(["--seconds", "2", "-o", "take.wav"], tmp_path)
    assert again.returncode == 1
    assert again.stderr == "error: take.wav exists; use --force to overwrite it.\n"


def test_human_verdict_of_a_quiet_take_says_what_to_change(
    isolated: Path, tmp_path: Path, speech: np.ndarray
) -> None:
    feed = np.concatenate([_noise(2.0, -62), speech * 0.02])  # a whisper, far away
    (tmp_path / "mic.raw").write_bytes(_raw(feed))
    _asoundrc(isolated, tmp_path / "mic.raw")

    r = _run(["--seconds", "6", "-o", "quiet.wav"], tmp_path)

    assert r.returncode == 0, r.stderr
    assert "Microphone: default (44100 Hz)" in r.stderr
    assert "Room: noise floor -62 dBFS, no mains hum." in r.stderr
    assert r.stdout.startswith("Take: quiet.wav  6.0 s, speech ")
    assert re.search(r"level -(4\d|5\d) dBFS", r.stdout)  # 0.02 of a -20 dBFS voice
    assert "move closer to the microphone" in r.stdout  # the raw take's level
    assert "Prepared: quiet.prepared.wav" in r.stdout
    assert "Verdict: usable, with the warnings above." in r.stdout


def test_a_loud_room_off_a_terminal_is_recorded_then_judged_and_hum_is_named(
    isolated: Path, tmp_path: Path, speech: np.ndarray
) -> None:
    # Off a terminal nobody can turn off the fan now (issue 20): the take is recorded, and the
    # verdict says what the room did to it.
    t = np.arange(int(2.0 * RATE)) / RATE
    hum = 0.01 * np.sin(2 * np.pi * 50 * t) + 0.004 * np.sin(2 * np.pi * 150 * t)
    room = _noise(2.0, -35) + hum
    feed = np.concatenate([room, speech * 0.5 + _noise(len(speech) / RATE, -35, seed=4)])
    (tmp_path / "mic.raw").write_bytes(_raw(feed))
    _asoundrc(isolated, tmp_path / "mic.raw")

    r = _run(["--seconds", "5", "-o", "take.wav"], tmp_path)

    assert re.search(r"Room: noise floor -3\d dBFS, mains hum at 50 Hz \(-4\d dBFS\)\.", r.stderr)
    assert "Speech was heard" not in r.stderr  # a fan and hum are not a person
    assert "warning: The room is loud: noise floor -3" in r.stderr
    assert "Traceback" not in r.stderr
    assert (tmp_path / "take.wav").exists()
    assert "background noise is high" in r.stdout
    assert r.returncode == 0  # noisy is a warning: the service would take it


def test_a_person_already_talking_is_not_taken_for_the_room(
    isolated: Path, tmp_path: Path, speech: np.ndarray
) -> None:
    # They start reading at once: the room check hears speech, not a -29 dBFS room.
    quiet = _noise(len(speech) / RATE + 1.0, -60, seed=5)
    feed = quiet.copy()
    feed[: len(speech)] += speech * 0.5
    (tmp_path / "mic.raw").write_bytes(_raw(feed))
    _asoundrc(isolated, tmp_path / "mic.raw")

    r = _run(["--seconds", "10", "-o", "take.wav", "--json"], tmp_path)

    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["room"]["speech_seconds"] >= 0.5
    assert out["room"]["noise_floor_dbfs"] < -50 and out["room"]["too_loud"] is False
    assert (tmp_path / "take.wav").exists() and out["ok"] is True
    r = _run(["--seconds", "10", "-o", "human.wav"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert re.search(
        r"Room: noise floor -(5\d|6\d) dBFS, no mains hum\. Speech was heard: the floor is from "
        r"the quietest part\.",
        r.stderr,
    )
    assert "room is" not in r.stderr


def test_clone_goes_from_the_take_to_the_service(
    isolated: Path, tmp_path: Path, speech: np.ndarray, service: Service
) -> None:
    feed = np.concatenate([_noise(2.0, -60), speech * 0.5, _noise(1.0, -60)])
    (tmp_path / "mic.raw").write_bytes(_raw(feed))
    _asoundrc(isolated, tmp_path / "mic.raw")

    r = _run(["--seconds", "15", "--clone", "Narrator", "--json"], tmp_path, service)

    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    (voice,) = service.voices_named("Narrator")
    assert out["clone"]["voice_id"] == voice.id and out["clone"]["name"] == "Narrator"
    # what was uploaded is the prepared take, byte for byte
    assert voice.samples[0].filename == "take.prepared.wav"
    assert voice.samples[0].audio == (tmp_path / "take.prepared.wav").read_bytes()
    assert service.posts("/v1/voices/clone") == 1


def test_a_silent_microphone_is_refused_and_nothing_is_uploaded(
    isolated: Path, tmp_path: Path, service: Service
) -> None:
    (tmp_path / "mic.raw").write_bytes(b"\0" * (2 * RATE * 8))
    _asoundrc(isolated, tmp_path / "mic.raw")

    r = _run(["--seconds", "4", "--clone", "Narrator", "--json"], tmp_path, service)

    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["verdict"] == "error"
    assert (
        out["errors"][-1]["message"] == 'File "take.wav": no speech found (the recording is silent)'
    )
    assert len(_read_wav(tmp_path / "take.wav")[0]) == 4 * RATE  # the take is kept to listen to
    assert service.posts("/v1/voices/clone") == 0
    assert r.stderr.endswith(
        "error: 1 problem found; the take would be refused (it was written; record again).\n"
    )


def test_a_microphone_hearing_only_a_fan_is_refused_once_and_nothing_is_uploaded(
    isolated: Path, tmp_path: Path, service: Service
) -> None:
    """Loud noise and no voice: the checks and prepare say the same one thing (no voice heard),
    which WebRTC's detector alone would have taken for speech."""
    (tmp_path / "mic.raw").write_bytes(_raw(_noise(8.0, -20)))
    _asoundrc(isolated, tmp_path / "mic.raw")

    r = _run(["--seconds", "4", "--clone", "Narrator", "--json"], tmp_path, service)

    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["verdict"] == "error"
    assert [e["message"] for e in out["errors"]] == [
        'File "take.wav": no speech found: no voice heard in it (it sounds like noise or a '
        "tone, not speech); record a person speaking"
    ]
    assert out["errors"][0]["code"] == "quality_no_voice"
    assert service.posts("/v1/voices/clone") == 0


def test_no_microphone_is_one_line_and_exit_5(isolated: Path, tmp_path: Path) -> None:
    # No .asoundrc and no sound card: PortAudio lists no input device.
    r = _run(["--seconds", "3"], tmp_path)
    assert r.returncode == 5
    assert r.stderr == "error: No microphone found: the audio system lists no input device.\n"
    assert not list(tmp_path.glob("*.wav"))

    r = _run(["--seconds", "3", "--json"], tmp_path)
    assert r.returncode == 5
    assert json.loads(r.stdout) == {
        "ok": False,
        "errors": [
            {
                "error": "Device Error",
                "message": "No microphone found: the audio system lists no input device.",
            }
        ],
    }


def test_list_devices_and_a_device_that_is_not_there(isolated: Path, tmp_path: Path) -> None:
    (tmp_path / "mic.raw").write_bytes(b"\0" * 1000)
    _asoundrc(isolated, tmp_path / "mic.raw")
    r = _run(["--list-devices", "--json"], tmp_path)
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert list(doc) == ["ok", "devices", "errors"] and doc["errors"] == []  # the envelope
    devices = doc["devices"]
    assert [(d["name"], d["default"], d["default_samplerate"]) for d in devices] == [
        ("default", True, RATE)
    ]
    r = _run(["--device", "7", "--seconds", "2"], tmp_path)
    assert r.returncode == 5
    assert r.stderr == (
        "error: --device '7' is not an input device; "
        "'bland-clone record --list-devices' lists them.\n"
    )


def test_a_device_name_that_matches_several_devices_says_so(isolated: Path, tmp_path: Path) -> None:
    """Two ALSA capture devices whose names both hold "mic": --device mic names neither, so
    nothing is recorded and the listing is the way out."""
    (tmp_path / "mic.raw").write_bytes(b"\0" * 1000)
    body = (
        '  type file\n  slave.pcm "null"\n  file "/dev/null"\n'
        f'  infile "{tmp_path / "mic.raw"}"\n  format "raw"\n'
    )
    (isolated / ".asoundrc").write_text(
        "".join(f'pcm."{name}" {{\n{body}}}\n' for name in ("mic-one", "mic-two"))
    )
    r = _run(["--list-devices", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    names = [d["name"] for d in json.loads(r.stdout)["devices"]]
    assert "mic-one" in names and "mic-two" in names, names
    r = _run(["--device", "mic", "--seconds", "2", "-o", "t.wav"], tmp_path)
    assert r.returncode == 5
    assert r.stderr == (
        "error: --device 'mic' matches several input devices; "
        "'bland-clone record --list-devices' lists them.\n"
    )
    assert not list(tmp_path.glob("*.wav"))
    r = _run(["--device", "mic", "--seconds", "2", "-o", "t.wav", "--json"], tmp_path)
    assert r.returncode == 5
    (e,) = json.loads(r.stdout)["errors"]
    assert e["message"] == (
        "--device 'mic' matches several input devices; "
        "'bland-clone record --list-devices' lists them."
    )
    assert not list(tmp_path.glob("*.wav"))


def test_off_a_terminal_without_seconds_is_a_usage_error(isolated: Path, tmp_path: Path) -> None:
    r = _run([], tmp_path)
    assert r.returncode == 2
    assert "say how long to record: --seconds N" in r.stderr


# -- on a terminal: a FIFO fed at four times real time -----------------------------------------


class Feeder(threading.Thread):
    """Writes ``head`` then ``loop`` over and over into a FIFO, paced at ``speed`` x real time.
    Each time the device is opened again (a new take) the feed starts over."""

    def __init__(self, fifo: Path, head: np.ndarray, loop: np.ndarray, speed: float) -> None:
        super().__init__(daemon=True)
        self.fifo, self.head, self.loop, self.speed = str(fifo), _raw(head), _raw(loop), speed
        self.done = threading.Event()

    def chunks(self):  # type: ignore[no-untyped-def]
        step = int(RATE * 0.05) * 2
        for i in range(0, len(self.head), step):
            yield self.head[i : i + step]
        while True:
            for i in range(0, len(self.loop), step):
                yield self.loop[i : i + step]

    def run(self) -> None:
        while not self.done.is_set():
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
                time.sleep(0.01)  # no reader yet
                continue
            os.set_blocking(fd, True)
            start, sent = time.monotonic(), 0
            try:
                for chunk in self.chunks():
                    if self.done.is_set():
                        break
                    os.write(fd, chunk)
                    sent += len(chunk)
                    wait = start + sent / (2 * RATE) / self.speed - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
            except BrokenPipeError:
                pass  # the device was closed: start over for the next open
            finally:
                os.close(fd)


class Screen:
    """The CLI on a pseudo-terminal, and what a person would read on it."""

    def __init__(self, args: list[str], cwd: Path, extra: dict[str, str] | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BLAND_", "NO_COLOR"))}
        env.update(TERM="xterm-256color", COLUMNS="100", LINES="40")
        env.update(extra or {})
        self.fd, secondary = os.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bland_clone", "record", *args],
            cwd=cwd,
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=env,
            close_fds=True,
        )
        os.close(secondary)
        self.raw = b""

    @property
    def text(self) -> str:
        s = self.raw.decode("utf-8", "replace")
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r", "", s)

    def expect(self, pattern: str, timeout: float = 30.0, since: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.text[since:])
            if m:
                return m
            if time.monotonic() > deadline or not self._read(0.1):
                if self.proc.poll() is not None and not self._read(0.1):
                    raise AssertionError(f"{pattern!r} never shown; the screen:\n{self.text}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"{pattern!r} not shown in time; screen:\n{self.text}")

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            return False
        self.raw += chunk
        return bool(chunk)

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def close(self, timeout: float = 20.0) -> int:
        """Wait for the CLI to end (killing it after ``timeout``); its exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait(timeout=10)
        while select.select([self.fd], [], [], 0)[0] and self._read(0):
            pass
        os.close(self.fd)
        return code


def test_on_a_terminal_enter_stops_then_record_again_then_keep(
    isolated: Path, tmp_path: Path, speech: np.ndarray
) -> None:
    fifo = tmp_path / "mic.fifo"
    os.mkfifo(fifo)
    _asoundrc(isolated, fifo)
    feeder = Feeder(
        fifo,
        head=_noise(2.0, -62),
        loop=np.concatenate([speech * 0.5, _noise(1.5, -62, seed=2)]),
        speed=4.0,
    )
    feeder.start()
    screen = Screen(["-o", "take.wav"], tmp_path)
    try:
        screen.expect(r"Room: noise floor -6\d dBFS, no mains hum\.")
        screen.expect(r"Take 1: read this aloud")
        screen.expect(r"The morning train was late again")
        screen.expect(r"Press Enter to stop")
        screen.expect(r"Good level\.")
        screen.expect(r"Speech +[█░]+ +[3-9]\.\d s of 12 s")
        screen.type("\n")  # stop take 1 early
        after = len(screen.text)
        screen.expect(r"Take 1: take-1\.wav +\d+\.\d s, speech \d+\.\d s", since=after)
        screen.expect(r"Keep it \(k\), record again \(r\), or clone now \(c\)\? ", since=after)
        first = _read_wav(tmp_path / "take-1.wav")[0]
        assert len(first) < 12 * RATE  # stopped by Enter, well before the end
        screen.type("r\n")
        after = len(screen.text)
        screen.expect(r"Take 2: read this aloud", since=after)
        # not stopped by hand: it stops by itself after 12 s of speech and a pause
        screen.expect(r"Take 2: take-2\.wav +\d+\.\d s, speech 1[1-9]\.\d s", since=after)
        screen.expect(r"Verdict: OK: ready to clone\.", since=after)
        screen.expect(r"Keep it \(k\)", since=after)
        screen.type("k\n")
        screen.expect(r"Kept take-2\.wav \(also on disk: take-1\.wav\)\.")
    finally:
        code = screen.close()
        feeder.done.set()
    assert code == 0, screen.text
    second, rate, channels, width = _read_wav(tmp_path / "take-2.wav")
    assert (rate, channels, width) == (RATE, 1, 2)
    assert 13 * RATE < len(second) < 40 * RATE
    assert sorted(p.name for p in tmp_path.glob("take-*.wav")) == [
        "take-1.prepared.wav",
        "take-1.wav",
        "take-2.prepared.wav",
        "take-2.wav",
    ]
    assert "Traceback" not in screen.text


def test_on_a_terminal_the_cues_follow_the_voice_and_clone_now_asks_a_name(
    isolated: Path, tmp_path: Path, speech: np.ndarray, service: Service
) -> None:
    fifo = tmp_path / "mic.fifo"
    os.mkfifo(fifo)
    _asoundrc(isolated, fifo)
    part = speech[: 5 * RATE]
    feeder = Feeder(
        fifo,
        head=_noise(2.0, -62),
        loop=np.concatenate(
            [
                part * 0.06 + _noise(5.0, -62, seed=3),  # far away: little above the room
                part * 0.15 + _noise(5.0, -62, seed=4),  # close enough, but the gain is low
                part * 3.0,  # far too much gain: clipped
                _noise(30.0, -62, seed=5),
            ]
        ),
        speed=4.0,
    )
    feeder.start()
    screen = Screen(
        ["-o", "take.wav"],
        tmp_path,
        {"BLAND_API_URL": service.url, "BLAND_API_KEY": service.key},
    )
    try:
        screen.expect(r"Waiting for speech: start reading when you are ready\.")
        screen.expect(r"Too far from the microphone: come closer \(about a hand's width\)\.")
        screen.expect(r"Too quiet: raise the input gain or speak up\.")
        screen.expect(r"Clipping: lower the input gain or lean back a little\.")
        # two more seconds of clipped speech, then Enter
        screen.expect(r"Speech +[█░]+ +([89]|1\d)\.\d s of 12 s", since=len(screen.text))
        screen.type("\n")
        after = len(screen.text)
        screen.expect(r"Stopped \(Enter\): \d+\.\d s recorded\.")
        screen.expect(
            r"of samples are clipped \(flat tops\); record with less gain",
            since=after,
        )
        screen.expect(r"Keep it \(k\), record again \(r\), or clone now \(c\)\? ", since=after)
        screen.type("c\n")
        screen.expect(r"Voice name: ", since=after)
        screen.type("Demo voice\n")
        screen.expect(r"Cloned voice 'Demo voice': [0-9a-f-]{36}", since=after)
    finally:
        code = screen.close()
        feeder.done.set()
    assert code == 0, screen.text
    (voice,) = service.voices_named("Demo voice")
    assert voice.samples[0].audio == (tmp_path / "take-1.prepared.wav").read_bytes()

"""The recording operation (bland_clone.ops.recording) driven directly, with a scripted view in
place of the screen: the room policy, the take loop's choices, and the typed result.

The microphone is ALSA's ``file`` plugin reading a regular file (as in test_record.py). PortAudio
reads the ALSA configuration once per process, so each session runs in its own Python process
and reports what the view saw, and the result, as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .audiofiles import speech_like

RATE = 44100  # PortAudio's default rate for an ALSA plugin device

SESSION = r"""
import contextlib, json, sys
from bland_clone.audio.recording import find_device
from bland_clone.core.errors import InputError
from bland_clone.ops.recording import Choice, record_takes

stop_after = [None if s == "-" else int(s) for s in sys.argv[1].split(",")]
answers = [Choice(a) for a in sys.argv[2].split(",") if a]
events = []

class Take:
    def __init__(self, after):
        self.blocks, self.after = 0, after
    def level(self, meter):
        self.blocks += 1
    def stop_requested(self):
        return self.after is not None and self.blocks >= self.after
    def stopped(self, meter, why):
        events.append(["stopped", why.value])

class View:
    def microphone(self, device):
        events.append(["microphone"])
    def room(self, room):
        events.append(["room", room.too_loud])
    @contextlib.contextmanager
    def take(self, number, path, script, meter):
        events.append(["take", number, path, script])
        yield Take(stop_after[number - 1])
    def checking(self, path):
        events.append(["checking", path])
    def verdict(self, verdict, number):
        events.append(["verdict", number, verdict.ok])
    def choose(self, verdict, choices):
        events.append(["choose", [c.value for c in choices]])
        return answers.pop(0)

try:
    done = record_takes(
        find_device(None), "Read this.", "take.wav", clone_when_ok=sys.argv[3] == "1", view=View()
    )
    result = {"choice": done.choice.value, "takes": list(done.takes), "doc": done.to_dict()}
except InputError as exc:
    result = {"error": type(exc).__name__, "message": exc.message, "payload": exc.payload}
print(json.dumps({"events": events, "result": result}))
"""


def _microphone(home: Path, folder: Path, x: np.ndarray) -> None:
    """The default capture device reads ``x`` (float, -1..1, at RATE) as raw 16-bit samples."""
    raw = folder / "mic.raw"
    raw.write_bytes((np.clip(x, -1, 32767 / 32768) * 32768).round().astype("<i2").tobytes())
    (home / ".asoundrc").write_text(
        'pcm.!default {\n  type file\n  slave.pcm "null"\n  file "/dev/null"\n'
        f'  infile "{raw}"\n  format "raw"\n}}\n'
    )


def _quiet(seconds: float, dbfs: float = -62.0) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.standard_normal(int(seconds * RATE)) * 10 ** (dbfs / 20)


def _session(cwd: Path, stop_after: str, answers: str, clone_when_ok: bool) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLAND_")}
    proc = subprocess.run(
        [sys.executable, "-c", SESSION, stop_after, answers, "1" if clone_when_ok else "0"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def _speech_then_quiet() -> np.ndarray:
    """2 s of a quiet room, 14 s of speech, then a quiet room again (each opening reads from
    the start)."""
    speech = speech_like(14.0, RATE, level=0.3).astype(np.float64)
    return np.concatenate([_quiet(2.0), speech + _quiet(14.0), _quiet(25.0)])


def test_a_loud_room_stops_the_session_before_any_take(isolated: Path, tmp_path: Path) -> None:
    _microphone(isolated, tmp_path, _quiet(10.0, dbfs=-30.0))
    doc = _session(tmp_path, "-", "", clone_when_ok=False)
    assert doc["events"] == [["microphone"], ["room", True]]
    result = doc["result"]
    assert result["error"] == "RoomTooLoud"
    assert "too loud to record in" in result["message"] and "dBFS" in result["message"]
    assert result["payload"]["room"]["too_loud"] is True
    assert not list(tmp_path.glob("take*.wav"))


def test_takes_go_on_until_the_person_keeps_one(isolated: Path, tmp_path: Path) -> None:
    _microphone(isolated, tmp_path, _speech_then_quiet())
    doc = _session(tmp_path, "1,-", "again,keep", clone_when_ok=False)
    events = doc["events"]
    assert events[:3] == [["microphone"], ["room", False], ["take", 1, "take-1.wav", "Read this."]]
    assert events[3] == ["stopped", "pressed"]  # the view asked to stop after one block
    assert ["take", 2, "take-2.wav", "Read this."] in events
    assert ["stopped", "enough"] in events  # 14 s of speech, then a pause
    verdicts = [e for e in events if e[0] == "verdict"]
    offered = [e[1] for e in events if e[0] == "choose"]
    assert [v[1] for v in verdicts] == [1, 2] and len(offered) == 2
    # a take of one block is refused: it can only be recorded again; the second can be kept
    assert [v[2] for v in verdicts] == [False, True]
    assert offered == [["again", "stop"], ["keep", "again", "clone"]]
    result = doc["result"]
    assert result["choice"] == "keep" and result["takes"] == ["take-1.wav", "take-2.wav"]
    assert result["doc"]["take"] == "take-2.wav" and result["doc"]["takes"] == result["takes"]
    assert result["doc"]["samplerate"] == RATE and result["doc"]["clone"] is None
    assert 14 < result["doc"]["seconds"] < 20
    assert (tmp_path / "take-1.wav").exists() and (tmp_path / "take-2.prepared.wav").exists()


def test_a_good_take_is_cloned_without_asking_when_a_name_was_given(
    isolated: Path, tmp_path: Path
) -> None:
    _microphone(isolated, tmp_path, _speech_then_quiet())
    doc = _session(tmp_path, "-", "", clone_when_ok=True)
    assert ["verdict", 1, True] in doc["events"]
    assert not [e for e in doc["events"] if e[0] == "choose"]
    assert doc["result"]["choice"] == "clone" and doc["result"]["takes"] == ["take-1.wav"]

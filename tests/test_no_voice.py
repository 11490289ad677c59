"""A take with sound but no voice in it (noise, a fan, a steady tone above a voice's pitch) is
never reported as speech: validate says "no voice heard" (an error, as a silent take is, and
never the best take), prepare refuses it. Real speech, in noise, through a phone line or an
MP3, is never called that; nor are the synthetic voiced tones the other tests use as speech."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio import quality
from bland_clone.core.errors import InputError

from .audiofiles import coloured_noise, speech_like, write_wav
from .expect import one_error_line
from .realspeech import load

RATE = 16000


def _white(seconds: float, level: float, seed: int = 1) -> np.ndarray:
    return level * np.random.default_rng(seed).standard_normal(int(seconds * RATE))


def _coloured(seconds: float, level: float, power: float, seed: int = 2) -> np.ndarray:
    """Noise whose power falls as 1/f**power (1: pink, 2: brown), peaking at ``level``."""
    return level * coloured_noise(int(seconds * RATE), power, np.random.default_rng(seed))


def _tone(seconds: float, hz: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return 0.5 * np.sin(2 * np.pi * hz * t)


def _write(path: Path, x: np.ndarray, rate: int = RATE) -> Path:
    sf.write(path, np.asarray(x, np.float32), rate, subtype="PCM_16")
    return path


def _share(x: np.ndarray, rate: int) -> float:
    return quality.voice_share_of(np.asarray(x, np.float32), rate)


NO_VOICE = {
    "white-loud": lambda: _white(8, 0.1),
    "white-quiet": lambda: _white(12, 0.003),
    "pink": lambda: _coloured(10, 0.5, 1),
    "pink-quiet": lambda: _coloured(10, 0.01, 1),
    "brown": lambda: _coloured(10, 0.5, 2),
    "tone-5k": lambda: _tone(8, 5000),
    "tone-1k": lambda: _tone(12, 1000),
}


@pytest.mark.parametrize("name", sorted(NO_VOICE))
def test_noise_and_tones_have_no_voice(name: str) -> None:
    assert _share(NO_VOICE[name](), RATE) < quality.THRESHOLDS.min_voice_share


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg's noise source")
def test_a_fan_has_no_voice(tmp_path: Path) -> None:
    """A fan: brown noise rumbling under 1.2 kHz, swelling with the blades (ffmpeg's anoisesrc)."""
    fan = tmp_path / "fan.wav"
    graph = (
        "anoisesrc=color=brown:amplitude=0.5:duration=10:sample_rate=44100,"
        "highpass=f=40,lowpass=f=1200,equalizer=f=120:t=q:w=2:g=8,tremolo=f=8:d=0.1"
    )
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", graph, str(fan)],
        check=True,
        capture_output=True,
    )
    x, rate = sf.read(fan, dtype="float32")
    assert _share(x, rate) < quality.THRESHOLDS.min_voice_share


def test_validate_says_no_voice_in_noise_and_a_tone(cli, tmp_path: Path) -> None:
    noise = _write(tmp_path / "noise.wav", _white(8, 0.1))
    tone = _write(tmp_path / "tone.wav", _tone(8, 5000))
    for take in (noise, tone):
        r = cli("validate", "--no-cache", take)
        assert r.code == 1, r.out
        (line,) = [x for x in r.out.splitlines() if x.startswith("error: ")]
        assert line == (
            f'error: File "{take.name}": no speech found: no voice heard in it (it sounds like '
            "noise or a tone, not speech); record a person speaking"
        ), line
        assert "take is" not in r.out and "speech_length" not in r.out  # no speech is claimed
    good = write_wav(tmp_path / "good.wav", 12.0)
    r = cli("validate", "--no-cache", "--json", "--each", noise, tone, good)
    doc = r.json()
    assert doc["best"] == str(good)
    rows = {Path(f["path"]).name: f for f in doc["files"]}
    for name in ("noise.wav", "tone.wav"):
        assert rows[name]["verdict"] == "error"
        q = rows[name]["quality"]
        assert q["speech_seconds"] == 0 and q["take_seconds"] == 0
        assert q["voice_share"] < quality.THRESHOLDS.min_voice_share
    codes = {(Path(e["file"]).name, e["code"]) for e in doc["errors"]}
    assert codes == {("noise.wav", "quality_no_voice"), ("tone.wav", "quality_no_voice")}
    assert not any("noise.wav" in w["message"] for w in doc["warnings"])
    r = cli("validate", "--no-cache", "--each", noise, tone)
    assert r.code == 1 and "No take would be accepted." in r.err


def test_prepare_refuses_noise_and_a_tone(cli, tmp_path: Path) -> None:
    for name, x in (("noise.wav", _white(8, 0.1)), ("tone.wav", _tone(12, 1000))):
        take = _write(tmp_path / name, x)
        out = tmp_path / f"out-{name}"
        r = cli("prepare", take, "-o", out)
        assert r.code == 1, r.err
        line = one_error_line(r.err)
        assert "no speech found: no voice heard in it (it sounds like noise or a tone" in line
        assert name in line and not out.exists()


def test_choose_window_without_any_loud_frame_says_no_voice() -> None:
    """The window's own refusal (nothing loud enough to be a voice) is the same message."""
    with pytest.raises(InputError) as caught:
        quality.choose_window(np.full(500, -70.0), None)
    assert str(caught.value) == quality.no_voice()
    assert str(caught.value).startswith("no speech found: no voice heard in it")


def _noisy(x: np.ndarray, rate: int, snr_db: float, power: float, seed: int) -> np.ndarray:
    levels = quality.frame_levels(x, rate)
    active = levels[~quality.silent_mask(levels)]
    speech = 10 * np.log10(np.mean(10 ** (active / 10)))
    w = coloured_noise(len(x), power, np.random.default_rng(seed), rate)
    w *= 10 ** ((speech - snr_db) / 20) / np.sqrt(np.mean(w**2))
    return (x + w).astype(np.float32)


def test_a_real_modem_signal_is_no_voice() -> None:
    """The corpus's real recordings that are not speech (corpus.json "speech": false): codec2's
    david4.wav, an off-air FreeDV 2020 modem signal (codec2's own scripts run ofdm_demod on it),
    band-limited hiss with no voice to hear, rightly called no voice."""
    signals = load(speech=False)
    assert {c.kind for c in signals} == {"modem"} and len(signals) == 3
    for clip in signals:
        x, rate = clip.samples()
        assert _share(np.concatenate([x, x, x]), rate) < quality.THRESHOLDS.min_voice_share


def test_real_speech_is_never_called_no_voice() -> None:
    """Every person of the real-speech corpus, clean, with white or pink noise as loud as the
    voice (0 dB SNR) or 10 dB under it, through a phone band at 8 kHz: heard as a voice."""
    import soxr
    from scipy.signal import butter, sosfiltfilt

    least = 1.0
    for i, clip in enumerate(load(speech=None)):  # i seeds the noise: corpus.json's order
        if not clip.speech:
            continue  # the modem: test_a_real_modem_signal_is_no_voice
        x, rate = clip.samples()
        x = np.concatenate([x, x, x])  # a 12 s take
        sos = butter(8, [300, 3400], btype="bandpass", fs=rate, output="sos")
        phone = soxr.resample(sosfiltfilt(sos, x), rate, 8000).astype(np.float32)
        takes = [(x, rate), (phone, 8000)]
        takes += [(_noisy(x, rate, snr, p, i), rate) for snr in (0, 10) for p in (0, 1)]
        for y, r in takes:
            share = _share(y, r)
            least = min(least, share)
            assert share >= quality.THRESHOLDS.min_voice_share, (clip.file, r, share)
    assert least >= quality.THRESHOLDS.min_voice_share


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg to encode MP3")
def test_real_speech_as_mp3_validates_without_no_voice(cli, tmp_path: Path) -> None:
    """Through the CLI, as a user sends it: real takes as 32 kbit/s MP3s, one a speaker."""
    seen = set()
    for clip in load():
        if clip.speaker in seen:
            continue
        seen.add(clip.speaker)
        x, rate = clip.samples()
        wav = _write(tmp_path / f"{clip.speaker}.wav", np.concatenate([x, x, x]), rate)
        mp3 = tmp_path / f"{clip.speaker}.mp3"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-b:a", "32k", str(mp3)],
            check=True,
            capture_output=True,
        )
        r = cli("validate", "--no-cache", "--json", mp3)
        doc = r.json()
        assert not any(e["code"] == "quality_no_voice" for e in doc["errors"]), (clip.file, doc)
        assert doc["files"][0]["quality"]["speech_seconds"] > 0
    assert seen == {c.speaker for c in load()} and len(seen) == 12


def test_the_tones_standing_in_for_speech_are_voices(cli, tmp_path: Path) -> None:
    """The tests' and benches' stand-ins: a 150 Hz tone swelling 3 times a second
    (bench/run.py), steady 200, 220 and 320 Hz tones (the sandbox's previews), a gated 220 Hz
    tone with noise, harmonic tones: a single tone at a voice's pitch counts as a voice."""
    t = np.arange(int(12.5 * RATE)) / RATE
    standins = {
        "am150": 0.3 * np.sin(2 * np.pi * 150 * t) * np.clip(np.sin(2 * np.pi * 3 * t), 0, None),
        "steady200": 0.3 * np.sin(2 * np.pi * 200 * t),
        "steady320": 0.3 * np.sin(2 * np.pi * 320 * t),
        "gated220": (0.3 * np.sin(2 * np.pi * 220 * t) + 0.03 * _white(12.5, 1.0)[: len(t)])
        * (np.sin(2 * np.pi * 0.7 * t) > 0.3),
        "harmonic": sum(np.sin(2 * np.pi * k * 110 * t) / k for k in range(1, 6))
        * (0.35 + 0.65 * np.abs(np.sin(np.pi * 3.0 * t)))
        * 0.2,
        "speech_like": speech_like(12.5),
    }
    for name, x in standins.items():
        assert _share(x, RATE) >= 0.5, name
        take = _write(tmp_path / f"{name}.wav", x)
        r = cli("validate", "--no-cache", "--json", take)
        assert not any(e["code"] == "quality_no_voice" for e in r.json()["errors"]), name


def test_prepare_keeps_real_voices_in_noise_on_a_phone_line_and_faint(cli, tmp_path: Path) -> None:
    """prepare's own look for a voice (on the window it keeps, at its working level) passes
    real takes: as loud as pink noise, band-passed to a phone line at 8 kHz, peaking at -50
    dBFS (its speech under the -60 dBFS floor of the checks' silence)."""
    import soxr
    from scipy.signal import butter, sosfiltfilt

    for i, clip in enumerate(c for c in load() if c.speaker in ("kristoff", "mfa-author")):
        x, rate = clip.samples()
        x = np.concatenate([x, x, x])
        sos = butter(8, [300, 3400], btype="bandpass", fs=rate, output="sos")
        takes = {
            "noisy": (_noisy(x, rate, 0, 1, i), rate),
            "phone": (soxr.resample(sosfiltfilt(sos, x), rate, 8000), 8000),
            "faint": (x / np.max(np.abs(x)) * 10 ** (-50 / 20), rate),
        }
        for kind, (y, r) in takes.items():
            take = _write(tmp_path / f"{kind}-{clip.file}.wav", y, r)
            out = tmp_path / f"out-{kind}-{clip.file}.wav"
            done = cli("prepare", take, "-o", out)
            assert done.code == 0 and out.exists(), (kind, clip.file, done.err)

"""Noise or a tone NEXT TO real speech in one take is not speech: a second and a half or more
with no voice in it at an end of the take (3 s between voices) is taken out of the speech, so
speech_seconds, the edges, the speaker check, the band and prepare's window follow the voice.
Real speech, clean, through a phone band or with noise added throughout, keeps its speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio import prepare, quality
from bland_clone.core.audioinfo import AudioInfo

from .realspeech import load

HERE = Path(__file__).resolve().parent
RATE = 16000  # the rate of tests/data/speech


def _voice() -> np.ndarray:
    """12 s of one real person (allison-1..4 joined), 16 kHz; band-limited to about 4 kHz."""
    parts = [
        sf.read(HERE / "data" / "speech" / f"allison-{i}.flac", dtype="float32")[0]
        for i in (1, 2, 3, 4)
    ]
    return np.concatenate(parts)


def _white(seconds: float, vol: float = 0.3) -> np.ndarray:
    """White noise as sox's `synth whitenoise vol` makes it (uniform in +-vol), made here with
    numpy: no test runs sox."""
    return np.random.default_rng(7).uniform(-vol, vol, int(seconds * RATE)).astype(np.float32)


def _tone(seconds: float, hz: float = 1000.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _analyse(x: np.ndarray) -> quality.Quality:
    return quality.analyse(np.asarray(x, np.float32)[:, None], RATE)


@pytest.fixture(scope="module")
def voice() -> tuple[np.ndarray, quality.Quality]:
    x = _voice()
    return x, _analyse(x)


TAKES = {
    # name: (before the voice, after it)
    "noise-voice": (lambda: _white(4), None),
    "quiet-noise-voice": (lambda: _white(4, 0.05), None),
    "voice-noise": (None, lambda: _white(4)),
    "noise-voice-tone": (lambda: _white(4), lambda: _tone(4)),
    "voice-tone": (None, lambda: _tone(4)),
}


def _take(name: str, x: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The take, and where the voice starts and ends in it (s)."""
    before, after = TAKES[name]
    a = before() if before else np.zeros(0, np.float32)
    b = after() if after else np.zeros(0, np.float32)
    return np.concatenate([a, x, b]), len(a) / RATE, (len(a) + len(x)) / RATE


@pytest.mark.parametrize("name", sorted(TAKES))
def test_noise_or_a_tone_beside_real_speech_is_not_counted_as_speech(
    name: str, voice: tuple[np.ndarray, quality.Quality]
) -> None:
    x, alone = voice
    take, start, end = _take(name, x)
    q = _analyse(take)
    assert abs(q.speech_seconds - alone.speech_seconds) <= 0.6, (q.speech_seconds, alone)
    assert q.take_seconds <= alone.take_seconds + 0.6
    # the edges are where the voice is not, and are said to be sound, not silence
    assert q.leading_silence_s >= start - 0.1
    assert q.trailing_silence_s >= len(take) / RATE - end - 0.1
    assert q.edge_sound
    problems = quality.problems(_info(name, take), q)
    causes = {p.code for p in problems}
    assert "quality_two_speakers" not in causes
    edge = [p.message for p in problems if p.code == "quality_edge_silence"]
    assert edge and "sound with no voice in it (noise or a tone)" in edge[0]
    # the voice's own band (about 4 kHz) is read, not the noise's beside it
    assert alone.bandwidth_hz is not None and q.bandwidth_hz is not None
    assert abs(q.bandwidth_hz - alone.bandwidth_hz) < 300
    assert "quality_band_limited" in causes


def _info(name: str, take: np.ndarray) -> AudioInfo:
    return AudioInfo(path=f"{name}.wav", samplerate=RATE, channels=1, duration=len(take) / RATE)


def test_the_speaker_check_does_not_hear_a_tone_as_a_second_speaker(
    voice: tuple[np.ndarray, quality.Quality],
) -> None:
    """The trial's take: noise, one person, a 1 kHz tone. Before, the voiceprint's windows
    over the noise and the tone scored 0.41 against the voice's: "more than one speaker"."""
    x, alone = voice
    take, _, _ = _take("noise-voice-tone", x)
    q = _analyse(take)
    assert q.speaker_similarity is not None and alone.speaker_similarity is not None
    assert q.speaker_similarity >= quality.THRESHOLDS.two_speakers_similarity
    assert abs(q.speaker_similarity - alone.speaker_similarity) < 0.05


@pytest.mark.parametrize("name", ["noise-voice", "noise-voice-tone", "voice-noise"])
def test_prepare_keeps_the_voice_not_the_noise_or_the_tone_beside_it(
    name: str, voice: tuple[np.ndarray, quality.Quality], tmp_path: Path
) -> None:
    x, _ = voice
    take, start, end = _take(name, x)
    src, dst = tmp_path / f"{name}.wav", tmp_path / "out.wav"
    sf.write(src, take, RATE, subtype="PCM_16")
    p = prepare.prepare_file(str(src), str(dst))
    out, rate = sf.read(dst, dtype="float32")
    kept = (p.window_start_s, p.window_start_s + len(out) / rate)
    # the window is the voice's, with prepare's margins (0.25 s, and 0.3 s of onset)
    assert kept[0] >= start - 0.6 and kept[1] <= end + 0.6, kept
    assert len(out) / rate >= min(10.0, (end - start) - 0.6)
    # measured on the output: no run of noise or a tone in it, its band the voice's
    assert not quality.no_voice_of(out, rate).any()
    assert quality.voice_share_of(out, rate) >= 0.3


def test_real_speech_keeps_its_speech() -> None:
    """Every person of the real-speech corpus, clean and through a phone band: no speech
    taken out; with white or pink noise added throughout (0 and 10 dB SNR): at most 0.3 s of
    the clean take's speech taken out as a run with no voice in it."""
    import soxr
    from scipy.signal import butter, sosfiltfilt

    from .test_no_voice import _noisy

    for i, clip in enumerate(load(speech=None)):
        if not clip.speech:
            continue
        x, rate = clip.samples()
        x = np.concatenate([x, x, x])  # a 12 s take
        speech = _heard(x, rate)  # the clean take's speech frames
        sos = butter(8, [300, 3400], btype="bandpass", fs=rate, output="sos")
        phone = soxr.resample(sosfiltfilt(sos, x), rate, 8000).astype(np.float32)
        for y, r in [(x, rate), (phone, 8000)]:
            assert not (quality.no_voice_of(y, r) & _heard(y, r)).any(), clip.file
        for snr in (0, 10):
            for p in (0, 1):
                y = _noisy(x, rate, snr, p, i).astype(np.float32)
                out = quality.no_voice_of(y, rate)
                n = min(len(out), len(speech))
                lost = np.count_nonzero(out[:n] & speech[:n]) * quality.FRAME_S
                assert lost <= 0.3, (clip.file, snr, p, lost)


def _heard(x: np.ndarray, rate: int) -> np.ndarray:
    """The speech frames before the runs are taken out: loud and heard by the detector."""
    levels = quality.frame_levels(x, rate)
    silent = quality.silent_mask(levels)
    active = levels[~silent]
    return quality._voiced(x, rate, silent, quality.speech_level(active))

"""The voiceprint (bland_clone/audio/voiceprint.py): what an embedding is, on speech.

Same-speaker and different-speaker scores on real human speech are in tests/test_speakers.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio import voiceprint as vp

from .corpus import SENTENCES, speak


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return np.concatenate([speak(SENTENCES[0]), np.zeros(8000, np.float32), speak(SENTENCES[1])])


def test_embedding_is_a_unit_vector_of_256_non_negative_floats(speech: np.ndarray) -> None:
    e = vp.embed(speech, 22050)
    assert e.shape == (256,) and e.dtype == np.float32
    assert abs(float(np.linalg.norm(e)) - 1) < 1e-5
    assert float(e.min()) >= 0  # the encoder ends in a ReLU
    assert vp.similarity(e, e) == pytest.approx(1.0, abs=1e-6)


def test_the_rate_and_a_quiet_level_change_nothing(speech: np.ndarray) -> None:
    import soxr

    e = vp.embed(speech, 22050)
    at_48k = soxr.resample(speech, 22050, 48000).astype(np.float32)
    assert vp.similarity(e, vp.embed(at_48k, 48000)) > 0.99
    # a take 20 dB quieter is raised to the same speech level before the encoder hears it
    assert vp.similarity(e, vp.embed(speech * 0.1, 22050)) > 0.99


def test_silence_and_a_whisper_of_speech_have_no_voiceprint(speech: np.ndarray) -> None:
    with pytest.raises(vp.NoSpeech, match="voiceprint needs 1 s"):
        vp.embed(np.zeros(48000, np.float32), 16000)
    with pytest.raises(vp.NoSpeech):
        vp.embed(speech[:11000], 22050)  # half a second
    with pytest.raises(vp.NoSpeech):
        vp.embed(np.zeros(0, np.float32), 16000)


def test_windows_cover_the_speech_in_order(speech: np.ndarray) -> None:
    windows, starts = vp.embed_windows(speech, 22050)
    assert windows.shape[1] == 256 and len(windows) == len(starts) >= 4
    assert np.all(np.diff(starts) > 0) and starts[0] < 0.5
    assert starts[-1] < len(speech) / 22050
    assert np.allclose(np.linalg.norm(windows, axis=1), 1, atol=1e-5)


def test_a_file_through_the_projects_decoder(speech: np.ndarray, tmp_path: Path) -> None:
    stereo = np.stack([speech, speech], axis=1)
    sf.write(tmp_path / "take.flac", stereo, 22050)
    e = vp.embed_file(str(tmp_path / "take.flac"))
    assert vp.similarity(e, vp.embed(speech, 22050)) > 0.999


def test_the_model_ships_in_the_package_with_its_license() -> None:
    models = Path(vp.__file__).parent / "models"
    assert vp.MODEL.is_file() and vp.MODEL.parent == models
    assert "Apache License" in (models / "LICENSE-ge2e").read_text()
    assert "Resemble" in (models / "NOTICE").read_text()


def test_blas_threads_come_back_after_embedding_on_several_threads(speech: np.ndarray) -> None:
    """The LSTM holds BLAS to one thread (its threads only cost there); files checked on
    several threads at once get the same voiceprints, and the limit is lifted afterwards."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    def blas() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas()
    alone = vp.embed(speech, 22050)
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda _: vp.embed(speech, 22050), range(4)))
    assert all(np.allclose(e, alone, atol=1e-6) for e in together)
    assert blas() == before


def test_files_embedded_together_get_their_own_voiceprints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """embed_files (validate --each's other-speaker check): each file's voiceprint is the one
    embed_file gives it alone, in order, None where embed_file refuses (silence, a file that
    is no audio), for a few runs of the encoder, not one a file."""
    from .realspeech import load

    clips = [c.path for c in load()[:7]]
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(32000, np.float32), 16000)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not a wave file at all")
    paths = [str(p) for p in (clips[0], silent, *clips[1:4], broken, *clips[4:], clips[0])]

    def alone(path: str) -> np.ndarray | None:
        try:
            return vp.embed_file(path)
        except (vp.NoSpeech, vp.dec.DecodeError, OSError, ValueError):
            return None

    monkeypatch.setattr(vp, "EMBED_BATCH", 8)  # several batches, one file split from the next
    runs = vp.work.runs
    together = vp.embed_files(paths)
    assert vp.work.runs - runs <= 4 < len(clips)
    for path, got in zip(paths, together, strict=True):
        want = alone(path)
        if want is None:
            assert got is None, path
        else:
            assert got is not None and got.dtype == np.float32, path
            assert np.allclose(got, want, atol=1e-5), path
    assert [g is None for g in together] == [p in (str(silent), str(broken)) for p in paths]

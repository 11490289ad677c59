"""The speaker check batched across the takes of one run (quality.measure_many ->
voiceprint.speakers_of): each take's answer is its own, whatever takes share its batch.

Real speech (tests/data/speech): one person's takes (their clips back to back) and two people
taking turns, validated together and one by one.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio import quality
from bland_clone.audio import voiceprint as vp
from bland_clone.audio.inspection import inspect

from .realspeech import Clip, load

RATE = 16000
#: A voiceprint batched with other takes' windows differs from its own batch's in the last float
#: bits only (about 3e-7); another take's would differ by 0.05 or more.
CLOSE = 1e-5


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> WAV: three people's own takes (about 8-12 s of speech each), a woman and a man
    taking turns (the screen does not clear it: every window is embedded), and a 3 s take
    (too short for the speaker check)."""
    clips = load()
    folder = tmp_path_factory.mktemp("together")

    def x(name: str) -> np.ndarray:
        c: Clip = next(c for c in clips if c.file == name)
        samples, rate = c.samples()
        assert rate == RATE
        return samples

    gap = np.zeros(round(0.3 * RATE), np.float32)
    cut = round(2.6 * RATE)
    turns = ("allison-3.flac", "mfa-author-1.flac", "allison-4.flac", "mfa-author-2.flac")
    made = {
        "allison": np.concatenate([x("allison-1.flac"), gap, x("allison-2.flac")]),
        "austen": np.concatenate([x("austen-reader-1.flac"), gap, x("austen-reader-2.flac")]),
        "dialogue": np.concatenate([p for name in turns for p in (x(name)[:cut], gap)]),
        "short": x("arctic-1.flac")[: 3 * RATE],
        "hts1": np.concatenate([x("hts1-1.flac"), gap, x("hts1-2.flac")]),
    }
    out = {}
    for name, samples in made.items():
        out[name] = folder / f"{name}.wav"
        sf.write(out[name], samples, RATE, subtype="PCM_16")
    return out


def test_takes_measured_together_get_their_own_answers(takes: dict[str, Path]) -> None:
    """Every field of every take as when it is measured alone; the speaker similarity within
    the last float bits. The takes' similarities are far apart, so a mix-up shows."""
    infos = [inspect(str(p)) for p in takes.values()]
    infos.insert(2, dataclasses.replace(infos[0], path=str(takes["short"]) + ".missing"))
    before = dataclasses.replace(vp.work)
    together = quality.measure_many(infos)
    batched = vp.work.windows - before.windows
    alone = [quality.measure(i) for i in infos]
    assert together[2] is None and alone[2] is None  # not decodable: no answer, the rest in line
    sims = {}
    for info, a, b in zip(infos, together, alone, strict=True):
        if a is None or b is None:
            assert a is b
            continue
        assert dataclasses.replace(a, speaker_similarity=None) == dataclasses.replace(
            b, speaker_similarity=None
        ), info.path
        if b.speaker_similarity is None:
            assert a.speaker_similarity is None, info.path
        else:
            assert a.speaker_similarity == pytest.approx(b.speaker_similarity, abs=CLOSE)
        sims[Path(info.path).stem] = a.speaker_similarity
    assert sims["short"] is None
    assert sims["dialogue"] is not None and sims["dialogue"] < 0.58
    mine = sorted(v for k, v in sims.items() if v is not None)
    assert all(b - a > 100 * CLOSE for a, b in itertools.pairwise(mine))
    # the same windows, embedded in batches: no window more
    assert batched == vp.work.windows - before.windows - batched


def test_the_two_person_take_among_others_is_the_one_flagged(
    cli: Any, takes: dict[str, Path]
) -> None:
    """validate of the takes together names the dialogue, and only it, as two speakers, with
    the numbers and warnings each take gets validated alone."""
    paths = [takes[k] for k in ("allison", "dialogue", "short", "austen", "hts1")]
    r = cli("validate", "--each", "--no-cache", "--json", *paths)
    two = [w for w in r.json()["warnings"] if w["code"] == "quality_two_speakers"]
    assert [Path(w["file"]).name for w in two] == ["dialogue.wav"]
    for path in paths:
        one = cli("validate", "--no-cache", "--json", path).json()
        mine = next(f for f in r.json()["files"] if f["path"] == str(path))
        got, want = mine["quality"], one["files"][0]["quality"]
        assert got.pop("speaker_similarity") == pytest.approx(
            want.pop("speaker_similarity"), abs=1.5e-4
        )  # rounded to 4 places: a last-bit difference may move the last one
        assert got == want, path.name
        codes = {w["code"] for w in r.json()["warnings"] if w["file"] == str(path)}
        codes.discard("quality_other_speaker")  # said of a take among others only
        assert codes == {w["code"] for w in one["warnings"]}, path.name


def test_speakers_of_matches_speakers_take_by_take(takes: dict[str, Path]) -> None:
    """voiceprint.speakers_of, BLAS on its threads or on one: each take's split (groups,
    starts, whether the screen cleared it) is the one speakers() gives it alone."""
    screen = (quality.THRESHOLDS.speaker_screen_pairs, quality.THRESHOLDS.speaker_screen_groups)
    samples = [sf.read(p, dtype="float32")[0] for p in takes.values()]
    windows = [vp.speaker_windows(x, RATE, screen) for x in samples]
    windows.insert(1, None)
    alone = [vp.speakers(x, RATE, screen) for x in samples]
    alone.insert(1, None)
    for side_by_side in (True, False):
        before = dataclasses.replace(vp.work)
        together = vp.speakers_of(windows, side_by_side=side_by_side)
        assert vp.work.full - before.full == sum(1 for s in alone if s and not s.screened)
        assert vp.work.cleared - before.cleared == sum(1 for s in alone if s and s.screened)
        for a, b in zip(together, alone, strict=True):
            if b is None:
                assert a is None
                continue
            assert a is not None
            assert (a.groups, a.starts, a.sizes, a.screened) == (
                b.groups,
                b.starts,
                b.sizes,
                b.screened,
            )
            assert a.between == pytest.approx(b.between, abs=CLOSE)
            assert a.within == pytest.approx(b.within, abs=CLOSE)
    assert vp.speakers_of([]) == []
    assert vp.speakers_of([None, None]) == [None, None]


def test_the_shared_encoder_gives_each_window_its_own_voiceprint(
    takes: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With cores to spare the batch is cut in parts, one a thread: every window's voiceprint
    in its place, as one batch gives it; a part's failure is raised to the caller. With none
    to spare (a busy machine), one batch."""
    x = sf.read(takes["dialogue"], dtype="float32")[0]
    w = vp.speaker_windows(x, RATE)
    assert w is not None and len(w.mels) >= 2 * vp.SHARE_FROM
    whole = vp._lstm(w.mels)
    for spare in (1, 2, 3):
        monkeypatch.setattr(vp, "_spare_cores", lambda spare=spare: spare)
        calls: list[int] = []
        real = vp._lstm

        def counted(m: np.ndarray, real=real, calls=calls) -> np.ndarray:
            calls.append(len(m))
            return real(m)

        monkeypatch.setattr(vp, "_lstm", counted)
        got = vp._lstm_shared(w.mels)
        monkeypatch.setattr(vp, "_lstm", real)
        parts = min(spare, len(w.mels) // vp.SHARE_FROM)
        assert sorted(calls, reverse=True) == [len(p) for p in np.array_split(w.mels, parts)]
        assert len(calls) == (2 if spare >= 2 else 1)
        assert got.shape == whole.shape
        assert np.abs(got - whole).max() < CLOSE
    monkeypatch.setattr(vp, "_spare_cores", lambda: 2)

    def broken(m: np.ndarray) -> np.ndarray:
        raise MemoryError("out of memory")

    monkeypatch.setattr(vp, "_lstm", broken)
    with pytest.raises(MemoryError):
        vp._lstm_shared(w.mels)

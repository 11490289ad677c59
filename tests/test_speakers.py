"""Speakers told apart by voiceprint, on real human speech (tests/data/speech: 12 people, clips
cut from recordings that ship in Debian and PyPI packages; see its ATTRIBUTION. Its one real
recording that is no speech, a modem's signal, is in no speaker set: tests/realspeech.py).

- one person's takes score above other people's (same sex), with the thresholds voiceprint.py
  names: bench/verify.py prints the full distributions;
- a woman and a man taking turns, and two clearly different men, are flagged as two speakers;
  one person's takes, an affected voice among them, are not;
- validate --each names the take of another person in a folder;
- the quality verdicts on every real clip, the modem's signal included, are the true ones only.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio import quality
from bland_clone.audio import voiceprint as vp
from bland_clone.audio.inspection import inspect

from .realspeech import Clip, eer, load, pairs

RATE = 16000


@pytest.fixture(scope="session")
def clips() -> list[Clip]:
    return load()


@pytest.fixture(scope="session")
def prints(clips: list[Clip]) -> list[np.ndarray]:
    return [vp.embed(*c.samples()) for c in clips]


def by_name(clips: list[Clip], name: str) -> np.ndarray:
    x, rate = next(c for c in clips if c.file == name).samples()
    assert rate == RATE
    return x


def turns(
    clips: list[Clip], a: tuple[str, str], b: tuple[str, str], seg: float = 2.6
) -> np.ndarray:
    """Four turns of about `seg` seconds, a, b, a, b (each from a different sentence), 0.3 s
    apart: two people talking in one take."""
    parts = []
    for k, name in enumerate([a[0], b[0], a[1], b[1]]):
        parts += [
            by_name(clips, name)[: round(seg * RATE)],
            np.zeros(round(0.3 * RATE), np.float32),
        ]
        assert k < 4
    return np.concatenate(parts)


def verdicts(path: Path) -> tuple[quality.Quality, set[str]]:
    q, found = quality.check(inspect(path))
    assert q is not None
    return q, {p.code.removeprefix("quality_") for p in found}


def test_the_corpus_has_ten_people_or_more_and_both_kinds_of_pairs(clips: list[Clip]) -> None:
    speakers = {c.speaker for c in clips}
    assert len(speakers) >= 10
    same, different = pairs(clips)
    assert len(same) >= 20 and len(different) >= 100
    assert all(c.path.stat().st_size < 1_000_000 for c in clips)
    assert {c.sex for c in clips} == {"f", "m"}


def test_one_persons_takes_score_above_other_peoples(
    clips: list[Clip], prints: list[np.ndarray]
) -> None:
    same, different = pairs(clips)
    s = [vp.similarity(prints[i], prints[j]) for i, j in same]
    d = [vp.similarity(prints[i], prints[j]) for i, j in different]
    assert np.median(s) > 0.85 > 0.6 > np.median(d)
    rate, _ = eer(s, d)
    assert rate <= 0.10
    # the thresholds the verdicts use: nobody else reaches "similar", nobody is "different"
    # from themselves, on this corpus
    assert max(d) < vp.SIMILAR_AT
    assert min(s) >= vp.DIFFERENT_BELOW
    clean_same, clean_different = pairs(clips, clean_only=True)
    rate, _ = eer(
        [vp.similarity(prints[i], prints[j]) for i, j in clean_same],
        [vp.similarity(prints[i], prints[j]) for i, j in clean_different],
    )
    assert rate <= 0.10


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # the issue's case: a woman and a man, about 2.6 s each, four turns, 16 kHz
        (("allison-1.flac", "allison-2.flac"), ("mfa-author-1.flac", "mfa-author-2.flac")),
        (("allison-3.flac", "allison-4.flac"), ("austen-reader-1.flac", "austen-reader-2.flac")),
        (("hts2-1.flac", "hts2-2.flac"), ("hts1-1.flac", "hts1-2.flac")),
        # two men whose voices are clearly different (both studio recordings)
        (
            ("leak-test-1.flac", "leak-test-2.flac"),
            ("austen-reader-2.flac", "austen-reader-3.flac"),
        ),
        (("hts1-1.flac", "hts1-2.flac"), ("austen-reader-1.flac", "austen-reader-2.flac")),
    ],
)
def test_two_people_taking_turns_are_flagged(
    clips: list[Clip], tmp_path: Path, a: tuple[str, str], b: tuple[str, str]
) -> None:
    path = tmp_path / "dialogue.wav"
    sf.write(path, turns(clips, a, b), RATE, subtype="PCM_16")
    q, found = verdicts(path)
    assert "two_speakers" in found, (q.speaker_similarity, q.speaker_pitch_gap_st)


def test_the_woman_and_man_the_pitch_rule_missed_are_told_apart_by_voiceprint(
    clips: list[Clip], tmp_path: Path
) -> None:
    path = tmp_path / "dialogue.wav"
    x = turns(
        clips, ("allison-1.flac", "allison-2.flac"), ("mfa-author-1.flac", "mfa-author-2.flac")
    )
    sf.write(path, x, RATE, subtype="PCM_16")
    q, _ = quality.check(inspect(path))
    assert q is not None and q.speaker_pitch_gap_st is None  # the pitch rule sees no turns
    assert q.speaker_similarity is not None and q.speaker_similarity < 0.58
    message = next(
        p.message for p in quality.problems(inspect(path), q) if p.code == "quality_two_speakers"
    )
    assert "by voiceprint" in message and "one voice only" in message


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # a woman and a man (the issue's case), and two men (two studio readers; a studio
        # reader and a ham-radio operator), the pitch rule blind to all three
        (("allison-1.flac", "allison-2.flac"), ("mfa-author-1.flac", "mfa-author-2.flac")),
        (("hts1-1.flac", "hts1-2.flac"), ("austen-reader-1.flac", "austen-reader-2.flac")),
        (("leak-test-1.flac", "leak-test-2.flac"), ("vk5qi-1.flac", "vk5qi-2.flac")),
    ],
)
def test_the_screen_sends_two_people_to_the_whole_voiceprint(
    clips: list[Clip], tmp_path: Path, a: tuple[str, str], b: tuple[str, str]
) -> None:
    """The screen (voiceprint.speakers) never clears two people taking turns: every window is
    embedded, and the warning is given."""
    path = tmp_path / "dialogue.wav"
    sf.write(path, turns(clips, a, b), RATE, subtype="PCM_16")
    before = dataclasses.replace(vp.work)
    q, found = verdicts(path)
    assert "two_speakers" in found
    assert q.speaker_pitch_gap_st is None  # the voiceprint's call alone
    assert (vp.work.cleared, vp.work.full) == (before.cleared, before.full + 1)


def test_the_screen_clears_one_plain_voice_with_half_the_windows(clips: list[Clip]) -> None:
    """A plain take of one person: the windows end to end (half of them) are embedded, they
    agree, and the answer is one voice, close to what every window says."""
    x = np.concatenate([by_name(clips, f"allison-{i}.flac") for i in (1, 2, 3, 4)])
    counts = []
    alike = []
    for t in (
        dataclasses.replace(quality.THRESHOLDS, speaker_screen_pairs=2.0),
        quality.THRESHOLDS,
    ):
        before = dataclasses.replace(vp.work)
        alike.append(quality.speaker_similarity(x, RATE, None, t))
        counts.append((vp.work.windows - before.windows, vp.work.cleared - before.cleared))
    (every, not_cleared), (screened, cleared) = counts
    assert (not_cleared, cleared) == (0, 1)
    assert every >= 15 and screened <= every // 2 + 1
    assert alike[0] is not None and alike[1] is not None
    assert alike[1] >= quality.THRESHOLDS.speaker_screen_groups
    assert abs(alike[1] - alike[0]) < 0.05


def test_turns_at_two_pitches_are_never_screened(clips: list[Clip]) -> None:
    """Where the pitch rule sees turns at two pitches, its warning depends on the voiceprint's
    full answer: the screen is not used, even on a take it would clear."""
    x = np.concatenate([by_name(clips, f"allison-{i}.flac") for i in (1, 2, 3, 4)])
    before = dataclasses.replace(vp.work)
    quality.speaker_similarity(x, RATE, pitch_gap=12.0)
    assert (vp.work.cleared, vp.work.full) == (before.cleared, before.full + 1)


def test_one_persons_takes_are_one_speaker(clips: list[Clip], tmp_path: Path) -> None:
    """Every person of the corpus with two clips or more, their clips back to back (different
    sentences, 8-12 s): an expressive reader, an affected voice, a ham-radio operator."""
    flagged, measured = {}, {}
    for speaker in sorted({c.speaker for c in clips}):
        mine = [c for c in clips if c.speaker == speaker]
        if len(mine) < 2:
            continue
        gap = np.zeros(round(0.4 * RATE), np.float32)
        x = np.concatenate([part for c in mine for part in (c.samples()[0], gap)])
        path = tmp_path / f"{speaker}.wav"
        sf.write(path, x, RATE, subtype="PCM_16")
        q, found = verdicts(path)
        if "two_speakers" in found:
            flagged[speaker] = (q.speaker_similarity, q.speaker_pitch_gap_st)
        if q.speaker_similarity is not None:
            measured[speaker] = q.speaker_similarity
    assert flagged == {}
    # the voiceprint judged most of the 9 people (two 4 s clips can be too short for two groups)
    assert len(measured) >= 6 and min(measured.values()) >= 0.6, measured


def test_a_modems_signal_is_judged_no_voice_not_a_speaker(tmp_path: Path) -> None:
    """codec2's david4.wav, a FreeDV modem's signal (no speech: corpus.json), its clips back to
    back: no voice, and no speaker measured in it."""
    signals = load(speech=False)
    assert signals and {c.kind for c in signals} == {"modem"}
    gap = np.zeros(round(0.4 * RATE), np.float32)
    x = np.concatenate([part for c in signals for part in (c.samples()[0], gap)])
    path = tmp_path / "modem.wav"
    sf.write(path, x, RATE, subtype="PCM_16")
    q, found = verdicts(path)
    assert found == {"no_voice"} and q.speaker_similarity is None


#: The true faults of each real clip, checked by measurement: 8 kHz sources stop at 4 kHz
#: (band_limited); LibriVox, LibriSpeech and pocketsphinx's leak-test carry mains lines 17-25 dB
#: over their neighbours (hum); the radio takes are under 25 dB signal-to-noise (noisy);
#: codec2's david4.wav is no voice at all but a FreeDV 2020 modem's signal (codec2's own
#: scripts run ofdm_demod on it; it sounds like hiss between 0.8 and 2.3 kHz): no_voice, and
#: no other cause is measured in it; mfa-author-2/3 and leak-test-2 speak at -36, -33 and
#: -32.5 dBFS (too_quiet), and mfa-author-2 is 59% pauses (mostly_silent).
TRUE_FAULTS = {
    "allison": {"band_limited"},
    "hts1": {"band_limited"},
    "hts2": {"band_limited"},
    "david": {"no_voice"},
    "vk5qi": {"noisy", "band_limited"},
    "ve9qrp": {"noisy", "hum", "band_limited"},
    "cq-ref": {"band_limited"},
    "kristoff": {"band_limited"},
    "austen-reader": {"hum"},
    "leak-test": {"hum", "band_limited", "too_quiet"},
    "mfa-author": {"too_quiet", "mostly_silent"},
    "librispeech-61": {"hum"},
    "arctic": set(),
}


def test_real_takes_raise_only_their_true_faults() -> None:
    """Beyond length and edge silence (4 s clips), nothing but what the recording has: every
    real recording of the corpus, speech or not."""
    clips = load(speech=None)
    assert {c.speaker for c in clips} == set(TRUE_FAULTS)
    wrong = {}
    for c in clips:
        _, found = verdicts(c.path)
        extra = found - TRUE_FAULTS[c.speaker] - {"speech_length", "edge_silence"}
        if extra:
            wrong[c.file] = sorted(extra)
    assert wrong == {}
    clean = [c for c in clips if not TRUE_FAULTS[c.speaker] and c.clean]
    assert clean and all(verdicts(c.path)[1] <= {"speech_length", "edge_silence"} for c in clean)


def test_validate_each_names_another_persons_take(cli, clips: list[Clip], tmp_path: Path) -> None:
    folder = tmp_path / "takes"
    folder.mkdir()
    for name in ("austen-reader-1.flac", "austen-reader-2.flac", "austen-reader-3.flac"):
        (folder / name).write_bytes((Path(clips[0].path).parent / name).read_bytes())
    (folder / "zz-other.flac").write_bytes(
        (Path(clips[0].path).parent / "leak-test-1.flac").read_bytes()
    )
    r = cli("validate", str(folder), "--each", "--json")
    assert r.code == 0
    odd = [w for w in r.json()["warnings"] if w["code"] == "quality_other_speaker"]
    assert [Path(w["file"]).name for w in odd] == ["zz-other.flac"]
    assert "sounds like another person than the other 3 takes" in odd[0]["message"]
    assert Path(r.json()["best"]).name != "zz-other.flac"
    # the same folder without the other person: nobody is named
    (folder / "zz-other.flac").unlink()
    r = cli("validate", str(folder), "--each", "--json")
    assert r.code == 0
    assert not [w for w in r.json()["warnings"] if w["code"] == "quality_other_speaker"]
    # --strict refuses the odd take
    (folder / "zz-other.flac").write_bytes(
        (Path(clips[0].path).parent / "leak-test-1.flac").read_bytes()
    )
    r = cli("validate", str(folder), "--each", "--strict")
    assert r.code != 0 or "zz-other.flac" in r.err
    assert 'File "zz-other.flac": sounds like another person' in r.err + r.out


def test_prepare_best_does_not_choose_another_persons_take(
    cli, clips: list[Clip], tmp_path: Path
) -> None:
    """Three takes of one woman over a phone line (band-limited) and one clean take of a man:
    the man's would be the best take by its warnings, but it is another person's."""
    folder = tmp_path / "takes"
    folder.mkdir()
    gap = np.zeros(round(0.4 * RATE), np.float32)

    def take(name: str, parts: list[str]) -> None:
        x = np.concatenate([p for n in parts for p in (by_name(clips, n), gap)])
        sf.write(folder / name, x, RATE, subtype="PCM_16")

    take("a.wav", ["allison-1.flac", "allison-2.flac", "allison-3.flac"])
    take("b.wav", ["allison-2.flac", "allison-3.flac", "allison-4.flac"])
    take("c.wav", ["allison-4.flac", "allison-1.flac", "allison-2.flac"])
    take("man.wav", ["arctic-1.flac"] * 3)
    r = cli("prepare", str(folder), "--best", "-o", str(tmp_path / "out.wav"), "--json")
    assert r.code == 0, r.err
    assert Path(r.json()["best"]).name != "man.wav"
    assert [Path(p).name for p in r.json()["other_speaker"]] == ["man.wav"]
    r = cli("prepare", str(folder), "--best", "-o", str(tmp_path / "out2.wav"))
    assert 'File "man.wav": sounds like another person than the other 3 takes' in r.err
    # by its other warnings alone, the man's take would have been the best
    r = cli("validate", str(folder), "--each", "--json")
    count = {n: 0 for n in ("a.wav", "b.wav", "c.wav", "man.wav")}
    for w in r.json()["warnings"]:
        if w["code"] != "quality_other_speaker":
            count[Path(w["file"]).name] += 1
    assert count["man.wav"] < min(count["a.wav"], count["b.wav"], count["c.wav"]), count


def test_other_speaker_warning_never_shows_the_score_at_or_over_its_limit(
    cli, clips: list[Clip], tmp_path: Path
) -> None:
    # 25 takes of many people: leak-test-1 scored 0.675-0.68 against the others and was
    # printed as "0.68 alike, under 0.68", a statement that contradicts itself
    import re

    folder = tmp_path / "takes"
    folder.mkdir()
    source = Path(clips[0].path).parent
    for path in sorted(source.glob("*.flac"))[:25]:
        (folder / path.name).write_bytes(path.read_bytes())
    r = cli("validate", str(folder), "--each", "--json")
    odd = [w["message"] for w in r.json()["warnings"] if w["code"] == "quality_other_speaker"]
    assert len(odd) >= 5
    for message in odd:
        m = re.search(r"voiceprint ([0-9.]+) alike, under ([0-9.]+);", message)
        assert m, message
        assert float(m[1]) < float(m[2]), message

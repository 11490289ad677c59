"""A folder's takes grouped by voice (voiceprint.voice_groups, verdict.other_speakers), on real
human speech (tests/data/speech via tests/realspeech.py). Each take is half of a corpus clip:
one person's takes are different words, never one clip re-ordered (re-orderings score
unrealistically alike). bench/voices.py measures the grouping's errors over every folder the
corpus makes.

- six takes of one man and one of another man: the odd take is named, and neither validate
  --each's Best nor prepare --best chooses it (the old rule, each take against the mean of the
  others, missed it and both chose it);
- three people's takes: the folder says it holds three voices and which takes go together;
- one person's takes are one voice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio import voiceprint as vp

from .realspeech import load

RATE = 16000


def halves(speaker: str) -> list[np.ndarray]:
    """Each clip of ``speaker`` cut in two: takes of different words."""
    out = []
    for c in load():
        if c.speaker == speaker:
            x, rate = c.samples()
            assert rate == RATE
            out += [x[: len(x) // 2], x[len(x) // 2 :]]
    return out


def embedded(takes: list[np.ndarray]) -> list[np.ndarray]:
    """The takes' voiceprints, but of those with under a second of speech (as validate)."""
    out = []
    for x in takes:
        try:
            out.append(vp.embed(x, RATE))
        except vp.NoSpeech:
            pass
    return out


def folder(where: Path, takes: list[np.ndarray]) -> Path:
    where.mkdir()
    for n, x in enumerate(takes, 1):
        sf.write(where / f"take{n:02d}.wav", x, RATE, subtype="PCM_16")
    return where


def warned(doc: dict, code: str) -> list[dict]:
    return [w for w in doc["warnings"] if w["code"] == code]


def best_of_both(cli, takes: Path, out: Path) -> tuple[dict, dict]:
    """(validate --each's JSON, prepare --best's JSON) of one folder."""
    v = cli("validate", str(takes), "--each", "--json")
    assert v.code == 0, v.err
    p = cli("prepare", str(takes), "--best", "-o", str(out), "--json")
    assert p.code == 0, p.err
    return v.json(), p.json()


def test_one_odd_take_among_six_of_another_man_is_named_and_never_chosen(
    cli, tmp_path: Path
) -> None:
    """The trial's mixed1/ with different words: six takes of austen-reader, one of
    mfa-author (quieter: once levelled by prepare, the best by its warnings)."""
    x, _ = next(c for c in load() if c.file == "mfa-author-1.flac").samples()
    takes = folder(tmp_path / "mixed1", [*halves("austen-reader"), x])
    v, p = best_of_both(cli, takes, tmp_path / "best.wav")
    odd = warned(v, "quality_other_speaker")
    assert [Path(w["file"]).name for w in odd] == ["take07.wav"]
    assert "sounds like another person than the other 6 takes" in odd[0]["message"]
    assert not warned(v, "quality_several_voices")
    assert [Path(f).name for f in p["other_speaker"]] == ["take07.wav"]
    assert Path(v["best"]).name != "take07.wav"
    assert Path(p["best"]).name == Path(v["best"]).name
    # the kept take is the chosen one, as written
    assert sf.read(tmp_path / "best.wav")[0].size > 0


def test_three_peoples_takes_are_said_to_be_three_voices(cli, tmp_path: Path) -> None:
    people = [halves("allison"), halves("austen-reader")[:4], halves("ve9qrp")[:4]]
    takes = folder(tmp_path / "three", [x for person in people for x in person])
    v, p = best_of_both(cli, takes, tmp_path / "best.wav")
    several = warned(v, "quality_several_voices")
    assert len(several) == 1 and several[0].get("file") is None
    assert several[0]["message"].startswith(
        'The 16 takes hold 3 voices: "take01.wav" to "take08.wav"; "take09.wav" to '
        '"take12.wav"; "take13.wav" to "take16.wav" (grouped by voiceprint; the best take is '
        'chosen among "take01.wav" to "take08.wav")'
    )
    odd = sorted(Path(w["file"]).name for w in warned(v, "quality_other_speaker"))
    assert odd == [f"take{n:02d}.wav" for n in range(9, 17)]
    assert 'it goes with "take10.wav" to "take12.wav"' in next(
        w["message"] for w in warned(v, "quality_other_speaker") if w["file"].endswith("09.wav")
    )
    # both choose among the main voice's takes, the same one
    assert Path(v["best"]).name in {f"take{n:02d}.wav" for n in range(1, 9)}
    assert Path(p["best"]).name == Path(v["best"]).name
    assert sorted(Path(f).name for f in p["other_speaker"]) == odd
    assert [w["code"] for w in p["warnings"]].count("quality_several_voices") == 1
    # said on the terminal with the inputs' names, never the prepared copies'
    r = cli("prepare", str(takes), "--best", "-o", str(tmp_path / "b2.wav"))
    assert 'The 16 takes hold 3 voices: "take01.wav" to "take08.wav"' in r.err
    assert "0000-" not in r.err + r.out


@pytest.mark.parametrize(
    "speaker",
    ["allison", "austen-reader", "ve9qrp", "cq-ref", "hts1", "hts2", "vk5qi", "leak-test"],
)
def test_one_persons_takes_are_one_voice(speaker: str) -> None:
    """Every corpus person with four takes or more (but mfa-author, whose affected voice in
    one clip is measured apart by bench/voices.py), clean and through a phone channel."""
    import soxr

    takes = halves(speaker)
    prints = embedded(takes)
    assert len(prints) >= 3
    assert vp.voice_groups(prints) == [list(range(len(prints)))]
    phone = [soxr.resample(soxr.resample(x, RATE, 8000), 8000, RATE) for x in takes]
    assert len(vp.voice_groups(embedded(phone))) == 1


def test_one_persons_folder_names_nobody_and_both_choose_the_same_take(cli, tmp_path: Path) -> None:
    takes = folder(tmp_path / "one", halves("allison"))
    v, p = best_of_both(cli, takes, tmp_path / "best.wav")
    for code in ("quality_other_speaker", "quality_several_voices"):
        assert not warned(v, code) and not warned(p, code)
    assert p["other_speaker"] == []
    assert Path(p["best"]).name == Path(v["best"]).name


def test_voice_groups_merges_by_average_likeness() -> None:
    """The clustering itself, on voiceprints of the corpus: two women's takes, shuffled,
    come back as two groups, the larger first."""
    a = embedded(halves("allison"))
    b = embedded(halves("hts2"))
    mixed = [b[0], a[0], a[1], b[1], a[2], a[3], b[2], a[4]]
    assert vp.voice_groups(mixed) == [[1, 2, 4, 5, 7], [0, 3, 6]]
    assert vp.voice_groups(mixed, same_at=1.01) == [[i] for i in range(8)]
    assert len(vp.voice_groups(mixed, same_at=-1.0)) == 1
    assert vp.voice_groups([]) == []


def test_prepare_best_json_warnings_name_the_file_written(cli, tmp_path: Path) -> None:
    """The kept take's warnings in --json name the file written, as the terminal does, never
    the deleted temporary copy ("0002-take03.wav" in /tmp/bland-clone-best-...)."""
    takes = folder(tmp_path / "one", halves("allison")[:4])
    out = tmp_path / "best.wav"
    r = cli("prepare", str(takes), "--best", "-o", str(out), "--json")
    assert r.code == 0, r.err
    warnings = r.json()["warnings"]
    assert warnings  # 2 s takes: too short, at least
    for w in warnings:
        assert w["file"] == str(out), w
        assert w["message"].startswith('File "best.wav": '), w

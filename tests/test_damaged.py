"""A file cut short (a copy that stopped, a download cut off) is damaged: it gets its decodable
length, one error line naming it and what is wrong, exit 1, and nothing is uploaded. FLAC and
Ogg are found from their headers and last bytes (validate --no-quality too); any format by the
decoded length where the audio is decoded (the analysis, clone, prepare). Intact files made by
ffmpeg, sox and libsndfile are never flagged. Files are cut from real speech (tests/data/speech);
the truth is what ffmpeg and sox decode of them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bland_clone.audio.inspection import inspect

from .servers import Service

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("sox") is None,
    reason="needs ffmpeg and sox (apt-get install ffmpeg sox)",
)

SPEECH = Path(__file__).parent / "data" / "speech"


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 s of one person's speech at 16 kHz (sox), as the trial's speech12.flac."""
    out = tmp_path_factory.mktemp("speech") / "speech12.wav"
    parts = [SPEECH / f"allison-{n}.flac" for n in (1, 2, 3)]
    subprocess.run(["sox", *map(str, parts), str(out)], check=True)
    return out


def _encode(src: Path, dst: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *args, str(dst)], check=True)
    return dst


def _cut(src: Path, dst: Path, size: int) -> Path:
    dst.write_bytes(src.read_bytes()[:size])
    return dst


def _decoded(path: Path, rate: int) -> float:
    """Seconds of audio ffmpeg decodes from the file (it stops at the damage)."""
    cmd = ["ffmpeg", "-v", "quiet", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate)]
    raw = subprocess.run([*cmd, "-"], capture_output=True).stdout
    return len(raw) / 2 / rate


def _sox_decoded(path: Path) -> float:
    raw = subprocess.run(["sox", str(path), "-t", "s16", "-c", "1", "-"], capture_output=True)
    return len(raw.stdout) / 2 / 16000


@pytest.fixture(scope="module")
def flac(speech: Path) -> Path:
    """The trial's file: 154,535 bytes of FLAC, 12 s (ffmpeg; sox makes the same frames)."""
    out = speech.with_name("speech12.flac")
    subprocess.run(["sox", str(speech), str(out)], check=True)
    return out


@pytest.mark.parametrize("size", [100, 30000, 60000, -9000])
def test_a_truncated_flac_is_damaged_with_what_decodes(
    cli, flac: Path, tmp_path: Path, size: int
) -> None:
    """Cut inside its headers, at a fifth, at two fifths, 9 KB before its end: its length is
    what ffmpeg and sox decode (the frames before the cut), and it is an error, headers only
    too. (The trial: 12.00 s and OK, 'quality not checked' with 2 s decodable, a 100-byte file
    uploaded and refused by the service.)"""
    raw = flac.read_bytes()
    cut = _cut(flac, tmp_path / "damaged.flac", size if size > 0 else len(raw) + size)
    truth = _decoded(cut, 16000)
    assert truth == _sox_decoded(cut) and truth < 11.5
    info = inspect(cut)
    assert info.duration == pytest.approx(truth, abs=1e-9)
    got = f"only {truth:.2f} s of audio" if truth else "no audio"
    line = f'File "damaged.flac" is damaged: its header says 12.00 s but {got} can be decoded'
    for extra in ((), ("--no-quality",)):
        r = cli("validate", cut, *extra)
        assert r.code == 1, r.out + r.err
        assert f"error: {line} (cut short?)\n" in r.out
        assert "quality not checked" not in r.out + r.err
        (row,) = [x for x in r.out.splitlines() if x.startswith(str(cut))]
        assert row.split("\t")[2] == f"{truth:.2f}s" and row.endswith("\terror")
    doc = cli("validate", cut, "--json").json()
    assert [e["code"] for e in doc["errors"]] == ["unreadable"]
    assert doc["files"][0]["duration"] == round(truth, 3)


def test_a_flac_cut_inside_its_last_long_frame_is_found(cli, speech: Path, tmp_path: Path) -> None:
    """At 8 kHz a 4608-sample frame (libFLAC's at 8 kHz) lasts 0.58 s: a cut inside the last
    one (3840 samples) loses more than the tolerance, and the last frame's CRC-16 tells (its
    header is there)."""
    src = _encode(speech, tmp_path / "narrow.flac", "-ar", "8000", "-frame_size", "4608")
    cut = _cut(src, tmp_path / "cut.flac", src.stat().st_size - 200)
    truth = _decoded(cut, 8000)
    assert truth == 12.0 - 3840 / 8000
    info = inspect(cut)
    assert info.duration == pytest.approx(truth) and info.error is not None
    assert "is damaged: its header says 12.00 s" in info.error


@pytest.mark.parametrize(("ext", "args"), [(".ogg", ["-c:a", "libvorbis"]), (".opus", [])])
def test_a_truncated_ogg_has_its_decodable_length_and_is_damaged(
    cli, speech: Path, tmp_path: Path, ext: str, args: list[str]
) -> None:
    """The trial's Ogg cut to 20000 bytes was reported as 5.38 s where ffprobe and sox decode
    4.02 s: the last page, cut short, states more than it holds."""
    src = _encode(speech, tmp_path / f"whole{ext}", *args)
    cut = _cut(src, tmp_path / f"cut{ext}", 20000)
    truth = _decoded(cut, 16000)
    info = inspect(cut)
    assert info.duration == pytest.approx(truth, abs=0.002)
    for extra in ((), ("--no-quality",)):
        r = cli("validate", cut, *extra)
        assert r.code == 1, r.out + r.err
        assert f'error: File "cut{ext}" is damaged: its last page says ' in r.out
        assert f"but only {truth:.2f} s of audio can be decoded (cut short?)" in r.out


def test_a_truncated_mp3_is_still_measured_right(cli, speech: Path, tmp_path: Path) -> None:
    """An MP3 has no stated length: its frames are counted, so a cut one is a shorter MP3."""
    src = _encode(speech, tmp_path / "whole.mp3")
    cut = _cut(src, tmp_path / "cut.mp3", 15000)
    truth = _decoded(cut, 16000)
    info = inspect(cut)
    assert info.error is None and abs((info.duration or 0) - truth) <= 1152 / 16000
    r = cli("validate", cut, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert not doc["errors"]
    assert "speech_length" in {w["code"].removeprefix("quality_") for w in doc["warnings"]}


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("whole.flac", []),
        ("sox.flac", None),
        ("whole.ogg", ["-c:a", "libvorbis"]),
        ("whole.opus", []),
        ("whole.mp3", []),
        ("whole.m4a", []),
        ("whole.webm", []),
        ("low.flac", ["-ar", "8000"]),
    ],
)
def test_an_intact_file_is_not_flagged(
    cli, speech: Path, tmp_path: Path, name: str, args: list[str] | None
) -> None:
    path = tmp_path / name
    if args is None:
        subprocess.run(["sox", str(speech), str(path)], check=True)
    else:
        _encode(speech, path, *args)
    info = inspect(path)
    assert info.error is None and info.duration == pytest.approx(12.0, abs=0.01)
    for extra in ((), ("--no-quality",)):
        r = cli("validate", path, "--json", *extra)
        assert r.code == 0, r.out + r.err
        assert r.json()["errors"] == []


@pytest.mark.parametrize(
    ("name", "args", "size"),
    [("cut.webm", [], 50000), ("cut.m4a", ["-movflags", "+faststart"], 50000)],
)
def test_a_container_cut_short_is_damaged_by_what_decodes(
    cli, service: Service, speech: Path, tmp_path: Path, name: str, args: list[str], size: int
) -> None:
    """A webm, or an m4a with its index first, cut short: the container states 12 s, the
    packets end at 5 s. Found where the audio is decoded (validate's analysis; clone converts
    it to WAV for the upload; prepare)."""
    src = _encode(speech, tmp_path / ("whole" + Path(name).suffix), *args)
    cut = _cut(src, tmp_path / name, size)
    truth = _decoded(cut, 48000)
    assert 3.0 < truth < 8.0
    line = f'File "{name}" is damaged: its header says 12.0'
    r = cli("validate", cut)
    assert r.code == 1 and f"error: {line}" in r.out, r.out + r.err
    said = float(r.out.split("but only ")[1].split(" s of audio can be decoded (cut short?)")[0])
    assert said == pytest.approx(truth, abs=0.015)  # Opus: FFmpeg's resampler to 16 kHz
    r = cli("clone", "--name", "Cut", cut)
    assert r.code == 1 and f"error: {line}" in r.err, r.err
    assert service.posts("/v1/voices/clone") == 0
    r = cli("prepare", cut, "-o", tmp_path / "sample.wav")
    assert r.code == 1 and f"error: {line}" in r.err, r.err
    assert not (tmp_path / "sample.wav").exists()


def test_clone_of_a_truncated_flac_sends_nothing(
    cli, service: Service, flac: Path, tmp_path: Path
) -> None:
    """The trial: `clone --name T damaged.flac` showed 12.00s and cloned it, exit 0."""
    cut = _cut(flac, tmp_path / "damaged.flac", 60000)
    line = (
        'File "damaged.flac" is damaged: its header says 12.00 s but only 4.35 s of audio '
        "can be decoded (cut short?)"
    )
    for extra in ((), ("--dry-run",)):
        r = cli("clone", "--name", "T", cut, *extra)
        assert r.code == 1, r.out + r.err
        assert f"error: {line}\n" in r.err
        assert "12.00s" not in r.out + r.err and "4.35s" in r.err  # the table's length
    r = cli("clone", "--name", "T", cut, "--json")
    assert r.code == 1
    assert [(e["code"], e["message"]) for e in r.json()["errors"]] == [("unreadable", line)]
    assert service.posts("/v1/voices/clone") == 0
    # and the 100-byte file the service refused ("too short (estimated 0.0s)") is refused here
    tiny = _cut(flac, tmp_path / "dmg100.flac", 100)
    r = cli("clone", "--name", "T", tiny)
    assert r.code == 1
    assert 'error: File "dmg100.flac" is damaged: its header says 12.00 s but no audio' in r.err
    assert service.posts("/v1/voices/clone") == 0


def test_a_flac_damaged_in_the_middle_is_damaged_not_unchecked(
    cli, flac: Path, tmp_path: Path
) -> None:
    """Its last frames are whole (the headers cannot tell), libsndfile loses sync at the damage
    and FFmpeg skips it: the audio that decodes in one piece is judged (1.28 s, the frames
    before the damage), where 'quality not checked: could not be decoded past the headers'
    was said; prepare refuses it too."""
    data = bytearray(flac.read_bytes())
    data[30000:31000] = bytes((b * 7 + 13) & 0xFF for b in data[30000:31000])
    mid = tmp_path / "mid.flac"
    mid.write_bytes(bytes(data))
    assert inspect(mid).error is None
    r = cli("validate", mid)
    assert r.code == 1, r.out + r.err
    assert (
        'error: File "mid.flac" is damaged: its header says 12.00 s but only 1.28 s of audio '
        "can be decoded (cut short?)"
    ) in r.out
    assert "quality not checked" not in r.out + r.err
    r = cli("prepare", mid, "-o", tmp_path / "sample.wav")
    assert r.code == 1 and 'error: File "mid.flac" is damaged' in r.err, r.err


@pytest.mark.parametrize(
    ("name", "codecs"),
    [("video.mkv", ["libvorbis", "mpeg4"]), ("video.webm", ["libopus", "libvpx"])],
)
def test_a_video_whose_picture_runs_past_its_sound_is_not_damaged(
    cli, speech: Path, tmp_path: Path, name: str, codecs: list[str]
) -> None:
    """Matroska/WebM give their streams no length of their own; the container's is the longest
    stream's. A recording whose picture runs on after 12 s of sound is not sound cut short."""
    path = tmp_path / name
    picture = ["-f", "lavfi", "-i", "testsrc=d=20:s=64x48:r=10"]
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(speech), *picture]
    subprocess.run([*cmd, "-c:a", codecs[0], "-c:v", codecs[1], str(path)], check=True)
    assert inspect(path).duration == pytest.approx(12.0, abs=0.1)
    for extra in ((), ("--no-quality",)):
        r = cli("validate", path, "--json", *extra)
        assert r.code == 0, r.out + r.err
        assert r.json()["errors"] == []
        assert r.json()["files"][0]["duration"] == pytest.approx(12.0, abs=0.1)

"""verify VOICE SAMPLE... and clone --verify, end to end through the CLI against the sandbox, on
real human speech (the sandbox's previews are cut from it: a faithful clone speaks in its
sample's voice, a stock voice as another person, and with clone_previews="other" a clone speaks
as a stock voice)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio import voiceprint as vp
from bland_clone.ops import verifying

from .conftest import serve
from .realspeech import load
from .servers import Service

TTS = "/v2/tts"


@pytest.fixture
def other(monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """The sandbox where a clone's previews come out in a stock voice's voice."""
    yield from serve(monkeypatch, clone_previews="other")


def speaker(name: str, clips_at_most: int = 3) -> tuple[np.ndarray, int]:
    """One speaker's clips in the real-speech corpus (4 s each), one after another."""
    clips = [c.samples() for c in load() if c.speaker == name][:clips_at_most]
    return np.concatenate([x for x, _ in clips]), clips[0][1]


@pytest.fixture
def take(tmp_path: Path) -> Path:
    """12 s of one real person reading (a LibriVox reader, three sentences)."""
    path = tmp_path / "take.wav"
    data, rate = speaker("austen-reader")
    sf.write(str(path), data, rate)
    return path


def _clone(cli, name: str, path: Path) -> str:
    r = cli("clone", "--name", name, path, "--json")
    assert r.code == 0, r.err
    return str(r.json()["voice_id"])


def _tts(service: Service) -> list[dict]:
    return [g for g in service.spoken() if g["endpoint"] == TTS]


def test_a_faithful_clone_is_similar(cli, service: Service, take: Path) -> None:
    voice_id = _clone(cli, "Reader", take)
    r = cli("verify", "Reader", take, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["ok"] is True and doc["verdict"] == "similar"
    assert doc["voice_id"] == voice_id and doc["name"] == "Reader"
    assert doc["similarity"] > 0.9
    assert doc["baseline"] < doc["similarity"] - verifying.MARGIN_SIMILAR
    assert doc["margin"] == pytest.approx(doc["similarity"] - doc["baseline"], abs=1e-3)
    stock = doc["stock_voices"]
    assert [s["name"] for s in stock] == ["Josh", "Maya"]  # the sandbox's stock voices, by name
    assert doc["baseline"] == pytest.approx(sum(s["similarity"] for s in stock) / 2, abs=1e-3)
    assert all(not s["cached"] for s in stock)
    assert doc["previews_requested"] == 3 and doc["samples"] == [str(take)]
    # what reached the service: one preview of the clone and one of each stock voice
    spoken = _tts(service)
    assert sorted(g["voice_id"] for g in spoken) == sorted(
        [voice_id] + [s["voice_id"] for s in stock]
    )
    assert {g["text"] for g in spoken} == {verifying.DEFAULT_TEXT}


def test_a_clone_that_came_out_as_someone_else_is_different(
    cli, other: Service, take: Path
) -> None:
    _clone(cli, "Reader", take)
    r = cli("verify", "Reader", take, "--json")
    assert r.code == 1, r.err
    doc = r.json()
    assert doc["ok"] is False and doc["verdict"] == "different"
    assert doc["similarity"] < vp.DIFFERENT_BELOW  # another person to the encoder
    assert abs(doc["margin"]) < 0.05  # no closer to the samples than the stock voices
    human = cli("verify", "Reader", take)
    assert human.code == 1 and "Verdict: different: " in human.out
    assert "'bland-clone validate' says what in them to fix" in human.err


def test_the_human_output_says_it_is_charged_and_never_verified(
    cli, service: Service, take: Path
) -> None:
    _clone(cli, "Reader", take)
    r = cli("verify", "Reader", take)
    assert r.code == 0, r.err
    assert (
        "Asking the service for 3 preview(s), charged: one of 'Reader' and 2 of stock voices ('Josh', 'Maya')."
        in r.err
    )
    lines = r.out.splitlines()
    assert lines[0].startswith("Similarity of 'Reader' to the samples: 0.9")
    assert lines[1].startswith("Baseline (stock voices: 'Josh' 0.")
    assert lines[2].startswith("Margin: +0.")
    assert lines[3].startswith("Verdict: similar: ")
    assert "verified" not in (r.out + r.err).lower()


def test_stock_previews_are_cached_and_not_asked_again(
    cli, service: Service, take: Path, isolated: Path
) -> None:
    voice_id = _clone(cli, "Reader", take)
    first = cli("verify", "Reader", take, "--json")
    assert first.code == 0, first.err
    cached = list((isolated / ".cache" / "bland-clone" / "previews").glob("*.wav"))
    assert len(cached) == 2
    before = len(_tts(service))
    second = cli("verify", "Reader", take, "--json")
    assert second.code == 0, second.err
    new = _tts(service)[before:]
    assert [g["voice_id"] for g in new] == [voice_id]  # only the clone's preview was asked
    doc = second.json()
    assert doc["previews_requested"] == 1
    assert all(s["cached"] for s in doc["stock_voices"])
    assert doc["baseline"] == pytest.approx(first.json()["baseline"], abs=1e-4)
    # another sentence is another key: asked again
    third = cli(
        "verify", "Reader", take, "--text", "Another sentence entirely, read slowly.", "--json"
    )
    assert third.code in (0, 1), third.err
    assert third.json()["previews_requested"] == 3


def test_text_and_language_reach_the_service(cli, service: Service, take: Path) -> None:
    _clone(cli, "Reader", take)
    text = "Hola, me llamo Lectora y leo estas palabras en voz alta para que se oiga mi voz."
    r = cli("verify", "Reader", take, "--text", text, "--language", "es", "--json")
    assert r.code in (0, 1), r.err
    assert r.json()["text"] == text and r.json()["language"] == "es"
    assert {(g["text"], g["language"]) for g in _tts(service)} == {(text, "es")}


def test_a_bad_language_is_refused_before_anything_is_sent(
    cli, service: Service, take: Path
) -> None:
    _clone(cli, "Reader", take)
    seen = len(service.faults.seen)
    r = cli("verify", "Reader", take, "--language", "english!")
    assert r.code == 2
    assert "--language must be a language code" in r.err
    assert len(service.faults.seen) == seen


def test_the_preview_can_be_kept_to_be_heard(
    cli, service: Service, take: Path, tmp_path: Path
) -> None:
    _clone(cli, "Reader", take)
    heard = tmp_path / "heard.wav"
    r = cli("verify", "Reader", take, "-o", heard, "--json")
    assert r.code == 0, r.err
    assert r.json()["preview"] == str(heard)
    assert sf.info(str(heard)).duration > 5
    seen = len(service.faults.seen)
    again = cli("verify", "Reader", take, "-o", heard)
    assert again.code == 1 and f"{heard} exists; use --force to overwrite it." in again.err
    mp3 = cli("verify", "Reader", take, "-o", tmp_path / "heard.mp3")
    assert mp3.code == 2 and "name the file .wav" in mp3.err
    assert len(service.faults.seen) == seen  # both refused before anything was sent
    assert cli("verify", "Reader", take, "-o", heard, "--force").code == 0


def test_a_voice_that_does_not_exist(cli, service: Service, take: Path) -> None:
    r = cli("verify", "Nobody", take)
    assert r.code == 1
    assert "No voice with id or name 'Nobody'." in r.err
    assert service.posts(TTS) == 0 and not service.spoken()


def test_a_sample_without_speech_is_one_line_and_nothing_is_charged(
    cli, service: Service, take: Path, tmp_path: Path
) -> None:
    _clone(cli, "Reader", take)
    quiet = tmp_path / "quiet.wav"
    rng = np.random.default_rng(3)
    sf.write(str(quiet), (0.001 * rng.standard_normal(16000 * 8)).astype(np.float32), 16000)
    seen = len(service.faults.seen)
    r = cli("verify", "Reader", quiet)
    assert r.code == 1
    assert r.err.count("\n") == 1 and r.err.startswith("error: ")
    assert 'File "quiet.wav" cannot be compared:' in r.err and "1 s at least" in r.err
    assert len(service.faults.seen) == seen  # not even the voice list was asked


def test_a_file_that_is_not_audio(cli, service: Service, tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    r = cli("verify", "Reader", bad)
    assert r.code == 1 and "notes.wav" in r.err
    assert not service.faults.seen


def test_dry_run_needs_no_key_and_sends_nothing(
    cli, service: Service, take: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BLAND_API_KEY")
    r = cli("verify", "Reader", take, "--dry-run")
    assert r.code == 0, r.err
    assert f"Would ask {service.url} for a preview of 'Reader': charged." in r.out
    assert "stock voices' previews too (charged)" in r.out
    assert "s of speech in 1 file." in r.out
    assert "Dry run: nothing was sent." in r.err
    assert not service.faults.seen
    doc = cli("verify", "Reader", take, "--dry-run", "--json").json()
    assert doc["dry_run"] is True and doc["stock_voices"] is None
    assert doc["previews_requested"] is None and doc["speech_seconds"] > 5


def test_dry_run_with_a_key_looks_the_voices_up_for_free(cli, service: Service, take: Path) -> None:
    voice_id = _clone(cli, "Reader", take)
    assert cli("verify", "Reader", take).code == 0
    posts = service.posts(TTS)
    r = cli("verify", "Reader", take, "--dry-run", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["voice_id"] == voice_id and doc["previews_requested"] == 1
    assert [(s["name"], s["cached"]) for s in doc["stock_voices"]] == [
        ("Josh", True),
        ("Maya", True),
    ]
    assert service.posts(TTS) == posts
    missing = cli("verify", "Nobody", take, "--dry-run")
    assert missing.code == 1 and "No voice with id or name 'Nobody'." in missing.err


def test_a_failed_stock_preview_leaves_it_out_of_the_baseline(
    cli, service: Service, take: Path
) -> None:
    _clone(cli, "Reader", take)
    service.faults.add("POST", TTS, passthrough=True)  # the clone's own preview
    body = json.dumps({"error": {"code": "invalid_request", "message": "Voice unavailable"}})
    service.faults.add(
        "POST", TTS, status=400, body=body.encode(), headers={"Content-Type": "application/json"}
    )
    r = cli("verify", "Reader", take, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert [s["name"] for s in doc["stock_voices"]] == ["Maya"]
    assert "warning: The stock voice 'Josh' was left out of the baseline:" in r.err
    assert "Voice unavailable" in r.err


def test_a_damaged_cached_preview_is_left_out_and_asked_again_next_time(
    cli, service: Service, take: Path, isolated: Path
) -> None:
    _clone(cli, "Reader", take)
    assert cli("verify", "Reader", take).code == 0
    cached = sorted((isolated / ".cache" / "bland-clone" / "previews").glob("*.wav"))
    cached[0].write_bytes(b"RIFF....WAVEjunk")
    r = cli("verify", "Reader", take, "--json")
    assert r.code == 0, r.err
    assert len(r.json()["stock_voices"]) == 1 and "was left out of the baseline" in r.err
    again = cli("verify", "Reader", take, "--json")
    assert again.json()["previews_requested"] == 2 and len(again.json()["stock_voices"]) == 2


def test_a_silent_preview_from_the_service_is_not_compared(
    cli, service: Service, take: Path, tmp_path: Path
) -> None:
    import io

    _clone(cli, "Reader", take)
    silent = io.BytesIO()
    sf.write(silent, np.zeros(16000 * 5, np.float32), 16000, format="WAV", subtype="PCM_16")
    service.faults.add(
        "POST", TTS, status=200, body=silent.getvalue(), headers={"Content-Type": "audio/wav"}
    )
    r = cli("verify", "Reader", take)
    assert r.code == 1
    assert "error: The service's preview of 'Reader' cannot be compared: 0.0 s of speech" in r.err
    assert "Verdict" not in r.out


def test_clone_verify_reports_the_verdict_and_keeps_exit_0(
    cli, service: Service, take: Path
) -> None:
    r = cli("clone", "--name", "Reader", take, "--verify", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["ok"] is True and doc["voice_id"]
    assert doc["verify"]["verdict"] == "similar" and doc["verify"]["voice_id"] == doc["voice_id"]
    human = cli("clone", "--name", "Reader 2", take, "--verify")
    assert human.code == 0, human.err
    assert "Cloned voice 'Reader 2'" in human.out and "Verdict: similar: " in human.out


def test_clone_verify_says_the_voice_is_made_before_asking_for_previews(
    service: Service, take: Path
) -> None:
    """On a terminal the lines come in the order things happen: the clone's line, then the
    charged previews being asked for, then the verdict."""
    from .ptys import run_on_tty, service_env

    code, screen = run_on_tty(
        ["clone", "--name", "Ordered", str(take), "--verify"], service_env(service)
    )
    assert code == 0, screen
    made, asking = screen.index("Cloned voice 'Ordered'"), screen.index("Asking the service for")
    assert made < asking < screen.index("Verdict: ")
    assert screen.count("Cloned voice") == 1


def test_clone_verify_says_different_and_keeps_the_voice(cli, other: Service, take: Path) -> None:
    r = cli("clone", "--name", "Reader", take, "--verify", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["verify"]["verdict"] == "different" and doc["verify"]["ok"] is False
    assert len(other.voices_named("Reader")) == 1


def test_clone_verify_that_fails_is_a_warning_with_the_voice_id(
    cli, service: Service, take: Path
) -> None:
    service.faults.add("POST", TTS, status=500, body=b"boom", times=10)
    r = cli("clone", "--name", "Reader", take, "--verify", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["verify"]["ok"] is False and doc["verify"]["error"]
    assert f"warning: The voice {doc['voice_id']} was created, but verify failed:" in r.err
    assert len(service.voices_named("Reader")) == 1


def test_clone_verify_without_speech_uploads_nothing(cli, service: Service, tmp_path: Path) -> None:
    hiss = tmp_path / "hiss.wav"
    rng = np.random.default_rng(5)
    sf.write(str(hiss), (0.001 * rng.standard_normal(16000 * 10)).astype(np.float32), 16000)
    r = cli("clone", "--name", "Hiss", hiss, "--verify")
    assert r.code == 1
    # clone's quality check (validate's) refuses it before verify's voiceprint is taken
    checked = cli("validate", hiss, "--json")
    assert checked.code == 1 and checked.json()["errors"]
    for e in checked.json()["errors"]:
        assert f"error: {e['message']}" in r.err, r.err
    assert service.posts("/v1/voices/clone") == 0


def test_clone_verify_dry_run_says_what_follows(cli, take: Path) -> None:
    r = cli("clone", "--name", "Reader", take, "--verify", "--dry-run")
    assert r.code == 0, r.err
    assert "Then verify: previews of the new voice and of stock voices (charged;" in r.out


def test_the_sandbox_speaks_like_the_truth_for_every_speaker_of_the_corpus() -> None:
    """For each of the corpus's people: a clone's preview is the same voice, each stock voice
    another (below the similar threshold), and a clone in the other-voice mode is different."""
    import io

    from bland_clone.sandbox import previews

    names = sorted({c.speaker for c in load()})
    assert len(names) >= 10
    stock = ["Maya", "Josh"]
    for name in names:
        x, rate = speaker(name, 2)
        buf = io.BytesIO()
        sf.write(buf, x, rate, format="WAV")
        upload = buf.getvalue()
        mine = vp.embed(x, rate)

        def score(p: np.ndarray | None, mine: np.ndarray = mine) -> float:
            assert p is not None
            return vp.similarity(vp.embed(p, 24000), mine)

        own = score(previews.passage("Clone", [upload], None, 24000))
        others = [score(previews.passage(s, [], upload, 24000)) for s in stock]
        wrong = score(
            previews.passage("Clone", [upload], None, 24000, speak_as=previews.stand_in(stock))
        )
        assert own > 0.95, name
        assert max(others) < vp.SIMILAR_AT, (name, others)
        baseline = sum(others) / len(others)
        assert verifying.verdict(own, baseline) == "similar", (name, own, baseline)
        assert verifying.verdict(wrong, baseline) == "different", (name, wrong, baseline)


def test_the_verdict_weighs_the_threshold_and_the_margin() -> None:
    hi, lo = vp.SIMILAR_AT + 0.05, vp.DIFFERENT_BELOW - 0.01
    assert verifying.verdict(hi, hi - verifying.MARGIN_SIMILAR - 0.01) == "similar"
    # close to the samples, but not clearly closer than the stock voices: unclear
    assert verifying.verdict(hi, hi - verifying.MARGIN_SIMILAR + 0.02) == "unclear"
    # no closer than the stock voices: different, however high the similarity
    assert verifying.verdict(0.95, 0.96) == "different"
    assert verifying.verdict(lo, 0.2) == "different"
    between = (vp.SIMILAR_AT + vp.DIFFERENT_BELOW) / 2
    assert verifying.verdict(between, 0.3) == "unclear"
    assert verifying.verdict(hi, None) == "unclear"  # no baseline: never similar


def test_the_sandbox_option_is_checked(cli) -> None:
    r = cli("sandbox", "--clone-previews", "someone", "--port", "0")
    assert r.code == 2 and "--clone-previews must be own or other" in r.err


def test_json_keys(cli, service: Service, take: Path) -> None:
    _clone(cli, "Reader", take)
    doc = json.loads(cli("verify", "Reader", take, "--json").out)
    assert set(doc) >= {
        "ok",
        "voice_id",
        "name",
        "verdict",
        "similarity",
        "baseline",
        "margin",
        "stock_voices",
        "text",
        "language",
        "samples",
        "speech_seconds",
        "previews_requested",
        "cost",
        "errors",
    }

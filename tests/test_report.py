"""validate --report and prepare --report: the page opened in a real browser (headless
Chromium), checked as a person would look at it: it loads offline with no error, each take's
verdict is there as text, the marks sit where the analysis put them, the players play the
takes, and a hostile file name is only text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from bland_clone.audio import quality
from bland_clone.audio.inspection import inspect

from .audiofiles import speech_like
from .browser import launch, load

RATE = 44100


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


HOSTILE = "<script>alert(1)<script>.wav"


def _write(path: Path, x: np.ndarray, rate: int = RATE) -> Path:
    sf.write(path, x, rate, subtype="PCM_16")
    return path


def _silence(seconds: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(int(seconds * rate), np.float32)


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of takes: clean, one with a silent start and a clipped burst at 5.0 s, a quiet
    one, a refused (too short) one, and a clean one under a hostile name."""
    d = tmp_path_factory.mktemp("takes")
    clean = np.concatenate([_silence(0.3), speech_like(12.0, RATE, seed=1), _silence(0.3)])
    _write(d / "clean.wav", clean)
    faulty = np.concatenate([_silence(2.0), speech_like(11.0, RATE, seed=2), _silence(1.5)])
    faulty[5 * RATE : 5 * RATE + 800] = 1.0  # a clipped burst at 5.00 s
    _write(d / "faulty.wav", faulty)
    _write(d / "quiet.wav", np.concatenate([_silence(0.3), speech_like(12.0, RATE, level=0.012)]))
    _write(d / "short.wav", speech_like(0.6, RATE))
    _write(d / HOSTILE, speech_like(11.0, RATE, seed=3))
    return d


def _dom_takes(loaded) -> list[dict]:
    return loaded.js(
        """() => [...document.querySelectorAll('article.take')].map(a => {
          const svg = a.querySelector('svg.picture');
          const box = svg ? svg.getBoundingClientRect() : null;
          const audio = a.querySelector('audio');
          return {
            name: a.querySelector('.name').textContent,
            verdict: a.dataset.verdict,
            verdictText: a.querySelector('.verdict') ? a.querySelector('.verdict').innerText : '',
            seconds: svg ? parseFloat(svg.dataset.seconds) : null,
            audio: audio ? audio.duration : null,
            causes: [...a.querySelectorAll('li.cause')].map(li => li.dataset.code),
            marks: svg ? [...svg.querySelectorAll('[data-kind]')].map(r => {
              const b = r.getBoundingClientRect();
              return {kind: r.dataset.kind, start: parseFloat(r.dataset.start),
                      end: parseFloat(r.dataset.end), left: (b.left - box.left) / box.width};
            }) : [],
          };
        })"""
    )


def _analysed(path: Path):
    q, _ = quality.check(inspect(str(path)))
    return q


def test_a_folder_report_opens_offline_with_every_take_verdict_and_mark(
    cli, browser, takes: Path, tmp_path: Path
) -> None:
    page = tmp_path / "takes.html"
    r = cli("validate", str(takes), "--each", "--report", str(page), "--json")
    assert r.code == 0, r.err
    doc = r.json()
    verdicts = {f["path"]: f["verdict"] for f in doc["files"]}
    assert set(verdicts.values()) == {"ok", "warning", "error"}

    loaded = load(browser, page)
    assert loaded.errors == []
    assert loaded.network == []  # nothing but the page and its data: URIs
    shown = _dom_takes(loaded)
    assert shown[0]["name"] == doc["best"]  # ranked, best first
    assert {t["name"] for t in shown} == set(verdicts)
    words = {"ok": "accepted", "warning": "accepted, with warnings", "error": "refused"}
    for t in shown:
        assert t["verdict"] == verdicts[t["name"]]
        assert f"Verdict: {words[t['verdict']]}" in t["verdictText"]  # as text, for a reader
        mine = [p["code"] for p in doc["warnings"] + doc["errors"] if p.get("file") == t["name"]]
        assert t["causes"] == mine
        # the player plays the take (a refused one too): its length, whatever its encoding
        length = sf.info(t["name"]).duration
        assert t["audio"] == pytest.approx(length, abs=0.03)
        if t["verdict"] == "error":
            assert t["marks"] == []  # refused: its sound is not analysed
            continue
        # the marks are the analysis' spans, drawn at their time
        q = _analysed(Path(t["name"]))
        tl = q.timeline
        want = sorted((s.kind, s.start_s, s.end_s) for s in tl.spans)
        if tl.window:
            want = sorted([*want, ("keep", *tl.window)])
        got = sorted((m["kind"], m["start"], m["end"]) for m in t["marks"])
        assert got == want
        for m in t["marks"]:
            assert m["left"] == pytest.approx(m["start"] / t["seconds"], abs=0.003)

    faulty = next(t for t in shown if t["name"].endswith("faulty.wav"))
    clipped = [m for m in faulty["marks"] if m["kind"] == "clipped"]
    assert clipped and all(abs(m["start"] - 5.0) < 0.05 for m in clipped)
    edges = sorted((m["start"], m["end"]) for m in faulty["marks"] if m["kind"] == "edge_silence")
    assert edges[0] == pytest.approx((0.0, 2.0), abs=0.05)
    assert edges[1][1] == pytest.approx(14.5, abs=0.05) and edges[1][0] < 13.1
    quiet = next(t for t in shown if t["name"].endswith("quiet.wav"))
    assert "quality_too_quiet" in quiet["causes"]
    assert [m for m in quiet["marks"] if m["kind"] == "quiet"]

    # the hostile name is text: shown whole, and no script of it ran or exists
    hostile = [t for t in shown if t["name"].endswith(HOSTILE)]
    assert len(hostile) == 1
    assert loaded.js("() => document.querySelectorAll('script').length") == 1
    text = loaded.js("() => document.body.innerText")
    assert HOSTILE in text


def test_the_page_reads_on_a_phone_in_dark_mode(cli, browser, takes: Path, tmp_path: Path) -> None:
    page = tmp_path / "takes.html"
    assert cli("validate", str(takes), "--each", "--report", str(page)).code == 0
    loaded = load(browser, page, width=380, dark=True)
    assert loaded.errors == []
    wide = loaded.js("() => document.documentElement.scrollWidth")
    assert wide <= 380  # nothing wider than the phone (the ranking table scrolls in its box)
    bg = loaded.js("() => getComputedStyle(document.body).backgroundColor")
    r, g, b = (int(x) for x in re.findall(r"\d+", bg)[:3])
    assert r + g + b < 150  # dark


def test_ten_takes_make_a_page_under_two_megabytes(cli, browser, tmp_path: Path) -> None:
    d = tmp_path / "ten"
    d.mkdir()
    for i in range(10):
        x = np.concatenate(
            [_silence(0.5, 48000), speech_like(14.0, 48000, seed=i), _silence(0.5, 48000)]
        )
        _write(d / f"take{i:02d}.wav", x, 48000)  # 15 s, 1.4 MB each
    page = tmp_path / "ten.html"
    assert cli("validate", str(d), "--each", "--report", str(page)).code == 0
    from bland_clone.report import media

    assert page.stat().st_size <= media.PAGE_CAP < 2_000_000
    loaded = load(browser, page)
    assert loaded.errors == [] and loaded.network == []
    shown = _dom_takes(loaded)
    assert len(shown) == 10
    for t in shown:
        assert t["audio"] == pytest.approx(15.0, abs=0.03)
    notes = loaded.js(
        "() => [...document.querySelectorAll('.player .note')].map(n => n.textContent)"
    )
    assert all("Embedded as Opus" in n and "under 1.9 MB" in n for n in notes)  # and says so


def test_report_link_plays_the_file_beside_the_page(
    cli, browser, takes: Path, tmp_path: Path
) -> None:
    """Linked relative to the page, even under a name with a byte that is not UTF-8."""
    import os
    import shutil

    page = tmp_path / "linked.html"
    folder = tmp_path / "odd"
    folder.mkdir()
    take = Path(os.fsdecode(bytes(folder) + b"/take \xff.wav"))
    shutil.copy(takes / "clean.wav", take)
    assert cli("validate", str(take), "--report", str(page), "--report-link").code == 0
    assert page.stat().st_size < 100_000  # nothing embedded
    loaded = load(browser, page)
    assert loaded.errors == []
    assert loaded.network == [take.resolve().as_uri()]  # the take itself, and nothing else
    (t,) = _dom_takes(loaded)
    assert t["name"] == str(folder / "take \\udcff.wav")  # the byte shown escaped, as text
    assert t["audio"] == pytest.approx(sf.info(str(takes / "clean.wav")).duration, abs=0.01)


def test_a_take_too_long_to_send_is_shown_not_embedded(cli, tmp_path: Path) -> None:
    long = _write(tmp_path / "long.wav", speech_like(70.0, 48000), 48000)  # 6.7 MB
    page = tmp_path / "long.html"
    r = cli("validate", str(long), "--each", "--report", str(page))
    assert r.code == 1  # refused: too long
    html = page.read_text()
    assert "Not embedded: the file is too long; --report-link plays it." in html
    assert "refused" in html and "<audio" not in html


def test_a_prepared_take_report(cli, browser, takes: Path, tmp_path: Path) -> None:
    out = tmp_path / "sample.wav"
    page = tmp_path / "sample.html"
    r = cli("prepare", str(takes / "faulty.wav"), "-o", str(out), "--report", str(page), "--json")
    assert r.code == 0, r.err
    done = r.json()["outputs"][0]
    loaded = load(browser, page)
    assert loaded.errors == [] and loaded.network == []
    (t,) = _dom_takes(loaded)
    assert t["name"] == str(out)
    assert t["verdict"] == r.json()["files"][0]["verdict"]
    assert t["audio"] == pytest.approx(done["output_seconds"], abs=0.01)  # the file itself
    text = loaded.js("() => document.querySelector('ul.notes').innerText")
    assert f"kept {done['output_seconds']:.1f}s starting at {done['window_start_s']:.1f}s" in text
    # the recording it was cut from, with the window kept shaded where prepare took it
    strip = loaded.js(
        """() => { const svg = document.querySelector('svg.sourcestrip');
          const r = svg.querySelector('[data-kind="source-keep"]');
          const a = svg.getBoundingClientRect(), b = r.getBoundingClientRect();
          return {start: parseFloat(r.dataset.start), end: parseFloat(r.dataset.end),
                  seconds: parseFloat(svg.dataset.seconds),
                  left: (b.left - a.left) / a.width, right: (b.right - a.left) / a.width}; }"""
    )
    assert strip["start"] == pytest.approx(done["window_start_s"], abs=1e-3)
    assert strip["end"] == pytest.approx(done["window_start_s"] + done["output_seconds"], abs=1e-3)
    assert strip["seconds"] == pytest.approx(done["source_seconds"], abs=1e-3)
    assert strip["left"] == pytest.approx(strip["start"] / strip["seconds"], abs=0.003)
    assert strip["right"] == pytest.approx(strip["end"] / strip["seconds"], abs=0.003)
    note = loaded.js("() => document.querySelector('.player .note').textContent")
    assert note == "Embedded: the file itself."


def test_the_window_drawn_is_the_window_prepare_keeps(takes: Path, tmp_path: Path) -> None:
    from bland_clone.audio.prepare import prepare_file

    for name in ("clean.wav", "faulty.wav", "quiet.wav"):
        q = _analysed(takes / name)
        done = prepare_file(str(takes / name), str(tmp_path / name))
        start, end = q.timeline.window
        assert start == pytest.approx(done.window_start_s, abs=0.021)
        assert end == pytest.approx(done.window_start_s + done.output_seconds, abs=0.021)


@pytest.mark.parametrize(
    "args, code, said",
    [
        (["--report", "take.wav"], 2, "--report writes an HTML page: name it .html"),
        (["--report-link"], 2, "--report-link goes with --report PAGE.html"),
        (["--report", "missing/page.html"], 1, "does not exist"),
    ],
)
def test_report_options_are_checked_first(
    cli, takes: Path, tmp_path: Path, args, code, said
) -> None:
    args = [a if not a.endswith(("html", ".wav")) else str(tmp_path / a) for a in args]
    r = cli("validate", str(takes / "clean.wav"), *args)
    assert r.code == code
    assert said in r.err
    assert not list(tmp_path.glob("*.wav")) and not list(tmp_path.glob("*.html"))


def test_a_verification_page_puts_the_sample_and_the_preview_side_by_side(
    browser, tmp_path: Path
) -> None:
    from bland_clone.report import verify_page, write

    sample = np.concatenate([_silence(0.4, 24000), speech_like(11.0, 24000, seed=4)])
    preview = speech_like(6.5, 44100, seed=5, level=0.2)
    page = tmp_path / "verify.html"
    write(
        str(page),
        verify_page(
            voice="Ada <script>",
            sample=("take <b>1</b>.wav", sample, 24000),
            preview=("preview.mp3", preview, 44100),
            similarity=0.8123,
            baseline=0.7,
            margin=0.1123,
            verdict="sounds like the sample",
            explanation="Similarity above the baseline by more than the margin.",
        ),
    )
    assert page.stat().st_size < 2_000_000
    for width, side_by_side in ((1200, True), (380, False)):
        loaded = load(browser, page, width=width)
        assert loaded.errors == [] and loaded.network == []
        got = loaded.js(
            """() => ({
              title: document.querySelector('h1').textContent,
              verdict: document.querySelector('.verdictbox .verdict').innerText,
              numbers: [...document.querySelectorAll('.numbers dd')].map(d => [
                d.previousElementSibling.textContent, parseFloat(d.dataset.value), d.textContent]),
              takes: [...document.querySelectorAll('article.take')].map(a => {
                const b = a.getBoundingClientRect();
                return {name: a.querySelector('.name').textContent, top: b.top, left: b.left,
                        audio: a.querySelector('audio').duration,
                        marks: a.querySelectorAll('[data-kind="speech"]').length};
              }),
              scripts: document.querySelectorAll('script').length,
            })"""
        )
        assert got["title"] == "Verification of Ada <script>" and got["scripts"] == 1
        assert got["verdict"] == "Verdict: sounds like the sample"
        assert got["numbers"] == [
            ["Similarity", 0.8123, "0.812"],
            ["Baseline", 0.7, "0.700"],
            ["Margin", 0.1123, "+0.112"],
        ]
        a, b = got["takes"]
        assert (
            a["name"] == "Sample: take <b>1</b>.wav" and b["name"] == "Clone preview: preview.mp3"
        )
        assert a["audio"] == pytest.approx(len(sample) / 24000, abs=0.03)
        assert b["audio"] == pytest.approx(len(preview) / 44100, abs=0.03)
        assert a["marks"] and b["marks"]  # each analysed: its speech marked
        if side_by_side:
            assert a["top"] == b["top"] and a["left"] < b["left"]
        else:
            assert a["left"] == b["left"] and a["top"] < b["top"]


def test_verify_report_puts_the_sample_and_the_preview_heard_side_by_side(
    cli, service, browser, tmp_path: Path
) -> None:
    """verify --report against the sandbox, on a real person's reading: the page shows the
    sample and the very preview that was compared, with verify's numbers and verdict."""
    from .realspeech import load as speech

    clips = [c.samples() for c in speech() if c.speaker == "austen-reader"]
    take = _write(tmp_path / "take.wav", np.concatenate([x for x, _ in clips]), clips[0][1])
    assert cli("clone", "--name", "Reader", take, "--json").code == 0
    page, heard = tmp_path / "verify.html", tmp_path / "heard.wav"
    r = cli("verify", "Reader", take, "-o", heard, "--report", page, "--json")
    assert r.code == 0, r.err
    doc = r.json()
    loaded = load(browser, page)
    assert loaded.errors == [] and loaded.network == []
    got = loaded.js(
        """() => ({
          verdict: document.querySelector('.verdictbox .verdict').innerText,
          numbers: [...document.querySelectorAll('.numbers dd')].map(d => parseFloat(d.dataset.value)),
          names: [...document.querySelectorAll('article.take .name')].map(n => n.textContent),
          audio: [...document.querySelectorAll('article.take audio')].map(a => a.duration),
        })"""
    )
    assert got["verdict"] == f"Verdict: {doc['verdict']}"
    assert got["numbers"] == [
        pytest.approx(doc["similarity"], abs=1e-4),
        pytest.approx(doc["baseline"], abs=1e-4),
        pytest.approx(doc["margin"], abs=1e-4),
    ]
    assert got["names"] == [f"Sample: {take}", f"Clone preview: {heard}"]
    assert got["audio"][0] == pytest.approx(sf.info(str(take)).duration, abs=0.03)
    assert got["audio"][1] == pytest.approx(sf.info(str(heard)).duration, abs=0.03)
    # a report that cannot be written is refused before any preview is asked (charged)
    asked = len(service.spoken())
    bad = cli("verify", "Reader", take, "--report", tmp_path / "page.wav")
    assert bad.code == 2 and len(service.spoken()) == asked


def test_validate_without_report_never_loads_jinja2(takes: Path) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import sys\nfrom bland_clone.__main__ import main\n"
        f"rc = main(['validate', {str(takes / 'clean.wav')!r}])\n"
        "print(rc, 'jinja2' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ)
    )
    assert proc.stdout.strip().splitlines()[-1] == "0 False", proc.stdout + proc.stderr


def test_thirty_takes_keep_the_page_under_its_cap_and_say_so(cli, tmp_path: Path) -> None:
    from bland_clone.report import media

    d = tmp_path / "thirty"
    d.mkdir()
    for i in range(30):
        _write(d / f"take{i:02d}.wav", speech_like(15.0, 16000, seed=i), 16000)
    page = tmp_path / "thirty.html"
    assert cli("validate", str(d), "--each", "--report", str(page)).code == 0
    html = page.read_text()
    assert len(html.encode()) <= media.PAGE_CAP
    assert html.count("<article") == 30
    said = "Not embedded: the page stays under 1.9 MB; --report-link plays the files themselves."
    assert html.count(said) + html.count("Embedded as Opus") == 30 and said in html


def test_a_click_on_a_picture_plays_from_there(cli, browser, takes: Path, tmp_path: Path) -> None:
    page = tmp_path / "one.html"
    assert cli("validate", str(takes / "clean.wav"), "--report", str(page)).code == 0
    loaded = load(browser, page)
    box = loaded.page.locator("svg.picture").bounding_box()
    loaded.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    at = loaded.js("() => document.querySelector('audio').currentTime")
    seconds = float(loaded.js("() => document.querySelector('svg.picture').dataset.seconds"))
    assert at == pytest.approx(seconds / 2, abs=0.3)
    loaded.page.wait_for_function(
        "() => document.querySelector('.take').classList.contains('playing')"
    )
    assert loaded.errors == []

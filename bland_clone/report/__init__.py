"""One self-contained HTML page showing takes: each one's waveform and spectrogram, where its
speech, its faults and the window prepare would keep sit, its verdict and every cause, and a
player. No network: pictures are inline SVG and a PNG in a data: URI, the audio is embedded
(or linked relative to the page), the style and the one small script are in the page, and a
Content-Security-Policy forbids loading anything else.

Jinja2 (with autoescape: every file name and message is escaped) is imported only when a
report is made. The pictures come from :class:`bland_clone.audio.timeline.Timeline`, the data
the terminal's waveform is drawn from too.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..audio.quality import analyse
from ..audio.timeline import FAULT_CODES
from ..core.errors import UsageError
from ..core.files import check_writable, write_file
from ..core.safetext import clean, one_line
from ..core.units import fmt_duration, fmt_size
from . import media, png

if TYPE_CHECKING:
    import numpy as np

    from ..audio.inspection import AudioInfo
    from ..audio.prepare import Prepared
    from ..audio.quality import Quality
    from ..audio.timeline import Timeline
    from ..audio.verdict import Report

#: The picture's coordinates (SVG viewBox units): its width, and the bands top to bottom.
WIDTH = 1000
WAVE = (0, 80)
SPECTRUM = (84, 164)
SPEECH_LANE = (168, 176)
KEEP_LANE = (180, 188)
HEIGHT = 190

LABELS = {
    "speech": "speech",
    "clipped": "clipped",
    "quiet": "speech too quiet",
    "edge_silence": "silence at the edge",
}


@dataclass(frozen=True)
class Mark:
    """A marked span in picture units, with its seconds."""

    kind: str
    label: str
    start_s: float
    end_s: float
    x: float
    width: float


@dataclass(frozen=True)
class Picture:
    """What the template draws for one take."""

    seconds: float
    wave_path: str
    marks: list[Mark]
    speech: list[Mark]
    keep: Mark | None
    spectrum_png: str | None
    top_khz: float
    description: str
    ticks: list[str]


@dataclass(frozen=True)
class Cause:
    severity: str
    code: str
    message: str
    #: the fault kind whose places are marked for this cause, and how many there are
    kind: str | None = None
    places: int = 0


@dataclass(frozen=True)
class Source:
    """The recording a prepared take was cut from: its loudness, and the window kept."""

    name: str
    start_s: float
    seconds: float
    level_path: str
    keep: Mark


def source_of(prepared: Prepared) -> Source | None:
    """The source strip of a take prepare made (bland_clone.audio.prepare.Prepared)."""
    levels = prepared.overview
    seconds = prepared.source_seconds
    if not levels or seconds <= 0:
        return None
    top = max(levels)
    floor = top - 60.0
    n = len(levels)
    points = [
        f"{WIDTH * (i + 0.5) / n:.1f} {40 - 38 * max(0.0, (v - floor) / 60.0):.1f}"
        for i, v in enumerate(levels)
    ]
    path = f"M0 40L{'L'.join(points)}L{WIDTH} 40Z"
    start = prepared.window_start_s - prepared.overview_start_s
    keep = _mark("keep", start, start + prepared.output_seconds, seconds)
    keep = replace(
        keep, start_s=prepared.window_start_s, end_s=keep.end_s + prepared.overview_start_s
    )
    return Source(one_line(prepared.input), prepared.overview_start_s, seconds, path, keep)


@dataclass(frozen=True)
class Sound:
    """One take on the page: what the template shows of it."""

    key: str
    name: str
    verdict: str
    picture: Picture | None
    audio: media.Audio | None
    causes: list[Cause] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rank: int | None = None
    best: bool = False
    source: Source | None = None


def _x(t: float, seconds: float) -> float:
    return round(WIDTH * t / seconds, 2) if seconds > 0 else 0.0


def _mark(kind: str, start: float, end: float, seconds: float) -> Mark:
    x = _x(start, seconds)
    return Mark(kind, LABELS.get(kind, kind), start, end, x, round(_x(end, seconds) - x, 2))


def _fmt_s(t: float) -> str:
    return f"{t:.1f} s" if t < 60 else f"{int(t // 60)}:{t % 60:04.1f}"


def picture(tl: Timeline, name: str, *, keep: bool = True) -> Picture:
    """The drawing of a timeline: an envelope path, the marked spans, the spectrogram PNG."""

    seconds = max(tl.seconds, 1e-6)
    n = tl.columns
    mid, amp = (WAVE[0] + WAVE[1]) / 2, (WAVE[1] - WAVE[0]) / 2 - 1
    top, bottom = [], []
    for i in range(n):
        lo, hi = tl.column(i)
        x = round(WIDTH * (i + 0.5) / n, 1)
        top.append(f"{x:g} {mid - hi * amp:.1f}")
        bottom.append(f"{x:g} {mid - lo * amp + 0.3:.1f}")  # at least a hairline
    path = ("M" + "L".join(top + bottom[::-1]) + "Z") if n else ""
    marks = [_mark(s.kind, s.start_s, s.end_s, seconds) for s in tl.faults]
    speech = [_mark("speech", s.start_s, s.end_s, seconds) for s in tl.of("speech")]
    kept = _mark("keep", *tl.window, seconds) if tl.window and keep else None
    spectrum = None
    top_khz = 0.0
    if tl.spectrum is not None:
        sp = tl.spectrum
        data = png.encode(sp.columns, sp.rows, sp.cells)
        spectrum = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        top_khz = sp.top_hz / 1000
    said = [f"{len(speech)} stretches of speech"]
    if kept is not None:
        said.append(f"prepare would keep {_fmt_s(kept.start_s)} to {_fmt_s(kept.end_s)}")
    for kind in ("clipped", "quiet", "edge_silence"):
        found = [m for m in marks if m.kind == kind]
        if found:
            where = ", ".join(f"{_fmt_s(m.start_s)}–{_fmt_s(m.end_s)}" for m in found[:5])
            more = f" and {len(found) - 5} more" if len(found) > 5 else ""
            said.append(f"{LABELS[kind]} at {where}{more}")
    description = f"Waveform and spectrogram of {name}, {_fmt_s(tl.seconds)}: " + "; ".join(said)
    ticks = [_fmt_s(tl.seconds * k / 4) for k in range(5)]
    return Picture(
        seconds=tl.seconds,
        wave_path=path,
        marks=marks,
        speech=speech,
        keep=kept,
        spectrum_png=spectrum,
        top_khz=top_khz,
        description=description,
        ticks=ticks,
    )


def _facts(info: AudioInfo | None, q: Quality | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if info is not None:
        fmt = " ".join(x for x in (info.format, info.subtype) if x) or "-"
        out += [
            ("Format", fmt),
            ("Length", fmt_duration(info.duration)),
            ("Size", fmt_size(info.size)),
        ]
        if info.samplerate:
            out.append(("Rate", f"{info.samplerate} Hz, {info.channels or 1} ch"))
    if q is not None:
        out += [
            ("Take", f"{q.take_seconds:.1f} s (speech {q.speech_seconds:.1f} s)"),
            ("Speech level", f"{q.speech_level_dbfs:.1f} dBFS"),
            ("Noise floor", f"{q.noise_floor_dbfs:.1f} dBFS (SNR {q.snr_db:.1f} dB)"),
        ]
    return out


def _causes(problems: Sequence[Any], tl: Timeline | None) -> list[Cause]:
    kinds = {code: kind for kind, code in FAULT_CODES.items()}
    out = []
    for p in problems:
        kind = kinds.get(p.code)
        places = len(tl.of(kind)) if (kind and tl is not None) else 0
        out.append(Cause(p.severity, p.code, clean(p.message), kind if places else None, places))
    return out


def sound_of_file(
    info: AudioInfo,
    report: Report,
    audio: media.Audio | None,
    *,
    key: str,
    rank: int | None = None,
    best: bool = False,
    notes: Sequence[str] = (),
    name: str | None = None,
    source: Source | None = None,
) -> Sound:
    """A take as validate judged it: its analysis, its verdict and its problems."""
    q = report.quality.get(info.path)
    tl = q.timeline if q is not None else None
    shown = one_line(name if name is not None else info.path)
    return Sound(
        key=key,
        name=shown,
        verdict=report.verdict(info),
        picture=picture(tl, shown) if tl is not None else None,
        audio=audio,
        causes=_causes([p for p in report.problems if p.file == info.path], tl),
        facts=_facts(info, q),
        notes=[clean(n) for n in notes],
        rank=rank,
        best=best,
        source=source,
    )


def sound_of_samples(key: str, name: str, mono: np.ndarray, rate: int) -> Sound:
    """Audio in memory (a verification's sample and preview): analysed and drawn (its player
    is added by :func:`_fitted`)."""
    import numpy as np  # lazy: numpy

    x = np.asarray(mono, np.float32)
    q = analyse(x[:, None], rate) if len(x) else None
    tl = q.timeline if q is not None else None
    shown = one_line(name)
    return Sound(
        key=key,
        name=shown,
        verdict="",
        picture=picture(tl, shown, keep=False) if tl is not None else None,
        audio=None,
        facts=[*_facts(None, q), ("Length", f"{len(x) / rate:.2f} s" if rate else "-")],
    )


# -- pages ----------------------------------------------------------------------------------


def _environment() -> Any:
    import jinja2  # lazy: jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("bland_clone.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render(template: str, *, linked: bool = False, **context: object) -> str:
    """A page from ``template``, with its style and script inline and a policy that lets the
    page load nothing but its own data: URIs (and, when ``linked``, audio beside it)."""
    from importlib.resources import files  # lazy: importlib.resources is slow to import

    here = files("bland_clone.report") / "templates"
    script = (here / "page.js").read_text(encoding="utf-8")
    style = (here / "page.css").read_text(encoding="utf-8")
    media_src = "data: 'self' file:" if linked else "data:"
    csp = (
        f"default-src 'none'; img-src data:; media-src {media_src}; "
        f"style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; base-uri 'none'; "
        "form-action 'none'"
    )

    env = _environment()
    return str(
        env.get_template(template).render(
            csp=csp, style=style, script=script, version=__version__, **context
        )
    )


def takes_page(
    report: Report,
    *,
    title: str,
    ranked: Sequence[AudioInfo] | None = None,
    best: AudioInfo | None = None,
    report_path: str | None = None,
    link: bool = False,
    notes: dict[str, list[str]] | None = None,
    names: dict[str, str] | None = None,
    summary: str = "",
    sources: dict[str, Any] | None = None,
) -> str:
    """The page for validated takes: one card per take (best first when ``ranked``), a
    ranking table when there are several; ``sources`` the takes prepare made, by path, to draw
    the recording each was cut from."""
    order = list(ranked) if ranked is not None else list(report.files)
    made = sources or {}
    sounds = [
        sound_of_file(
            info,
            report,
            None,
            key=f"take-{n}",
            rank=n if ranked is not None else None,
            best=best is not None and info.path == best.path,
            notes=(notes or {}).get(info.path, ()),
            name=(names or {}).get(info.path),
            source=source_of(made[info.path]) if info.path in made else None,
        )
        for n, info in enumerate(order, 1)
    ]

    def audio(i: int, budget: int) -> media.Audio | None:
        info = order[i]
        if link and report_path is not None:
            return media.link(info.path, report_path)
        return media.embed_file(info, budget) if info.ok else None

    general = [Cause(p.severity, p.code, clean(p.message)) for p in report.problems if not p.file]
    return _fitted(
        lambda shown: render(
            "takes.html.j2",
            linked=link,
            title=title,
            sounds=shown,
            ranked=ranked is not None and len(shown) > 1,
            general=general,
            summary=clean(summary),
            width=WIDTH,
            height=HEIGHT,
            bands={"wave": WAVE, "spectrum": SPECTRUM, "speech": SPEECH_LANE, "keep": KEEP_LANE},
        ),
        sounds,
        audio,
    )


def _fitted(
    page: Callable[[list[Sound]], str],
    sounds: list[Sound],
    audio: Callable[[int, int], media.Audio | None],
) -> str:
    """The page with each sound's player, ``audio(i, budget)``: the budget is what the page
    without its audio leaves under media.PAGE_CAP, shared evenly, so the cap holds whatever
    the pictures and the text take."""
    bare = len(page(sounds).encode("utf-8", "backslashreplace"))
    budget = media.share(bare, len(sounds))
    return page([replace(s, audio=audio(i, budget)) for i, s in enumerate(sounds)])


def verify_page(
    *,
    voice: str,
    sample: tuple[str, np.ndarray, int],
    preview: tuple[str, np.ndarray, int],
    similarity: float,
    baseline: float | None,
    margin: float | None,
    verdict: str,
    explanation: str = "",
    stock: Sequence[tuple[str, float]] = (),
    links: tuple[str | None, str | None] = (None, None),
    report_path: str | None = None,
) -> str:
    """A verification: the sample and the clone's preview side by side, each with a player,
    beside the similarity, the baseline it is judged against and the verdict. ``sample`` and
    ``preview`` are (name, mono samples -1..1, rate); ``stock`` the baseline's voices and their
    similarities; ``links`` the files to link instead of embedding (with ``report_path``)."""
    pairs = (("sample", "Sample", sample), ("preview", "Clone preview", preview))
    sounds = [sound_of_samples(key, f"{label}: {x[0]}", x[1], x[2]) for key, label, x in pairs]

    def audio(i: int, budget: int) -> media.Audio:
        if links[i] is not None and report_path is not None:
            return media.link(str(links[i]), report_path)
        _, mono, rate = pairs[i][2]
        return media.embed_samples(mono, rate, budget)

    return _fitted(
        lambda shown: render(
            "verify.html.j2",
            linked=any(x is not None for x in links),
            title=f"Verification of {one_line(voice)}",
            voice=one_line(voice),
            sounds=shown,
            similarity=similarity,
            baseline=baseline,
            margin=margin,
            verdict=one_line(verdict),
            explanation=clean(explanation),
            stock=[(one_line(n), v) for n, v in stock],
            width=WIDTH,
            height=HEIGHT,
            bands={"wave": WAVE, "spectrum": SPECTRUM, "speech": SPEECH_LANE, "keep": KEEP_LANE},
        ),
        sounds,
        audio,
    )


def title_of(command: str, paths: Sequence[str]) -> str:
    """A page's title: the command and what it was given."""
    shown = one_line(paths[0]) if paths else ""
    more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
    return f"bland-clone {command}: {shown}{more}"


def check_target(path: str) -> None:
    """Before any work: the page can be written at ``path``, and its name says it is a page
    (so a slip such as ``--report take.wav`` never replaces a recording)."""

    if os.path.splitext(path)[1].lower() not in (".html", ".htm"):
        raise UsageError(f"--report writes an HTML page: name it .html, not {one_line(path)}")
    check_writable(path, force=True)


def write(path: str, page: str) -> None:
    """Write the page, whole or not at all."""

    # every name and message was escaped for display (an undecodable byte reads \udcff); a
    # lone surrogate left anywhere is written the same way rather than failing the write
    write_file(path, page.encode("utf-8", "backslashreplace"))

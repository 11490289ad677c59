"""Where things happen in a take: the picture the analysis already computed, kept small.

The quality analysis (:func:`bland_clone.audio.quality.analyse`) finds the speech frame by
frame, the clipped frames, the silence at the edges and a spectrogram; this module keeps where
they sit, in seconds, with a waveform envelope and a coarse spectrogram picture (about 25 KB a
take, however long it is). The terminal's waveform and the HTML report draw from the same
:class:`Timeline`, so the two never disagree.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

#: Columns of the waveform envelope (a min and a max each).
ENVELOPE_COLUMNS = 600
#: Spectrogram picture: at most this many time columns, this many frequency rows (mel scale).
SPECTRUM_COLUMNS = 360
SPECTRUM_ROWS = 64
#: Levels shown in the spectrogram picture: this many dB under its loudest cell are black.
SPECTRUM_RANGE_DB = 80.0
#: Speech runs closer than this (seconds) are one phrase when judging a too-quiet stretch.
PHRASE_GAP_S = 0.5

Kind = Literal["speech", "clipped", "quiet", "edge_silence"]

#: Each fault place and the quality warning (problem code) it belongs to.
FAULT_CODES: dict[Kind, str] = {
    "clipped": "quality_clipped",
    "quiet": "quality_too_quiet",
    "edge_silence": "quality_edge_silence",
}


@dataclass(frozen=True)
class Span:
    """One marked stretch of a take, in seconds from its start."""

    kind: Kind
    start_s: float
    end_s: float

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Spectrum:
    """A coarse spectrogram: ``rows`` x ``columns`` cells, row 0 the highest frequency, each a
    byte (0: ``SPECTRUM_RANGE_DB`` or more under the loudest cell, 255: the loudest)."""

    columns: int
    rows: int
    top_hz: float
    cells: bytes


@dataclass(frozen=True)
class Cell:
    """One character of the terminal's waveform (or one column of any narrow picture)."""

    #: the loudest sample's magnitude in this column, 0..1
    peak: float
    #: what the column mostly is: "clipped" and "quiet" win over "speech"; "" is a pause
    kind: str
    #: the column lies in the window prepare would keep
    kept: bool
    #: the column lies in an edge silence long enough to be warned about
    edge: bool


@dataclass(frozen=True)
class Timeline:
    """A take's picture: its length, a waveform envelope, the marked spans and the window
    prepare would keep."""

    seconds: float
    #: the envelope: a (min, max) pair of signed bytes (-127..127 of full scale) per column
    envelope: bytes
    spans: tuple[Span, ...]
    #: (start, end) seconds of the window ``prepare`` would keep; None: no speech
    window: tuple[float, float] | None
    spectrum: Spectrum | None = None

    @property
    def columns(self) -> int:
        return len(self.envelope) // 2

    def column(self, i: int) -> tuple[float, float]:
        lo, hi = self.envelope[2 * i], self.envelope[2 * i + 1]
        return _signed(lo) / 127, _signed(hi) / 127

    def of(self, kind: Kind) -> list[Span]:
        return [s for s in self.spans if s.kind == kind]

    @property
    def faults(self) -> list[Span]:
        return [s for s in self.spans if s.kind != "speech"]

    def cells(self, width: int) -> list[Cell]:
        """The take in ``width`` columns: each column's peak and what it mostly holds."""
        width = max(1, width)
        out = []
        n = self.columns
        for c in range(width):
            t0, t1 = self.seconds * c / width, self.seconds * (c + 1) / width
            a, b = int(n * c / width), max(int(n * c / width) + 1, int(n * (c + 1) / width))
            peak = max(
                (max(abs(lo), abs(hi)) for lo, hi in map(self.column, range(a, min(b, n)))),
                default=0.0,
            )
            covered = {k: 0.0 for k in ("speech", "clipped", "quiet", "edge_silence")}
            for s in self.spans:
                overlap = min(t1, s.end_s) - max(t0, s.start_s)
                if overlap > 0:
                    covered[s.kind] += overlap
            half = (t1 - t0) / 2
            kind = ""
            if covered["clipped"] > 0:
                kind = "clipped"
            elif covered["quiet"] >= half:
                kind = "quiet"
            elif covered["speech"] >= half:
                kind = "speech"
            kept = self.window is not None and self.window[0] < t1 and t0 < self.window[1]
            out.append(Cell(peak, kind, kept, covered["edge_silence"] >= half))
        return out


def _signed(b: int) -> int:
    return b - 256 if b > 127 else b


def _mel(hz: float) -> float:
    return 2595.0 * math.log10(1 + hz / 700.0)


def _hz(mel: float) -> float:
    return 700.0 * (10 ** (mel / 2595.0) - 1)


def runs(mask: np.ndarray, frame_s: float, kind: Kind, gap_s: float = 0.0) -> list[Span]:
    """The runs of True in a per-frame mask, as spans; runs closer than ``gap_s`` are joined."""
    import numpy as np  # lazy: numpy

    if not len(mask):
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))).tolist()
    out: list[Span] = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        start, end = round(a * frame_s, 3), round(b * frame_s, 3)
        if out and start - out[-1].end_s < gap_s:
            out[-1] = Span(kind, out[-1].start_s, end)
        else:
            out.append(Span(kind, start, end))
    return out


def envelope(mono: np.ndarray, columns: int = ENVELOPE_COLUMNS) -> bytes:
    """(min, max) of each of ``columns`` equal stretches, as signed bytes."""
    import numpy as np  # lazy: numpy

    if not len(mono):
        return b""
    columns = min(columns, len(mono))
    starts = (np.arange(columns) * len(mono)) // columns
    lo = np.minimum.reduceat(mono, starts)
    hi = np.maximum.reduceat(mono, starts)
    pairs = np.stack([lo, hi], axis=1).astype(np.float64)
    return (np.clip(np.rint(pairs * 127), -127, 127).astype(np.int8)).tobytes()


def level_overview(levels: np.ndarray, columns: int = ENVELOPE_COLUMNS) -> tuple[float, ...]:
    """The loudest of each of at most ``columns`` equal spans of frame levels (dBFS)."""
    import numpy as np  # lazy: numpy

    if not len(levels):
        return ()
    columns = min(columns, len(levels))
    starts = (np.arange(columns) * len(levels)) // columns
    return tuple(round(float(x), 1) for x in np.maximum.reduceat(levels, starts))


@functools.lru_cache(maxsize=16)
def _mel_rows(bins: int, bin_hz: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The picture's rows (0: the lowest) on a mel scale over ``bins`` bins, laid out for one
    ``np.add.reduceat``: the bins to take (index ``bins`` being a column of zeros), each row's
    a zero then its own bins; where each row starts in that list; each row's width. A row is
    the bins from its lower edge up to the next row's (at least one). The same for every take
    at a rate: computed once."""
    import numpy as np  # lazy: numpy

    top_mel = _mel(bin_hz * (bins - 1))
    edges = [
        min(bins - 1, round(_hz(top_mel * k / SPECTRUM_ROWS) / bin_hz))
        for k in range(SPECTRUM_ROWS + 1)
    ]
    widths = [max(1, edges[k + 1] - edges[k]) for k in range(SPECTRUM_ROWS)]
    take: list[int] = []
    starts: list[int] = []
    for k, w in enumerate(widths):
        starts.append(len(take))
        take += [bins, *range(edges[k], edges[k] + w)]
    out = (np.array(take), np.array(starts), np.array(widths, np.float64))
    for a in out:
        a.flags.writeable = False
    return out


def mel_power(spec: np.ndarray, bin_hz: float) -> np.ndarray:
    """The picture's power (columns x rows, row 0 the lowest): the spectrogram's frames
    averaged into at most SPECTRUM_COLUMNS columns, each row the mean of its bins."""
    import numpy as np  # lazy: numpy

    columns = min(SPECTRUM_COLUMNS, len(spec))
    bins = spec.shape[1]
    # bins x columns (transposed: take() then copies whole rows, not one value at a time),
    # a bin of zeros last: see _mel_rows
    pooled = np.empty((bins + 1, columns))
    pooled[bins] = 0.0
    if columns == len(spec):  # a column a frame (a take under 23 s): its mean is the frame
        pooled[:bins] = spec.T
    else:
        t_starts = (np.arange(columns) * len(spec)) // columns
        means = np.add.reduceat(spec.astype(np.float64), t_starts, axis=0)
        means /= np.diff(np.append(t_starts, len(spec)))[:, None]
        pooled[:bins] = means.T
    # A row's power: the mean of its bins, summed as numpy's mean sums them (0.0, then the
    # bins pairwise), every row in one call: reduceat starts a segment with its first value
    # and adds the rest pairwise (whatever the stride), and each row's segment starts with a
    # zero.
    take, starts, widths = _mel_rows(bins, bin_hz)
    power: np.ndarray = np.add.reduceat(pooled.take(take, axis=0).T, starts, axis=1)
    power /= widths
    return power


def spectrum_picture(spec: np.ndarray, bin_hz: float) -> Spectrum | None:
    """The spectrogram (frames x bins of power, as :func:`acoustics.spectrogram` makes it)
    pooled to at most SPECTRUM_COLUMNS x SPECTRUM_ROWS cells on a mel scale, in bytes."""
    import numpy as np  # lazy: numpy

    if not len(spec) or spec.shape[1] < 2:
        return None
    power = mel_power(spec, bin_hz)
    columns = len(power)
    top_hz = bin_hz * (spec.shape[1] - 1)
    grid = 10 * np.log10(np.maximum(power[:, ::-1].T, 1e-20))  # highest frequency first
    top = float(grid.max())
    scaled = np.clip((grid - (top - SPECTRUM_RANGE_DB)) / SPECTRUM_RANGE_DB, 0.0, 1.0)
    cells = np.rint(scaled * 255).astype(np.uint8)
    return Spectrum(columns, SPECTRUM_ROWS, top_hz, cells.tobytes())

"""A voiceprint: a 256-number summary of a voice, to compare two recordings' speakers.

The model is the GE2E speaker encoder (Wan et al., 2018) trained by Resemble AI and shipped in
the Resemblyzer 0.1.4 wheel (Apache-2.0; see models/NOTICE). Its weights were converted once
to numpy (scripts/convert_ge2e.py) and ship in this package as models/ge2e.npy: nothing is
downloaded, and no torch is needed. Inference is numpy: a 3-layer 256-unit LSTM over 40 mel
bands, run on all the 1.6 s partials of a recording at once.

The preprocessing is the reference's (resemblyzer/audio.py and hparams.py): 16 kHz, the level
brought to -30 dBFS (the reference only raises it; see TARGET_DBFS), silences longer than ~0.2
s cut by WebRTC's voice-activity detector (30 ms frames, aggressiveness 3, smoothed over 8
frames, dilated by 6), a mel power spectrogram (25 ms Hann window, 10 ms hop, 40 Slaney mel
bands), partials of 160 frames every 77 frames (1.3 a second), the mean of the partials'
embeddings L2-normalised.
scripts/check_ge2e.py compares this module with the reference implementation.

What a similarity means: two takes of one person usually score well above two people of the
same sex (bench/verify.py measures both on real speech). It is a margin over other voices, not
proof of identity.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.parallel import usable_cores
from . import decode as dec
from . import vad
from .inspection import inspect

if TYPE_CHECKING:
    import numpy as np

#: The encoder's rate, window and hop (hparams.py).
RATE = 16000
MEL_WINDOW = 400
MEL_HOP = 160
MEL_BANDS = 40
#: One partial: 160 frames, 1.6 s.
PARTIAL_FRAMES = 160
#: Partials a second (the reference's embed_utterance default: a new one every 77 frames).
PARTIAL_RATE = 1.3
#: The last partial is kept (zero-padded) when it holds at least this much of its frames.
MIN_COVERAGE = 0.75
#: Every recording is brought to this RMS level. The reference only raises quiet audio; lowering
#: loud audio too makes the voiceprint blind to level (the encoder hears mel power, not its log:
#: the same take 20 dB louder scored 0.94 against itself, and 1.00 with this).
TARGET_DBFS = -30.0
#: The detector's settings in the reference's silence trimming.
VAD_FRAME_S = 0.03
VAD_AVERAGE = 8
VAD_MAX_SILENCE = 6
#: Less speech than this (after the silences are cut) gives no voiceprint worth comparing.
MIN_SPEECH_S = 1.0
#: Where the model's weights ship (float32, laid out for the encoder: scripts/convert_ge2e.py).
MODEL = Path(__file__).resolve().parent / "models" / "ge2e.npy"
#: The LSTM's units a layer and the voiceprint's size.
HIDDEN = 256
EMBEDDING = 256

#: Verdict thresholds on the cosine similarity of two voiceprints, calibrated on the real-speech
#: corpus (tests/data/speech: 26 clips of 12 people; its modem signal is no speaker) by
#: bench/verify.py: at or above SIMILAR_AT the two are likely one speaker; below DIFFERENT_BELOW
#: likely two; in between, unclear. There, same-speaker pairs of different sentences scored
#: 0.66-0.94 (median 0.88, 18 of 20 at 0.82 or more; the lowest are one man's affected voice
#: against his plain one), different people of the same sex 0.36-0.74 (median 0.58, 185 pairs:
#: none similar, 157 different); the equal error rate is 8.6% (7.6% on clean speech) near 0.67.
SIMILAR_AT = 0.80
DIFFERENT_BELOW = 0.65


#: The old rule for a folder's takes, kept for bench/verify.py and bench/voices.py to compare:
#: a take stood apart (another person's) when it scored under this against the mean voiceprint
#: of the other takes; the verdict now groups takes by voice (:data:`SAME_VOICE_AT`), as the
#: mean of several people's takes named nobody in a folder of three. On the corpus
#: (bench/verify.py), a take against the mean of two or more others of the same person scored
#: 0.696-0.96 (25 trials; 0.696: an affected voice against the plain ones), against another
#: man's or woman's takes 0.37-0.77, under 0.68 in 94% of 638 trials. With only two takes, they
#: are compared pair to pair: DIFFERENT_BELOW.
OTHER_TAKES_BELOW = 0.68

#: A folder's takes are grouped by voice (:func:`voice_groups`): two groups are one voice while
#: their takes score this alike or more on average, every take of one against every take of
#: the other (average linkage). Calibrated by bench/voices.py on the real-speech corpus: see
#: docs/samples.md#voiceprints for the folders it was measured on and its errors.
SAME_VOICE_AT = 0.65


def voice_groups(prints: Sequence[np.ndarray], same_at: float = SAME_VOICE_AT) -> list[list[int]]:
    """Voiceprints (indexes into ``prints``) grouped by voice, by average-linkage clustering:
    each starts alone; the two groups whose voiceprints are most alike on average (every one
    of a group against every one of the other) become one, while that average is ``same_at``
    or more. The largest group first (ties: the one holding the lower index), each group's
    indexes in order. Unlike each voiceprint against the mean of all the others, a blend of
    several voices when the folder holds several people, this keeps each person's takes
    together however many other people's there are."""
    import numpy as np  # lazy: numpy

    n = len(prints)
    if n == 0:
        return []
    x = np.asarray(prints, np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    groups: list[list[int] | None] = [[i] for i in range(n)]
    while True:
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if not sim[i, j] >= same_at:  # also when one group is left (-inf)
            break
        a, b = int(min(i, j)), int(max(i, j))
        ga, gb = groups[a], groups[b]
        assert ga is not None and gb is not None
        # the merged group's average against each other group (Lance-Williams)
        merged = (len(ga) * sim[a] + len(gb) * sim[b]) / (len(ga) + len(gb))
        sim[a], sim[:, a] = merged, merged
        sim[a, a] = -np.inf
        sim[b], sim[:, b] = -np.inf, -np.inf
        groups[a], groups[b] = sorted(ga + gb), None
    found = [g for g in groups if g is not None]
    return sorted(found, key=lambda g: (-len(g), g[0]))


#: Telling speakers apart (:func:`speakers`): windows of speech 1.6 s long (one partial),
#: every 0.8 s. The verdict's thresholds are quality.THRESHOLDS'.
SPEAKER_WINDOW_S = 1.6
SPEAKER_HOP_S = 0.8


@dataclass
class Work:
    """What this process's voiceprints cost (each worker process counts its own): windows and
    partials run through the encoder (its cost grows with them); speaker checks the screen
    cleared on the windows end to end; speaker checks that embedded every window; runs of the
    encoder (each a batch: the fewer, the cheaper a window). Read by tests and bench/."""

    windows: int = 0
    cleared: int = 0
    full: int = 0
    runs: int = 0


work = Work()
#: :data:`work`'s counters are raised under this (checks on several threads raise them at once)
_work_lock = threading.Lock()


@dataclass(frozen=True)
class Speakers:
    """Speech windows split in the two groups most unlike each other."""

    #: mean similarity of a window of one group to a window of the other
    between: float
    #: mean similarity of two windows of the same group
    within: float
    #: windows in each group
    sizes: tuple[int, int]
    #: the start (s) of each window in the recording, and its group (0 or 1)
    starts: tuple[float, ...]
    groups: tuple[int, ...]
    #: only the windows end to end were embedded (every other one, 1.6 s apart): the screen
    #: found them plainly one voice (see :func:`speakers`)
    screened: bool = False


class NoSpeech(ValueError):
    """Too little speech is left, once silences are cut, to take a voiceprint."""


def embed(samples: np.ndarray, rate: int) -> np.ndarray:
    """The voiceprint of mono float samples at any rate: 256 float32, L2-normalised. Raises
    :class:`NoSpeech` when under ``MIN_SPEECH_S`` of speech remains."""
    import numpy as np  # lazy: numpy

    wav = speech(samples, rate)
    mels = _partials(wav)
    raw: np.ndarray = _encode(mels).mean(axis=0)
    out: np.ndarray = (raw / np.linalg.norm(raw)).astype(np.float32)
    return out


def embed_windows(
    samples: np.ndarray, rate: int, window_s: float = 1.6, hop_s: float = 0.4
) -> tuple[np.ndarray, np.ndarray]:
    """(voiceprints of windows of speech, one a row; their start times in seconds in
    ``samples``). The windows are cut from the speech left once silences are removed, every
    ``hop_s``; each is ``window_s`` long (the last one may hold less). For telling speakers
    apart. Raises :class:`NoSpeech` like :func:`embed`."""
    mels, times = _speech_windows(samples, rate, window_s, hop_s)
    return _encode(mels), times


def _speech_windows(
    samples: np.ndarray, rate: int, window_s: float, hop_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """(mel spectrograms of :func:`embed_windows`' windows, (windows, frames, 40); their start
    times in seconds in ``samples``)."""
    import numpy as np  # lazy: numpy

    wav, kept = _trimmed(_prepared(samples, rate))
    if len(wav) < MIN_SPEECH_S * RATE:
        raise NoSpeech(_too_little(len(wav)))
    frames = max(1, round(window_s * RATE / MEL_HOP))
    step = max(1, round(hop_s * RATE / MEL_HOP))
    n_frames = 1 + len(wav) // MEL_HOP
    starts = list(range(0, max(1, n_frames - frames + 1), step))
    if starts[-1] + frames < n_frames - step // 2:
        starts.append(max(0, n_frames - frames))
    pad = (starts[-1] + frames) * MEL_HOP - len(wav)
    mel = mel_spectrogram(np.pad(wav, (0, max(0, pad))))
    mels = np.stack([mel[s : s + frames] for s in starts])
    times = np.array([kept[min(s * MEL_HOP, len(kept) - 1)] / RATE for s in starts])
    return mels, times


@dataclass(frozen=True)
class Windows:
    """A recording's speech windows waiting for the encoder (:func:`speaker_windows`): their
    mel spectrograms (windows, frames, 40), their start times (s), the screen to apply."""

    mels: np.ndarray
    starts: np.ndarray
    screen: tuple[float, float] | None = None


def speaker_windows(
    samples: np.ndarray, rate: int, screen: tuple[float, float] | None = None
) -> Windows | None:
    """The speech windows :func:`speakers` embeds, not embedded yet (None with under two
    windows' worth of speech): :func:`speakers_of` embeds several recordings' at once."""
    try:
        mels, starts = _speech_windows(samples, rate, SPEAKER_WINDOW_S, SPEAKER_HOP_S)
    except NoSpeech:
        return None
    return Windows(mels, starts, screen) if len(mels) >= 2 else None


def speakers(
    samples: np.ndarray, rate: int, screen: tuple[float, float] | None = None
) -> Speakers | None:
    """The recording's speech windows split in two groups by their voiceprints (2-means on
    the cosine, started from the two windows least alike); None with under two windows'
    worth of speech. Whether the groups are two people is quality.problems' call.

    ``screen`` (pairs, groups): first embed only the windows end to end (every other one, and
    the last: each moment of the speech is in one of them), half the encoder's work. When
    every two of them score ``pairs`` or more alike and their own split's groups ``groups``
    or more, that split is the answer (``screened``): the speech is plainly one voice. Else
    the windows between them are embedded too, and the answer is the one without a screen."""
    return speakers_of([speaker_windows(samples, rate, screen)])[0]


def speakers_of(
    takes: Sequence[Windows | None], *, side_by_side: bool = True
) -> list[Speakers | None]:
    """:func:`speakers` of several recordings' windows (None: too little speech), each
    answer the recording's own, for two runs of the encoder at most however many there are:
    one over every recording's first windows (the screen's, or all of them), one over the
    windows between of those the screen did not clear. The LSTM's cost a window falls as its
    batch grows (the same products on more rows): 7.4 ms a window at 8, 4.9 at 40 on one
    core. A voiceprint batched with other recordings' windows may differ from one computed
    alone in the last float bits (about 3e-7). ``side_by_side`` False: no other analysis
    runs in this process meanwhile, and the encoder shares its batch among the cores
    (:func:`_lstm_shared`)."""
    import numpy as np  # lazy: numpy

    chosen = [_first_windows(w) for w in takes]
    some = [w.mels[i] for w, i in zip(takes, chosen, strict=True) if w is not None]
    first = iter(_encode_parts(some, side_by_side))
    out: list[Speakers | None] = [None] * len(takes)
    # (take, its windows, its voiceprints so far, the windows left to embed)
    pending: list[tuple[int, Windows, np.ndarray, list[int]]] = []
    for k, (w, idx) in enumerate(zip(takes, chosen, strict=True)):
        if w is None:
            continue
        e, n = next(first), len(w.mels)
        if w.screen is None or len(idx) == n:
            with _work_lock:
                work.full += 1
            out[k] = _split(e, w.starts)
            continue
        split = _split(e, w.starts[idx], screened=True)
        if float((e @ e.T).min()) >= w.screen[0] and split.between >= w.screen[1]:
            with _work_lock:
                work.cleared += 1
            out[k] = split
            continue
        with _work_lock:
            work.full += 1
        full = np.empty((n, e.shape[1]), np.float32)
        full[idx] = e
        taken = set(idx)
        pending.append((k, w, full, [i for i in range(n) if i not in taken]))
    between = _encode_parts([w.mels[r] for _, w, _, r in pending], side_by_side)
    for (k, w, full, r), e in zip(pending, between, strict=True):
        full[r] = e
        out[k] = _split(full, w.starts)
    return out


def _first_windows(w: Windows | None) -> list[int]:
    """The windows of ``w`` embedded first: with a screen, those end to end (every other one,
    and the last) when they are three or more; else all of them."""
    n = 0 if w is None else len(w.mels)
    ends = sorted({*range(0, n, 2), n - 1}) if n else []
    return ends if w is not None and w.screen is not None and len(ends) >= 3 else [*range(n)]


def _encode_parts(parts: list[np.ndarray], side_by_side: bool) -> list[np.ndarray]:
    """:func:`_encode` of several stacks of windows in one batch, split back by stack."""
    import numpy as np  # lazy: numpy

    if not parts:
        return []
    e = _encode(np.concatenate(parts), side_by_side)
    return np.split(e, np.cumsum([len(p) for p in parts])[:-1])


def _split(w: np.ndarray, starts: np.ndarray, screened: bool = False) -> Speakers:
    """Windows' voiceprints (one a row, two or more) in the two groups most unlike each
    other."""
    import numpy as np  # lazy: numpy

    n = len(w)
    sim = w @ w.T
    i, j = np.unravel_index(int(np.argmin(sim)), sim.shape)
    centres = w[[i, j]]
    groups = np.zeros(n, np.int64)
    for _ in range(20):
        new = np.argmax(w @ centres.T, axis=1)
        if new.min() == new.max():
            break
        done = np.array_equal(new, groups)
        groups = new
        if done:
            break
        centres = np.stack([w[groups == k].mean(axis=0) for k in (0, 1)])
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    same = groups[:, None] == groups[None, :]
    off = ~np.eye(n, dtype=bool)
    between = float(sim[~same].mean()) if (~same).any() else 1.0
    within = float(sim[same & off].mean()) if (same & off).any() else 1.0
    sizes = np.bincount(groups, minlength=2)
    return Speakers(
        between=between,
        within=within,
        sizes=(int(sizes[0]), int(sizes[1])),
        starts=tuple(round(float(t), 2) for t in starts),
        groups=tuple(int(g) for g in groups),
        screened=screened,
    )


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The cosine similarity of two voiceprints (1 for the same direction)."""
    import numpy as np  # lazy: numpy

    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def embed_file(path: str) -> np.ndarray:
    """The voiceprint of a file, decoded by the project's own decoder (its first 65 s at
    most, channels mixed down). Raises DecodeError or :class:`NoSpeech`."""
    return embed(*_mono(path))


def _mono(path: str) -> tuple[np.ndarray, int]:
    """:func:`embed_file`'s samples: the file's first 65 s at most, channels mixed down."""
    info = inspect(path)
    if info.error:
        raise dec.DecodeError(info.error)
    data, rate = dec.excerpt(path, info)
    return (data.mean(axis=1) if data.ndim == 2 else data), rate


#: :func:`embed_files` runs the encoder on this many partials at once (or on what is left): a
#: batch this size costs the LSTM about 2/3 of what one take's few partials alone cost a
#: partial, and its temporaries stay near 40 MB.
EMBED_BATCH = 64


def embed_files(paths: Sequence[str]) -> list[np.ndarray | None]:
    """:func:`embed_file` of each file (None where it cannot be decoded, read, or holds too
    little speech), the encoder run over several files' partials at once: each file is
    decoded in turn, and its partials wait until ``EMBED_BATCH`` of them are ready. A
    voiceprint computed in a batch may differ from one computed alone in the last float bits
    (about 3e-7). The batch is shared among the cores when this process runs no other thread
    (:func:`_lstm_shared`)."""
    import numpy as np  # lazy: numpy

    alone = threading.active_count() == 1
    out: list[np.ndarray | None] = [None] * len(paths)
    waiting: list[tuple[int, np.ndarray]] = []  # (file, its partials)

    def flush() -> None:
        parts = _encode_parts([m for _, m in waiting], side_by_side=not alone)
        for (k, _), e in zip(waiting, parts, strict=True):
            raw = e.mean(axis=0)
            out[k] = (raw / np.linalg.norm(raw)).astype(np.float32)
        waiting.clear()

    for k, path in enumerate(paths):
        try:
            waiting.append((k, _partials(speech(*_mono(path)))))
        except (dec.DecodeError, OSError, ValueError):  # NoSpeech is a ValueError
            continue
        if sum(len(m) for _, m in waiting) >= EMBED_BATCH:
            flush()
    if waiting:
        flush()
    return out


def speech(samples: np.ndarray, rate: int) -> np.ndarray:
    """The samples at 16 kHz, the level brought to -30 dBFS, the silences cut: what the
    encoder hears. Raises :class:`NoSpeech` when under ``MIN_SPEECH_S`` remains."""
    wav, _ = _trimmed(_prepared(samples, rate))
    if len(wav) < MIN_SPEECH_S * RATE:
        raise NoSpeech(_too_little(len(wav)))
    return wav


def _too_little(n: int) -> str:
    return f"{n / RATE:.1f} s of speech; a voiceprint needs {MIN_SPEECH_S:g} s at least"


def _prepared(samples: np.ndarray, rate: int) -> np.ndarray:
    import numpy as np  # lazy: numpy

    x = np.asarray(samples, np.float32)
    if x.ndim != 1:
        raise ValueError("embed() takes mono samples (one dimension)")
    if rate != RATE and len(x):
        import soxr  # lazy: soxr

        x = soxr.resample(x, rate, RATE).astype(np.float32)
    x = np.nan_to_num(x)
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0
    if rms <= 0:
        return x
    change = TARGET_DBFS - 20 * np.log10(rms)
    out: np.ndarray = x * np.float32(10 ** (change / 20))
    return out


def _trimmed(wav: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(wav without its long silences, the index in ``wav`` of each sample kept): the
    reference's trim_long_silences."""
    import numpy as np  # lazy: numpy

    per = round(VAD_FRAME_S * RATE)
    wav = wav[: len(wav) - len(wav) % per]
    if not len(wav):
        return wav, np.zeros(0, np.int64)
    flags = vad.frames_16k(wav, VAD_FRAME_S).astype(np.float64)
    w = VAD_AVERAGE
    padded = np.concatenate([np.zeros((w - 1) // 2), flags, np.zeros(w // 2)])
    ret = np.cumsum(padded)
    ret[w:] = ret[w:] - ret[:-w]
    mask = np.round(ret[w - 1 :] / w).astype(bool)
    # binary dilation by a run of VAD_MAX_SILENCE + 1 frames, centred
    k = VAD_MAX_SILENCE + 1
    mask = np.convolve(mask.astype(np.int32), np.ones(k, np.int32))[k // 2 : k // 2 + len(mask)] > 0
    keep = np.repeat(mask, per)
    return wav[keep], np.flatnonzero(keep)


@functools.lru_cache(maxsize=1)
def _mel_basis() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40): Slaney's mel scale and area norm."""
    import numpy as np  # lazy: numpy

    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0

    def hz_to_mel(f: float) -> float:
        return f / f_sp if f < min_log_hz else min_log_mel + float(np.log(f / min_log_hz)) / logstep

    mels = np.linspace(hz_to_mel(0.0), hz_to_mel(RATE / 2), MEL_BANDS + 2)
    hz = np.where(
        mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), f_sp * mels
    )
    fft_hz = np.linspace(0, RATE / 2, 1 + MEL_WINDOW // 2)
    fdiff = np.diff(hz)
    ramps = hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (hz[2:] - hz[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram (not log), as librosa.feature.melspectrogram with
    n_fft=400, hop_length=160, a periodic Hann window and centred zero-padded frames."""
    import numpy as np  # lazy: numpy

    x = np.pad(np.asarray(wav, np.float32), MEL_WINDOW // 2)
    n = 1 + (len(x) - MEL_WINDOW) // MEL_HOP
    frames = np.lib.stride_tricks.as_strided(
        x, (n, MEL_WINDOW), (x.strides[0] * MEL_HOP, x.strides[0]), writeable=False
    )
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(MEL_WINDOW) / MEL_WINDOW)).astype(np.float32)
    spec = np.fft.rfft(frames * window, axis=1)
    power = (spec.real**2 + spec.imag**2).astype(np.float32)
    return np.asarray(power @ _mel_basis().T, np.float32)


def _partials(wav: np.ndarray) -> np.ndarray:
    """(partials, 160, 40): the reference's compute_partial_slices at 1.3 partials a second."""
    import numpy as np  # lazy: numpy

    n_frames = int(np.ceil((len(wav) + 1) / MEL_HOP))
    step = round((RATE / PARTIAL_RATE) / MEL_HOP)
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step))
    coverage = (len(wav) - starts[-1] * MEL_HOP) / (PARTIAL_FRAMES * MEL_HOP)
    if coverage < MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    end = (starts[-1] + PARTIAL_FRAMES) * MEL_HOP
    if end >= len(wav):
        wav = np.pad(wav, (0, end - len(wav)))
    mel = mel_spectrogram(wav)
    return np.stack([mel[s : s + PARTIAL_FRAMES] for s in starts])


@functools.lru_cache(maxsize=1)
def _weights() -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    """([(W_ih^T, W_hh^T, bias) per LSTM layer], linear W^T, linear bias), float32: views of
    the one array of models/ge2e.npy, mapped from the file, not read (its pages are the page
    cache's), already in this layout (scripts/convert_ge2e.py's layout(): the gates reordered
    input, forget, output, cell, so that one slice takes the three sigmoids; the two biases
    summed)."""
    import numpy as np  # lazy: numpy

    flat = np.asarray(np.load(MODEL, mmap_mode="r"))
    at = 0

    def take(*shape: int) -> np.ndarray:
        nonlocal at
        n = math.prod(shape)
        part = flat[at : at + n].reshape(shape)
        at += n
        return part

    h = HIDDEN
    layers = [(take(n_in, 4 * h), take(h, 4 * h), take(4 * h)) for n_in in (MEL_BANDS, h, h)]
    lin_w, lin_b = take(h, EMBEDDING), take(EMBEDDING)
    if at != len(flat):
        raise ValueError(f"{MODEL}: {len(flat)} weights where the encoder has {at}")
    return layers, lin_w, lin_b


def _encode(mels: np.ndarray, side_by_side: bool = True) -> np.ndarray:
    """(batch, frames, 40) mel spectrograms -> (batch, 256) L2-normalised embeddings: the LSTM's
    last hidden state of its last layer, through the linear layer and a ReLU. BLAS runs on one
    thread meanwhile (:func:`one_blas_thread`). When the caller says no other analysis runs
    beside it (``side_by_side`` False), the batch is shared by threads, one a spare core
    (:func:`_lstm_shared`)."""
    with _work_lock:
        work.windows += len(mels)
        work.runs += 1
    with _lstm_lock, one_blas_thread():
        return _lstm(mels) if side_by_side else _lstm_shared(mels)


#: A thread of :func:`_lstm_shared` takes this many windows at least: on fewer, the small
#: products cost more a window than a second core gives.
SHARE_FROM = 4


def _lstm_shared(mels: np.ndarray) -> np.ndarray:
    """:func:`_lstm` of the batch cut in one part a spare core (:func:`_spare_cores`), each
    on its own thread (numpy lets go of the interpreter in its products). Not BLAS's own
    threads: they meet at each of the 480 steps, so a core busy elsewhere stalls them all
    (batch 40 at load 4-6 on the 2-core machine: 0.45-2.4 s on 2 BLAS threads against
    0.25-0.5 s on one). Parts that never wait for each other cost a little more CPU (each
    part's products are smaller, and the threads take turns at the interpreter), and gain
    only where a core is idle: at load 6, 40 windows took 532 ms in two parts against 495 ms
    in one."""
    import numpy as np  # lazy: numpy

    parts = min(_spare_cores(), len(mels) // SHARE_FROM)
    if parts < 2:
        return _lstm(mels)
    chunks = np.array_split(mels, parts)
    out: list[np.ndarray | None] = [None] * parts
    failed: list[BaseException] = []

    def run(i: int) -> None:
        try:
            out[i] = _lstm(chunks[i])
        except BaseException as e:  # raised again in the caller's thread
            failed.append(e)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(1, parts)]
    for t in threads:
        t.start()
    out[0] = _lstm(chunks[0])
    for t in threads:
        t.join()
    if failed:
        raise failed[0]
    return np.concatenate([o for o in out if o is not None])


#: One LSTM at a time: its 480 steps are small numpy calls that gain nothing from running
#: side by side with another's.
_lstm_lock = threading.Lock()
_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit: Any = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS held to one thread while any caller, on any thread, is inside; the original
    limits come back when the last one leaves. The LSTM's small products gain nothing from
    BLAS's threads, and lose much when other threads call BLAS meanwhile: OpenBLAS's threads
    spin between calls, so 12 takes checked on 8 threads (quality.check_many) took 60 s with
    them and 6 s without (3 s of it the voiceprint's)."""
    global _blas_users, _blas_limit
    with _blas_lock:
        if _blas_users == 0:
            from threadpoolctl import threadpool_limits  # lazy: threadpoolctl

            _blas_limit = threadpool_limits(1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limit is not None:
                _blas_limit.restore_original_limits()
                _blas_limit = None


def _spare_cores() -> int:
    """The cores this process may use that nothing else seems to: those the 1-minute load
    average leaves, this process's own counted in it (on 2 cores: 2 at a load of 1 or under,
    else 1)."""
    cores = usable_cores()
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not known here: as if every core were taken
        return 1
    return max(1, min(cores, int(cores + 1 - busy)))


def _lstm(mels: np.ndarray) -> np.ndarray:
    import numpy as np  # lazy: numpy

    layers, lin_w, lin_b = _weights()
    batch, steps, _ = mels.shape
    seq = np.ascontiguousarray(mels.transpose(1, 0, 2), np.float32)  # time-major
    h: np.ndarray = np.zeros((batch, 0), np.float32)
    c: np.ndarray
    for n, (w_ih, w_hh, bias) in enumerate(layers):
        hidden = w_hh.shape[0]
        x = (seq.reshape(steps * batch, -1) @ w_ih + bias).reshape(steps, batch, 4 * hidden)
        h = np.zeros((batch, hidden), np.float32)
        c = np.zeros((batch, hidden), np.float32)
        last = n == len(layers) - 1
        out = None if last else np.empty((steps, batch, hidden), np.float32)
        g = np.empty((batch, 4 * hidden), np.float32)
        for t in range(steps):
            np.matmul(h, w_hh, out=g)
            g += x[t]
            # gates input, forget, output (sigmoid(z) = (1 + tanh(z/2)) / 2), then cell
            ifo = 0.5 + 0.5 * np.tanh(0.5 * g[:, : 3 * hidden])
            c = ifo[:, hidden : 2 * hidden] * c + ifo[:, :hidden] * np.tanh(g[:, 3 * hidden :])
            h = ifo[:, 2 * hidden :] * np.tanh(c)
            if out is not None:
                out[t] = h
        if out is not None:
            seq = out
    raw = np.maximum(h @ lin_w + lin_b, 0)
    norm = np.linalg.norm(raw, axis=1, keepdims=True)
    unit: np.ndarray = (raw / np.maximum(norm, 1e-12)).astype(np.float32)
    return unit

"""Quality checks on the decoded audio: what makes a clone sound like the room, not the person.

Every threshold lives in THRESHOLDS below, with why it was chosen. numpy and soundfile are
imported only here, so only commands that analyse audio pay for them.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..core import limits
from ..core.errors import InputError
from ..core.parallel import usable_cores
from ..core.validation import EDGE_SILENCE_S, Problem, damaged, ends_short
from .inspection import inspect

if TYPE_CHECKING:
    import numpy as np

    from . import voiceprint
    from .inspection import AudioInfo
    from .timeline import Spectrum, Timeline


@dataclass(frozen=True)
class Thresholds:
    #: A sample at or above this magnitude (of full scale) counts as clipped, whatever its
    #: shape (a lossy decode of a clipped take overshoots and loses its flat tops) ...
    clip_level: float = 0.99
    #: ... and so does any sample of a flat top wherever it sits: a run of equal samples at
    #: the file's extreme (its highest or lowest value, within this fraction of it). A take
    #: clipped and then lowered (prepare, an editor's normalise) keeps its flat tops below
    #: full scale; a natural peak is one or two samples, never 0.1% of a take.
    flat_top_tolerance: float = 0.002
    #: Warn above 0.1% clipped samples: a few isolated peaks are inaudible, runs of them are not.
    clipped_ratio: float = 0.001
    #: Speech level (RMS of the active frames, dBFS). Below -32 the voice sinks into the noise
    #: and any gain added later raises the noise with it; EBU R128 speech sits near -23 LUFS,
    #: about -20 dBFS RMS.
    too_quiet_dbfs: float = -32.0
    #: Above -8 dBFS RMS speech is almost certainly compressed hard or clipping between peaks.
    too_loud_dbfs: float = -8.0
    #: A frame is silent when it is 35 dB below the loudest frames, or under -60 dBFS at all:
    #: pauses between words in a quiet room fall there, soft consonants do not.
    silence_below_peak_db: float = 35.0
    silence_floor_dbfs: float = -60.0
    #: More than 1 s of silence at either end is wasted sample time (prepare trims it).
    edge_silence_s: float = EDGE_SILENCE_S
    #: Natural speech pauses take 15-30% of a recording; over half silent is mostly room.
    silent_ratio: float = 0.5
    #: Signal-to-noise ratio (speech level over the noise floor). Under 25 dB, room noise
    #: and hum are audible and end up cloned into the voice.
    min_snr_db: float = 25.0
    #: Below 16 kHz the higher formants are gone: clones sound muffled, like a phone line.
    min_samplerate: int = 16000
    #: Two channels whose levels differ by more than 20 dB: one is dead or a different mic.
    channel_level_diff_db: float = 20.0
    #: Two channels correlated less than 0.5 are not one centred voice.
    min_channel_correlation: float = 0.5
    #: The take (first word to last, pauses included; up to 0.25 s of edge silence counts, as
    #: prepare keeps) is what the service's "10-15 seconds" means: a 12 s take with 35%
    #: pauses is a good sample. Too short when the take is under 10 s; too long only when
    #: the speech itself (pauses excluded) is over 15 s.
    take_edge_s: float = 0.25
    #: Estimated decay time (acoustics.decay_time, seconds for 60 dB). Dry takes read
    #: 0.03-0.08 s on the corpus, a furnished room (RT60 0.4 s) 0.35 s, a hall (RT60 1.5 s)
    #: 1.2 s. Living rooms ring for 0.3-0.5 s; over 0.5 s the room is heard after each word
    #: and the clone rings with it.
    max_decay_s: float = 0.5
    #: Share of the time with two or more steady notes that are not one voice's harmonics
    #: (acoustics.tonal_ratio). Speech reads 0-1.4% on the corpus; music 18 dB under the voice
    #: half of the time 11%, a music bed 8 dB under it 20%.
    max_tonal_ratio: float = 0.08
    #: Mains hum (50/60 Hz lines) less than 45 dB under the speech is heard in every pause
    #: (a quiet room's floor sits 50-60 dB under the voice).
    hum_below_speech_db: float = 45.0
    #: Below 7 kHz of bandwidth (wideband speech ends at 7 kHz) the upper formants and the
    #: sibilants are gone: a phone line (3.4 kHz), a low-bitrate MP3 (4-8 kHz).
    min_bandwidth_hz: float = 7000.0
    #: Quantisation noise (step / sqrt(12)) less than 40 dB under the speech: 8-bit audio at a
    #: normal level (33 dB); 10-bit and more are clean enough (45 dB and up).
    min_quantisation_snr_db: float = 40.0
    #: Two groups of speech turns whose median pitches are 7 semitones (a fifth) or more apart:
    #: one speaker's turns stay within 2 semitones on the corpus; a man and a woman are about
    #: an octave (12) apart.
    speaker_pitch_gap_st: float = 7.0
    #: Two speakers by voiceprint: the speech's 1.6 s windows fall in two groups of 3 or more
    #: (about 3 s of speech each) scoring under 0.58 against each other on average. On real
    #: speech (tests/test_speakers.py) one person's windows score 0.67-0.85 across the groups,
    #: an expressive or affected voice included; a woman and a man, or two clearly different
    #: men, taking turns 0.51-0.56. Two women or two men of similar voices (0.59-0.68) pass.
    two_speakers_similarity: float = 0.58
    #: The pitch rule above warns only when the voiceprint does not say one voice: its groups
    #: score under 0.66 (a synthetic low man and high woman: 0.59; one expressive reader: 0.74).
    #: Where the voiceprint has no two groups of 3 windows, the pitch rule decides alone.
    speaker_pitch_confirm_similarity: float = 0.66
    #: Speech (s) needed for the voiceprint's two groups: 2 x 3 windows of 1.6 s every 0.8 s.
    speaker_min_speech_s: float = 6.4
    #: The voiceprint's screen (voiceprint.speakers): half its windows, end to end, first. A
    #: take is plainly one voice, and the windows between are not embedded, when every two of
    #: them score 0.60 or more alike and their two groups most unlike each other 0.68 or more.
    #: On 313 takes of two people taking turns that the voiceprint flags (every pair of the
    #: real-speech corpus' 12 people, turns of 2-4 s, also through one shared 8 kHz channel) it
    #: cleared none (their windows end to end scored at most 0.54 and 0.61); it cleared 10 of 16
    #: real one-person takes and 45 of 46 synthetic ones (bench/speakers.py). Not used where the
    #: pitch rule sees turns at two pitches: the verdict then needs the full voiceprint.
    speaker_screen_pairs: float = 0.60
    speaker_screen_groups: float = 0.68
    #: A take is a voice when 2% or more of its sound (the frames not silent) holds a voice's
    #: harmonics (acoustics.voice_share). Real speech of 12 people (tests/data/speech) reads
    #: 0.30 and up, clean, at 8 kHz, through a phone band or MP3, and 0.045 and up under white
    #: or pink noise as loud as the voice (0 dB SNR); espeak-ng 0.5 and up; white, pink and
    #: brown noise, fans and tones above 400 Hz (64 recordings) 0.006 at most. bench/no_voice.py
    #: prints the margin.
    min_voice_share: float = 0.02


THRESHOLDS = Thresholds()
T = TypeVar("T")
R = TypeVar("R")
FRAME_S = 0.02  # 20 ms analysis frames
STRIP_WIDTH = 60  # characters in a level strip: the values kept per file for it


@dataclass
class Quality:
    clipped_ratio: float
    speech_level_dbfs: float
    peak_dbfs: float
    noise_floor_dbfs: float
    snr_db: float
    leading_silence_s: float
    trailing_silence_s: float
    silent_ratio: float
    speech_seconds: float
    samplerate: int
    channels: int
    channel_level_diff_db: float | None = None
    channel_correlation: float | None = None
    #: the take's length: first word to last, pauses included
    take_seconds: float = 0.0
    #: estimated reverberation decay time (s); None without 25 dB of range over the noise
    decay_time_s: float | None = None
    #: share of the time with two or more steady tones (music)
    tonal_ratio: float = 0.0
    #: mains hum: its frequency and how far under the speech level it is
    hum_hz: float | None = None
    hum_below_speech_db: float | None = None
    #: upper edge of the sound (Hz)
    bandwidth_hz: float | None = None
    #: bit depth of the samples when it is 16 bits or less (None: 24-bit, float or re-encoded)
    bit_depth: int | None = None
    #: pitch gap (semitones) between two groups of speech turns; None with under 4 turns
    speaker_pitch_gap_st: float | None = None
    #: voiceprint similarity between the two groups of speech windows most unlike each other;
    #: None when the speech is too short for two groups of 3 windows. On a take the screen
    #: finds plainly one voice, measured on the windows end to end only
    speaker_similarity: float | None = None
    #: share of the sound (the frames not silent) that holds a voice's harmonics; under
    #: min_voice_share it is noise or a tone, and no speech is counted. None: not measured
    voice_share: float | None = None
    #: the edges without speech (leading_silence_s, trailing_silence_s) are mostly sound, not
    #: silence: noise or a tone with no voice in it (not in JSON)
    edge_sound: bool = False
    #: the level strip's data (not in JSON): the loudest frame level (dBFS) of each of at most
    #: STRIP_WIDTH spans of the take, and whether any frame in that span clipped. A few dozen
    #: values per file, however long it is (the 20 ms frames themselves are not kept).
    strip_db: list[float] | None = None
    strip_clipped: list[bool] | None = None
    #: where the speech, the faults and the window prepare would keep sit, with a waveform
    #: envelope and a small spectrogram (not in JSON): what the terminal and the report draw
    timeline: Timeline | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            name: (round(v, 4) if isinstance(v, float) else v)
            for name in _JSON_FIELDS
            for v in [getattr(self, name)]
        }


#: Quality's fields in JSON, in order: all but the pictures' (dataclasses.fields once, not a
#: call a take)
_JSON_FIELDS = tuple(
    f.name
    for f in fields(Quality)
    if f.name not in ("edge_sound", "strip_db", "strip_clipped", "timeline")
)


def _db(x: float) -> float:
    return 20 * math.log10(x) if x > 1e-10 else -200.0


def decode(path: str, info: AudioInfo | None = None) -> tuple[np.ndarray, int]:
    """(frames x channels float32 in -1..1, rate) of the part of a file a verdict needs: at most
    its first ``VERDICT_SECONDS``, at most 48 kHz. See :mod:`bland_clone.audio.decode`."""
    from . import decode as dec  # lazy: start-up (validate --no-quality)

    if info is None:
        info = inspect(path)
        if info.error:
            raise dec.DecodeError(info.error)
    return dec.excerpt(path, info, seconds=VERDICT_SECONDS)


#: An upload carries at most 60 s a file; a longer file is already refused (pointing at prepare).
VERDICT_SECONDS = limits.MAX_DURATION_S + 5.0


def cut_short(info: AudioInfo, q: Quality) -> Problem | None:
    """A file whose decoded audio (the analysis' length) ends materially before the length
    inspection found: damaged, as a file inspection finds cut short is (the same code)."""
    decoded = q.timeline.seconds if q.timeline is not None else None
    said = min(info.duration or 0.0, VERDICT_SECONDS)
    if decoded is None or not ends_short(said, decoded):
        return None
    message = damaged((info.source or info).shown, info.duration or said, decoded)
    return Problem(message, "unreadable", "error", info.path)


def percentile(values: np.ndarray, q: float) -> float:
    """The q-th percentile (nearest rank). np.percentile and np.median import numpy.ma, which
    costs more start-up time than the whole analysis of a short file."""
    import numpy as np  # lazy: numpy

    if len(values) == 0:
        return -200.0
    k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return float(np.partition(values, k)[k])


def frame_levels(mono: np.ndarray, rate: int) -> np.ndarray:
    """RMS level of each 20 ms frame, in dBFS. ``mono``: float32, or its float64 copy."""
    import numpy as np  # lazy: numpy

    n = max(1, int(rate * FRAME_S))
    usable = len(mono) // n * n
    if usable == 0:
        mono = mono.astype(np.float32, copy=False)  # (exact: a float32 signal's copy)
        return np.array([_db(float(np.sqrt(np.mean(mono**2)))) if len(mono) else -200.0])
    frames = mono[:usable].reshape(-1, n)
    ms = np.empty(len(frames))
    for i in range(0, len(frames), 2048):  # float64 a block at a time: memory stays flat
        f = frames[i : i + 2048].astype(np.float64, copy=False)
        ms[i : i + 2048] = np.einsum("ij,ij->i", f, f) / n
    return 10 * np.log10(np.maximum(ms, 1e-20))


def silent_mask(
    levels: np.ndarray, t: Thresholds = THRESHOLDS, reference: np.ndarray | None = None
) -> np.ndarray:
    """Frames under the gate: far under the loudest frames (of ``reference``, default all)."""
    loud = percentile(levels if reference is None else reference, 95)
    limit = max(loud - t.silence_below_peak_db, t.silence_floor_dbfs)
    return levels < limit


def speech_level(levels: np.ndarray) -> float:
    """The speech level (dBFS) of the speech frames' levels: their power mean, -200 for none."""
    import numpy as np  # lazy: numpy

    return float(10 * np.log10(np.mean(10 ** (levels / 10)))) if len(levels) else -200.0


def noise_floor(levels: np.ndarray, t: Thresholds = THRESHOLDS) -> float:
    """The room's level (dBFS): the median of the frames far under the loudest ones (the
    pauses), or the quietest tenth of the frames when there are no such pauses. Relative to
    the take's own level only: in a quiet take the absolute -60 dBFS floor of
    :func:`silent_mask` takes soft syllables for pauses, and the voice for the room."""
    pauses = levels < percentile(levels, 95) - t.silence_below_peak_db
    if pauses.any():
        return percentile(levels[pauses], 50)
    return percentile(levels, 10)


def analyse(
    data: np.ndarray,
    rate: int,
    t: Thresholds = THRESHOLDS,
    *,
    later: list[voiceprint.Windows | None] | None = None,
) -> Quality:
    """The quality of one take (frames x channels float32). ``later``: the speaker check's
    windows are appended there (one voiceprint.Windows, or None: too little speech), not
    embedded, and ``speaker_similarity`` stays None for the caller to fill
    (:func:`_measure_together` embeds several takes' at once)."""
    import numpy as np  # lazy: numpy

    from . import heap, vad  # lazy: start-up (validate --no-quality)

    heap.keep()  # the temporaries' pages stay mapped from one take to the next

    channels = data.shape[1]
    diff_db = corr = None
    if channels >= 2 and len(data):
        n = len(data)
        sl, sr, ll, rr_, lr = _pair_sums(data[:, 0], data[:, 1])
        rl, rr = math.sqrt(ll / n), math.sqrt(rr_ / n)
        diff_db = abs(_db(rl) - _db(rr))
        if rl > 1e-6 and rr > 1e-6:
            vl, vr = ll - sl * sl / n, rr_ - sr * sr / n
            corr = (lr - sl * sr / n) / math.sqrt(vl * vr) if vl > 0 and vr > 0 else None
    mono = mixdown(data)
    tops = FlatTops(data.shape[1], t)
    for i in range(0, len(data), 1 << 16):
        tops.feed(data[i : i + (1 << 16)])
    peak = tops.peak
    clipped = tops.clipped() / data.size if data.size else 0.0
    # a short take's float64 copy, made once for the frame levels, the detector, the
    # spectrogram and the reverb (each cast the whole take; exact, so the same numbers)
    mono64 = mono.astype(np.float64) if len(mono) <= SHARED_F64_MAX else mono
    levels = frame_levels(mono64, rate)
    silent = silent_mask(levels, t)
    active = levels[~silent]
    speech = speech_level(active)
    noise = noise_floor(levels, t)
    # one 16 kHz copy, shared by the voice detector, the hum and the pitch track
    at16 = vad.at_rate(mono, rate) if not silent.all() else mono
    at16_rate = rate if at16 is mono else vad.RATE
    said = (
        vad.speech_frames(mono64 if at16 is mono else at16, at16_rate, speech)
        if not silent.all()
        else None
    )
    voiced = voiced_from(~silent, said)  # as _voiced()
    heard = int(np.count_nonzero(voiced))  # frames of speech
    lead = int(np.argmax(voiced)) if heard else len(voiced)
    trail = int(np.argmax(voiced[::-1])) if heard else len(voiced)
    n = max(1, int(rate * FRAME_S))
    fc = len(mono) // n
    clipped_frames = None
    if fc:
        frames = mono[: fc * n].reshape(-1, n)
        clipped_frames = tops.clipped_frames(frames)
    strip_db, strip_clipped = _strip_spans(levels, clipped_frames)
    extra = _acoustics(data, mono64, rate, silent, speech, noise, at16, at16_rate) if heard else {}
    no_voice = extra.pop("no_voice", None)
    if extra.get("voice_share", 1.0) < t.min_voice_share:  # noise or a tone: no speech in it
        voiced = np.zeros_like(voiced)
        lead = trail = len(voiced)
        heard = 0
    elif no_voice is not None and (voiced & no_voice).any() and (voiced & ~no_voice).any():
        # noise or a tone beside the speech (a run with no voice in it): not speech; and the
        # gate and the speech level are the voice's (a loud tone beside it raised the gate).
        # Only beside speech: were every frame of speech in such runs, the take would be
        # said to hold none and called too quiet, whatever its level (the whole take's
        # voice_share, above, is what calls a take no voice)
        keep = ~no_voice
        gate = silent_mask(levels, t, levels[keep])
        kept = voiced_from(~gate, said) & keep
        if kept.any():
            silent = gate
            active = levels[~silent & keep]
            if len(active):
                speech = speech_level(active)
            voiced = kept
            heard = int(np.count_nonzero(voiced))
            lead = int(np.argmax(voiced))
            trail = int(np.argmax(voiced[::-1]))
            # nor is it for the speaker check, whose windows are cut from the speech
            at16 = at16.copy()
            step = at16_rate * FRAME_S
            for a, b in _runs(no_voice):
                at16[round(a * step) : round(b * step)] = 0.0
    edges = lead + trail
    edge_sound = bool(heard) and 2 * (
        int(np.count_nonzero(~silent[:lead]))
        + int(np.count_nonzero(~silent[len(silent) - trail :]))
    ) > max(edges, 1)
    take = len(mono) / rate - max(0.0, lead * FRAME_S - t.take_edge_s)
    take -= max(0.0, trail * FRAME_S - t.take_edge_s)
    if heard * FRAME_S >= t.speaker_min_speech_s:
        # the voiceprint's own 16 kHz copy would be the same soxr call: the shared one is it
        gap = extra.get("speaker_pitch_gap_st")
        if later is None:
            extra["speaker_similarity"] = speaker_similarity(at16, at16_rate, gap, t)
        else:
            later.append(speaker_windows(at16, at16_rate, gap, t))
    spectrum = extra.pop("spectrum", None)
    return Quality(
        timeline=take_timeline(
            mono, rate, levels, voiced, clipped_frames, lead * FRAME_S, trail * FRAME_S, spectrum
        ),
        take_seconds=max(0.0, take) if heard else 0.0,
        **extra,
        clipped_ratio=clipped,
        speech_level_dbfs=speech,
        peak_dbfs=_db(peak),
        noise_floor_dbfs=noise,
        snr_db=speech - noise,
        leading_silence_s=lead * FRAME_S,
        edge_sound=edge_sound,
        trailing_silence_s=trail * FRAME_S,
        silent_ratio=float(np.mean(silent)) if len(silent) else 1.0,
        speech_seconds=heard * FRAME_S,
        samplerate=rate,
        channels=channels,
        channel_level_diff_db=diff_db,
        channel_correlation=corr,
        strip_db=strip_db,
        strip_clipped=strip_clipped,
    )


class FlatTops:
    """Clipping by its shape, fed block by block (frames x channels): samples at full scale,
    and runs of equal samples at the extreme of their channel. The extremes are known only at
    the end, so the values of every run of equal loud samples are counted as they come (at
    most 65536 distinct values for 16-bit audio)."""

    #: Runs of equal samples quieter than this (dBFS -20) are never a flat top: silence, or
    #: digital zeros, repeat too.
    LOUD = 0.1

    def __init__(self, channels: int, t: Thresholds = THRESHOLDS) -> None:
        self.t = t
        self.top = [0.0] * channels
        self.bottom = [0.0] * channels
        self.full_scale = 0
        self.runs: list[dict[float, int]] = [{} for _ in range(channels)]
        self._last: list[float] | None = None

    @property
    def peak(self) -> float:
        return max([*self.top, *(-b for b in self.bottom), 0.0])

    def feed(self, block: np.ndarray) -> None:
        """Count a block's full-scale samples and its loud runs. No copy of the block: a block
        whose peak is under the clip level has no full-scale sample to count, and only samples
        that can still be on a flat top are looked at: at or beyond the channel's extremes so
        far, less the tolerance (the extremes only grow, so a value below that now never
        counts in :meth:`clipped`). Most blocks of speech have none; equal neighbours are
        then tested at those samples alone (an hour of audio was 385,000 page faults of
        whole-block temporaries, and a comparison of every neighbour cost more than decoding)."""
        import numpy as np  # lazy: numpy

        if not len(block):
            return
        clip, loud = self.t.clip_level, self.LOUD
        keep = 1 - self.t.flat_top_tolerance
        last = self._last
        self._last = [float(v) for v in block[-1]]
        # the block's own extremes, over its contiguous samples (a channel's is a strided read)
        whole = block.reshape(-1) if block.flags.c_contiguous else block
        top, bottom = float(whole.max()), float(whole.min())
        size = len(block)
        mono = block.shape[1] == 1
        for c in range(block.shape[1]):
            col = block[:, c]
            # a channel's own extremes only when the block's could move them (a mono block's
            # are its channel's)
            hi = float(col.max()) if not (mono or top <= self.top[c]) else top
            lo = float(col.min()) if not (mono or bottom >= self.bottom[c]) else bottom
            self.top[c] = max(self.top[c], hi)
            self.bottom[c] = min(self.bottom[c], lo)
            if not (hi < clip and lo > -clip):  # (NaN too: counted as before)
                self.full_scale += int(np.count_nonzero(np.abs(col) >= clip))
            # loud, and near the extremes: the values clipped() can still count
            up, down = max(loud, self.top[c] * keep), min(-loud, self.bottom[c] * keep)
            if hi < up and lo > down:
                continue
            at = np.flatnonzero((col >= up) | (col <= down))
            if not len(at):
                continue
            v = col[at]
            # a run's samples: equal to the one before or after (a run's first sample may
            # continue the previous block's last one, which was counted already)
            after = np.minimum(at + 1, size - 1)
            same = (col[after] == v) & (at + 1 < size)
            before = np.maximum(at - 1, 0)
            same |= (col[before] == v) & (at > 0)
            if at[0] == 0 and last is not None and col[0] == last[c]:
                same[0] = True
            if not same.any():
                continue
            found, counts = np.unique(v[same], return_counts=True)
            runs = self.runs[c]
            for x, k in zip(found.tolist(), counts.tolist(), strict=True):
                runs[x] = runs.get(x, 0) + k

    def _flat(self, c: int, v: float) -> bool:
        tol = self.t.flat_top_tolerance
        top, bottom = self.top[c], self.bottom[c]
        return (top >= self.LOUD and v >= top * (1 - tol)) or (
            bottom <= -self.LOUD and v <= bottom * (1 - tol)
        )

    def clipped(self) -> int:
        """Clipped samples: on a flat top at the extreme, or at full scale (counted once)."""
        flat = 0
        for c, counts in enumerate(self.runs):
            flat += sum(
                k for v, k in counts.items() if self._flat(c, v) and abs(v) < self.t.clip_level
            )
        return flat + self.full_scale

    def clipped_frames(self, frames: np.ndarray) -> np.ndarray:
        """Which mono frames (frames x samples) reach a flat top or full scale."""
        import numpy as np  # lazy: numpy

        limit = self.t.clip_level
        if self.clipped() > self.full_scale:  # flat tops below full scale: they reach the peak
            limit = min(limit, self.peak * (1 - self.t.flat_top_tolerance))
        loud = np.maximum(frames.max(axis=1), -frames.min(axis=1))
        return np.asarray(loud >= max(limit, self.LOUD))


def _strip_spans(
    levels: np.ndarray, clipped: np.ndarray | None, width: int = STRIP_WIDTH
) -> tuple[list[float], list[bool]]:
    """The loudest level and any clipping in each of at most ``width`` equal spans of frames."""
    import numpy as np  # lazy: numpy

    if not len(levels):
        return [], []
    per = max(1, math.ceil(len(levels) / width))
    starts = np.arange(0, len(levels), per)
    loudest = np.maximum.reduceat(levels, starts)
    if clipped is None or not len(clipped):
        any_clip = np.zeros(len(starts), dtype=bool)
    else:
        flags = np.zeros(len(levels), dtype=bool)
        flags[: len(clipped)] = clipped[: len(levels)]
        any_clip = np.logical_or.reduceat(flags, starts)
    return loudest.tolist(), any_clip.tolist()  # Python floats and bools


def _voiced(mono: np.ndarray, rate: int, silent: np.ndarray, speech_db: float) -> np.ndarray:
    """Frames with speech: loud enough (the energy gate) and heard as a voice by the voice-
    activity detector. In a noisy room, under hum or music, the gate alone counts every pause
    as speech. When the detector hears a voice in under a third of the loud frames (a sound it
    was not trained on, such as a synthetic tone), or is not installed, the gate decides."""
    from . import vad  # lazy: start-up (validate --no-quality)

    loud = ~silent
    heard = vad.speech_frames(mono, rate, speech_db) if loud.any() else None
    return voiced_from(loud, heard)


def voiced_from(loud: np.ndarray, heard: np.ndarray | None) -> np.ndarray:
    """Frames both loud (the energy gate) and heard as a voice (the detector's verdicts, one a
    20 ms frame), without runs under 100 ms; the gate alone when the detector hears a voice in
    under a third of the loud frames, or is not installed."""
    import numpy as np  # lazy: numpy

    if heard is None or not len(heard):
        return loud
    if len(heard) < len(loud):
        heard = np.concatenate([heard, np.repeat(heard[-1:], len(loud) - len(heard))])
    both = loud & heard[: len(loud)]
    # runs under 100 ms are the detector settling (it starts by calling noise speech) or clicks
    edges = np.flatnonzero(np.diff(np.concatenate([[0], both.astype(np.int8), [0]])))
    starts, ends = edges[::2], edges[1::2]
    short = ends - starts < 5
    if short.any():  # runs are apart: their starts and ends are all different frames
        mark = np.zeros(len(both) + 1, np.int8)
        mark[starts[short]] = 1
        mark[ends[short]] = -1
        both &= np.cumsum(mark[:-1]) == 0
    return both if both.sum() * 3 >= loud.sum() else loud


#: Noise or a tone beside the speech, however the voice detector hears it, is not speech: a
#: run with no frame that sounds like a voice, 1.5 s or more long before the first voice-like
#: frame or after the last, 3 s or more between two. Calibrated on the real-speech corpus
#: (tests/data/speech, 12 people, 26 takes of 12 s): clean and through a phone band no speech
#: is taken out; with white or pink noise added throughout at 0-10 dB SNR, noise-filled pauses
#: are, and at most 0.28 s of the clean take's speech frames with them (156 takes: 0.8 s in
#: all). With a 1 s edge, one take's first 1.4 s of speech under noise went. Noise and tones
#: of 4 s are taken out whole (tests/test_no_voice_runs.py).
NO_VOICE_EDGE_S = 1.5
NO_VOICE_INNER_S = 3.0
#: A frame sounds like a voice, for the runs above, when it and the next score this cepstral
#: peak prominence or more (acoustics.voice_scores; the share counts VOICE_CPP, 20): lenient,
#: as a voice under noise must keep its speech, and two frames, as noise reaches 14 now and
#: then (white noise in 1% of its frames).
RUN_VOICE_CPP = 14.0


def no_voice_runs(scores: np.ndarray | None, hop_s: float, frames: int) -> np.ndarray:
    """One bool per 20 ms frame (``frames`` of them): within a run (NO_VOICE_EDGE_S at an end
    of the take, NO_VOICE_INNER_S between voices) in which no spectrogram row (``scores``:
    acoustics.voice_scores, rows ``hop_s`` apart) sounds like a voice. All False when
    ``scores`` is None (nothing to tell)."""
    import numpy as np  # lazy: numpy

    out = np.zeros(frames, bool)
    if scores is None or not len(scores) or not frames:
        return out
    voice = scores >= RUN_VOICE_CPP
    voice[:-1] &= voice[1:]  # a frame and the next
    voice[1:] |= voice[:-1]  # (both of the pair)
    rows = np.minimum((np.arange(frames) * FRAME_S / hop_s).astype(int), len(voice) - 1)
    # a 20 ms frame is voiced when the row over it or the next one is (rows are 32 ms apart)
    v = voice[rows] | voice[np.minimum(rows + 1, len(voice) - 1)]
    for a, b in _runs(~v):
        edge = a == 0 or b == frames
        if (b - a) * FRAME_S >= (NO_VOICE_EDGE_S if edge else NO_VOICE_INNER_S) - 1e-9:
            out[a:b] = True
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, end) of each run of True in ``mask``."""
    import numpy as np  # lazy: numpy

    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def no_voice_of(mono: np.ndarray, rate: int, t: Thresholds = THRESHOLDS) -> np.ndarray:
    """:func:`no_voice_runs` of a stretch of sound, as :func:`analyse` reads it: what prepare
    takes out of the detector's speech."""
    import numpy as np  # lazy: numpy

    from . import acoustics  # lazy: start-up (validate --no-quality)

    silent = silent_mask(frame_levels(mono, rate), t)
    if silent.all():
        return np.zeros(len(silent), bool)
    spec, bin_hz, hop, which = _spectrum_rows(mono, rate, len(silent))
    return no_voice_runs(acoustics.voice_scores(spec, bin_hz, ~silent[which]), hop, len(silent))


def _spectrum_rows(
    mono: np.ndarray, rate: int, frames: int
) -> tuple[np.ndarray, float, float, np.ndarray]:
    """The spectrogram the voice measures read (acoustics.spectrogram), its bin width, its hop
    (s) and the 20 ms frame (of ``frames``) each of its rows starts in."""
    import numpy as np  # lazy: numpy

    from . import acoustics  # lazy: start-up (validate --no-quality)

    spec, bin_hz = acoustics.spectrogram(mono, rate)
    hop = 0.5 / bin_hz
    which = np.minimum((np.arange(len(spec)) * hop / FRAME_S).astype(int), frames - 1)
    return spec, bin_hz, hop, which


def _pair_sums(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float, float]:
    """sum a, sum b, sum a*a, sum b*b, sum a*b in float64, a block at a time (no float64
    copy of the whole recording). Not BLAS's dot product: OpenBLAS wakes its threads for each
    one, and on a busy machine that cost 30-120 ms a stereo file (a third of its analysis)."""
    import numpy as np  # lazy: numpy

    out = [0.0] * 5
    for i in range(0, len(a), 1 << 16):
        x = a[i : i + (1 << 16)].astype(np.float64)
        y = b[i : i + (1 << 16)].astype(np.float64)
        out[0] += float(x.sum())
        out[1] += float(y.sum())
        out[2] += float(np.einsum("i,i->", x, x))
        out[3] += float(np.einsum("i,i->", y, y))
        out[4] += float(np.einsum("i,i->", x, y))
    return out[0], out[1], out[2], out[3], out[4]


def _acoustics(
    data: np.ndarray,
    mono: np.ndarray,
    rate: int,
    silent: np.ndarray,
    speech_db: float,
    noise_db: float,
    at16: np.ndarray,
    at16_rate: int,
) -> dict[str, Any]:
    """The measurements of acoustics.py, as Quality fields. ``mono``: float32, or its float64
    copy; ``at16``: ``mono`` at the voice detector's 16 kHz (or the float32 ``mono`` itself),
    what the hum and the pitch track resample from."""
    import numpy as np  # lazy: numpy

    from . import acoustics  # lazy: start-up (validate --no-quality)
    from .timeline import spectrum_picture  # lazy: start-up (validate --no-quality)

    spec, bin_hz, hop_s, which = _spectrum_rows(mono, rate, len(silent))
    loud = ~silent[which]
    hum = acoustics.hum(at16, at16_rate, speech_db)
    skip = [hum[0] * k for k in range(1, int(2000 / hum[0]) + 2)] if hum else None
    logs = acoustics.low_logs(spec, bin_hz)  # for voice_scores and tonal_ratio alike
    scores = acoustics.voice_scores(spec, bin_hz, loud, logs)  # voice_share's, shared
    n_loud = int(loud.sum())
    share = 1.0 if scores is None else 0.0
    if scores is not None and n_loud:
        share = float(np.count_nonzero(scores >= acoustics.VOICE_CPP)) / n_loud
    no_voice = no_voice_runs(scores, hop_s, len(silent))
    quiet = silent | no_voice  # noise or a tone beside the speech is no turn of it
    # the rows that reach into it (a row spans 64 ms: its frame and the next three)
    beside = no_voice[which] | no_voice[np.minimum(which + 3, len(silent) - 1)]
    # the pitch track only where two speakers can be told apart at all (four long turns)
    turns = acoustics.speech_turns(quiet, FRAME_S)
    split = None
    if acoustics.may_split(turns, FRAME_S):
        f0, f0_hop = acoustics.pitch_track(at16, at16_rate)
        split = acoustics.speaker_split(f0, f0_hop, quiet, FRAME_S, turns)
    return {
        "decay_time_s": acoustics.decay_time(mono, rate, noise_db),
        "tonal_ratio": acoustics.tonal_ratio(spec, bin_hz, hop_s, speech_db, skip, logs),
        "hum_hz": hum[0] if hum else None,
        "hum_below_speech_db": hum[1] if hum else None,
        # the voice's band: noise beside it, filling the upper band, would hide a phone line
        "bandwidth_hz": acoustics.bandwidth(spec, bin_hz, loud, beside),
        "voice_share": share,
        "no_voice": no_voice,  # not a Quality field: analyse takes it out of the speech
        "bit_depth": acoustics.bit_depth(data),
        "speaker_pitch_gap_st": split,
        "spectrum": spectrum_picture(spec, bin_hz),  # for the timeline (the report's picture)
    }


def speaker_similarity(
    mono: np.ndarray, rate: int, pitch_gap: float | None = None, t: Thresholds = THRESHOLDS
) -> float | None:
    """How alike the two groups of speech windows most unlike each other sound, by voiceprint
    (see voiceprint.speakers); None when either group has under 3 windows, unless the screen
    found the windows end to end plainly one voice (their own split is then the answer). The
    costliest check here (about as long as a voiceprint of the take), so analyse() runs it
    only on takes with speech enough to hold turns, and screens it (half the windows first)
    unless ``pitch_gap`` shows turns at two pitches."""
    from . import voiceprint  # lazy: start-up (validate --no-quality)

    windows = speaker_windows(mono, rate, pitch_gap, t)
    return _similarity(voiceprint.speakers_of([windows])[0])


def speaker_windows(
    mono: np.ndarray, rate: int, pitch_gap: float | None = None, t: Thresholds = THRESHOLDS
) -> voiceprint.Windows | None:
    """:func:`speaker_similarity`'s windows, screened or not, before the encoder runs."""
    from . import voiceprint  # lazy: start-up (validate --no-quality)

    two_pitches = pitch_gap is not None and pitch_gap >= t.speaker_pitch_gap_st
    screen = None if two_pitches else (t.speaker_screen_pairs, t.speaker_screen_groups)
    return voiceprint.speaker_windows(mono, rate, screen)


def _similarity(split: voiceprint.Speakers | None) -> float | None:
    """:func:`speaker_similarity` of the windows' split."""
    if split is None or (min(split.sizes) < 3 and not split.screened):
        return None
    return split.between


def quantisation_db(bits: int) -> float:
    """Level of the quantisation noise of `bits`-bit samples (step / sqrt(12)), in dBFS."""
    return _db(2.0 ** (1 - bits) / math.sqrt(12))


def live_channel(rms: list[float], t: Thresholds = THRESHOLDS) -> int | None:
    """The one channel to keep when every other is more than ``channel_level_diff_db`` under
    it (dead, or a different microphone); None: the channels are mixed. From the RMS level of
    each channel over the whole recording; what prepare, the quality check and the conversion
    for upload all decide by."""
    if len(rms) < 2:
        return None
    best = max(range(len(rms)), key=lambda i: rms[i])
    others = [i for i in range(len(rms)) if i != best]
    if all(_db(rms[best]) - _db(rms[i]) > t.channel_level_diff_db for i in others):
        return best
    return None


def mixdown(data: np.ndarray, t: Thresholds = THRESHOLDS) -> np.ndarray:
    """Mono: the mean of the channels, or the live one when another is dead."""
    import numpy as np  # lazy: numpy

    if data.shape[1] == 1:
        return data[:, 0]
    if data.shape[1] == 2:
        _, _, ll, rr, _ = _pair_sums(data[:, 0], data[:, 1])
        rms = np.sqrt(np.array([ll, rr]) / max(1, len(data)))
    else:
        rms = np.sqrt(np.mean(data.astype(np.float64) ** 2, axis=0))
    live = live_channel([float(r) for r in rms], t)
    mono: np.ndarray
    if live is not None:
        mono = data[:, live]
    elif data.shape[1] == 2:
        mono = (data[:, 0] + data[:, 1]) * np.float32(0.5)
    else:
        mono = data.mean(axis=1, dtype=np.float32)
    return mono


def past(value: float, limit: float, places: int) -> str:
    """`value` with `places` decimals, rounded to the nearest unless that reads as the limit or
    beyond it: a measure on one side of its limit then shows the last step on its side ("0.67
    alike, under 0.68" for 0.6799, not "0.68 ... under 0.68"; "-32.1 dBFS, below -32" for
    -32.04), while 3.96 kHz under 7 still reads 4.0."""
    shown = round(round(value * 10.0**places, 6))  # 0.57 * 100 is 56.99999999999999
    edge = round(limit * 10.0**places, 6)
    if value < limit and shown >= edge:
        shown = math.ceil(edge) - 1
    elif value > limit and shown <= edge:
        shown = math.floor(edge) + 1
    return f"{shown / 10.0**places:.{places}f}"


#: A peak at or under this is silence: 16-bit's last step is -90.3 dBFS, so nothing louder than
#: dither or a muted input. Above it, a take without speech is a voice too quiet to tell apart.
SILENCE_PEAK_DBFS = -90.0
#: validate suggests prepare for a take without measurable speech only when it peaks above
#: this (measured on real speech: prepare made a sample of takes peaking at -62 and -65 dBFS,
#: and found no speech in one peaking at -69)
PREPARE_LIFTS_FROM_PEAK_DBFS = -66.0


def no_speech(loudest_dbfs: float, *, peak: bool, suggest_prepare: bool = False) -> str:
    """Why no speech was found, said alike by validate and prepare: silence, or sound too quiet
    to tell speech from noise (a faint voice is not called a silent recording). ``peak``: the
    level is the sample peak (validate), else the loudest 20 ms frame (prepare's scan)."""
    if loudest_dbfs <= SILENCE_PEAK_DBFS:
        return "no speech found (the recording is silent)"
    level = (
        f"it peaks at {loudest_dbfs:.0f} dBFS"
        if peak
        else (f"its loudest moment is at {loudest_dbfs:.0f} dBFS")
    )
    also = " (prepare lifts a quiet voice: try it)" if suggest_prepare else ""
    return (
        f"no speech found: {level}, too quiet to tell speech from noise; "
        f"record with more gain{also}"
    )


def no_voice() -> str:
    """Why a take with sound but no voice in it is refused: said alike by validate and prepare
    (so record, which runs both, says it once)."""
    return (
        "no speech found: no voice heard in it (it sounds like noise or a tone, not speech); "
        "record a person speaking"
    )


def voice_share_of(mono: np.ndarray, rate: int, t: Thresholds = THRESHOLDS) -> float:
    """:func:`acoustics.voice_share` of a stretch of sound, as :func:`analyse` reads it (0: all
    silent): what prepare asks of the window it keeps."""

    from . import acoustics  # lazy: start-up (validate --no-quality)

    silent = silent_mask(frame_levels(mono, rate), t)
    if silent.all():
        return 0.0
    spec, bin_hz, _, which = _spectrum_rows(mono, rate, len(silent))
    return acoustics.voice_share(spec, bin_hz, ~silent[which])


def problems(info: AudioInfo, q: Quality, t: Thresholds = THRESHOLDS) -> list[Problem]:
    """Warnings, each with its number and a plain-language hint. A file converted for the
    upload is named as the user gave it (its source), not as the WAV made of it."""

    name = (info.source or info).shown
    out: list[Problem] = []

    def warn(code: str, message: str) -> None:
        out.append(Problem(f'File "{name}": {message}', f"quality_{code}", "warning", info.path))

    short = cut_short(info, q)
    if short is not None:  # what was measured is only the part that decodes
        return [short]
    if q.voice_share is not None and q.voice_share < t.min_voice_share:  # noise or a tone
        message = f'File "{name}": {no_voice()}'
        return [Problem(message, "quality_no_voice", "error", info.path)]
    if q.speech_seconds <= 0 or q.speech_level_dbfs <= -200.0:  # nothing else to measure
        # prepare lifted takes peaking at -62 and -65 dBFS; at -69 its scan found no speech
        lift = q.peak_dbfs > PREPARE_LIFTS_FROM_PEAK_DBFS
        message = f'File "{name}": {no_speech(q.peak_dbfs, peak=True, suggest_prepare=lift)}'
        return [Problem(message, "quality_no_speech", "error", info.path)]
    if q.clipped_ratio > t.clipped_ratio:
        warn(
            "clipped",
            f"{q.clipped_ratio:.1%} of samples are clipped (flat tops); "
            "record with less gain: clipping cannot be undone.",
        )
    if q.speech_level_dbfs < t.too_quiet_dbfs:
        warn(
            "too_quiet",
            f"speech is quiet ({past(q.speech_level_dbfs, t.too_quiet_dbfs, 1)} dBFS, below "
            f"{t.too_quiet_dbfs:g}); move closer to the microphone or raise the gain "
            "(prepare normalises the level).",
        )
    elif q.speech_level_dbfs > t.too_loud_dbfs:
        warn(
            "too_loud",
            f"speech is very loud ({past(q.speech_level_dbfs, t.too_loud_dbfs, 1)} dBFS, above "
            f"{t.too_loud_dbfs:g}); lower the gain (prepare normalises the level).",
        )
    edges = max(q.leading_silence_s, q.trailing_silence_s)
    if edges > t.edge_silence_s:
        warn(
            "edge_silence",
            f"{q.leading_silence_s:.1f}s of "
            + ("sound with no voice in it (noise or a tone)" if q.edge_sound else "silence")
            + " at the start and "
            f"{q.trailing_silence_s:.1f}s at the end (prepare trims it).",
        )
    if q.silent_ratio > t.silent_ratio:
        warn(
            "mostly_silent",
            f"{q.silent_ratio:.0%} of the file is silent or near-silent; "
            "the clone needs speech (prepare picks the part with the most).",
        )
    hum = q.hum_below_speech_db is not None and q.hum_below_speech_db < t.hum_below_speech_db
    music = q.tonal_ratio > t.max_tonal_ratio
    coarse = (
        q.bit_depth is not None
        and q.speech_level_dbfs - quantisation_db(q.bit_depth) < t.min_quantisation_snr_db
    )
    # The noise floor a hum, a music bed or coarse samples make is named as such, not as a
    # room: when the hum's own level (or the quantisation noise) is within 6 dB of the floor.
    explained = (
        music
        or (
            hum
            and q.hum_below_speech_db is not None
            and q.speech_level_dbfs - q.hum_below_speech_db >= q.noise_floor_dbfs - 6.0
        )
        or (
            coarse
            and q.bit_depth is not None
            and q.noise_floor_dbfs < quantisation_db(q.bit_depth) + 6.0
        )
    )
    if q.snr_db < t.min_snr_db and q.speech_level_dbfs > -200 and not explained:
        warn(
            "noisy",
            f"background noise is high (noise floor {q.noise_floor_dbfs:.1f} dBFS, "
            f"signal-to-noise {past(q.snr_db, t.min_snr_db, 1)} dB, below {t.min_snr_db:g}); "
            "record in a quieter room, away from fans and computers.",
        )
    if hum:
        warn(
            "hum",
            f"mains hum at {q.hum_hz:g} Hz and its harmonics, "
            f"{past(q.hum_below_speech_db or 0.0, t.hum_below_speech_db, 1)} dB "
            f"under the speech (warns within {t.hum_below_speech_db:g} dB); move away from "
            "power supplies and lights, or use a battery-powered or balanced microphone.",
        )
    if music:
        warn(
            "music",
            "background music or tones: "
            f"{past(q.tonal_ratio * 100, t.max_tonal_ratio * 100, 0)}% of the time holds steady "
            "notes "
            f"(above {t.max_tonal_ratio:.0%}); record with no music playing: the clone learns it.",
        )
    if q.decay_time_s is not None and q.decay_time_s > t.max_decay_s:
        warn(
            "reverb",
            "the room echoes: estimated decay time "
            f"{past(q.decay_time_s, t.max_decay_s, 2)}s after each word "
            f"(above {t.max_decay_s:g}s); record in a smaller, furnished room, closer to the "
            "microphone (soft furnishings, not bare walls).",
        )
    if (
        q.bandwidth_hz is not None
        and q.bandwidth_hz < t.min_bandwidth_hz
        and q.samplerate >= t.min_samplerate
    ):
        warn(
            "band_limited",
            "the sound stops at "
            f"{past(q.bandwidth_hz / 1000, t.min_bandwidth_hz / 1000, 1)} kHz (below "
            f"{t.min_bandwidth_hz / 1000:g} kHz): a phone line or a low-bitrate (lossy) "
            "encoding cut the upper formants; use the original recording, or export WAV or "
            "MP3 at 128 kbit/s or more.",
        )
    if coarse and q.bit_depth is not None:
        warn(
            "low_bit_depth",
            f"{q.bit_depth}-bit samples: their quantisation noise is "
            + past(q.speech_level_dbfs - quantisation_db(q.bit_depth), t.min_quantisation_snr_db, 1)
            + " dB under the speech "
            f"(below {t.min_quantisation_snr_db:g}); export 16-bit or more (this noise is the "
            "file's, not the room's).",
        )
    alike, gap = q.speaker_similarity, q.speaker_pitch_gap_st
    pitches = f"turns at two pitches {gap:.1f} semitones apart" if gap is not None else ""
    if gap is None or gap < t.speaker_pitch_gap_st:
        pitches = ""
    if alike is not None and alike < t.two_speakers_similarity:
        warn(
            "two_speakers",
            f"more than one speaker: two groups of speech sound "
            f"{past(alike, t.two_speakers_similarity, 2)} alike by voiceprint "
            f"(warns under {t.two_speakers_similarity:g}; one person scores about 0.7-0.85)"
            + (f", and {pitches}" if pitches else "")
            + "; a sample must hold one voice only.",
        )
    elif pitches and (alike is None or alike < t.speaker_pitch_confirm_similarity):
        warn(
            "two_speakers",
            f"more than one speaker: {pitches} (warns at {t.speaker_pitch_gap_st:g}); a sample "
            "must hold one voice only.",
        )
    if q.samplerate < t.min_samplerate:
        warn(
            "low_samplerate",
            f"the sample rate is {q.samplerate} Hz, below "
            f"{t.min_samplerate} Hz; the clone will sound muffled. Record at 44.1 or 48 kHz.",
        )
    if q.channel_level_diff_db is not None and q.channel_level_diff_db > t.channel_level_diff_db:
        warn(
            "dead_channel",
            f"the channels differ by {q.channel_level_diff_db:.1f} dB: one is "
            "silent or a different microphone (prepare keeps the live one).",
        )
    elif q.channel_correlation is not None and q.channel_correlation < t.min_channel_correlation:
        warn(
            "stereo_differs",
            f"the channels are not one centred voice (correlation "
            f"{q.channel_correlation:.2f}); record mono (prepare mixes to mono).",
        )
    if q.take_seconds < limits.RECOMMENDED_MIN_S:
        warn(
            "speech_length",
            f"the take is {q.take_seconds:.1f}s long (first word to last, pauses included); "
            f"{limits.RECOMMENDED_MIN_S:g}-{limits.RECOMMENDED_MAX_S:g} seconds of clear speech "
            "is recommended: record a longer take.",
        )
    elif q.speech_seconds > limits.RECOMMENDED_MAX_S:
        warn(
            "speech_length",
            f"{q.speech_seconds:.1f}s of actual speech (pauses excluded); "
            f"{limits.RECOMMENDED_MIN_S:g}-{limits.RECOMMENDED_MAX_S:g} seconds of clear speech "
            "is recommended (prepare picks the best window).",
        )
    return out


#: The analysis' version: raise it with any change that can change a Quality. Verdicts are
#: cached beside voices.lock (apply, plan) and in the user cache folder (every command), and
#: read from either (core.verdicts.lookup), under the package's version, this version and the
#: sample's sha256 (core.lockfile.verdict_key).
ANALYSIS_VERSION = 5


class Verdicts(Protocol):
    """Where verdicts are remembered between runs: ``lockfile.HashCache`` (beside voices.lock),
    ``verdicts.VerdictStore`` (the user cache folder), or both read as one
    (``verdicts.lookup``), all by the file's hash."""

    def verdict(self, path: str, version: int) -> dict[str, Any] | None: ...

    def remember(self, path: str, version: int, verdict: dict[str, Any]) -> None: ...


def measure(
    info: AudioInfo, later: list[voiceprint.Windows | None] | None = None
) -> Quality | None:
    """Decode and analyse one inspected file; None when it cannot be decoded. ``later``: see
    :func:`analyse`."""
    if info.error or not info.duration:
        return None
    try:
        data, rate = decode(info.path, info)
    except Exception:  # the decoder refuses: the header check already reported what it could
        return None
    if not data.size:
        return None
    return analyse(data, rate, later=later)


def check(info: AudioInfo) -> tuple[Quality | None, list[Problem]]:
    """Decode and analyse one inspected file; None when it cannot be decoded."""
    q = measure(info)
    return (q, problems(info, q)) if q is not None else (None, [])


def measure_many(infos: Sequence[AudioInfo], cache: Verdicts | None = None) -> list[Quality | None]:
    """:func:`measure` of each file, in order: from ``cache`` where it holds the verdict of the
    same bytes and analysis, the rest in worker processes (:func:`pool_imap`), or under
    POOL_FROM of them in this process with their speaker checks batched
    (:func:`_measure_together`)."""
    return list(measure_each(infos, cache, together=True))


def measure_each(
    infos: Sequence[AudioInfo], cache: Verdicts | None = None, *, together: bool = False
) -> Generator[Quality | None, None, None]:
    """:func:`measure_many`, each file's result as soon as it and those before it are known (so
    a caller can act on the first files while the workers analyse the rest). Closing the
    iterator early ends the workers. ``together``: files analysed in this process (under
    POOL_FROM) come all at once, their speaker checks batched (:func:`_measure_together`)."""
    hits = [cached(cache, info) for info in infos]
    todo = [info for info, hit in zip(infos, hits, strict=True) if hit is None]
    if len(todo) >= POOL_FROM:
        _preload()  # once here, not once in each forked worker
    if together and len(todo) < POOL_FROM:
        measured = iter(_measure_together(todo))
    else:
        measured = pool_imap(measure, todo)
    for info, hit in zip(infos, hits, strict=True):
        if hit is not None:
            yield hit
            continue
        q = next(measured)
        if q is not None and cache is not None:
            try:
                cache.remember(info.path, ANALYSIS_VERSION, to_verdict(q))
            except OSError:
                pass  # only a cache
        yield q


def _measure_together(infos: Sequence[AudioInfo]) -> list[Quality | None]:
    """:func:`measure` of each file in this process, the speaker check's encoder run over every
    take's windows at once (voiceprint.speakers_of: two batches, not two a take), shared among
    the cores when this process runs no other thread (no other analysis beside it)."""
    if not infos:  # every verdict was cached: nothing to import (numpy, the model's module)
        return []
    from . import voiceprint  # lazy: start-up (validate --no-quality)

    found: list[tuple[Quality | None, list[voiceprint.Windows | None]]] = []
    for info in infos:
        later: list[voiceprint.Windows | None] = []
        found.append((measure(info, later), later))
    windows = [later[0] for q, later in found if q is not None and later]
    alone = threading.active_count() == 1
    splits = iter(voiceprint.speakers_of(windows, side_by_side=not alone))
    for q, later in found:
        if q is not None and later:
            q.speaker_similarity = _similarity(next(splits))
    return [q for q, _ in found]


def _preload() -> None:
    """Import what every analysis uses, so forked workers start with it."""
    import numpy  # lazy: numpy  # noqa: F401
    import soundfile  # lazy: soundfile  # noqa: F401
    import soxr  # lazy: soxr  # noqa: F401
    import threadpoolctl  # lazy: threadpoolctl (each worker's start)  # noqa: F401

    from . import acoustics, timeline, vad  # lazy: start-up (validate --no-quality)  # noqa: F401
    from . import decode as dec  # lazy: start-up (validate --no-quality)  # noqa: F401

    vad.available()


def to_verdict(q: Quality) -> dict[str, Any]:
    """A Quality as JSON values, every field, exactly (the timeline's bytes as hex)."""
    d = {f.name: getattr(q, f.name) for f in fields(q)}
    tl = q.timeline
    if tl is not None:
        sp = tl.spectrum
        d["timeline"] = {
            "seconds": tl.seconds,
            "envelope": tl.envelope.hex(),
            "spans": [[x.kind, x.start_s, x.end_s] for x in tl.spans],
            "window": list(tl.window) if tl.window is not None else None,
            "spectrum": None
            if sp is None
            else {
                "columns": sp.columns,
                "rows": sp.rows,
                "top_hz": sp.top_hz,
                "cells": sp.cells.hex(),
            },
        }
    return d


def from_verdict(d: dict[str, Any]) -> Quality:
    """:func:`to_verdict` read back (TypeError, ValueError or KeyError: not a verdict)."""
    from .timeline import Span, Spectrum, Timeline  # lazy: start-up (validate --no-quality)

    d = dict(d)
    tl = d.get("timeline")
    if tl is not None:
        sp = tl["spectrum"]
        d["timeline"] = Timeline(
            seconds=float(tl["seconds"]),
            envelope=bytes.fromhex(tl["envelope"]),
            spans=tuple(Span(k, float(a), float(b)) for k, a, b in tl["spans"]),
            window=(float(tl["window"][0]), float(tl["window"][1])) if tl["window"] else None,
            spectrum=None
            if sp is None
            else Spectrum(
                int(sp["columns"]), int(sp["rows"]), float(sp["top_hz"]), bytes.fromhex(sp["cells"])
            ),
        )
    return Quality(**d)


def cached(cache: Verdicts | None, info: AudioInfo) -> Quality | None:
    """The verdict ``cache`` remembers for these bytes by this analysis, or None (not judged
    yet, unreadable, or not a verdict). Reads a verdict, never analyses the audio."""
    if cache is None or info.error or not info.duration:
        return None
    try:
        hit = cache.verdict(info.path, ANALYSIS_VERSION)
        return from_verdict(hit) if hit is not None else None
    except (OSError, TypeError, ValueError, KeyError):  # unreadable, or not a verdict: measure
        return None


def check_many(
    infos: Sequence[AudioInfo],
    cache: Verdicts | None = None,
    known: Mapping[str, Quality | None] | None = None,
) -> list[tuple[Quality | None, list[Problem]]]:
    """:func:`check` of each file, in order; ``known``: files measured already, by path."""
    known = known or {}
    todo = [i for i in infos if i.path not in known]
    found = dict(zip([i.path for i in todo], measure_many(todo, cache), strict=True))
    out: list[tuple[Quality | None, list[Problem]]] = []
    for info in infos:
        q = known[info.path] if info.path in known else found[info.path]
        out.append((q, problems(info, q)) if q is not None else (None, []))
    return out


#: Takes of at most this many samples (16 s at 16 kHz) share one float64 copy in analyse();
#: longer ones are cast a block at a time (memory stays flat).
SHARED_F64_MAX = 1 << 18

#: Fewer files than this are analysed in this process: a worker's start costs more.
POOL_FROM = 8


def pool_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """:func:`pool_imap` as a list."""
    return list(pool_imap(fn, items))


def pool_imap(fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """``(fn(x) for x in items)`` in order, in one worker process a core once there are
    POOL_FROM items (threads only contend for the interpreter: slower than one). Workers ignore
    Ctrl-C; the pool is ended with its caller's KeyboardInterrupt (or any error, or the iterator
    closed early), so an interrupted folder stops at once and prints one message, not one a
    worker. Forked when this process runs no other thread (numpy is then already imported),
    else from a fork server."""
    workers = min(usable_cores(), len(items) // (POOL_FROM // 2))
    if len(items) < POOL_FROM or workers < 2:
        yield from map(fn, items)
        return
    import multiprocessing  # lazy: multiprocessing is slow to import

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        method = "fork"
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":  # the server imports the analysis once, not the caller's script
        ctx.set_forkserver_preload([__name__])
    tasks = [(fn, items[a:b]) for a, b in _guided(len(items), workers)]
    # Ctrl-C (or SIGTERM) waits while the pool is built: an interrupt inside the Pool's own
    # constructor left workers no one ended, and the program hung at exit joining them. The
    # workers start with the signals blocked too, until _worker_start has set their handlers.
    held = _hold_stop_signals()
    try:
        pool = ctx.Pool(workers, initializer=_worker_start)
    except BaseException:
        _release_stop_signals(held)
        raise
    with pool:
        _release_stop_signals(held)  # a Ctrl-C pressed meanwhile raises here: the pool ends
        for done in pool.imap(_run_chunk, tasks, chunksize=1):
            yield from done


#: What stops a run: Ctrl-C, and what the CLI treats as it (see __main__).
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _hold_stop_signals() -> Any:
    """Block the stop signals in this thread (where the platform can); what to restore."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)


def _release_stop_signals(held: Any) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _guided(count: int, workers: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk of ``count`` items for ``workers``: an eighth of what is
    left a worker (two items at least), so chunks shrink as the work runs out. Few messages
    for the bulk, and the workers finish together: the last chunks are two items, not a
    sixteenth of all (with equal chunks, one worker idled for half a chunk at the end on
    average)."""
    out = []
    start = 0
    while start < count:
        size = max(2, (count - start) // (workers * 8))
        out.append((start, min(count, start + size)))
        start += size
    return out


def _run_chunk(task: tuple[Callable[[T], R], Sequence[T]]) -> list[R]:
    fn, items = task
    return [fn(x) for x in items]


def _worker_start() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent ends the pool on Ctrl-C
    for name in ("SIGTERM", "SIGHUP"):  # the CLI's handlers (stop as Ctrl-C does) are the
        signum = getattr(signal, name, None)  # parent's: the pool ends a worker by SIGTERM
        if signum is not None:
            signal.signal(signum, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # held while the pool was built (pool_map)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    # one BLAS thread a worker: there is a worker a core already, and OpenBLAS's threads spin
    # between the voiceprint's many small products (see voiceprint.one_blas_thread)
    from threadpoolctl import threadpool_limits  # lazy: threadpoolctl

    threadpool_limits(1, user_api="blas")


SPARK = " ▁▂▃▄▅▆▇█"


def level_strip(q: Quality, width: int = STRIP_WIDTH) -> list[tuple[str, str]]:
    """(character, style) pairs: a one-line loudness picture; silence dotted, clipping red.

    Drawn from the spans kept at analysis (:attr:`Quality.strip_db`); a narrower ``width``
    merges neighbouring spans."""
    levels = q.strip_db or []
    if not levels:
        return []
    clipped = q.strip_clipped or [False] * len(levels)
    per = max(1, math.ceil(len(levels) / width))
    top = max(levels)
    floor = max(top - THRESHOLDS.silence_below_peak_db, THRESHOLDS.silence_floor_dbfs)
    out = []
    for i in range(0, len(levels), per):
        chunk = levels[i : i + per]
        level = max(chunk)
        if any(clipped[i : i + per]):
            out.append(("█", "bold red"))
        elif level < floor:
            out.append(("·", "dim"))
        else:
            frac = (level - floor) / max(1e-9, top - floor)
            out.append((SPARK[max(1, min(8, round(frac * 8)))], "green"))
    return out


# The window prepare keeps: chosen here, below prepare, because the analysis marks it on the
# take's timeline (take_timeline below) and prepare cuts by it; one choice, imported one way.

#: Aim for this much actual speech: inside the service's recommended 10-15 seconds.
TARGET_SPEECH_S = 12.5
#: Never longer than this, even when pauses are long: with its margins the output stays
#: inside the service's recommended 10-15 seconds, natural pauses included.
MAX_WINDOW_S = 14.5
#: Silence kept before the first and after the last word, and the fades, in seconds.
MARGIN_S = 0.25
#: Loud frames just before the first word the detector hears, or after the last, kept as the
#: word's onset or decay (seconds): with the margin, never near the 1 s edge_silence warns at.
ONSET_S = 0.3
#: Seconds read back on each side of the loudest window, for the voice detector to choose in.
REFINE_S = 20.0
#: The loudest frames (95th percentile) are brought to this level before speech and silence
#: are told apart (the window is chosen on those levels; the output is normalised after).
WORKING_DBFS = -15.0


def _best_window(active: np.ndarray, window: int) -> int:
    """Start frame of the `window`-frame span with the most active frames."""
    import numpy as np  # lazy: numpy

    if window >= len(active):
        return 0
    c = np.concatenate([[0], np.cumsum(active, dtype=np.int64)])
    return int(np.argmax(c[window:] - c[:-window]))


def choose_window(
    levels: np.ndarray, seconds: float | None, heard: np.ndarray | None = None
) -> tuple[int, int]:
    """(first, last+1) frame of the chosen span, trimmed to its speech: frames loud enough and
    heard as a voice by the detector (``heard``, one verdict a frame; None: loudness alone),
    so room noise before the first word or after the last is not kept as speech."""
    import numpy as np  # lazy: numpy

    loud = ~silent_mask(levels)
    active = voiced_from(loud, heard)
    if not active.any():
        raise InputError(no_voice())  # levels here are lifted
    frame = FRAME_S
    if seconds is not None:
        window = max(1, int(seconds / frame))
        start = _best_window(active, window)
    else:
        window = int(TARGET_SPEECH_S / frame)
        start = _best_window(active, window)
        # grow the window until it holds the target speech, or reaches the cap
        while window < MAX_WINDOW_S / frame and window < len(active):
            if int(active[start : start + window].sum()) * frame >= TARGET_SPEECH_S:
                break
            window += int(0.5 / frame)
            start = _best_window(active, window)
    end = min(len(active), start + window)
    span = np.nonzero(active[start:end])[0]
    first, last = start + int(span[0]), start + int(span[-1]) + 1
    if heard is not None:
        # the detector is late on soft onsets (an "s", a "th") and early on decays: keep the
        # loud frames that run on from the first and last word, up to ONSET_S
        reach = int(ONSET_S / frame)
        for _ in range(reach):
            if first == 0 or not loud[first - 1]:
                break
            first -= 1
        for _ in range(reach):
            if last >= len(loud) or not loud[last]:
                break
            last += 1
    margin = int(MARGIN_S / frame)
    return max(0, first - margin), min(len(active), last + margin)


def window_frames(
    levels: np.ndarray,
    heard_in: Callable[[int, int], np.ndarray | None],
    seconds: float | None = None,
) -> tuple[int, int]:
    """(first, last+1) frame of the window prepare keeps, from the recording's frame levels
    (dBFS): chosen by loudness over the whole recording first (cheap), then again, and
    trimmed, by the frames the voice detector hears as speech within REFINE_S around it
    (``heard_in(a, b)``: its verdicts on frames [a, b), None without a detector), so room
    noise before the first word is not kept as speech. Speech and silence are judged on the
    levels brought to WORKING_DBFS, so a quiet recording's soft syllables are not taken for
    silence by the check's absolute floor."""
    lift = WORKING_DBFS - percentile(levels, 95)
    reach = int(REFINE_S / FRAME_S)
    if len(levels) <= reach:
        # the whole recording is within reach of any window: the loudness-only choice would
        # only be read where the detector has no verdicts (and raises where the refined one
        # would: no loud frame at all)
        heard = heard_in(0, len(levels))
        if heard is not None:
            return choose_window(levels + lift, seconds, heard)
        return choose_window(levels + lift, seconds)
    first, last = choose_window(levels + lift, seconds)
    r0, r1 = max(0, first - reach), min(len(levels), last + reach)
    heard = heard_in(r0, r1)
    if heard is not None:
        f, g = choose_window(levels[r0:r1] + lift, seconds, heard)
        first, last = r0 + f, r0 + g
    return first, last


def phrase_levels(
    levels: np.ndarray, voiced: np.ndarray, bounds: Sequence[tuple[int, int]]
) -> list[float]:
    """The speech level (dBFS) of each phrase, frames [a, b) of ``bounds`` (in order, apart):
    the power mean of its voiced frames' levels, -200 without one. Every phrase in one
    np.add.reduceat, each segment a zero then the phrase's powers, so each sums as np.mean
    of that phrase alone would (0.0, then pairwise)."""
    import numpy as np  # lazy: numpy

    if not bounds:
        return []
    edges = np.array(bounds).reshape(-1)
    mark = np.zeros(len(voiced) + 1, np.int8)
    mark[edges[::2]] = 1
    mark[edges[1::2]] = -1
    at = np.flatnonzero(voiced & (np.cumsum(mark[:-1]) > 0))  # voiced, within a phrase
    counts = np.diff(np.searchsorted(at, edges))[::2]
    starts = np.concatenate([[0], np.cumsum(counts + 1)[:-1]])
    values = np.zeros(len(at) + len(counts))
    keep = np.ones(len(values), bool)
    keep[starts] = False
    values[keep] = 10 ** (levels[at] / 10)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.add.reduceat(values, starts) / counts
        out = 10 * np.log10(means)
    return [float(x) if n else -200.0 for x, n in zip(out, counts.tolist(), strict=True)]


def take_timeline(
    mono: np.ndarray,
    rate: int,
    levels: np.ndarray,
    voiced: np.ndarray,
    clipped: np.ndarray | None,
    lead_s: float,
    trail_s: float,
    spectrum: Spectrum | None = None,
) -> Timeline:
    """The timeline of an analysed take, from what the analysis measured: frame levels (dBFS),
    the speech frames, the clipped frames, the edge silences."""
    # lazy: start-up (validate --no-quality)
    from .timeline import PHRASE_GAP_S, Span, Timeline, envelope, runs

    t = THRESHOLDS
    seconds = len(mono) / rate if rate else 0.0
    speech = runs(voiced, FRAME_S, "speech")
    spans: list[Span] = list(speech)
    if clipped is not None:
        spans += runs(clipped, FRAME_S, "clipped")
    phrases: list[Span] = []  # the speech runs closer than PHRASE_GAP_S joined, as runs() joins
    for run in speech:
        if phrases and run.start_s - phrases[-1].end_s < PHRASE_GAP_S:
            phrases[-1] = Span("speech", phrases[-1].start_s, run.end_s)
        else:
            phrases.append(run)
    bounds = [(round(p.start_s / FRAME_S), round(p.end_s / FRAME_S)) for p in phrases]
    for phrase, level in zip(phrases, phrase_levels(levels, voiced, bounds), strict=True):
        if level < t.too_quiet_dbfs:
            spans.append(Span("quiet", phrase.start_s, phrase.end_s))
    if voiced.any():
        if lead_s > t.edge_silence_s:
            spans.append(Span("edge_silence", 0.0, min(seconds, lead_s)))
        if trail_s > t.edge_silence_s:
            spans.append(Span("edge_silence", max(0.0, seconds - trail_s), seconds))
    window = None
    if voiced.any() and len(levels):
        try:  # the window prepare keeps, chosen as prepare chooses it (the detector's
            # verdicts are the speech frames found here)
            first, last = window_frames(levels, lambda a, b: voiced[a:b])
        except InputError:  # no speech by prepare's measure
            pass
        else:
            end = seconds if last >= len(levels) else min(seconds, last * FRAME_S)
            window = (round(first * FRAME_S, 3), round(end, 3))
    return Timeline(seconds, envelope(mono), tuple(spans), window, spectrum)

"""verify: does a voice sound like the samples it was made from?

One preview of the voice is asked of the service (the request ``speak`` makes, charged), and its
voiceprint compared with the samples' (bland_clone.audio.voiceprint, which hears speech only,
at 16 kHz, brought to -30 dBFS). As a baseline, two or three stock voices speak the same text and
are compared with the same samples; their previews are kept in the user cache folder, keyed by
the service, voice, text and language, so only the first run pays for them.

The verdict weighs the similarity and its margin over the baseline (the stock voices' mean): a
clone that sounds no more like the samples than the stock voices do is ``different`` however
high the similarity. It is a margin over other voices, never proof of identity.

Plain values in, a frozen result out; nothing here prints or names a command-line flag.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio import decode, voiceprint
from ..core.envelope import envelope
from ..core.errors import BlandCloneError, InputError, UsageError
from ..core.files import check_writable
from ..core.safetext import quoted
from . import inputs, preview, session
from .session import Connection

if TYPE_CHECKING:
    from ..api.client import Client, Voice
    from .notes import Notes
    from .preview import Preview, Request

#: The sentence spoken when none is given: about ten seconds of varied English speech.
DEFAULT_TEXT = (
    "I am reading these words aloud so that you can hear my voice: how it rises and falls, "
    "how fast it moves, and how it carries a sentence from the first word to the last."
)
#: How many stock voices speak the baseline.
STOCK_VOICES = 3
#: The margin over the baseline (the stock voices' mean similarity) that ``similar`` needs, and
#: under which the verdict is ``different``: no closer to the samples than the stock voices are.
#: bench/verify_margins.py plays trials where one clip of a speaker stands for the samples,
#: another for the preview (another speaker's of the same sex, for an impostor) and three other
#: speakers for the stock voices. On tests/data/speech (12 people, 240 trials each way): the
#: genuine speaker 216 similar, 24 unclear, 0 different; an impostor 0 / 22 / 218. On 11 people
#: in longer, noisier recordings (the packages' whole files; 220 trials): genuine 180 / 38 / 2,
#: impostor 7 / 49 / 164 (the thresholds alone: 180 / 40 / 0 and 7 / 53 / 160). With the closest
#: stock voice as the baseline, 4 and 22 genuine trials came out different.
MARGIN_SIMILAR = 0.15
MARGIN_DIFFERENT = 0.0
VERDICTS = ("similar", "unclear", "different")


@dataclass(frozen=True)
class StockScore:
    """A stock voice's preview compared with the samples."""

    voice_id: str
    name: str
    similarity: float
    cached: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "voice_id": self.voice_id,
            "name": self.name,
            "similarity": round(self.similarity, 4),
            "cached": self.cached,
        }


@dataclass(frozen=True)
class Verification:
    """What verify found: the voice's similarity to the samples, the baseline (the stock voices'
    mean similarity), the margin between them, and the verdict."""

    voice_id: str
    name: str
    verdict: str
    similarity: float
    baseline: float | None
    margin: float | None
    stock: tuple[StockScore, ...]
    text: str
    language: str | None
    samples: tuple[str, ...]
    speech_seconds: float
    requests: int  # previews asked of the service (charged)
    cost: float | None  # what the service reported for them, when it did
    notes: tuple[str, ...] = ()
    kept: str | None = None  # where the voice's preview was kept, when asked
    #: the voice's preview as heard: (mono samples, rate), for a report page (not in JSON)
    heard: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "voice_id": self.voice_id,
                "name": self.name,
                "verdict": self.verdict,
                "similarity": round(self.similarity, 4),
                "baseline": None if self.baseline is None else round(self.baseline, 4),
                "margin": None if self.margin is None else round(self.margin, 4),
                "stock_voices": [s.to_dict() for s in self.stock],
                "text": self.text,
                "language": self.language,
                "samples": list(self.samples),
                "speech_seconds": round(self.speech_seconds, 2),
                "previews_requested": self.requests,
                "cost": self.cost,
                "preview": self.kept,
            },
            ok=self.verdict == "similar",
        )


@dataclass(frozen=True)
class VerifyPlan:
    """A dry run: what verify would ask for. ``stock`` is None when it stayed offline (no key)."""

    voice: str
    voice_id: str | None
    text: str
    language: str | None
    samples: tuple[str, ...]
    speech_seconds: float
    api_url: str
    stock: tuple[tuple[str, str, bool], ...] | None  # (id, name, cached)

    @property
    def requests(self) -> int | None:
        """Previews a real run would ask for (charged); None when the stock voices are unknown."""
        if self.stock is None:
            return None
        return 1 + sum(1 for _, _, cached in self.stock if not cached)

    def to_dict(self) -> dict[str, Any]:
        return envelope(
            {
                "dry_run": True,
                "voice": self.voice,
                "voice_id": self.voice_id,
                "text": self.text,
                "language": self.language,
                "samples": list(self.samples),
                "speech_seconds": round(self.speech_seconds, 2),
                "api_url": self.api_url,
                "stock_voices": None
                if self.stock is None
                else [{"voice_id": i, "name": n, "cached": c} for i, n, c in self.stock],
                "previews_requested": self.requests,
            }
        )


@dataclass(frozen=True)
class SamplesPrint:
    """The samples' voiceprint, and how much speech it was taken from."""

    paths: tuple[str, ...]
    vector: Any  # np.ndarray
    seconds: float


def verdict(similarity: float, baseline: float | None) -> str:
    """``similar``, ``unclear`` or ``different``: the voiceprint module's thresholds on the
    similarity, and the margin over the baseline (without a baseline, never ``similar``)."""

    margin = None if baseline is None else similarity - baseline
    if similarity < voiceprint.DIFFERENT_BELOW or (
        margin is not None and margin < MARGIN_DIFFERENT
    ):
        return "different"
    if similarity >= voiceprint.SIMILAR_AT and margin is not None and margin >= MARGIN_SIMILAR:
        return "similar"
    return "unclear"


def check_request(text: str, language: str | None) -> Request:
    """The preview request, checked as ``speak`` checks it, before anything is sent."""

    req = preview.Request(text, language=language)
    preview.check(req, "preview.wav")
    return req


def check_keep(path: str, force: bool) -> None:
    """Where the voice's preview is to be kept: a .wav file that can be written."""

    if path == "-" or os.path.splitext(path)[1].lower() not in (".wav", ".wave"):
        raise UsageError(f"The preview is kept as WAV: name the file .wav, not {quoted(path)}.")
    check_writable(path, force)


def samples_print(paths: Sequence[str]) -> SamplesPrint:
    """The samples' voiceprint: each file's (speech only, 16 kHz, -30 dBFS), averaged weighted
    by its speech, as GE2E enrols a speaker. A file that cannot be decoded, or holds too little
    speech, is an InputError naming it: found before anything is charged."""
    import numpy as np  # lazy: numpy

    vectors, seconds = [], []
    infos = inputs.inspect_files(paths)
    for info in infos:
        if info.error:
            raise InputError(info.error)
        try:
            data, rate = decode.excerpt(info.path, info)
        except decode.DecodeError as exc:
            raise InputError(f'File "{info.shown}" cannot be used: {exc}') from None
        mono = data.mean(axis=1) if data.ndim == 2 else data
        try:
            seconds.append(len(voiceprint.speech(mono, rate)) / voiceprint.RATE)
            vectors.append(voiceprint.embed(mono, rate))
        except voiceprint.NoSpeech as exc:
            raise InputError(f'File "{info.shown}" cannot be compared: {exc}.') from None
    centroid = np.average(np.stack(vectors), axis=0, weights=seconds)
    return SamplesPrint(
        tuple(i.path for i in infos),
        centroid / np.linalg.norm(centroid),
        float(sum(seconds)),
    )


def _file_print(path: str) -> Any:
    """The voiceprint of a preview the service wrote (a WAV file): NoSpeech when it is silent."""

    return voiceprint.embed(*_read(path))


def _read(path: str) -> tuple[Any, int]:
    """A preview the service wrote (a WAV file): its samples, mono, and its rate."""
    import soundfile as sf  # lazy: soundfile

    data, rate = sf.read(path, dtype="float32", always_2d=True)
    return data.mean(axis=1), int(rate)


def cache_dir() -> Path:
    """Where stock voices' previews are kept: the user cache folder."""
    from platformdirs import user_cache_dir  # lazy: platformdirs

    return Path(user_cache_dir("bland-clone", appauthor=False)) / "previews"


def cache_path(api_url: str, voice_id: str, req: Request) -> Path:
    """A stock voice's cached preview of ``req``: keyed by service, voice, text and language."""
    key = json.dumps([api_url.rstrip("/"), voice_id, req.text, req.language, req.fmt])
    return cache_dir() / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.wav"


def stock_voices(voices: Sequence[Voice], target: Voice) -> list[Voice]:
    """The stock voices that speak the baseline: not cloned, not the voice itself; the target's
    gender first when both are known (the harder comparison), then by name, so that the same
    ones (and their cached previews) come back run after run."""
    gender = target.raw.get("gender")

    def order(v: Voice) -> tuple[bool, str, str]:
        other = v.raw.get("gender")
        return (bool(gender and other and other != gender), v.name.casefold(), v.id)

    stock = [v for v in voices if not v.is_cloned and v.id != target.id and v.id]
    return sorted(stock, key=order)[:STOCK_VOICES]


def verify(
    notes: Notes,
    voice: str,
    paths: Sequence[str],
    *,
    text: str,
    language: str | None,
    conn: Connection,
    dry_run: bool = False,
    keep: str | None = None,
    force: bool = False,
) -> Verification | VerifyPlan:
    """Check locally (the text, the samples' speech, that ``keep`` can be written), then ask
    for the previews and compare; the voice's preview is kept as ``keep`` (a WAV file) when
    given. A dry run stops after the local checks; with a key it looks the voice and the stock
    voices up (free), without one it sends nothing."""
    req = check_request(text, language)
    if keep is not None:
        check_keep(keep, force)
    prints = samples_print(paths)
    settings = session.get_settings(notes, conn)
    if not dry_run:
        client = session.make_client(settings, conn, has_dry_run=True)
        target = client.find_voice(voice)
        return compare(notes, client, target, prints, req, settings.api_url, keep=keep)
    voice_id = None
    stock = None
    if settings.has_key:
        client = session.make_client(settings, conn)
        target = client.find_voice(voice)
        voice_id = target.id
        stock = tuple(
            (v.id, v.name, cache_path(settings.api_url, v.id, req).is_file())
            for v in stock_voices(client.list_voices(), target)
        )
    else:
        notes.info("Voice not looked up (no API key; the dry run stays offline).")
    return VerifyPlan(
        voice,
        voice_id,
        req.text,
        req.language,
        prints.paths,
        prints.seconds,
        settings.api_url,
        stock,
    )


def compare(
    notes: Notes,
    client: Client,
    target: Voice,
    prints: SamplesPrint,
    req: Request,
    api_url: str,
    *,
    keep: str | None = None,
) -> Verification:
    """Ask for the voice's preview (written to ``keep`` when given) and the stock voices'
    (those not cached), and compare each with the samples' voiceprint. Said up front: the
    previews are charged."""

    stock = stock_voices(client.list_voices(), target)
    cached = {v.id: cache_path(api_url, v.id, req) for v in stock}
    fresh = [v for v in stock if not cached[v.id].is_file()]
    also = ""
    if fresh:
        also = f" and {len(fresh)} of stock voices ({', '.join(quoted(v.name) for v in fresh)})"
    notes.info(
        f"Asking the service for {1 + len(fresh)} preview(s), charged: one of "
        f"{quoted(target.name)}{also}."
    )
    costs: list[float] = []
    out_notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bland-clone-verify-") as tmp:
        own_path = keep or os.path.join(tmp, "preview.wav")
        own = _speak(client, target, req, own_path, costs, out_notes)
        heard = _read(
            own.path or own_path
        )  # kept for a report page: the preview is in a temporary folder
        try:
            own_print = voiceprint.embed(*heard)
        except voiceprint.NoSpeech as exc:
            raise InputError(
                f"The service's preview of {quoted(target.name)} cannot be compared: {exc}."
            ) from None
    scores = []
    for v in stock:
        path = cached[v.id]
        was_cached = path.is_file()
        try:
            if not was_cached:
                _speak_cached(client, v, req, path, costs, out_notes)
            vec = _file_print(str(path))
        except Exception as exc:  # a stock voice is a baseline: one failing is a note
            path.unlink(missing_ok=True)  # not kept: the next run asks again
            why = exc.message if isinstance(exc, BlandCloneError) else str(exc)
            out_notes.append(
                f"The stock voice {quoted(v.name)} was left out of the baseline: {why}"
            )
            continue
        scores.append(
            StockScore(v.id, v.name, voiceprint.similarity(vec, prints.vector), was_cached)
        )
    sim = voiceprint.similarity(own_print, prints.vector)
    baseline = sum(s.similarity for s in scores) / len(scores) if scores else None
    if baseline is None:
        out_notes.append("No stock voice could be compared: the verdict has no baseline.")
    for note in out_notes:
        notes.warn(note)
    return Verification(
        target.id,
        target.name,
        verdict(sim, baseline),
        sim,
        baseline,
        None if baseline is None else sim - baseline,
        tuple(scores),
        req.text,
        req.language,
        prints.paths,
        prints.seconds,
        1 + len(fresh),
        sum(costs) if costs else None,
        tuple(out_notes),
        keep,
        heard,
    )


def _speak(
    client: Client, voice: Voice, req: Request, path: str, costs: list[float], notes: list[str]
) -> Preview:
    """One preview, written to ``path`` as WAV: the request ``speak`` makes."""

    p = preview.speak(client, voice, req, preview.target_for(path))
    if p.cost is not None:
        costs.append(p.cost)
    notes.extend(str(n) for n in p.notes)
    return p


def _speak_cached(
    client: Client, voice: Voice, req: Request, path: Path, costs: list[float], notes: list[str]
) -> None:
    """A stock voice's preview, into the cache (written whole or not at all, as speak writes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _speak(client, voice, req, str(path), costs, notes)

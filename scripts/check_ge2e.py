"""Compare bland_clone.audio.voiceprint with the reference implementation (Resemblyzer 0.1.4,
torch). Not run in CI: it needs torch, which bland-clone never uses. In a throwaway venv:

    python -m venv /tmp/ref && /tmp/ref/bin/pip install torch resemblyzer==0.1.4 librosa \\
        webrtcvad-wheels soxr threadpoolctl
    /tmp/ref/bin/python scripts/check_ge2e.py FILE.wav [FILE.wav ...]

For each file it prints the cosine between the reference embedding (the take brought to -30
dBFS, preprocess_wav, then VoiceEncoder.embed_utterance, float32 weights) and ours (embed(),
float16 weights, numpy), and the largest difference of the mel spectrograms and of the trimmed
waveforms.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from resemblyzer import VoiceEncoder, audio, preprocess_wav

from bland_clone.audio import voiceprint as vp


def main() -> None:
    enc = VoiceEncoder("cpu", verbose=False)
    worst = 1.0
    for path in sys.argv[1:]:
        x, rate = sf.read(path, dtype="float32", always_2d=True)
        mono = x.mean(axis=1)
        # ours brings every take to -30 dBFS; the reference only raises quiet ones: give it the
        # take at -30 dBFS already, so that both hear the same level
        mono = mono * np.float32(10 ** ((-30 - 20 * np.log10(np.sqrt(np.mean(mono**2)))) / 20))
        ref_wav = preprocess_wav(mono, rate)
        ref = enc.embed_utterance(ref_wav)
        ours_wav = vp.speech(mono, rate)
        ours = vp.embed(mono, rate)
        cos = float(np.dot(ref, ours))
        worst = min(worst, cos)
        n = min(len(ref_wav), len(ours_wav))
        wav_diff = float(np.max(np.abs(ref_wav[:n] - ours_wav[:n]))) if n else 0.0
        mel_ref = audio.wav_to_mel_spectrogram(ref_wav)
        mel_ours = vp.mel_spectrogram(ref_wav)
        mel_rel = float(np.max(np.abs(mel_ref - mel_ours)) / max(1e-9, float(np.max(mel_ref))))
        print(
            f"{Path(path).name:28} {len(mono) / rate:5.1f} s  cosine {cos:.6f}  "
            f"trimmed {len(ref_wav)}/{len(ours_wav)} samples (max diff {wav_diff:.2e})  "
            f"mel rel diff {mel_rel:.2e}"
        )
    print(f"lowest cosine: {worst:.6f}")


if __name__ == "__main__":
    main()

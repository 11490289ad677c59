"""The report page of a folder of takes from the quality corpus, and its screenshot for the
README (docs/report.png): ``python bench/report_page.py [OUT_DIR]``.

Six takes of the labelled corpus (tests/corpus.py; made once, then reused): a clean one and
five faults. They are judged with ``bland-clone validate --each --report``, and the page is
shot in headless Chromium (Debian's chromium, through Playwright) at a laptop's width.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TAKES = [
    "clean-01-us",
    "clipped-strong",
    "quiet-strong",
    "noise-strong",
    "silence-strong",
    "short-strong",
]


def main() -> None:
    from tests import corpus
    from tests.browser import FLAGS, chromium

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="report-"))
    takes = out / "takes"
    takes.mkdir(parents=True, exist_ok=True)
    items = {i.name: i for i in corpus.build(corpus.default_dir())}
    for name in TAKES:
        shutil.copy(items[name].path, takes / Path(items[name].path).name)
    page = out / "takes.html"
    subprocess.run(  # from the folder: the page names the takes as takes/NAME.wav
        [sys.executable, "-m", "bland_clone", "validate", "takes", "--each", "--report", page.name],
        check=False,
        cwd=out,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    from playwright.sync_api import sync_playwright

    shot = ROOT / "docs" / "report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=FLAGS)
        tab = browser.new_page(viewport={"width": 900, "height": 1500})
        tab.goto(page.resolve().as_uri())
        raw = tab.screenshot()
        browser.close()
    shot.write_bytes(small_png(raw))
    print(f"{page} ({page.stat().st_size / 1e6:.2f} MB), {shot} ({shot.stat().st_size // 1024} KB)")


def small_png(data: bytes) -> bytes:
    """The screenshot in 256 colours (its 128 most common ones and every other colour of the
    spectrogram's scale; each pixel takes the nearest): a page is mostly flat colour."""
    import io

    import av
    import numpy as np

    from bland_clone.report import png

    with av.open(io.BytesIO(data)) as f:
        rgb = next(f.decode(video=0)).to_ndarray(format="rgb24")
    h, w, _ = rgb.shape
    flat = rgb.reshape(-1, 3).astype(np.int32)
    keys = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    top = values[np.argsort(counts)[::-1][:128]]
    common = np.stack([(top >> 16) & 255, (top >> 8) & 255, top & 255], axis=1)
    scale = np.frombuffer(png.palette(), np.uint8).reshape(-1, 3)[1::2].astype(np.int64)
    pal = np.concatenate([common, scale])
    index = np.empty(len(flat), np.uint8)
    for i in range(0, len(flat), 1 << 16):
        block = flat[i : i + (1 << 16)]
        d = ((block[:, None, :] - pal[None, :, :]) ** 2).sum(axis=2)
        index[i : i + (1 << 16)] = np.argmin(d, axis=1)
    return png.encode(w, h, index.tobytes(), pal.astype(np.uint8).tobytes())


if __name__ == "__main__":
    main()

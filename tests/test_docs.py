"""The README a newcomer reads, and the pages it links to: short, and no link leads nowhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_~]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found, fence = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and re.match(r"#{1,6} ", line):
            found.add(slug(line.lstrip("#")))
    return found


def links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_the_readme_reads_in_five_minutes() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_leads_somewhere(page: Path) -> None:
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue  # a web address: not checked here (no network)
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{page.name}: {target} leads nowhere"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{page.name}: no heading for #{anchor} in {dest.name}"


def test_the_readme_validate_example_is_what_validate_prints(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it showed only the too-long error: a folder of two takes also gets the v3 one-file
    # error, and the too-long error its prepare hint
    from .audiofiles import write_wav

    blocks = {
        page.name: block.splitlines()
        for page in PAGES
        for block in re.findall(r"\$ bland-clone validate takes/\n(.*?)```", page.read_text(), re.S)
    }
    assert "README.md" in blocks and "checks.md" in blocks, list(blocks)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "takes").mkdir()
    write_wav(tmp_path / "takes" / "long.wav", 75.3, 8000)
    write_wav(tmp_path / "takes" / "sample.wav", 12.0)
    r = cli("validate", "takes/")
    assert r.code == 1
    for page, shown in blocks.items():
        assert shown == (r.out + r.err).splitlines(), page

"""A real browser for the report page: the system's Chromium (Debian's ``chromium``), driven by
Playwright for Python pointed at that executable (Playwright downloads no browser here).

:func:`load` opens a page from disk and records what a user's browser would show and do: the
console's errors, uncaught exceptions, and every request the page makes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: Chromium's flags for a quiet, offline, sandbox-free run in a container.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@dataclass
class Loaded:
    page: Any
    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    @property
    def network(self) -> list[str]:
        """Requests for anything but the page itself and its data: URIs."""
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]


def launch() -> Iterator[Any]:
    """Chromium, headless (a test module's fixture yields from this); skipped without it."""
    exe = chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=FLAGS, headless=True)
        yield b
        b.close()


def load(browser: Any, path: Path, *, width: int = 1000, dark: bool = False) -> Loaded:
    """Open ``path`` (file://) in a fresh context, wait for every player's metadata."""
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme="dark" if dark else "light",
        service_workers="block",
    )
    page = context.new_page()
    url = path.resolve().as_uri()
    loaded = Loaded(page, url)
    page.on(
        "console",
        lambda m: loaded.errors.append(m.text) if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: loaded.errors.append(f"uncaught: {e}"))
    page.on("request", lambda r: loaded.requests.append(r.url))
    page.goto(url, wait_until="load")
    page.evaluate(
        """() => Promise.all([...document.querySelectorAll('audio')].map(a =>
             a.readyState >= 1 ? null : new Promise((ok, no) => {
               a.addEventListener('loadedmetadata', ok);
               a.addEventListener('error', () => no(new Error('audio error ' + a.src.slice(0, 60))));
               setTimeout(() => no(new Error('audio metadata timeout')), 15000);
             })))"""
    )
    return loaded


def screenshot(loaded: Loaded, path: Path) -> None:
    loaded.page.screenshot(path=str(path), full_page=True)

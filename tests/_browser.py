"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, offline.

:func:`open_page` opens an HTML file from ``file://`` with every non-file request
aborted and counted, and collects console errors and page errors.  Used by
tests/test_browser.py, benchmarks/bench_map.py and the README screenshot.

Skip policy: without Chromium (or Playwright) the browser tests skip with a reason that
says how to install it — except when ``GEO_ENV_REQUIRE_BROWSER=1`` (set by .ci/run),
where they fail.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("GEO_ENV_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL_HINT = ("headless Chromium is needed: install it with `sudo apt-get install chromium` "
                "(Debian/Ubuntu) and the test extra (`pip install -e .[test]`)")


def required() -> bool:
    """True when missing browser/fonts must fail the tests instead of skipping them."""
    return os.environ.get("GEO_ENV_REQUIRE_BROWSER") == "1"


def missing_reason() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found; {INSTALL_HINT}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"playwright is not installed; {INSTALL_HINT}"
    return None


def skip_or_fail_without_browser() -> None:
    """pytest.skip (or pytest.fail under GEO_ENV_REQUIRE_BROWSER=1) without Chromium."""
    import pytest

    reason = missing_reason()
    if reason is None:
        return
    if required():
        pytest.fail(f"GEO_ENV_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@dataclass
class PageLog:
    """What a page did: blocked requests, console errors, uncaught exceptions, dialogs."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextlib.contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium browser (Playwright ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@contextlib.contextmanager
def open_page(b: Any, html_file: Path, *, width: int = 1280, height: int = 860,
              wait_ready: bool = True, timeout_ms: int = 30_000) -> Iterator[tuple[Any, PageLog]]:
    """Open ``html_file`` from file:// with the network blocked; yield (page, log)."""
    ctx = b.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    log = PageLog()

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            log.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.page_errors.append(f"{e}\n{getattr(e, 'stack', '')}"))

    def dialog(d: Any) -> None:
        log.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    try:
        page.goto(Path(html_file).resolve().as_uri(), timeout=timeout_ms)
        if wait_ready:
            page.wait_for_function("window.geoEnvReady !== undefined", timeout=timeout_ms)
        yield page, log
    finally:
        ctx.close()

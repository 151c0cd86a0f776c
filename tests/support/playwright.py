"""Driving Debian's Chromium with Playwright for the browser tests: launching it, the viewports
they run at, and what each page visited is checked for (axe-core's WCAG 2.1 AA rules, a phone
page that fits its screen, no script error or CSP refusal), with a full-page screenshot of it
kept under var/screenshots/."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser as PlaywrightBrowser
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = ROOT / "var" / "node" / "node_modules" / "axe-core" / "axe.min.js"
ENSURE_BROWSER = ROOT / "scripts" / "ensure-browser"
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Only what a failure message needs of axe's answer, to keep it readable.
_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}"""
# How far a page may be wider than a phone's screen (a rounding pixel) before it scrolls sideways.
_OVERFLOW_TOLERANCE = 1


class BrowserMissingError(RuntimeError):
    """Chromium or axe-core is missing and scripts/ensure-browser could not install it."""


def ensure_browser() -> None:
    """Runs scripts/ensure-browser when Chromium or axe-core is missing, so that a bare pytest
    works as `make test` does. Raises BrowserMissingError, with the script's output, if it fails."""
    if CHROMIUM.exists() and AXE_SCRIPT.exists():
        return
    done = subprocess.run(
        [str(ENSURE_BROWSER)], capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode != 0 or not (CHROMIUM.exists() and AXE_SCRIPT.exists()):
        raise BrowserMissingError(
            f"The browser tests need {CHROMIUM} and {AXE_SCRIPT}; {ENSURE_BROWSER} "
            f"(exit {done.returncode}) could not install them:\n{done.stdout}\n{done.stderr}"
        )


def launch(playwright: Playwright) -> PlaywrightBrowser:
    """Debian's Chromium: Playwright cannot download a browser of its own here."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@contextmanager
def django_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop running on the test's thread, and Django
    refuses synchronous ORM calls while one runs (SynchronousOnlyOperation). The tests' ORM
    calls never run inside that loop, only beside it, so Django's guard is lifted while the
    browser is up, and put back after."""
    name = "DJANGO_ALLOW_ASYNC_UNSAFE"
    before = os.environ.get(name)
    os.environ[name] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@dataclass(frozen=True)
class Viewport:
    name: str
    is_phone: bool
    options: dict[str, Any]


def viewports(playwright: Playwright) -> dict[str, Viewport]:
    """A desktop window and a phone (Pixel 7: Chromium's engine, a 412 px wide screen, touch).
    The phone is drawn at one device pixel per CSS pixel so that its screenshots stay small
    enough to read; layout depends on CSS pixels only."""
    phone = {
        name: value
        for name, value in playwright.devices["Pixel 7"].items()
        if name != "default_browser_type"
    }
    return {
        "desktop": Viewport("desktop", False, {"viewport": {"width": 1280, "height": 800}}),
        "phone": Viewport("phone", True, {**phone, "device_scale_factor": 1}),
    }


def inject_axe(page: Page) -> None:
    """Loads axe-core into the page unless it is there. Through page.evaluate, which DevTools
    runs outside the page's Content-Security-Policy: an added <script> would be refused by the
    site's CSP, and bypass_csp=True would switch the CSP off for the site's own scripts too,
    hiding the refusals these tests look for."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text())


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now."""
    inject_axe(page)
    return page.evaluate(_RUN_AXE, WCAG_21_AA)


def describe_violations(step: str, violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{step}: {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(
            f"    {' '.join(node['target'])}: {node['html'][:200]}" for node in violation["nodes"]
        )
    return "\n".join(lines)


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen: a phone should never have to
    scroll sideways. (Measured against the screen, not window.innerWidth: a mobile browser
    widens its layout viewport to fit a page that is too wide, and zooms out.)"""
    width = page.evaluate("document.documentElement.scrollWidth")
    return width - page.viewport_size["width"]


def mark_page(page: Page) -> None:
    """Leaves a mark on the loaded document: a reload or a navigation wipes it out."""
    page.evaluate("window.__e2eSameDocument = true")


def still_the_same_document(page: Page) -> bool:
    return page.evaluate("window.__e2eSameDocument === true")


@dataclass
class Tour:
    """One person's visit at one viewport: each page looked at is photographed and checked, and
    what was found on every page is gathered for one assertion at the end, so that a failing run
    names everything to fix at once (and writes it to var/screenshots/<run>-findings.json)."""

    run: str
    viewport: Viewport
    context: BrowserContext
    accessibility: list[str] = field(default_factory=list)
    layout: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def __post_init__(self) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{self.run}-*"):
            old.unlink()

    def open_page(self) -> Page:
        page = self.context.new_page()
        self.pages.append(page)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        return page

    def look(self, page: Page, step: str) -> None:
        """What a person sees at this step: screenshot, accessibility, fit on a phone."""
        self.steps.append(step)
        page.screenshot(path=SCREENSHOTS / f"{self.run}-{step}.png", full_page=True)
        violations = axe_violations(page)
        if violations:
            self.accessibility.append(describe_violations(f"{step} ({page.url})", violations))
        if self.viewport.is_phone and (excess := horizontal_overflow(page)) > _OVERFLOW_TOLERANCE:
            self.layout.append(f"{step} ({page.url}) is {excess} px wider than the phone")
        self._write_findings()

    def leave(self) -> None:
        """Photographs the pages still open (after a failure: where it happened) and closes."""
        for number, page in enumerate(p for p in self.pages if not p.is_closed()):
            page.screenshot(path=SCREENSHOTS / f"{self.run}-last-{number}.png", full_page=True)
        self.context.close()

    def assert_no_findings(self) -> None:
        found = {
            "axe-core (WCAG 2.1 AA)": self.accessibility,
            "layout": self.layout,
            "scripts": self.script_errors,
        }
        report = [
            f"{kind}:\n" + "\n".join(f"  {line}" for item in items for line in item.splitlines())
            for kind, items in found.items()
            if items
        ]
        assert not report, f"{self.run}: the pages seen have problems to fix\n" + "\n".join(report)

    def _console(self, message: ConsoleMessage) -> None:
        # Chromium reports CSP refusals and failed scripts as console errors.
        if message.type == "error":
            self.script_errors.append(f"{message.location.get('url', '')}: {message.text}")

    def _write_findings(self) -> None:
        findings = {
            "steps": self.steps,
            "accessibility": self.accessibility,
            "layout": self.layout,
            "script_errors": self.script_errors,
        }
        (SCREENSHOTS / f"{self.run}-findings.json").write_text(json.dumps(findings, indent=2))

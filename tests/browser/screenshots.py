"""Screenshots of the dashboard's pages, wide and narrow, for people to look at."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Where the tests leave a screenshot of every page.
SCREENSHOTS = ROOT / ".local" / "dashboard-screenshots"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 400, "height": 800}


def screenshot(page, name: str) -> None:
    """`<name>.png` at 1280x800 and `<name>-narrow.png` at a phone's width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(NARROW)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-narrow.png"), full_page=True)
    page.set_viewport_size(WIDE)

"""The favor board in a real browser: Debian's chromium, driven by Playwright.

A member records a favor through the page and sees the balances change; the
settle-up and introductions pages show their answers. The board is served by
several worker processes, as in production. Screenshots are kept in
``test-artifacts/`` (not committed). The browser is the system's
``/usr/bin/chromium`` (``apt-get install chromium``): Playwright's own browser
downloads cannot be used here.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.webapp.serve import serving

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FLAGS = [
    "--no-sandbox",  # the tests run as root in CI
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",  # no network beyond loopback here
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright.Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium browser: apt-get install chromium")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        yield launched
        launched.close()


def balance_of(page: playwright.Page, person: str) -> str:
    return page.locator(f'#balances tr[data-person="{person}"] td.amount').inner_text()


def test_recording_a_favor_in_the_browser_changes_the_balances(
    browser: playwright.Browser, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(str(tmp_path / "club.db"), workers=2) as url:
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(url)
        assert page.locator("#balances").inner_text().count("Nobody yet") == 1

        record = page.locator("form#record")
        for field, value in [
            ("giver", "carol"),
            ("receiver", "me"),
            ("value", "3"),
            ("via", "bob"),
            ("reason", "an hour on marketing in Central America"),
        ]:
            record.locator(f'input[name="{field}"]').fill(value)
        record.locator("button").click()
        # new people: the board says who (newcomer trial 7, finding 1)
        page.wait_for_url(lambda at: at.startswith(url + "/?recorded="))
        assert "'bob'" in page.locator(".notice").inner_text()
        page.screenshot(path=ARTIFACTS / "board-after-first-favor.png", full_page=True)
        assert balance_of(page, "carol") == "4.5"
        assert balance_of(page, "me") == "-3"
        assert balance_of(page, "bob") == "-1.5"

        record = page.locator("form#record")
        record.locator('input[name="giver"]').fill("me")
        record.locator('input[name="receiver"]').fill("dan")
        record.locator('input[name="value"]').fill("1/3")
        record.locator("button").click()
        page.wait_for_url(lambda at: at.startswith(url + "/?recorded="))
        assert "new person 'dan'" in page.locator(".notice").inner_text()
        assert balance_of(page, "me") == "-8/3"
        assert "me helped dan (1/3)" in page.locator("#favors").inner_text()
        page.screenshot(path=ARTIFACTS / "board.png", full_page=True)

        record = page.locator("form#record")
        record.locator('input[name="giver"]').fill("me")
        record.locator('input[name="receiver"]').fill("dan")
        record.locator('input[name="value"]').fill("-2")
        record.locator("button").click()
        assert '"worth" must be positive' in page.locator(".error").inner_text()
        assert record.locator('input[name="value"]').input_value() == "-2"  # kept
        assert balance_of(page, "me") == "-8/3"  # unchanged

        page.click("text=Settle up")
        suggestions = page.locator("#suggestions").inner_text()
        assert "bob returns a favor worth 1.5 to carol" in suggestions
        assert "for referring me to carol" in suggestions
        page.screenshot(path=ARTIFACTS / "settle.png", full_page=True)

        page.click("text=Who can introduce me?")
        ask = page.locator("form#ask")
        ask.locator('input[name="source"]').fill("dan")
        ask.locator('input[name="target"]').fill("carol")
        ask.locator("button").click()
        assert "dan -> me -> carol" in page.locator("#best").inner_text()
        page.screenshot(path=ARTIFACTS / "introduce.png", full_page=True)
        page.close()

"""The status page in a real headless Chromium (Debian's `chromium` package): it loads with no
network, shows every repo, and its filters answer clicks and keystrokes. The screenshot is kept
under tests-artifacts/fleet/ (ignored by git)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_runner import RunQdev

from . import world as w
from .browser import Chromium, find_chromium

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    executable = find_chromium()
    if executable is None:
        why = "chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("QDEV_TEST_REQUIRE_CHROMIUM"):  # set by .ci/run: CI never skips it
            pytest.fail(why)
        pytest.skip(why)
    chromium = Chromium(executable, tmp_path / "chromium-profile")
    yield chromium
    chromium.close()


def visible(browser: Chromium) -> list[str]:
    names = browser.evaluate(
        "Array.from(document.querySelectorAll('#repos tbody tr.repo'))"
        ".filter(r => !r.hidden && r.offsetParent !== null).map(r => r.dataset.name)"
    )
    return sorted(names)


def test_the_page_shows_every_repo_and_its_filters_answer_the_user(
    fleet: Path, qdev: RunQdev, browser: Chromium, request: pytest.FixtureRequest
) -> None:
    page = fleet / "status.html"
    ran = qdev("fleet", "status", "--html", page, "--json")
    report = json.loads(ran.out)
    levels = {r["name"]: r["health"]["level"] for r in report["repos"]}

    browser.open(page.as_uri())

    assert browser.evaluate("document.title") == f"qdev fleet status: {w.COUNT} repos"
    assert visible(browser) == w.names()
    assert browser.evaluate("document.getElementById('shown').textContent") == (
        f"{w.COUNT} of {w.COUNT} repos shown"
    )
    requests = [e["params"]["request"]["url"] for e in browser.events
                if e.get("method") == "Network.requestWillBeSent"]  # fmt: skip
    assert requests == [page.as_uri()], "the page loads nothing from anywhere else"
    errors = [e for e in browser.events if e.get("method") == "Runtime.exceptionThrown"]
    assert errors == []
    artifacts = request.config.rootpath / "tests-artifacts" / "fleet"
    browser.screenshot(artifacts / "status-page.png")

    browser.type_text("#filter-text", "r1")
    assert visible(browser) == [f"r1{n}" for n in range(10)]
    browser.clear("#filter-text")
    assert len(visible(browser)) == w.COUNT

    browser.click("#flag-failing")
    assert visible(browser) == [w.FAILING]
    browser.click("#flag-failing")
    browser.click("#flag-drift")
    assert visible(browser) == sorted([w.EDITED, w.DELETED])
    browser.click("#flag-drift")

    browser.click("#filter-level")
    browser.press("ArrowDown", "ArrowDown", 40)  # "any health" -> "bad"
    browser.press("Enter", "Enter", 13)
    bad = sorted(n for n, level in levels.items() if level == "bad")
    assert {w.BROKEN, w.FAILING, w.UNREACHABLE} <= set(bad)
    assert visible(browser) == bad

    browser.type_text("#filter-text", w.BROKEN)
    assert visible(browser) == [w.BROKEN]
    health = browser.evaluate(
        f"document.querySelector('tr[data-name=\"{w.BROKEN}\"] td:last-child').innerText"
    )
    assert "invalid config" in health
    assert "check.coverage" in health
    browser.clear("#filter-text")

    browser.screenshot(artifacts / "status-page-bad.png")
    for shot in ("status-page.png", "status-page-bad.png"):
        assert (artifacts / shot).read_bytes().startswith(b"\x89PNG")
    print(f"screenshots: {artifacts}")

"""The dashboard's side-by-side view shows the informal crossings' totals (headless Chromium, as
tests/test_web_browser.py; skipped where it is missing)."""

from __future__ import annotations

import pytest

from test_informal import informal_row, world_with_path
from test_web_browser import (  # noqa: F401 (browser: a fixture)
    baseline_app, browser, open_dashboard, serving,
)


@pytest.fixture(scope="module")
def informal_server(tmp_path_factory):
    folder = world_with_path(tmp_path_factory.mktemp("informal") / "sc",
                             [informal_row(death_risk=1, capacity_per_day=5)], people=7)
    app, _ = baseline_app(str(folder), 2)
    with serving(app) as url:
        yield url


def test_side_by_side_shows_the_informal_totals(browser, informal_server):  # noqa: F811
    context, pg = open_dashboard(browser, informal_server)
    pg.select_option("#cmp-a", index=0)
    pg.select_option("#cmp-b", index=0)
    pg.click("#compare")
    pg.wait_for_selector("#compare-view .compare-b table.informal tbody tr")
    cells = pg.locator("#compare-view .compare-a table.informal tbody tr td").all_inner_texts()
    # both runs: 7 attempts, none caught or across, none injured, 7 died
    assert cells == ["path", "7", "0", "0", "0", "7"]
    assert not pg.errors
    context.close()

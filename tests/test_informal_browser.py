"""The dashboard's side-by-side view shows the informal crossings' totals (headless Chromium, as
tests/test_web_browser.py; skipped where it is missing)."""

from __future__ import annotations

import threading
import time

import pytest

from test_informal import informal_row, world_with_path
from test_web_browser import LAUNCH_ARGS, browser, free_port  # noqa: F401 (browser: a fixture)


@pytest.fixture(scope="module")
def informal_server(tmp_path_factory):
    import uvicorn

    from travesia.web.app import create_app
    from travesia.web.data import Catalogue
    from travesia.web.scenario_view import ScenarioView
    from travesia.web.sources import baseline_dataset

    folder = world_with_path(tmp_path_factory.mktemp("informal") / "sc",
                             [informal_row(death_risk=1, capacity_per_day=5)], people=7)
    view = ScenarioView.load(str(folder))
    catalogue = Catalogue(view.scenario.name)
    catalogue.add_dataset(baseline_dataset(view, 2))
    app = create_app(view, catalogue)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    app.state.runner.shutdown()


def test_side_by_side_shows_the_informal_totals(browser, informal_server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1050})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(informal_server + "/")
    pg.wait_for_selector("body[data-ready='1']", timeout=30_000)
    pg.select_option("#cmp-a", index=0)
    pg.select_option("#cmp-b", index=0)
    pg.click("#compare")
    pg.wait_for_selector("#compare-view .compare-b table.informal tbody tr")
    cells = pg.locator("#compare-view .compare-a table.informal tbody tr td").all_inner_texts()
    # both runs: 7 attempts, none caught or across, none injured, 7 died
    assert cells == ["path", "7", "0", "0", "0", "7"]
    assert not errors
    context.close()

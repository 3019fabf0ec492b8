"""The dashboard in a real headless Chromium (Debian's, driven by Playwright), against a server
started
here on a free port, showing the built-in scenario: the map draws its places, the slider moves the
circles, a what-if with doubled entry capacity finishes and its curves are overlaid; and the report
opens with no request at all. Screenshots are kept as test artefacts (out/test-artefacts/, or
$TRAVESIA_ARTEFACTS); with TRAVESIA_UPDATE_DOCS_IMG=1 they are also copied to docs/img/.

.ci/run installs the browser; in CI (CI=true) a missing browser fails these tests instead of
skipping them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BROWSERS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update",
               "--disable-sync", "--no-first-run"]


def browser_path() -> str | None:
    candidates = [os.environ.get("TRAVESIA_CHROMIUM")] + list(BROWSERS)
    return next((c for c in candidates if c and Path(c).is_file()), None)


def artefacts() -> Path:
    out = Path(os.environ.get("TRAVESIA_ARTEFACTS", REPO / "out" / "test-artefacts"))
    out.mkdir(parents=True, exist_ok=True)
    return out


def keep(png: Path, docs_name: str) -> None:
    if os.environ.get("TRAVESIA_UPDATE_DOCS_IMG") == "1":
        shutil.copyfile(png, REPO / "docs" / "img" / docs_name)


@pytest.fixture(scope="module")
def browser():
    exe = browser_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {', '.join(BROWSERS)}: .ci/run should have installed "
                        "chromium-headless-shell")
        pytest.skip(f"no Chromium binary ({', '.join(BROWSERS)}); `apt-get install "
                    "chromium-headless-shell` to run")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Playwright for Python is not installed (pip install -e '.[dev]')")

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(app):
    """`app` served on 127.0.0.1:<free port> from a thread; yields its URL and stops it after
    (with the what-if runner it started). Every browser test's server is this one."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        app.state.runner.shutdown()


def baseline_app(scenario: str, seeds: int):
    """(the dashboard's app, its ScenarioView) for `scenario` with a baseline of `seeds` runs."""
    from travesia.web.app import create_app
    from travesia.web.data import Catalogue
    from travesia.web.scenario_view import ScenarioView
    from travesia.web.sources import baseline_dataset

    view = ScenarioView.load(scenario)
    catalogue = Catalogue(view.scenario.name)
    catalogue.add_dataset(baseline_dataset(view, seeds))
    return create_app(view, catalogue), view


def open_dashboard(browser, url: str, height: int = 1050):
    """(context, page) of the dashboard at `url`, once it is ready; the page's script errors are
    collected in `page.errors`, requests that leave the server in `page.outside`."""
    context = browser.new_context(viewport={"width": 1400, "height": height})
    pg = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("request", lambda r: None if r.url.startswith((url, "data:")) else outside.append(r.url))
    pg.goto(url + "/")
    pg.wait_for_selector("body[data-ready='1']", timeout=30_000)
    pg.errors, pg.outside = errors, outside
    return context, pg


@pytest.fixture(scope="module")
def server():
    """The dashboard of chile-peru-2025 with a baseline of 3 seeds, on 127.0.0.1:<free port>."""
    app, view = baseline_app("chile-peru-2025", 3)
    with serving(app) as url:
        yield url, view


@pytest.fixture(scope="module")
def page(browser, server):
    url, _ = server
    context, pg = open_dashboard(browser, url)
    yield pg
    context.close()


def circle_shapes(pg) -> list[str]:
    return pg.eval_on_selector_all("path.place-circle, path.held-circle",
                                   "els => els.map(e => e.getAttribute('d'))")


def test_map_draws_the_scenario_places(page, server):
    _, view = server
    names = [p.name for p in view.scenario.places]
    assert page.get_attribute("#map", "data-places") == "|".join(names)
    assert page.locator("path.place-circle").count() == len(names)
    assert page.locator("path.crossing-line").count() == len(view.scenario.crossings)
    assert page.locator("path.road").count() == len(view.scenario.routes)
    assert page.locator(".leaflet-overlay-pane path").count() > 100      # the country outlines
    assert page.locator("#charts .chart .main-svg").count() >= len(view.scenario.crossings)
    assert not page.errors and not page.outside


def test_slider_moves_the_circles(page):
    before = circle_shapes(page)
    assert page.get_attribute("#map", "data-day") == "0"
    page.locator("#day").fill("44")                 # late November: people held at the border
    page.wait_for_selector("#map[data-day='44']")
    after = circle_shapes(page)
    assert after != before
    assert page.locator("#date").inner_text() == "2025-11-28"
    page.wait_for_function("document.querySelector('#needs-date').textContent === '2025-11-28'")
    assert page.locator("#needs tbody tr").count() >= 1


def test_host_community_panel_shows_the_numbers_of_the_api(page):
    page.locator("#day").fill("44")
    page.wait_for_selector("#host-panel[data-day='44']")
    key = "Tacna (Peru)"                         # Santa Rosa and Tacna: people held past the line
    page.select_option("#host-region", key)
    page.wait_for_selector(f"#host-panel[data-region='{key}'][data-day='44']")
    answer = page.evaluate("""async () => (await fetch(
        `/api/datasets/${encodeURIComponent(window.travesia.current)}/host?day=44`)).json()""")
    region = next(r for r in answer["regions"] if r["key"] == key)
    assert region["places"] == ["Santa Rosa", "Tacna"] and answer["date"] == "2025-11-28"
    shown = dict(page.eval_on_selector_all(
        "#host-table tbody tr", "rows => rows.map(r => [r.dataset.col, r.cells[1].textContent])"))
    assert list(shown) == answer["columns"]
    assert "cost_food_USD" in shown and "school_places" in shown and "toilets" in shown
    for col, value in region["on_day"].items():
        if value is None:
            assert shown[col] == "–"
        else:
            assert float(shown[col].replace(",", "")) == pytest.approx(value, abs=0.051), col
    assert region["on_day"]["held"] > 0 and region["on_day"]["water_litres"] > 0
    # the chart draws the region's people by kind over the days, as the API gives them
    drawn = page.evaluate("""() => Object.fromEntries(document.querySelector('#host-chart').data
        .map(t => [t.meta, t.y]))""")
    for kind in ("held", "sheltered", "passing_through", "newly_settled", "shelter_capacity"):
        assert drawn[kind] == pytest.approx(region["series"][kind])
    png = artefacts() / "host-community.png"
    page.locator("#host-panel").screenshot(path=str(png))
    keep(png, "host-community.png")
    assert not page.errors and not page.outside


def test_play_advances_the_day(page):
    page.locator("#day").fill("100")
    page.click("#play")
    page.wait_for_function("Number(document.querySelector('#day').value) >= 103", timeout=10_000)
    page.click("#play")
    assert page.locator("#play").inner_text() == "▶"


def test_whatif_with_doubled_capacity_is_overlaid(page, server):
    _, view = server
    first = view.scenario.crossings[0]
    page.locator("#day").fill("44")
    page.wait_for_selector("#map[data-day='44']")
    box = page.locator(f"#whatif-crossings fieldset[data-crossing='{first.name}']")
    box.locator("[name=entry_capacity]").fill(str(2 * first.entry_capacity_per_day))
    page.locator("#whatif-form [name=seeds]").fill("2")
    page.click("#whatif-run")
    page.wait_for_selector("#whatif-status[data-state='done']", timeout=120_000)
    assert page.locator("#whatif-progress").evaluate("e => e.value") == 1
    overlay = page.get_attribute("#charts", "data-overlay")
    assert overlay.startswith("whatif-")
    n_overlay = page.evaluate("""() => [...document.querySelectorAll('#charts .chart')]
        .map(d => d.data.filter(t => t.meta === 'overlay').length)""")
    assert all(n >= 1 for n in n_overlay)
    # 2 what-if seeds against 3 baseline runs: the baseline's median over the same 2 runs is drawn
    # too
    assert page.evaluate("""() => [...document.querySelectorAll('#charts .chart')]
        .every(d => d.data.some(t => t.meta === 'same-runs'))""")
    assert page.locator("#overlay").input_value() == overlay
    assert page.locator("#runs tbody tr").count() == 2
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    png = artefacts() / "dashboard.png"
    page.screenshot(path=str(png))
    keep(png, "dashboard.png")
    assert png.stat().st_size > 50_000
    assert not page.errors and not page.outside


def test_two_side_by_side(page):
    page.select_option("#cmp-a", index=0)
    page.select_option("#cmp-b", index=1)
    page.click("#compare")
    page.wait_for_selector("#compare-view .compare-b .chart .main-svg")
    assert page.locator("#compare-view .compare-a table tbody tr").count() >= 1
    assert page.locator("#compare-view .chart").count() >= 2


def test_branches_run_and_are_compared_side_by_side(page, server):
    """chile-peru-2025's branches of the future, one run each: a chart per crossing with a line per
    branch, the comparison table, and a branch shown in the main view from the selector."""
    _, view = server
    ids = [b.id for b in view.scenario.spec.branches]
    assert page.locator("#branch-list > div").count() == len(ids)
    page.locator("#branch-form [name=runs]").fill("1")
    page.click("#branch-run")
    page.wait_for_selector("#branch-status[data-state='done']", timeout=120_000)
    charts = page.locator("#branch-charts .chart")
    assert charts.count() == len(view.scenario.crossings)
    # one median line per branch on each chart, named after its branch
    names = page.eval_on_selector_all(
        "#branch-charts .chart:first-child .legendtext", "els => els.map(e => e.textContent)")
    assert all(any(n.startswith(b) for n in names) for b in ids), names
    heads = page.eval_on_selector_all("#branch-table thead th",
                                      "els => els.map(e => e.textContent)")
    assert heads[3:] == ids
    assert page.locator("#branch-table tbody tr[data-block='removals']").count() >= 2
    assert page.locator("#branch-table tbody tr[data-block='arrivals']").count() == 2
    page.select_option("#branch-select", label="corridor")
    page.wait_for_function("document.querySelector('#date').textContent !== ''")
    chosen = page.locator("#dataset").input_value()
    assert chosen.startswith("branch-corridor")
    assert int(page.locator("#day").get_attribute("max")) == \
        (view.scenario.spec.branches[-1].end - view.scenario.spec.start).days
    png = artefacts() / "dashboard-branches.png"
    page.locator("#branches-panel").screenshot(path=str(png))
    keep(png, "dashboard_branches.png")
    assert not page.errors and not page.outside


def test_report_opens_with_no_request(browser, server, tmp_path):
    from travesia.model.engine import simulate
    from travesia.web.report import render_report
    from travesia.web.data import from_results

    _, view = server
    sc = view.scenario
    results = [simulate(view.world, sc.params, seed=s, events=sc.spec.timeline) for s in range(3)]
    ds = from_results("report", "run", "3 seeds of the scenario's parameters", results,
                      [sc.params.model_dump()] * 3)
    path = tmp_path / "report.html"
    path.write_text(render_report(view, ds), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    pg = context.new_page()
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(path.as_uri())
    pg.wait_for_load_state("load")
    assert requests == [path.as_uri()]
    assert pg.locator("img").evaluate_all("imgs => imgs.every(i => i.complete && i.naturalWidth > "
                                          "0)")
    png = artefacts() / "report.png"
    pg.screenshot(path=str(png))
    keep(png, "report.png")
    context.close()

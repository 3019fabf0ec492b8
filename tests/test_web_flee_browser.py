"""A Flee case in the dashboard, in a real headless Chromium (as test_web_browser.py): choosing
the Flee ensemble hides the travesia panels and draws the case's map and a chart per camp whose
numbers are the API's; the slider moves its circles; choosing a travesia dataset again brings the
travesia panels back."""

from __future__ import annotations

import pytest
from test_web_browser import (  # noqa: F401 (browser: a fixture)
    artefacts, browser, open_dashboard, serving,
)
from test_web_flee import CAMPS, flee_results


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from travesia.web.app import create_app
    from travesia.web.sources import build

    results = flee_results(tmp_path_factory.mktemp("fleebrowser"))
    view, catalogue = build(str(results["scenario"]), results["store"],
                            (results["run"], results["flee_run"]))
    with serving(create_app(view, catalogue)) as url:
        yield url, results


@pytest.fixture(scope="module")
def page(browser, served):  # noqa: F811 (the fixture imported above)
    url, _ = served
    context, pg = open_dashboard(browser, url, height=1300)
    yield pg
    context.close()


def api(page, path: str) -> dict:
    return page.evaluate(f"fetch({path!r}).then(r => r.json())")


def test_a_flee_ensemble_draws_its_camps(page, served):
    _, results = served
    id = f"flee-ens-{results['flee_ensemble_id']}"
    page.select_option("#dataset", id)
    page.wait_for_selector(f"#flee-charts[data-for='{id}']", timeout=20_000)
    assert page.locator("#flee-panel").is_visible()
    for hidden in ("#map-panel", "#charts-panel", "#needs-panel", "#whatif-panel", "#flows-panel"):
        assert not page.locator(hidden).is_visible(), hidden
    assert "hidden" in page.locator("#flee-note").inner_text()
    assert page.locator("#title").inner_text() == "Flee case case"
    f = api(page, f"/api/datasets/{id}/flee")
    # a chart for all camps together and one per camp, each with the API's median and observed
    charts = page.eval_on_selector_all("#flee-charts .chart", "els => els.map(e => e.dataset.camp)")
    assert charts == ["total", *CAMPS]
    medians = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '#flee-charts .chart')].map(d => [d.dataset.camp,
                                         d.data.find(t => t.meta === 'median').y]))""")
    observed = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '#flee-charts .chart')].map(d => [d.dataset.camp,
                                         d.data.find(t => t.meta === 'observed').y]))""")
    for camp in CAMPS:
        assert medians[camp] == f["bands"][camp]["p50"]
        assert observed[camp] == f["observed"][camp] and observed[camp][29] == 483
    assert medians["total"] == f["total"]["band"]["p50"]
    # the numbers in the table are the API's
    for camp in CAMPS:
        row = page.locator(f"#flee-summary tr[data-camp='{camp}']")
        assert row.locator(".peak").inner_text() == f"{f['summary'][camp]['peak']:,}"
        assert row.locator(".observed").inner_text() == "483"
    assert float(page.get_attribute("#flee-scores", "data-ard")) == f["scores"]["ard"]
    assert page.locator("#flee-scores .ard").first.inner_text() == f"{f['scores']['ard']:.4f}"
    # the map: its three locations, its two routes, and circles that the slider moves
    assert page.get_attribute("#flee-map", "data-places") == "A|C1|C2"
    assert page.locator("path.flee-place").count() == 3
    assert page.locator("path.flee-camp").count() == 2
    assert page.locator("path.flee-route").count() == 2
    before = page.eval_on_selector_all("path.flee-camp", "els => els.map(e => e.getAttribute('d'))")
    page.locator("#day").fill("25")
    page.wait_for_selector("#flee-map[data-day='25']")
    after = page.eval_on_selector_all("path.flee-camp", "els => els.map(e => e.getAttribute('d'))")
    assert after != before and page.locator("#date").inner_text() == "2020-01-26"
    page.locator("#day").fill("5")                 # play moves the Flee case's days too
    page.wait_for_selector("#flee-map[data-day='5']")
    page.click("#play")
    page.wait_for_function("Number(document.querySelector('#day').value) >= 8", timeout=10_000)
    page.click("#play")
    assert page.locator("#play").inner_text() == "▶"
    assert int(page.get_attribute("#flee-map", "data-day")) >= 8
    page.locator("#day").fill("25")
    page.wait_for_selector("#flee-map[data-day='25']")
    png = artefacts() / "dashboard-flee.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(png))
    assert png.stat().st_size > 30_000
    assert not page.errors and not page.outside


def test_a_flee_run_and_back_to_travesia(page, served):
    page.select_option("#dataset", "flee-flee-out")
    page.wait_for_selector("#flee-charts[data-for='flee-flee-out']", timeout=20_000)
    f = api(page, "/api/datasets/flee-flee-out/flee")
    median = page.evaluate("""() => document.querySelector('#flee-charts .chart[data-camp="C2"]')
        .data.find(t => t.meta === 'median').y""")
    assert median == f["bands"]["C2"]["p50"] and f["runs"] == 1
    assert page.locator("#flee-scores tbody tr").count() == 1       # a run: no naive rows
    page.select_option("#cmp-a", "flee-flee-out")
    page.select_option("#cmp-b", "run-run-a")
    page.click("#compare")
    page.wait_for_function("document.querySelector('#compare-view').textContent.includes("
                           "'a Flee case does not have')")
    page.select_option("#dataset", "run-run-a")
    page.wait_for_selector("#map-panel", state="visible")
    assert not page.locator("#flee-panel").is_visible()
    assert page.locator("#title").inner_text() == "Tiny: one crossing"
    # back too: the inflows and informal crossings panel, with nothing to chart but its note
    page.wait_for_selector("#flows-panel[data-for='run-run-a']")
    assert "Nothing to chart" in page.locator("#flows-note").inner_text()
    assert not page.locator("#flows-chart").is_visible()
    page.locator("#day").fill("3")
    page.wait_for_selector("#map[data-day='3']")
    assert page.locator("#charts .chart .main-svg").count() >= 1
    assert not page.errors and not page.outside


def test_two_datasets_of_one_flee_case_side_by_side(page, served):
    """A Flee run beside a Flee ensemble of the same case: each side's ARD and medians are its own
    API's, and each camp is drawn on one scale on both sides."""
    _, results = served
    ens = f"flee-ens-{results['flee_ensemble_id']}"
    page.select_option("#cmp-a", "flee-flee-out")
    page.select_option("#cmp-b", ens)
    page.click("#compare")
    page.wait_for_selector("#compare-view .compare-b .chart[data-camp='C2'] .main-svg",
                           timeout=20_000)
    for side, id in (("a", "flee-flee-out"), ("b", ens)):
        f = api(page, f"/api/datasets/{id}/flee")
        col = f"#compare-view .compare-{side}"
        assert float(page.get_attribute(col, "data-ard")) == f["scores"]["ard"]
        assert page.locator(f"{col} .ard").inner_text() == f"{f['scores']['ard']:.4f}"
        camps = page.eval_on_selector_all(f"{col} .chart", "els => els.map(e => e.dataset.camp)")
        assert camps == ["total", *CAMPS]
        median = page.evaluate(f"""() => document.querySelector("{col} .chart[data-camp='C1']")
            .data.find(t => t.meta === 'median').y""")
        assert median == f["bands"]["C1"]["p50"]
    ranges = page.evaluate("""() => ['a', 'b'].map(s => document.querySelector(
        `#compare-view .compare-${s} .chart[data-camp='C2']`).layout.yaxis.range)""")
    assert ranges[0] == ranges[1] and ranges[0][1] > 0
    assert not page.errors and not page.outside

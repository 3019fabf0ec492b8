"""The dashboard's inflows and informal crossings by day in a real headless Chromium (as
tests/test_web_browser.py; skipped where it is missing): the chart's median and band and the chosen
day's numbers are the API's."""

from __future__ import annotations

import pytest
from test_web_browser import (  # noqa: F401 (browser: a fixture)
    baseline_app, browser, open_dashboard, serving,
)
from test_web_flows import flows_world


@pytest.fixture(scope="module")
def flows_server(tmp_path_factory):
    app, _ = baseline_app(str(flows_world(tmp_path_factory.mktemp("flows") / "sc")), 3)
    with serving(app) as url:
        yield url


def fmt1(x: float) -> str:
    return f"{round(x, 1):,.1f}".rstrip("0").rstrip(".")


def test_the_flows_chart_and_the_days_numbers_are_the_apis(browser, flows_server):  # noqa: F811
    context, pg = open_dashboard(browser, flows_server, height=1300)
    id = pg.evaluate("window.travesia.current")
    pg.wait_for_selector(f"#flows-panel[data-for='{id}'][data-day='0']")
    f = pg.evaluate(f"fetch('/api/datasets/{id}/flows').then(r => r.json())")
    assert f["runs"] == 3 and list(f["inflow"]) == ["A"] and list(f["informal"]) == ["path"]
    # the first series charted: people who came in at A; its band and median are the API's
    chart = pg.evaluate("""() => document.querySelector('#flows-chart').data.map(
        t => ({y: Array.from(t.y), name: t.name}))""")
    band = f["inflow"]["A"]
    assert [t["y"] for t in chart] == [band["p05"], band["p95"], band["p50"]]
    assert chart[2]["name"] == "median of 3" and band["p50"][:4] == [3, 3, 3, 0]
    # another series, on another day: the chart follows the choice, the table the day
    pg.select_option("#flows-series", "informal|path|informal_died")
    pg.wait_for_function("document.querySelector('#flows-chart').layout.title.text === "
                         "'path: died'")
    died = f["informal"]["path"]["informal_died"]
    median = pg.evaluate("Array.from(document.querySelector('#flows-chart').data[2].y)")
    assert median == died["p50"] and sum(died["p50"]) == 16          # 7 at A, 3 a day x 3
    pg.locator("#day").fill("1")
    pg.wait_for_selector("#flows-panel[data-day='1']")
    assert pg.locator("#flows-date").inner_text() == f["dates"][1]
    rows = pg.eval_on_selector_all("#flows-table tbody tr", """els => els.map(e => [e.dataset.key,
        ...[...e.children].map(c => c.textContent)])""")
    expected = [["inflow|A", "came in at A", fmt1(band["p50"][1]),
                 f"{fmt1(band['p05'][1])}–{fmt1(band['p95'][1])}"]]
    for m, b in f["informal"]["path"].items():
        expected.append([f"informal|path|{m}", "path: " + m.removeprefix("informal_").replace(
            "_", " "), fmt1(b["p50"][1]), f"{fmt1(b['p05'][1])}–{fmt1(b['p95'][1])}"])
    assert rows == expected
    assert rows[6][2] == "5"             # died on day 1: the 5 who tried (3 came in, 2 waited)
    line = pg.evaluate("document.querySelector('#flows-chart').layout.shapes[0].x0")
    assert str(line).startswith(f["dates"][1])
    assert not pg.errors
    context.close()


def test_counts_of_an_informal_crossing_are_drawn_on_its_series(browser, tmp_path):  # noqa: F811
    """The scenario's observations of an informal crossing's series (crossing: the path, compare:
    informal_died) are drawn as points on that series' chart, and on no crossing's chart."""
    from scenario_kit import write_csv
    from test_vocabulary_drivers import with_spec

    folder = flows_world(tmp_path / "sc")
    write_csv(folder / "observations.csv", [
        {"date": f"2026-01-0{d}", "place": "the path", "measure": "deaths", "value": v,
         "value_low": v - 1, "value_high": v + 2, "source": "hand", "crossing": "path",
         "compare": "informal_died"} for d, v in ((2, 5), (3, 3))])
    with_spec(folder, observations="observations.csv")
    app, _ = baseline_app(str(folder), 2)
    with serving(app) as url:
        context, pg = open_dashboard(browser, url, height=1300)
        id = pg.evaluate("window.travesia.current")
        pg.wait_for_selector(f"#flows-panel[data-for='{id}'][data-day='0']")
        shown = pg.evaluate("fetch('/api/scenario').then(r => r.json())")["observations"]
        assert [(o["kind"], o["crossing"], o["measure"], o["value"]) for o in shown] == [
            ("informal", "path", "informal_died", 5), ("informal", "path", "informal_died", 3)]
        pg.select_option("#flows-series", "informal|path|informal_died")
        pg.wait_for_function("document.querySelector('#flows-chart').layout.title.text === "
                             "'path: died'")
        points = pg.evaluate("""() => document.querySelector('#flows-chart').data
            .filter(t => t.meta === 'observed').map(t => [Array.from(t.x), Array.from(t.y),
                                                           Array.from(t.error_y.array)])""")
        assert points == [[["2026-01-02", "2026-01-03"], [5, 3], [2, 2]]]
        # another series of the same path has no points
        pg.select_option("#flows-series", "informal|path|informal_crossed")
        pg.wait_for_function("document.querySelector('#flows-chart').layout.title.text === "
                             "'path: crossed'")
        assert pg.evaluate("""() => document.querySelector('#flows-chart').data
            .filter(t => t.meta === 'observed').length""") == 0
        # nor has the crossing's chart
        assert pg.evaluate("""() => [...document.querySelectorAll('#charts .chart')].flatMap(
            d => (d.data || []).filter(t => t.meta === 'observed')).length""") == 0
        assert not pg.errors
        context.close()

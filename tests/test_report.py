"""`travesia report`: one self-contained HTML file of a run folder or a store's ensemble."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from test_web_kit import scenario_run_and_store

from travesia.cli import main


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    return root, *scenario_run_and_store(root)


def report(*args) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["report", *map(str, args)])
    return r.exit_code, r.output


def assert_self_contained(html: str) -> None:
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.IGNORECASE)
    sources = re.findall(r"""\b(?:src|srcset)\s*=\s*["']?([^"'\s>]*)""", html, re.IGNORECASE)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "url(" not in html and "@import" not in html


def test_report_of_a_run_folder(results, tmp_path):
    _, scenario, run, _, _ = results
    out = tmp_path / "r.html"
    code, output = report(run, "--out", out, "--scenario", scenario)
    assert code == 0, output
    html = out.read_text(encoding="utf-8")
    assert_self_contained(html)
    # map + one crossing
    assert "Tiny: one crossing" in html and html.count("data:image/png;base64,") == 2
    for section in ("Population", "Border crossings", "Curves", "Needs where people are held",
                    "Host communities on", "Scores against observations", "Timeline", "Sources"):
        assert f"<h2>{section}" in html
    assert "worked out by hand" in html          # the scenario's source
    assert "deadline 2026-01-08" in html         # the timeline
    assert "2 observations (1 reported as ranges)" in html and "WIS" in html   # the scores


def test_report_shows_the_host_community_table_of_the_panel(results):
    from travesia.web.data import read_run_dir
    from travesia.web.report import PEOPLE_COLUMNS, host_section
    from travesia.web.scenario_view import ScenarioView

    _, scenario, run, _, _ = results
    view, ds = ScenarioView.load(scenario), read_run_dir(run, "run")
    t = int(np.argmax(ds.crossing["held"][0].sum(axis=1)))
    answer = ds.host_community(t, view.impact_rates(), view.places)
    html = "".join(host_section(view, ds, t))
    shown = [r for r in answer["regions"] if r["on_day"]["held"]]
    assert shown, "the peak day holds people somewhere"
    for region in shown:
        row = re.search(rf"<tr><td>{re.escape(region['key'])}</td>(.*?)</tr>", html).group(1)
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert [float(c.replace(",", "")) if c != "–" else None for c in cells] == \
            [None if region["on_day"][c] is None else pytest.approx(region["on_day"][c], abs=0.051)
             for c in PEOPLE_COLUMNS]
    assert "cost of food, USD/day" in html and "R4V Shelter Sector" in html


def test_report_of_a_store_names_its_ensemble(results, tmp_path):
    _, _, _, store, ensemble_id = results
    out = tmp_path / "e.html"
    code, output = report(store, "--out", out, "--ensemble", ensemble_id[:6])
    assert code == 0, output
    html = out.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert "3 runs" in html and "5–95%" in html and "Runs of the ensemble" in html


@pytest.mark.parametrize("args, words", [
    (["/nonexistent/run"], "no such run folder or store"),
    (["{root}/tiny"], "not a run folder"),
    (["{store}", "--ensemble", "zzz"], "no ensemble 'zzz'"),
    (["{root}/tiny/places.csv"], "not a travesia store"),
])
def test_report_mistakes_are_one_line(results, tmp_path, args, words):
    root, _, _, store, _ = results
    args = [a.format(root=root, store=store) for a in args]
    code, output = report(*args, "--out", tmp_path / "x.html")
    assert code == 2 and words in output and len(output.strip().splitlines()) == 1, output
    assert not (tmp_path / "x.html").exists()


def test_serve_mistakes_are_one_line(tmp_path):
    r = CliRunner().invoke(main, ["serve", "--run", str(tmp_path / "nope"), "--port", "0"])
    assert r.exit_code == 2 and "not a run folder" in r.output
    r = CliRunner().invoke(main, ["serve", "--scenario", "atlantis", "--port", "0"])
    assert r.exit_code == 2 and "atlantis" in r.output

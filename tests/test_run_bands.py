"""`travesia run --bands STORE`: a single run's stranded.png with an ensemble's bands drawn under
it, and clear errors when the store does not fit the run."""

from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from test_ensemble_kit import stranding_scenario

from travesia.outputs import plot
from travesia.outputs.bands import compute_bands
from travesia.cli import main
from travesia.runs.ensemble import plan_ensemble, run_ensemble
from travesia.runs.priors import parse_vary
from travesia.outputs.store import Store


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    root = tmp_path_factory.mktemp("bands")
    folder = stranding_scenario(root / "sc")
    store = root / "e.duckdb"
    plan = plan_ensemble(folder, 6, vary=[parse_vary("giveup_rate_per_day=uniform(0.02,0.4)")],
                         base_seed=0)
    run_ensemble(plan, store, workers=1)
    return folder, store


def run_cli(*args):
    return CliRunner().invoke(main, ["run", *map(str, args), "--quiet"])


def test_the_run_plot_gains_the_ensemble_bands(ensemble, tmp_path, monkeypatch):
    folder, store = ensemble
    figures = []
    original = plot.save_figure

    def keep(fig, path):
        figures.append(fig)
        return original(fig, path)

    monkeypatch.setattr(plot, "save_figure", keep)
    result = run_cli(folder, "--out", tmp_path / "plain")
    assert result.exit_code == 0, result.output
    result = run_cli(folder, "--out", tmp_path / "banded", "--bands", store)
    assert result.exit_code == 0, result.output

    plain, banded = figures[0].axes[0], figures[1].axes[0]
    labels = [t.get_text() for t in banded.get_legend().get_texts()]
    assert "ensemble 5–95% of 6 runs" in labels and "ensemble median" in labels
    assert not any(t.get_text().startswith("ensemble") for t in plain.get_legend().get_texts())
    # the median line drawn is the store's median of people held at X-Y, day by day
    with Store(store, read_only=True) as s:
        (expect,) = compute_bands(s, s.ensemble(None)["ensemble_id"], crossing="X-Y")
    median = next(line for line in banded.get_lines() if line.get_label() == "ensemble median")
    assert np.allclose(median.get_ydata(), expect.q[2])
    assert len(banded.collections) == len(plain.collections) + 2   # the two shaded bands
    assert (tmp_path / "banded"
            / "stranded.png").read_bytes() != (tmp_path / "plain" / "stranded.png").read_bytes()

    summary = json.loads((tmp_path / "banded" / "summary.json").read_text())
    assert summary["bands"]["store"] == str(store) and summary["bands"]["runs"] == 6
    assert summary["bands"]["same_scenario_version"] is True
    assert "bands" not in json.loads((tmp_path / "plain" / "summary.json").read_text())


def test_a_store_that_does_not_fit_the_run_is_a_clear_error(ensemble, tmp_path):
    folder, store = ensemble
    other = stranding_scenario(tmp_path / "other")
    spec = yaml.safe_load((other / "scenario.yaml").read_text())
    spec["name"] = "another"
    (other / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (tmp_path / "junk.duckdb").write_text("not a database")
    con = duckdb.connect(str(tmp_path / "other.duckdb"))   # a DuckDB file, but not a store
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with Store(tmp_path / "empty.duckdb"):                 # a store, but no ensemble in it
        pass
    cases = [
        ((folder, "--bands", tmp_path / "none.duckdb"), "no such store"),
        ((folder, "--bands", tmp_path / "junk.duckdb"), "not a valid DuckDB database"),
        ((folder, "--bands", tmp_path / "other.duckdb"), "not a travesia store (no table 'runs')"),
        ((folder, "--bands", tmp_path / "empty.duckdb"), "the store holds no ensemble"),
        ((folder, "--bands", store, "--ensemble", "zzz"), "no ensemble 'zzz'"),
        ((other, "--bands", store), "is of scenario 'tiny', not 'another'"),
        ((folder, "--ensemble", "abc"), "--ensemble goes with --bands"),
    ]
    for args, says in cases:
        result = run_cli(*args, "--out", tmp_path / "out")
        assert result.exit_code == 2, (args, result.output)
        assert says in result.output and result.output.count("error:") == 1, (args, result.output)
        assert result.output.strip().count("\n") == 0, result.output   # one line
        store_named = next((str(a) for a in args[1:] if str(a).endswith(".duckdb")), None)
        assert store_named is None or store_named in result.output, result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "summary.json").exists()   # checked before running


def test_an_ensemble_of_an_older_version_of_the_scenario_is_drawn_with_a_warning(
    ensemble, tmp_path
):
    _, store = ensemble
    changed = stranding_scenario(tmp_path / "sc", days=20)
    spec = yaml.safe_load((changed / "scenario.yaml").read_text())
    spec["parameters"]["giveup_rate_per_day"] = 0.2   # same name, other content
    (changed / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    result = CliRunner().invoke(main, ["run", str(changed), "--bands", str(store), "--quiet",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "another version of 'tiny'" in result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["bands"]["same_scenario_version"] is False


def test_ensemble_picks_one_of_several_and_one_with_no_finished_run_is_an_error(ensemble, tmp_path):
    folder, store = ensemble
    two = tmp_path / "two.duckdb"
    shutil.copy(store, two)
    # a second ensemble of the same scenario, planned but none of its runs done
    with Store(two) as s:
        first = s.ensemble(None)
        s.add_ensemble("e2" + "0" * 10, scenario=first["scenario"],
                       scenario_hash=first["scenario_hash"],
                       scenario_folder=first["scenario_folder"], base_seed=99, days=None, vary={},
                       base_parameters_json="{}", places=first["places"],
                       crossings=first["crossings"],
                       members=[("never-run", 0)])

    # the latest: nothing finished
    result = run_cli(folder, "--bands", two, "--out", tmp_path / "latest")
    assert result.exit_code == 2, result.output
    assert (
        f"error: {two}" in result.output
        and "ensemble e20000000000 has no finished run" in result.output
    )
    assert "Traceback" not in result.output

    result = run_cli(folder, "--bands", two, "--ensemble", first["ensemble_id"][:6], "--out",
                     tmp_path / "picked")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "picked" / "summary.json").read_text())
    assert summary["bands"] == {"store": str(two), "ensemble_id": first["ensemble_id"], "runs": 6,
                                "same_scenario_version": True}

"""The dashboard's inflows and informal crossings by day (GET /api/datasets/{id}/flows): the same
numbers as a run folder's informal.csv, the runs in memory (Results) and an ensemble store."""

from __future__ import annotations

import contextlib

import numpy as np
import pyarrow.csv as pacsv
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from test_informal import informal_row, run, world_with_path
from test_networks import inflow

from travesia.cli import main
from travesia.scenario.measures import INFORMAL_MEASURES
from travesia.web.app import create_app
from travesia.web.data import from_results
from travesia.web.sources import build


def flows_world(folder):
    # 7 people at A take the path (5 a day, everyone dies: 5 then 2); 3 a day come in at A on
    # days 0-2 and take it too
    return world_with_path(folder, [informal_row(death_risk=1, capacity_per_day=5)], people=7,
                           inflows=[inflow(per_day=3.0)])


@contextlib.contextmanager
def run_and_ensemble_served(folder, root, runs: int, run_args=()):
    """(the dashboard's API client, the run folder) over a run folder and an ensemble store of
    `runs` runs of the scenario `folder`, written by the commands into `root`."""
    out, store = root / "run", root / "ens.duckdb"
    for args in (["run", str(folder), "--out", str(out), *run_args],
                 ["ensemble", str(folder), "--runs", str(runs), "--store", str(store),
                  "--workers", "1"]):
        made = CliRunner().invoke(main, args)
        assert made.exit_code == 0, made.output
    view, catalogue = build(str(folder), store, (out,))
    app = create_app(view, catalogue)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        yield client, out
    app.state.runner.shutdown()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("flows")
    folder = flows_world(root / "sc")
    with run_and_ensemble_served(folder, root, 3, ["--seed", "3"]) as (client, out):
        yield client, folder, out


def dataset_ids(client) -> dict[str, str]:
    return {d["kind"]: d["id"] for d in client.get("/api/datasets").json()["datasets"]}


def test_a_run_folders_informal_series_are_its_informal_csv(served):
    client, _, out = served
    answer = client.get(f"/api/datasets/{dataset_ids(client)['run']}/flows").json()
    table = pacsv.read_csv(out / "informal.csv").to_pydict()
    assert list(answer["informal"]) == ["path"]
    for m in INFORMAL_MEASURES:
        band = answer["informal"]["path"][m]
        assert band["p50"] == band["p05"] == band["p95"] == [float(v) for v in table[m]]
    assert sum(answer["informal"]["path"]["informal_died"]["p50"]) == 16     # 7 + 3 x 3
    # and its inflows by day are its inflows.csv: 3 a day at A on days 0-2
    came = pacsv.read_csv(out / "inflows.csv").to_pydict()
    assert set(came["place"]) == {"A"} and came["inflow"][:4] == [3, 3, 3, 0]
    assert answer["inflow"]["A"]["p50"] == [float(v) for v in came["inflow"]]
    assert answer["notes"] == []


def test_a_run_folder_written_before_inflows_csv_says_it_keeps_only_their_totals(served, tmp_path):
    import shutil

    _, folder, out = served
    old = tmp_path / "old-run"
    shutil.copytree(out, old)
    (old / "inflows.csv").unlink()
    view, catalogue = build(str(folder), None, (old,))
    app = create_app(view, catalogue)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        answer = client.get(f"/api/datasets/{dataset_ids(client)['run']}/flows").json()
    app.state.runner.shutdown()
    # said, not drawn as zeros
    assert answer["inflow"] == {} and "does not keep inflows by day" in answer["notes"][0]


def test_a_broken_inflows_csv_is_named_with_its_row(served, tmp_path):
    import shutil

    from travesia.errors import ScenarioError
    from travesia.web.data import read_run_dir

    _, _, out = served
    bad = tmp_path / "bad-run"
    shutil.copytree(out, bad)
    text = (bad / "inflows.csv").read_text().splitlines()
    text[2] = text[2].replace('"A"', '"Nowhere"').replace(",A,", ",Nowhere,")
    (bad / "inflows.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(ScenarioError, match=r"inflows.csv: cannot read the run's inflows \(row 3: "
                                            r"unknown place 'Nowhere'\)"):
        read_run_dir(bad, "r")


def test_an_ensembles_flows_are_the_bands_of_the_runs_it_holds(served):
    client, folder, _ = served
    id = dataset_ids(client)["ensemble"]
    seeds = [m["seed"] for m in client.get(f"/api/datasets/{id}").json()["members"]]
    answer = client.get(f"/api/datasets/{id}/flows").json()
    results = [run(folder, seed=s) for s in seeds]
    came = np.stack([r.inflow[:, 0] for r in results])                # place A
    assert list(answer["inflow"]) == ["A"]
    assert answer["inflow"]["A"]["p50"] == np.median(came, axis=0).tolist()
    assert answer["inflow"]["A"]["p50"][:4] == [3, 3, 3, 0]
    for m in INFORMAL_MEASURES:
        values = np.stack([r.informal[m][:, 0] for r in results])
        assert answer["informal"]["path"][m]["p95"] == pytest.approx(
            np.quantile(values, 0.95, axis=0).tolist(), abs=0.01)
    assert answer["notes"] == []


def test_runs_in_memory_give_their_results_and_a_world_without_either_gives_nothing(tmp_path):
    from scenario_kit import tiny_scenario

    results = [run(flows_world(tmp_path / "a"), seed=s) for s in (0, 1)]
    ds = from_results("w", "whatif", "w", results, [{}, {}])
    flows = ds.daily_flows()
    assert flows["inflow"]["A"]["mean"] == results[0].inflow[:, 0].astype(float).tolist()
    assert flows["informal"]["path"]["informal_attempts"]["p50"] == \
        results[0].informal["informal_attempts"][:, 0].astype(float).tolist()
    plain = from_results("p", "whatif", "p", [run(tiny_scenario(tmp_path / "b"))], [{}])
    assert plain.daily_flows()["inflow"] == {} and plain.daily_flows()["informal"] == {}


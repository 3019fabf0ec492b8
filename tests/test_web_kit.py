"""Results to show in the web tests (a run folder, a store with one ensemble, on the tiny scenario),
and the what-if timeline worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from scenario_kit import tiny_scenario, write_csv

from travesia.errors import ScenarioError
from travesia.scenario import load_scenario
from travesia.web.whatif import parse_whatif, whatif_timeline

TIMELINE = [
    {"date": "2026-01-01", "type": "deadline", "deadline": "2026-01-08", "statuses": ["irregular"],
     "source": "hand"},
    {"date": "2026-01-03", "type": "troops", "crossing": "X-Y", "personnel": 50, "source": "hand"},
    {"date": "2026-01-05", "type": "troops", "crossing": "X-Y", "personnel": 30, "source": "hand"},
]


def web_scenario(folder: Path) -> Path:
    """The tiny scenario (35 people, entry capacity 10 a day, 10 days) with a deadline, troops and
    two observations of people held at the crossing."""
    tiny_scenario(folder, people=35, entry_cap=10, days=10, timeline=TIMELINE,
                  parameters={"irregular_attempt_rate_per_day": 0.2})
    write_csv(folder / "observations.csv", [
        {"date": "2026-01-03", "place": "YP", "measure": "people held", "value": 20,
         "value_low": 15,
         "value_high": 30, "crossing": "X-Y", "compare": "held", "source": "hand"},
        {"date": "2026-01-06", "place": "YP", "measure": "people held", "value": 5, "value_low": "",
         "value_high": "", "crossing": "X-Y", "compare": "held", "source": "hand"},
    ])
    spec = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    spec["observations"] = "observations.csv"
    spec["title"] = "Tiny: one crossing"
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return folder


def make_run_dir(scenario: Path, out: Path, seed: int = 0) -> Path:
    from travesia.runs.runner import run_scenario

    run_scenario(str(scenario), seed=seed, out_dir=out, quiet=True)
    return out


def make_store(scenario: Path, path: Path, runs: int = 3) -> tuple[Path, str]:
    """A store with one ensemble of `runs` seeds, run here in this process (no worker pool)."""
    from travesia.runs.ensemble import _store_outcome, plan_ensemble, run_task
    from travesia.runs.priors import canonical_json, describe
    from travesia.outputs.store import Store

    plan = plan_ensemble(str(scenario), runs, use_scenario_priors=False)
    sc = plan.scenario
    with Store(path) as store:
        store.add_ensemble(plan.ensemble_id, scenario=sc.name, scenario_hash=sc.content_hash,
                           scenario_folder=str(sc.folder.resolve()), base_seed=plan.base_seed,
                           days=plan.days,
                           vary=describe(plan.priors),
                           base_parameters_json=canonical_json(plan.base_params.model_dump()),
                           places=[p.name for p in sc.places],
                           crossings=[c.name for c in sc.crossings],
                           members=[(t.run_id, t.index) for t in plan.tasks])
        for task in plan.tasks:
            _store_outcome(store, plan, task, run_task(task))
    return path, plan.ensemble_id


def scenario_run_and_store(root: Path, run_name: str = "run") -> tuple[Path, Path, Path, str]:
    """The tiny web scenario under `root`, one run folder of it and a store with a 3-run ensemble:
    (scenario, run folder, store, ensemble id)."""
    scenario = web_scenario(root / "tiny")
    run = make_run_dir(scenario, root / run_name)
    store, ensemble_id = make_store(scenario, root / "ens.duckdb", runs=3)
    return scenario, run, store, ensemble_id


# --- the what-if timeline, by hand -------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load_scenario(web_scenario(tmp_path_factory.mktemp("whatif") / "tiny"))


def test_capacity_lever_sets_the_post_from_the_start(tiny):
    w = parse_whatif({"baseline": "b", "capacity": [{"crossing": "X-Y", "post": "entry",
                                                     "per_day": 20}]})
    events = whatif_timeline(tiny, w)
    cap = [e for e in events if e.type == "capacity"]
    assert (
        len(cap) == 1
        and cap[0].date == dt.date(2026, 1, 1)
        and cap[0].per_day == 20
        and cap[0].post == "entry"
    )


def test_troops_lever_replaces_later_deployments_with_one_total(tiny):
    # 50 posted on 3 Jan and 30 more on 5 Jan; "10 from 4 Jan" keeps the 50, then brings it to 10
    w = parse_whatif({"baseline": "b", "troops": [{"crossing": "X-Y", "personnel": 10,
                                                   "from": "2026-01-04"}]})
    troops = [(e.date.day, e.personnel) for e in whatif_timeline(tiny, w) if e.type == "troops"]
    assert troops == [(3, 50), (4, -40)]


def test_deadline_lever_moves_the_deadline(tiny):
    w = parse_whatif({"baseline": "b", "deadline": "2026-01-20"})
    (ev,) = [e for e in whatif_timeline(tiny, w) if e.type == "deadline"]
    assert ev.deadline == dt.date(2026, 1, 20) and ev.date == dt.date(2026, 1, 1)


def test_corridor_and_flight_are_added(tiny):
    w = parse_whatif({"baseline": "b", "corridor": [{"crossing": "X-Y", "date": "2026-01-04",
                                                     "days": 3, "per_day": 5}],
                      "flight": [{"from": "A", "date": "2026-01-02", "seats": 7,
                                  "nationality": "Venezuela"}]})
    events = whatif_timeline(tiny, w)
    assert [(e.type,
             e.date.day) for e in events if e.source
            == "what-if"] == [("flight", 2), ("corridor", 4)]


@pytest.mark.parametrize("body, field", [
    ({"baseline": "b", "capacity": [{"crossing": "X-Y", "post": "entry", "per_day": -1}]},
     "capacity.0.per_day"),
    ({"baseline": "b", "capacity": [{"crossing": "X-Y", "post": "entry", "per_day": 1e9}]},
     "capacity.0.per_day"),
    ({"baseline": "b", "seeds": 99}, "seeds"),
    ({"baseline": "b", "admission": [{"crossing": "X-Y", "post": "entry", "admits": "visa+"}]},
     "admission.0.admits"),
    ({"baseline": "b", "lever": 1}, "lever"),
])
def test_levers_out_of_range_name_their_field(body, field):
    with pytest.raises(ScenarioError) as exc:
        parse_whatif(body)
    assert exc.value.field == field


@pytest.mark.parametrize("body, field", [
    ({"baseline": "b", "capacity": [{"crossing": "Z", "post": "entry", "per_day": 1}]},
     "capacity.0.crossing"),
    ({"baseline": "b", "corridor": [{"crossing": "X-Y", "date": "2027-01-01", "days": 1,
                                     "per_day": 1}]},
     "corridor.0.date"),
    ({"baseline": "b", "flight": [{"from": "Atlantis", "date": "2026-01-02", "seats": 1}]},
     "flight.0.from"),
    ({"baseline": "b", "admission": [{"crossing": "X-Y", "post": "entry", "admits": "bribe"}]},
     "admission.0.admits"),
])
def test_levers_naming_unknown_things_are_refused(tiny, body, field):
    with pytest.raises(ScenarioError) as exc:
        whatif_timeline(tiny, parse_whatif(body))
    assert exc.value.field == field

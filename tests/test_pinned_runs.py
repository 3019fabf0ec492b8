"""Runs pinned seed for seed: a change that moves any count of these runs shows here, and is
explained in its commit (regenerate with `python tests/test_pinned_runs.py`, then say why).

Like Starsim's tests/baseline.yaml: the key figures and a hash of every daily count of a few runs
of the travesia ruleset (a tiny scenario using every mechanism, and both built-in scenarios) and
of the Flee ruleset (mali2012 at hasten 10, when ../shared/flee is there).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

HERE = Path(__file__).resolve().parent
PINNED = HERE / "pinned_runs.json"
sys.path.insert(0, str(HERE))

from scenario_kit import tiny_scenario, write_csv  # noqa: E402
from test_flee_kit import SHARED_FLEE  # noqa: E402


# measures the engine gained after the pins: the state and the crossing flow `removed`
LATER_MEASURES = ("removed",)


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
    return h.hexdigest()[:16]


def _travesia_run(folder_or_name, seed: int, params_file: bool = False) -> dict:
    from travesia.model.engine import simulate
    from travesia.runs.runner import run_parameters
    from travesia.scenario import load_scenario
    from travesia.model.world import compile_world

    sc = load_scenario(folder_or_name)
    params = run_parameters(sc)[0] if params_file else sc.params
    res = simulate(compile_world(sc), params, seed=seed, events=sc.spec.timeline)
    # measures added after these runs were pinned are zero in runs without their events: they stay
    # out of the digest (and are checked to be zero), so the pins still hold run for run
    from travesia.model.results import STATE_COLUMNS

    later = [STATE_COLUMNS.index(s) for s in LATER_MEASURES if s in STATE_COLUMNS]
    assert not res.counts[:, :, later].any()
    assert not any(res.flows[k].any() for k in LATER_MEASURES if k in res.flows)
    counts = np.delete(res.counts, later, axis=2)
    flows = [res.flows[k] for k in sorted(res.flows) if k not in LATER_MEASURES]
    held = [int(res.at_crossing(c).max()) for c in res.crossing_names]
    return {"digest": _digest(counts, *flows), "peak_held": held,
            "entries": [int(res.flows["entries"][:,
                                                 c].sum()) for c in range(len(res.crossing_names))]}


def _every_mechanism(folder: Path) -> Path:
    """The tiny world with a 50 km strip, a rule over documents, groups and a nationality, a return
    rule, troops, an emergency announced ahead, a shelter for one nationality, a flight, a
    corridor."""
    timeline = [
        {"date": "2026-01-03", "type": "threat", "level": 0.5, "source": "hand"},
        {"date": "2026-01-06", "announced": "2026-01-03", "type": "emergency", "crossing": "X-Y",
         "days": 5,
         "source": "hand"},
        {"date": "2026-01-06", "type": "troops", "crossing": "X-Y", "personnel": 120,
         "source": "hand"},
        {"date": "2026-01-08", "type": "shelter", "place": "A", "crossing": "X-Y", "capacity": 30,
         "days": 4,
         "uptake": 0.8, "nationality": "Haiti", "source": "hand"},
        {"date": "2026-01-09", "type": "flight", "from": "X-Y", "seats": 25, "source": "hand"},
        {"date": "2026-01-11", "type": "corridor", "crossing": "X-Y", "days": 2, "per_day": 15,
         "source": "hand"},
    ]
    params = {"departure_rate_per_day": {"regular": 0.02, "irregular": 0.08}, "stay_utility": 0.0,
              "irregular_attempt_rate_per_day": 0.3, "giveup_rate_per_day": 0.1,
              "giveup_per_100_personnel": 0.8,
              "walk_km_per_day": 20}
    folder = tiny_scenario(folder, people=3000, entry_admits="national;visa;Venezuela+child+family",
                           entry_cap=200, days=14, timeline=timeline, parameters=params,
                           extra_people=[{"place": "A", "nationality": "Haiti",
                                          "status": "irregular",
                                          "people": 1500, "source": "hand"},
                                         {"place": "A", "nationality": "Venezuela",
                                          "status": "regular",
                                          "people": 800, "source": "hand"}])
    spec = yaml.safe_load((folder / "scenario.yaml").read_text())
    spec.update(documents=["passport", "visa", "family"], groups=["child", "elderly"])
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    path = folder / "crossings.csv"
    path.write_text(path.read_text().replace("return_place", "return_admits,return_place")
                    .replace(",1,1000,", ",50,1000,").replace(",A,D,", ",national;regular,A,D,"),
                    encoding="utf-8")
    write_csv(folder / "documents.csv", [
        {"nationality": n, "status": s, "documents": d, "share": share, "source": "hand"}
        for n in ("Venezuela", "Haiti") for s in ("regular", "irregular")
        for d, share in (("passport;family", 0.3), ("passport;visa", 0.1), ("none", 0.6))])
    write_csv(folder / "groups.csv", [
        {"nationality": n, "status": s, "groups": g, "share": share, "source": "hand"}
        for n in ("Venezuela", "Haiti") for s in ("regular", "irregular")
        for g, share in (("child", 0.3), ("elderly", 0.1), ("none", 0.6))])
    return folder


def compute(tmp: Path) -> dict:
    out = {}
    folder = _every_mechanism(tmp / "every-mechanism")
    for seed in (0, 1):
        out[f"tiny every mechanism, seed {seed}"] = _travesia_run(folder, seed)
    out["chile-peru-2025 fitted medians, seed 0"] = _travesia_run(
        "chile-peru-2025", 0, params_file=True
    )
    out["chile-peru-2023 borrowed medians, seed 3"] = _travesia_run(
        "chile-peru-2023", 3, params_file=True
    )
    return out


def compute_flee(tmp: Path) -> dict:
    from travesia.model.flee import run_flee_folder

    settings = tmp / "simsetting.yml"
    settings.write_text((SHARED_FLEE
                         / "simsetting.yml").read_text().replace("hasten: 1", "hasten: 10"))
    summary = run_flee_folder(SHARED_FLEE / "scenarios" / "mali2012", settings=settings, seed=0,
                              out_dir=tmp / "mali")
    data = (tmp / "mali" / "out.csv").read_bytes()
    return {"flee mali2012 hasten 10, seed 0": {"ard": round(summary["ard"], 10),
                                               "out_csv": hashlib.sha256(data).hexdigest()[:16]}}


def test_pinned_travesia_runs_are_unchanged(tmp_path):
    pinned = json.loads(PINNED.read_text())
    now = compute(tmp_path)
    for key, value in now.items():
        assert value == pinned[key], key


@pytest.mark.skipif(not (SHARED_FLEE / "scenarios").is_dir(),
                    reason=f"no Flee cases at {SHARED_FLEE}")
def test_pinned_flee_run_is_unchanged(tmp_path):
    pinned = json.loads(PINNED.read_text())
    for key, value in compute_flee(tmp_path).items():
        assert value == pinned[key], key


if __name__ == "__main__":   # regenerate the pinned figures (say why in the commit)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        figures = compute(Path(d))
        if (SHARED_FLEE / "scenarios").is_dir():
            figures.update(compute_flee(Path(d)))
    PINNED.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2, ensure_ascii=False))

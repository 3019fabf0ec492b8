"""Observations of an informal crossing's series (`crossing`: the informal crossing's name,
`compare`: an informal measure) are scored and fitted like a crossing's, on the tiny world with a
path from A to D beside X-Y: 35 people at A, 10 attempts a day, so 10, 10, 10, 5 get across on
days 0-3 (tests/test_informal.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from scenario_kit import write_csv
from test_informal import run, world_with_path
from travesia.cli import main
from travesia.inference.calibrate import fit_targets
from travesia.outputs.scores import samples_from_results
from travesia.scenario import load_scenario
from travesia.scenario.observations import read_observations

COLUMNS = ("date", "place", "measure", "value", "source", "crossing", "compare")


def observation(day: int, value: float, crossing: str, compare: str) -> dict:
    return {"date": (dt.date(2026, 1, 1) + dt.timedelta(days=day)).isoformat(), "place": "p",
            "measure": "m", "value": value, "source": "hand", "crossing": crossing,
            "compare": compare}


def with_observations(folder, rows):
    write_csv(folder / "observations.csv", rows)
    return read_observations(folder / "observations.csv")


def test_an_informal_count_is_compared_with_the_paths_series_and_mismatches_are_left_out(tmp_path):
    folder = world_with_path(tmp_path)
    obs = with_observations(folder, [
        observation(1, 10, "path", "informal_crossed"),
        observation(3, 5, "path", "informal_crossed"),
        observation(1, 15, "path", "informal_waiting"),
        observation(1, 10, "X-Y", "informal_crossed"),   # an informal measure at a crossing
        observation(1, 10, "path", "entries"),           # a crossing's measure at a path
    ])
    sc = load_scenario(folder)
    targets = fit_targets(obs, sc, dt.date(2026, 1, 10))
    assert [(o.crossing, o.compare) for o in targets] == [
        ("path", "informal_crossed"), ("path", "informal_crossed"), ("path", "informal_waiting")]
    samples = samples_from_results([run(folder)], targets)
    assert [s.tolist() for s in samples] == [[10.0], [5.0], [15.0]]


def test_score_reads_the_informal_series_of_a_run_folder(tmp_path):
    folder = world_with_path(tmp_path / "sc")
    write_csv(folder / "observations.csv", [observation(1, 10, "path", "informal_crossed"),
                                            observation(3, 8, "path", "informal_crossed")])
    out = tmp_path / "run"
    assert CliRunner().invoke(main, ["run", str(folder), "--out", str(out)]).exit_code == 0
    result = CliRunner().invoke(main, ["score", str(out), "--observations",
                                         str(folder / "observations.csv")])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["observations"]
    # model 10 and 5 against 10 and 8: errors 0 and 3
    assert [(r["model"]["median"], r["model"]["abs_error"]) for r in rows] == [(10.0, 0.0),
                                                                              (5.0, 3.0)]


@pytest.mark.parametrize("crossing, compare, message", [
    ("path", "informal_crossed", None),
    ("X-Y", "held", None),
    ("X-Y", "informal_crossed", "compare informal_crossed needs an informal crossing"),
    ("path", "held", "compare held needs a crossing of crossings.csv"),
    ("pathh", "informal_died", "unknown crossing 'pathh'"),
])
def test_a_compared_row_names_a_crossing_of_its_kind(tmp_path, crossing, compare, message):
    """An informal measure is compared at an informal crossing, a crossing's at a crossing: a row
    mixing them could never be scored, so it is refused with its row and field."""
    from travesia.errors import ObservationError
    from travesia.scenario.observations import read_observations

    path = tmp_path / "obs.csv"
    path.write_text("date,place,measure,value,crossing,compare\n"
                    f"2020-01-02,p,m,5,{crossing},{compare}\n", encoding="utf-8")
    if message is None:
        assert read_observations(path, crossings=["X-Y"], informal=["path"])[0].compare == compare
        return
    with pytest.raises(ObservationError) as err:
        read_observations(path, crossings=["X-Y"], informal=["path"])
    assert message in str(err.value) and "row 2" in str(err.value)
    assert "field 'crossing'" in str(err.value)

"""ARD on a tiny hand-made series (FLEE.md, Scoring)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from travesia.errors import ScenarioError
from travesia.model.flee import score_run_dir
from travesia.model.flee.scoring import averaged_relative_difference, daily_relative_difference

# two days, two camps
SIM = np.array([[10, 0], [20, 10]])
DATA = np.array([[10, 10], [10, 10]])


def test_ard_by_hand():
    """Day 0: (|10-10| + |0-10|) / 20 = 0.5. Day 1: (|20-10| + |10-10|) / 20 = 0.5. Mean 0.5."""
    assert daily_relative_difference(SIM, DATA) == pytest.approx([0.5, 0.5])
    assert averaged_relative_difference(SIM, DATA) == pytest.approx(0.5)


def test_rescaled_ard_by_hand():
    """Rescaled: day 0 sim total 10 vs observed 20, so sim x2 = (20, 0): (10 + 10) / 20 = 1.
    Day 1: total 30 vs 20, sim x2/3 = (13.33, 6.67): (3.33 + 3.33) / 20 = 1/3. Mean 2/3."""
    assert daily_relative_difference(SIM, DATA, rescaled=True) == pytest.approx([1.0, 1 / 3])
    assert averaged_relative_difference(SIM, DATA, rescaled=True) == pytest.approx(2 / 3)


def test_no_observation_divides_by_one_and_no_simulation_is_not_rescaled():
    assert daily_relative_difference(np.array([[3, 4]]), np.array([[0, 0]])) == pytest.approx([7.0])
    assert daily_relative_difference(np.array([[0, 0]]), np.array([[5, 5]]),
                                     rescaled=True) == pytest.approx([1.0])


def test_score_run_dir_reads_out_csv_and_writes_score_json(tmp_path):
    (tmp_path / "out.csv").write_text(
        "Day,Date,A sim,A data,A error,B sim,B data,B error,Total error\n"
        "0,2020-01-01,10,10,0,0,10,1,0\n"
        "1,2020-01-02,20,10,1,10,10,0,0\n")
    score = score_run_dir(tmp_path)
    assert score["ard"] == pytest.approx(0.5)
    assert score["ard_rescaled"] == pytest.approx(2 / 3)
    assert score["error_per_camp"]["A"]["mean_abs_difference"] == pytest.approx(5.0)
    assert score["error_per_camp"]["B"]["mean_abs_difference"] == pytest.approx(5.0)
    assert json.loads((tmp_path / "score.json").read_text())["ard"] == pytest.approx(0.5)


def test_score_errors_name_the_file(tmp_path):
    with pytest.raises(ScenarioError, match="out.csv"):
        score_run_dir(tmp_path)
    (tmp_path / "out.csv").write_text("Day,Date,A sim,A data\n0,2020-01-01,x,1\n")
    with pytest.raises(ScenarioError) as err:
        score_run_dir(tmp_path)
    assert err.value.row == 2 and err.value.field == "A sim"

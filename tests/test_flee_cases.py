"""Flee's own validation cases (../shared/flee), run to the end; skipped when absent."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from test_flee_kit import SHARED_FLEE, needs_shared_flee, write_case
from travesia.model.flee import is_flee_folder, run_flee_folder, score_run_dir

pytestmark = needs_shared_flee


def settings_with_hasten(tmp_path, hasten):
    text = (SHARED_FLEE / "simsetting.yml").read_text().replace("hasten: 1", f"hasten: {hasten}")
    path = tmp_path / "simsetting.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", ["mali2012", "burundi2015", "nigeria2016", "ukraine2022"])
def test_cases_are_flee_folders(case):
    assert is_flee_folder(SHARED_FLEE / "scenarios" / case)


def test_burundi_with_hasten_runs_to_the_end(tmp_path):
    out = tmp_path / "run"
    days_seen = []
    summary = run_flee_folder(SHARED_FLEE / "scenarios" / "burundi2015",
                              settings=settings_with_hasten(tmp_path, 20),
                              seed=1, out_dir=out, progress=lambda d, n: days_seen.append((d, n)))
    assert summary["days"] == 396 and days_seen[-1] == (396, 396)
    assert summary["case"] == "burundi2015" and summary["seed"] == 1 and summary["hasten"] == 20
    assert 5_000 < summary["agents_at_end"] < 20_000
    assert 0.0 < summary["ard"] < 1.0 and 0.0 < summary["ard_rescaled"] < 1.0
    for key in ("wall_seconds", "agent_steps_per_second", "engine_seconds"):
        assert summary[key] > 0
    # Flee's out.csv layout: per camp sim, data, error; then the totals
    with (out / "out.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:5] == ["Day", "Date", "Mahama sim", "Mahama data", "Mahama error"]
    assert rows[0][-6:] == ["Total error", "refugees in camps (UNHCR)",
                            "total refugees (simulation)",
                            "raw UNHCR refugee count", "refugees in camps (simulation)",
                            "refugee_debt"]
    assert len(rows) == 397 and rows[1][1] == "2015-05-01"
    daily = pq.read_table(out / "daily.parquet")
    assert daily.column_names == ["date", "place", "state", "people"]
    assert set(daily.column("state").to_pylist()) <= {"at_location", "in_transit"}
    assert json.loads((out / "summary.json").read_text())["ard"] == pytest.approx(summary["ard"])
    score = score_run_dir(out)
    assert score["ard"] == pytest.approx(summary["ard"])
    assert set(score["error_per_camp"]) == {"Mahama", "Nduta", "Nyarugusu", "Nakivale", "Lusenda"}


def test_one_seed_one_result(tmp_path):
    case = SHARED_FLEE / "scenarios" / "mali2012"
    settings = settings_with_hasten(tmp_path, 50)
    a = run_flee_folder(case, settings=settings, seed=5, out_dir=tmp_path / "a")
    b = run_flee_folder(case, settings=settings, seed=5, out_dir=tmp_path / "b")
    c = run_flee_folder(case, settings=settings, seed=6, out_dir=tmp_path / "c")
    assert (tmp_path / "a" / "out.csv").read_bytes() == (tmp_path / "b" / "out.csv").read_bytes()
    assert (tmp_path / "a" / "out.csv").read_bytes() != (tmp_path / "c" / "out.csv").read_bytes()
    assert a["ard"] == b["ard"] != c["ard"]


def test_tiny_folder_runs_end_to_end(tmp_path):
    root = write_case(tmp_path / "tiny", locations=["A,r,X,0,0,conflict_zone,0,100",
                                                    "C,r,Y,0,0,camp,,"],
                      routes=["A,C,500"], days=5, layout=["total,t.csv", "C,t.csv"],
                      counts={"t.csv": ["2020-01-01,0", "2020-01-05,40"]})
    summary = run_flee_folder(root, seed=0, out_dir=tmp_path / "out")
    assert summary["agents_at_end"] == 40 and summary["settings"] is None

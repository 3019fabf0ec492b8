"""`travesia scenario new` writes a starting folder that checks and runs, and never overwrites."""

from __future__ import annotations

import csv

from click.testing import CliRunner

from travesia.cli import main
from travesia.scenario import load_scenario


def test_the_starting_folder_checks_runs_and_moves_people(tmp_path):
    folder = tmp_path / "my-corridor"
    runner = CliRunner()
    made = runner.invoke(main, ["scenario", "new", "my-corridor", "--dir", str(folder)])
    assert made.exit_code == 0, made.output
    checked = runner.invoke(main, ["scenario", "check", str(folder)])
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("ok: my-corridor: 5 places, 1 crossings")
    sc = load_scenario(folder)
    assert sc.name == "my-corridor"
    ran = runner.invoke(main, ["run", str(folder), "--quiet", "--out", str(tmp_path / "out")])
    assert ran.exit_code == 0, ran.output
    import travesia.api as tv

    results = tv.run(sc)
    assert results.at_crossing("Exit Post–Entry Post", "departures").sum() > 0


def test_every_placeholder_number_cites_a_source_or_says_it_is_an_assumption(tmp_path):
    folder = tmp_path / "x"
    CliRunner().invoke(main, ["scenario", "new", "x", "--dir", str(folder)])
    for name in ("places.csv", "routes.csv", "crossings.csv", "population.csv", "documents.csv",
                 "groups.csv"):
        with (folder / name).open(encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if not r[next(iter(r))].startswith("#")]
        assert rows and all(r["source"] for r in rows), name
    # the commented lines explain the files: a header comment in every CSV
    assert all("#" in (folder / n).read_text() for n in ("places.csv", "crossings.csv"))


def test_the_commented_inflow_row_of_the_starting_folder_runs_when_uncommented(tmp_path):
    folder = tmp_path / "x"
    CliRunner().invoke(main, ["scenario", "new", "x", "--dir", str(folder)])
    assert load_scenario(folder).inflows == []
    text = (folder / "inflows.csv").read_text(encoding="utf-8")
    (folder / "inflows.csv").write_text(text.replace("# Border Town", "Border Town"),
                                        encoding="utf-8")
    import travesia.api as tv

    results = tv.run(load_scenario(folder))
    assert results.inflow_totals() == {"Border Town": 50 * 31}


def test_an_existing_folder_is_never_overwritten(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "scenario.yaml").write_text("my own work")
    result = CliRunner().invoke(main, ["scenario", "new", "mine", "--dir", str(folder)])
    assert result.exit_code == 2
    assert "exists and is not an empty folder" in result.output
    assert (folder / "scenario.yaml").read_text() == "my own work"


def test_a_name_the_format_refuses_is_refused_before_writing(tmp_path):
    result = CliRunner().invoke(main, ["scenario", "new", "My Corridor", "--dir",
                                       str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "field 'NAME'" in result.output and "not a scenario name" in result.output
    assert not (tmp_path / "m").exists()

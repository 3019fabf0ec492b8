"""A run's output folder holds one whole run: the files of a run that failed part-way, plots
included, never replace or mix with the previous run's, and a folder that cannot be written is
refused before the simulation."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from scenario_kit import tiny_scenario
from travesia.cli import main
from travesia.outputs import plot

RUN_FILES = {"daily.parquet", "crossings.parquet", "needs.csv", "impacts.csv", "impacts_places.csv",
             "summary.json", "stranded.png"}


def run(folder, out, *extra):
    return CliRunner().invoke(main, ["run", str(folder), "--out", str(out), "--quiet", *extra])


def test_a_dollar_in_a_title_or_label_is_drawn_as_text(tmp_path):
    folder = tiny_scenario(tmp_path)
    spec = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    spec["title"] = "Fares from $^$ 20"              # read as mathematics, a parse error
    spec["timeline"] = [{"date": "2026-01-02", "type": "note", "label": "a $_$ b", "source":
                         "hand"}]
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = run(folder, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "out").iterdir()} >= RUN_FILES


def test_a_run_that_fails_while_plotting_leaves_the_previous_run_whole(tmp_path, monkeypatch):
    folder = tiny_scenario(tmp_path)
    out = tmp_path / "out"
    assert run(folder, out, "--seed", "1").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "mine.txt").write_text("a user's own note", encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("the plot failed")

    monkeypatch.setattr("travesia.runs.runner.plot_stranded", broken)
    result = run(folder, out, "--seed", "2")
    assert result.exit_code != 0
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "mine.txt"}
    assert after == before                       # the seed-1 run, every file as it was
    assert json.loads(after["summary.json"])["seed"] == 1
    assert (out / "mine.txt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_a_second_run_replaces_every_file(tmp_path):
    folder = tiny_scenario(tmp_path)
    out = tmp_path / "out"
    assert run(folder, out, "--seed", "1").exit_code == 0
    assert run(folder, out, "--seed", "2").exit_code == 0
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["seed"] == 2
    assert {p.name for p in out.iterdir()} == RUN_FILES


def test_an_output_folder_below_a_file_is_refused_before_the_run(tmp_path, monkeypatch):
    folder = tiny_scenario(tmp_path)
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    ran = []
    monkeypatch.setattr("travesia.runs.runner._run_into", lambda *a: ran.append(a))
    for out in (tmp_path / "a_file" / "out", tmp_path / "a_file"):
        result = run(folder, out)
        assert result.exit_code == 2, result.output
        assert "a_file" in result.output and "Traceback" not in result.output, result.output
    assert ran == []


def test_plain_text_keeps_dollars_literal():
    import matplotlib.pyplot as plt

    @plot.plain_text
    def label():
        fig, ax = plt.subplots()
        text = ax.set_title("$^$")
        fig.canvas.draw()                         # as mathematics this raises here
        plt.close(fig)
        return text.get_text()

    assert label() == "$^$"


def test_a_flee_run_that_fails_late_leaves_the_previous_run_whole(tmp_path, monkeypatch):
    from test_broken_corpus import FLEE_CASE
    from test_flee_kit import write_case

    folder = write_case(tmp_path / "case", **FLEE_CASE)
    out = tmp_path / "out"
    assert run(folder, out, "--seed", "1").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr("travesia.model.flee.run.write_daily_parquet", broken)
    assert run(folder, out, "--seed", "2").exit_code != 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []

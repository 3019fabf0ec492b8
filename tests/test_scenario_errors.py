"""Every user mistake in a scenario folder ends in one line naming file, row or field, and exit
status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from scenario_kit import tiny_scenario
from travesia.cli import main
from travesia.errors import ObservationError
from travesia.scenario.observations import read_observations


def check(folder):
    result = CliRunner().invoke(main, ["scenario", "check", str(folder)])
    return result.exit_code, result.output


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_yaml(path, fn):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _set_people(folder, value):
    path = folder / "population.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("people")] = value
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_sound_scenario_passes(tmp_path):
    code, out = check(tiny_scenario(tmp_path))
    assert code == 0 and out.startswith("ok: tiny")


CASES = {
    "unknown place in a route": (
        lambda f: edit(f / "routes.csv", "YP,D,", "YP,Nowhere,"),
        ["routes.csv", "row 3", "field 'to'", "unknown place 'Nowhere'"]),
    "negative distance": (
        lambda f: edit(f / "routes.csv", "A,XP,1.0", "A,XP,-5"),
        ["routes.csv", "row 2", "field 'distance_km'", "must be above 0", "-5"]),
    "negative capacity": (
        lambda f: edit(f / "crossings.csv", ",1000,10,", ",1000,-10,"),
        ["crossings.csv", "row 2", "field 'entry_capacity_per_day'", "-10"]),
    "date outside the period": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d["timeline"].append(
            {"date": "2027-05-01", "type": "threat", "level": 0.5, "source": "hand"})),
        ["scenario.yaml", "timeline[0].date", "outside the period"]),
    "disconnected place that people must reach": (
        lambda f: edit(f / "routes.csv", "A,XP,1.0,hand\n", ""),
        ["population.csv", "row 2", "'A' is disconnected"]),
    "disconnected destination": (
        lambda f: edit(f / "routes.csv", "YP,D,100,hand\n", ""),
        ["crossings.csv", "row 2", "field 'destination'", "disconnected"]),
    "duplicated name": (
        lambda f: edit(f / "places.csv", "D,Y,", "XP,Y,"),
        ["places.csv", "row 5", "duplicated place name 'XP'", "first on row 3"]),
    "missing file": (
        lambda f: (f / "crossings.csv").unlink(),
        ["crossings.csv", "missing file"]),
    "malformed YAML": (
        lambda f: (f / "scenario.yaml").write_text("name: tiny\nstart: [2026-01-01\n",
                                                   encoding="utf-8"),
        ["scenario.yaml", "malformed YAML"]),
    "malformed CSV: wrong number of fields": (
        lambda f: edit(f / "places.csv", "A,X,r,0,0,city,hand", "A,X,r,0,0,city"),
        ["places.csv", "row 2", "has 6 fields but the header has 7"]),
    "malformed CSV: missing column": (
        lambda f: edit(f / "routes.csv", "distance_km", "km"),
        ["routes.csv", "row 1", "missing column(s) distance_km"]),
    "not a number": (
        lambda f: edit(f / "places.csv", "A,X,r,0,0,", "A,X,r,north,0,"),
        ["places.csv", "row 2", "field 'lat'", "north"]),
    "unknown source id": (
        lambda f: edit(f / "routes.csv", "A,XP,1.0,hand", "A,XP,1.0,nobody"),
        ["routes.csv", "row 2", "field 'source'", "unknown source id 'nobody'"]),
    "unknown crossing in an event": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d["timeline"].append(
            {"date": "2026-01-02", "type": "troops", "crossing": "Q", "personnel": 5,
             "source": "hand"})),
        ["scenario.yaml", "timeline[0].crossing", "unknown crossing 'Q'"]),
    "unknown event field": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d["timeline"].append(
            {"date": "2026-01-02", "type": "flight", "from": "A", "seats": -3, "source": "hand"})),
        ["scenario.yaml", "timeline[0].seats", "must be at least 0"]),
    "bad admission rule": (
        lambda f: edit(f / "crossings.csv", ",any,any,", ",any,passports,"),
        ["crossings.csv", "row 2", "field 'entry_admits'", "unknown name 'passports'"]),
    "unknown parameter": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d["parameters"].update({"speed": 3})),
        ["scenario.yaml", "parameters.speed", "unknown parameter"]),
    "document shares not summing to 1": (
        lambda f: edit(f / "documents.csv", ",none,1,", ",none,0.5,"),
        ["documents.csv", "row 2", "sum to 0.5"]),
    "road between the two posts": (
        lambda f: edit(f / "routes.csv", "YP,D,100,hand", "YP,D,100,hand\nXP,YP,3,hand"),
        ["routes.csv", "row 4", "joins the two posts"]),
    # numbers no corridor has: a typo must not become a run that allocates terabytes or treats
    # an infinite road as a road
    "infinite distance": (
        lambda f: edit(f / "routes.csv", "A,XP,1.0", "A,XP,inf"),
        ["routes.csv", "row 2", "field 'distance_km'", "finite"]),
    "distance beyond any road": (
        lambda f: edit(f / "routes.csv", "A,XP,1.0", "A,XP,1e308"),
        ["routes.csv", "row 2", "field 'distance_km'", "must be at most 50,000"]),
    "infinite capacity": (
        lambda f: edit(f / "crossings.csv", ",1000,10,", ",1000,inf,"),
        ["crossings.csv", "row 2", "field 'entry_capacity_per_day'", "finite"]),
    "more people than the planet": (
        lambda f: _set_people(f, "100000000000000000000"),
        ["population.csv", "row 2", "field 'people'", "must be at most"]),
    "impossible date": (
        lambda f: edit(f / "scenario.yaml", "start: '2026-01-01'", "start: '2025-13-45'"),
        ["scenario.yaml", "start", "date"]),
    "impossible date written bare": (
        lambda f: (f / "scenario.yaml").write_text(
            (f / "scenario.yaml").read_text(encoding="utf-8").replace("'2026-01-01'",
                                                                        "2025-11-31"),
            encoding="utf-8"),
        ["scenario.yaml", "start", "date"]),
    "too many places for the period": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d.update({"end": "2030-01-01"}))
        or _add_places(f, 1_500),
        ["scenario.yaml", "field 'end'", "daily counts (at most 2,000,000)"]),
    "more places than a world holds": (
        lambda f: _add_places(f, 2_001),
        ["places.csv", "2,005 places (at most 2,000)"]),
    "a file past the size limit": (
        lambda f: (f / "routes.csv").write_text(
            "from,to,distance_km,source\n" + "A,XP,1.0,hand\n" * 1_300_000, encoding="utf-8"),
        ["routes.csv", "file too large", "at most 16 MB"]),
    "period of centuries": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d.update({"end": "2999-01-01"})),
        ["scenario.yaml", "end", "longer than"]),
    "infinite parameter": (
        lambda f: (f / "scenario.yaml").write_text(
            (f / "scenario.yaml").read_text(encoding="utf-8").replace(
                "parameters:", "parameters:\n  walk_km_per_day: .inf", 1), encoding="utf-8"),
        ["scenario.yaml", "parameters.walk_km_per_day", "finite"]),
    "more soldiers withdrawn than sent": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d["timeline"].extend([
            {"date": "2026-01-03", "type": "troops", "crossing": "X-Y", "personnel": -80,
             "source": "hand"},
            {"date": "2026-01-02", "type": "troops", "crossing": "X-Y", "personnel": 50,
             "source": "hand"}])),
        ["scenario.yaml", "timeline[0].personnel", "withdraws more personnel", "-30 left"]),
    # what `ensemble`, `calibrate` and `run` would refuse later, `check` refuses now
    "prior of an unknown distribution": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d.update(
            {"priors": {"walk_km_per_day": {"dist": "cauchy", "low": 1, "high": 2}}})),
        ["scenario.yaml", "priors.walk_km_per_day.dist", "unknown dist 'cauchy'"]),
    "prior with a string median": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d.update(
            {"priors": {"walk_km_per_day": {"dist": "lognormal", "median": "ten",
                                            "sigma": 0.3}}})),
        ["scenario.yaml", "priors.walk_km_per_day.median", "not a number"]),
    "prior with low above high": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d.update(
            {"priors": {"walk_km_per_day": {"dist": "uniform", "low": 9, "high": 2}}})),
        ["scenario.yaml", "priors.walk_km_per_day"]),
    "YAML aliases": (
        lambda f: (f / "scenario.yaml").write_text(
            (f / "scenario.yaml").read_text(encoding="utf-8")
            + "bomb: &a [x, x]\nbombs: [*a, *a]\n", encoding="utf-8"),
        ["scenario.yaml", "aliases (*name) are not allowed"]),
    "observations file missing": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d.update({"observations": "obs.csv"})),
        ["scenario.yaml", "field 'observations'", "not found"]),
    "observations outside the folder": (
        lambda f: edit_yaml(f / "scenario.yaml", lambda d: d.update(
            {"observations": str(f.parent / "secret.csv")})),
        ["scenario.yaml", "field 'observations'", "inside the scenario folder"]),
    "observations through a symbolic link out": (
        lambda f: (_write_secret(f), (f / "obs.csv").symlink_to(f.parent / "secret.csv"),
                   edit_yaml(f / "scenario.yaml", lambda d: d.update({"observations": "obs.csv"}))),
        ["scenario.yaml", "field 'observations'", "leads out of the scenario folder"]),
    "a data file linked from outside": (
        lambda f: ((f.parent / "routes_elsewhere.csv").write_bytes((f / "routes.csv").read_bytes()),
                   (f / "routes.csv").unlink(),
                   (f / "routes.csv").symlink_to(f.parent / "routes_elsewhere.csv")),
        ["routes.csv", "leads out of the scenario folder"]),
    "bad observations": (
        lambda f: ((f / "obs.csv").write_text("date,place,measure,value\n2026-01-02,XP,held,many\n",
                                              encoding="utf-8"),
                   edit_yaml(f / "scenario.yaml", lambda d: d.update({"observations": "obs.csv"}))),
        ["obs.csv", "row 2", "field 'value'", "not a number"]),
}


def _add_places(folder, n):
    with (folder / "places.csv").open("a", encoding="utf-8") as f:
        f.writelines(f"T{i},X,r,0,0,city,hand\n" for i in range(n))


def _write_secret(folder):
    (folder.parent / "secret.csv").write_text("root:x:0:0:root:/root:/bin/bash\n",
                                              encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_scenario_error_names_file_row_and_field(tmp_path, case):
    break_it, expected = CASES[case]
    folder = tiny_scenario(tmp_path)
    break_it(folder)
    code, out = check(folder)
    assert code == 2, out
    assert out.startswith("error: ") and out.count("\n") == 1, out
    for part in expected:
        assert part in out, f"{part!r} not in {out!r}"
    assert "root:x" not in out                  # an error never shows another file's contents
    result = CliRunner().invoke(main, ["run", str(folder), "--quiet", "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2 and result.output == out, (result.output, out)
    assert not (tmp_path / "out").exists()


def test_cli_prints_no_traceback_for_a_user_mistake(tmp_path):
    folder = tiny_scenario(tmp_path)
    edit(folder / "routes.csv", "A,XP,1.0", "A,XP,-5")
    proc = subprocess.run([sys.executable, "-c", "from travesia.cli import main; main()", "run",
                           str(folder), "--quiet"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "routes.csv" in proc.stderr


def test_unknown_scenario_name(tmp_path):
    result = CliRunner().invoke(main, ["run", "no-such-scenario", "--quiet"])
    assert result.exit_code == 2 and "no such scenario" in result.output


def test_a_negative_seed_is_refused_by_the_command_line(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tiny_scenario(tmp_path)), "--seed", "-1",
                                       "--quiet"])
    assert result.exit_code == 2 and "--seed" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("content", "expected"), [
    (b"date,place,measure,value\n2026-01-02,XP,held,\xff\xfe\n", "not UTF-8"),
    (b"date,place,measure,value\n2026-01-02,XP,held,inf\n", "not a finite number"),
])
def test_bad_observations_name_the_file(tmp_path, content, expected):
    path = tmp_path / "obs.csv"
    path.write_bytes(content)
    with pytest.raises(ObservationError, match=expected) as info:
        read_observations(path)
    assert "obs.csv" in str(info.value)


def test_an_infinite_value_in_a_params_file_is_one_line(tmp_path):
    folder = tiny_scenario(tmp_path)
    params = tmp_path / "p.yaml"
    params.write_text("walk_km_per_day: .inf\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(folder), "--params", str(params), "--quiet",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "p.yaml" in result.output and "finite" in result.output, result.output
    assert not (tmp_path / "out").exists()

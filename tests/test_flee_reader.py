"""Reading Flee folders: layout details, and errors that name file, row and field."""

from __future__ import annotations

import pytest

from test_flee_kit import write_case
from travesia.errors import ScenarioError
from travesia.model.flee import is_flee_folder
from travesia.model.flee.reader import read_case
from travesia.model.flee.world import compile_world

LOC = ["A,r,X,0,0,conflict_zone,0,1000", "B,r,X,0,0,town,,", "C,r,Y,0,0,camp,,500"]
RTE = ["A,B,10", "B,C,20"]


def case(tmp_path, **kw):
    args = {"locations": LOC, "routes": RTE} | kw
    return write_case(tmp_path, **args)


def test_detects_a_flee_folder(tmp_path):
    assert not is_flee_folder(tmp_path)
    assert is_flee_folder(case(tmp_path))


def test_comments_extra_columns_and_duplicate_links(tmp_path):
    root = case(tmp_path, routes=["#a comment", "A,B,10,0,250", "", "B,A,10", "B,C,20,,"])
    (root / "input_csv" / "routes.csv").write_text(
        "#name1,name2,distance,forced_redirection,max_move_speed\nA,B,10,0,250\n# "
        "note\nB,A,10\nB,C,20,,\n")
    (root / "input_csv" / "locations.csv").write_text(
        "#name,region,country,lat,lon,location_type,conflict_date,pop/cap,capacity_per_day\n"
        "A,r,X,0,0,conflict_zone,0,1000,\n#B,r,X,0,0,town,,\nB,r,X,0,0,town,,\nC,r,Y,0,0,camp,,500,10\n")
    c = read_case(root)
    assert c.locations.name == ["A", "B", "C"]
    assert c.locations.attributes["capacity_per_day"] == ["", "", "10"]
    assert len(c.routes.src) == 2  # A-B listed twice is one link
    w = compile_world(c)
    assert list(w.link_speed) == [250.0, 250.0, 360.0, 360.0]
    assert list(w.capacity_per_day) == [0.0, 0.0, 10.0]


def test_settings_in_the_folder_win_over_none_and_a_given_file_wins(tmp_path):
    root = case(tmp_path, settings="move_rules:\n  awareness_level: 2\n")
    assert read_case(root).settings.awareness_level == 2
    other = tmp_path / "other.yml"
    other.write_text("move_rules:\n  awareness_level: 3\n")
    assert read_case(root, other).settings.awareness_level == 3
    assert read_case(case(tmp_path / "plain")).settings.awareness_level == 1  # Flee's default


@pytest.mark.parametrize(
    "change, file, row, field, words",
    [
        ({"routes": ["A,B,10", "B,Nowhere,5"]}, "routes.csv", 3, "name2",
         "unknown location 'Nowhere'"),
        ({"routes": ["A,B,ten"]}, "routes.csv", 2, "distance", "'ten' is not a number"),
        ({"routes": ["A,B,-3"]}, "routes.csv", 2, "distance", "negative"),
        ({"locations": LOC + ["D,r,X,0,0,castle,,"]}, "locations.csv", 5, "location_type",
         "unknown location_type"),
        ({"locations": LOC + ["A,r,X,0,0,town,,"]}, "locations.csv", 5, "name", "listed twice"),
        ({"locations": ["A,r,X,north,0,town,,"] + LOC[1:]}, "locations.csv", 2, "latitude",
         "not a number"),
        ({"closures": ["wall,A,B,0,1"]}, "closures.csv", 2, "closure_type", "unknown closure type"),
        ({"closures": ["location,Atlantis,,0,1"]}, "closures.csv", 2, "name1", "unknown location"),
        ({"closures": ["country,X,Mars,0,1"]}, "closures.csv", 2, "name2",
         "unknown country 'Mars'"),
        ({"closures": ["link,A,B,soon,1"]}, "closures.csv", 2, "closure_start", "not a number"),
        ({"conflicts": ["#Day,A,Zed", "0,1,0"]}, "conflicts.csv", 1, "Zed",
         "unknown location 'Zed'"),
        ({"conflicts": ["#Day,A", "0,1", "1,high"]}, "conflicts.csv", 3, "A", "not a number"),
        ({"counts": {"refugees.csv": ["2020-01-01,5", "2020-13-01,6"]}}, "refugees.csv", 2, "date",
         "not a date"),
        ({"counts": {"refugees.csv": ["2020-01-01,five"]}}, "refugees.csv", 1, "count",
         "not a number"),
        ({"layout": ["total,missing.csv"]}, "data_layout.csv", 1, "file", "does not exist"),
        ({"corrections": ["C,2020-01-01"], "layout": ["total,refugees.csv"]},
         "registration_corrections.csv", 1, "camp", "not in source_data/data_layout.csv"),
        ({"settings": "move_rules:\n  awareness_level: many\n"}, "simsetting.yml", None,
         "move_rules.awareness_level", "not a valid int"),
        ({"settings": "optimisations:\n  hasten: 0\n"}, "simsetting.yml", None,
         "optimisations.hasten", "at least 1"),
    ],
)
def test_errors_name_file_row_and_field(tmp_path, change, file, row, field, words):
    root = case(tmp_path, **change)
    with pytest.raises(ScenarioError) as err:
        read_case(root)
    e = err.value
    assert e.file.endswith(file), e.message
    assert e.row == row, e.message
    assert e.field == field, e.message
    assert words in e.message
    assert file in e.message


def test_missing_files(tmp_path):
    root = case(tmp_path)
    (root / "input_csv" / "sim_period.csv").unlink()
    with pytest.raises(ScenarioError, match="sim_period.csv: file is missing"):
        read_case(root)
    with pytest.raises(ScenarioError, match="not a Flee folder"):
        read_case(tmp_path / "input_csv")
    with pytest.raises(ScenarioError, match="settings file does not exist"):
        read_case(case(tmp_path / "b"), tmp_path / "nope.yml")


@pytest.mark.parametrize(("change", "file", "row", "words"), [
    # a field past the csv module's limit (131,072 characters) was a traceback
    ({"routes": ["A,B,10", "B,C," + "9" * 200_000]}, "routes.csv", 3, "malformed CSV"),
    ({"locations": LOC + [f"T{i},r,X,0,0,town,," for i in range(20_001)]}, "locations.csv", None,
     "at most 20,000"),
])
def test_oversized_input_is_refused_with_its_file(tmp_path, change, file, row, words):
    root = case(tmp_path, **change)
    with pytest.raises(ScenarioError) as err:
        read_case(root)
    assert err.value.file.endswith(file) and err.value.row == row, err.value.message
    assert words in err.value.message


def test_a_file_past_the_size_limit_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr("travesia.scenario.limits.MAX_INPUT_BYTES", 100)
    root = case(tmp_path, locations=LOC + [f"T{i},r,X,0,0,town,," for i in range(10)])
    with pytest.raises(ScenarioError, match="file too large") as err:
        read_case(root)
    assert err.value.file.endswith("locations.csv")


"""Admission rules over a scenario's own vocabulary (documents, demographic groups, statuses), the
strip between the posts, and the exit post's rule for people who want to go back.

The tiny world (tests/scenario_kit.py): town A -- road -- exit post XP | strip | entry post YP -- D.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from scenario_kit import tiny_scenario, write_csv
from travesia.scenario.admission import Vocabulary
from travesia.model.engine import simulate
from travesia.errors import ScenarioError
from travesia.scenario import load_scenario
from travesia.model.world import compile_world


def run(folder, seed=0):
    sc = load_scenario(folder)
    return simulate(compile_world(sc), sc.params, seed=seed, events=sc.spec.timeline)


def declare(folder, **spec_items):
    path = folder / "scenario.yaml"
    spec = yaml.safe_load(path.read_text())
    spec.update(spec_items)
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")


def test_a_term_needs_all_its_tokens_and_any_term_admits():
    v = Vocabulary(("passport", "visa", "family_in_peru"), ("child", "elderly", "pregnant"))
    rule = v.parse("national;visa;pregnant;child+family_in_peru")
    fam, child, visa, preg = (v.bit(n) for n in ("family_in_peru", "child", "visa", "pregnant"))
    traits = np.array([0, fam, child, fam | child, visa, preg, 0])
    national = np.array([False] * 6 + [True])
    assert rule.admits(traits, 1,
                       national).tolist() == [False, False, False, True, True, True, True]
    # a status token: only regular residents of the exit country are let back in
    back = v.parse("national;regular")
    assert back.admits(np.zeros(3, dtype=int), np.array([0, 1, 1]),
                       np.array([False, False, True])).tolist() == \
        [True, False, True]


@pytest.mark.parametrize("rule, message", [
    ("visa+", "empty name"),
    ("any;visa", "stands alone"),
    ("regular+irregular", "two legal statuses"),
    ("visa+childs", "unknown name 'childs'"),
])
def test_a_bad_rule_is_refused_with_its_reason(rule, message):
    v = Vocabulary(("passport", "visa"), ("child",))
    with pytest.raises(ValueError, match=message):
        v.parse(rule)


def test_children_with_family_beyond_the_border_pass_a_demographic_exemption(tmp_path):
    """1,000 leave; 20% are children, 30% hold 'family_in_peru' (independently): 6% are children
    with family and pass 'visa;child+family_in_peru'; the rest are stranded."""
    folder = tiny_scenario(tmp_path, people=10_000, entry_admits="visa;child+family_in_peru",
                           entry_cap=100_000,
                           exit_cap=100_000, days=3)
    declare(folder, documents=["passport", "visa", "family_in_peru"], groups=["child", "pregnant"])
    write_csv(folder / "documents.csv", [
        {"nationality": "Venezuela", "status": "irregular", "documents": "passport;family_in_peru",
         "share": 0.3,
         "source": "hand"},
        {"nationality": "Venezuela", "status": "irregular", "documents": "passport", "share": 0.7,
         "source": "hand"}])
    write_csv(folder / "groups.csv", [
        {"nationality": "Venezuela", "status": "irregular", "groups": "child", "share": 0.2,
         "source": "hand"},
        {"nationality": "Venezuela", "status": "irregular", "groups": "none", "share": 0.8,
         "source": "hand"}])
    res = run(folder, seed=5)
    entered = res.flows["entries"][:, 0].sum()
    assert entered == pytest.approx(600, rel=0.15)
    assert res.flows["refused"][:, 0].sum() == 10_000 - entered


def test_undeclared_group_in_groups_csv_is_one_line_error(tmp_path):
    folder = tiny_scenario(tmp_path)
    declare(folder, groups=["child"])
    write_csv(folder / "groups.csv", [
        {"nationality": "Venezuela", "status": "irregular", "groups": "elderly", "share": 1,
         "source": "hand"}])
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    assert "groups.csv" in err.value.message and "row 2" in err.value.message
    assert "unknown group 'elderly'" in err.value.message


def test_a_long_strip_is_walked_before_the_entry_queue(tmp_path):
    """A 50 km strip at 20 km a day: through the exit post on day 1, two whole days of walking,
    at the entry post on day 3."""
    folder = tiny_scenario(tmp_path, people=10, entry_cap=100, parameters={"walk_km_per_day": 20})
    path = folder / "crossings.csv"
    path.write_text(path.read_text().replace(",1,1000,", ",50,1000,"), encoding="utf-8")
    res = run(folder)
    assert res.flows["exits"][:5, 0].tolist() == [10, 0, 0, 0, 0]
    assert res.flows["entries"][:5, 0].tolist() == [0, 0, 10, 0, 0]
    # the 1 km strip of every other test is walked within the day
    res = run(tiny_scenario(tmp_path / "short", people=10, entry_cap=100))
    assert res.flows["entries"][:2, 0].tolist() == [10, 0]


def test_people_the_exit_post_will_not_let_back_stay_on_the_strip(tmp_path):
    """Everyone is refused entry and wants to go back the same day; the exit post lets back only
    regular residents: the 30 irregular stay between the posts, the 20 regular go home."""
    params = {"giveup_rate_per_day": 1.0}
    folder = tiny_scenario(tmp_path, people=30, entry_admits="visa", entry_cap=100,
                           parameters=params, days=4,
                           extra_people=[{"place": "A", "nationality": "Venezuela",
                                          "status": "regular",
                                          "people": 20, "source": "hand"}])
    path = folder / "crossings.csv"
    text = path.read_text().replace("return_place",
                                    "return_admits,return_place").replace(",A,D,", ",regular,A,D,")
    path.write_text(text, encoding="utf-8")
    # the regular residents leave too (departure rate 1 for both statuses in the kit)
    res = run(folder)
    assert res.flows["gave_up"][0, 0] == 20
    assert res.flows["return_refused"][0, 0] == 30
    assert res.flows["stranded"][0, 0] == 30
    # an admission event on the return post opens the way back on day 3
    spec = yaml.safe_load((folder / "scenario.yaml").read_text())
    spec["timeline"] = [{"date": "2026-01-03", "type": "admission", "crossing": "X-Y",
                         "post": "return",
                         "admits": "any", "source": "hand"}]
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    res = run(folder)
    assert res.flows["return_refused"][:3, 0].tolist() == [30, 30, 0]
    # the regular residents left home again that day
    assert res.flows["gave_up"][2, 0] == 30 + 20


def test_night_attempts_are_successes_plus_those_caught(tmp_path):
    params = {"irregular_attempt_rate_per_day": 0.5, "irregular_success": 0.4}
    folder = tiny_scenario(tmp_path, people=20_000, entry_admits="visa", entry_cap=100_000,
                           exit_cap=100_000,
                           parameters=params, days=3)
    res = run(folder, seed=11)
    f = res.flows
    assert np.array_equal(f["irregular_attempts"][:, 0],
                          f["irregular"][:, 0] + f["irregular_caught"][:, 0])
    # day 0: 20,000 refused; half try; 40% of tries get through, 60% are caught and stay on the line
    assert f["irregular_attempts"][0, 0] == pytest.approx(10_000, rel=0.03)
    assert f["irregular_caught"][0, 0] == pytest.approx(6_000, rel=0.05)
    assert f["stranded"][0, 0] == 20_000 - f["irregular"][0, 0]


def test_shelter_uptake_of_an_event_overrides_the_parameter_and_flights_take_the_sheltered_first(
    tmp_path,
):
    """Day 2: a shelter for 10 with uptake 1 takes 10 of 40 stranded at once; day 3: a flight of
    15 seats boards the 10 sheltered, then 5 stranded."""
    timeline = [
        {"date": "2026-01-02", "type": "shelter", "place": "A", "crossing": "X-Y", "capacity": 10,
         "days": 5,
         "uptake": 1.0, "source": "hand"},
        {"date": "2026-01-03", "type": "flight", "from": "X-Y", "seats": 15, "source": "hand"},
    ]
    params = {"shelter_uptake_per_day": 0.0, "shelter_leave_per_day": 0.0}
    res = run(tiny_scenario(tmp_path, people=40, entry_admits="visa", entry_cap=1000,
                            timeline=timeline,
                            parameters=params))
    assert res.flows["sheltered"][1, 0] == 10
    assert res.flows["flown"][2, 0] == 15
    # after the flight: the freed shelter fills again from the 25 stranded left
    assert res.flows["sheltered"][2, 0] == 10 and res.flows["stranded"][2, 0] == 15


def test_an_exemption_can_name_a_nationality(tmp_path):
    """Peru's 2019 exemptions are for Venezuelans: the elderly Venezuelans pass, the elderly
    Haitians do not."""
    folder = tiny_scenario(tmp_path, people=400, entry_admits="visa;Venezuela+elderly",
                           entry_cap=10_000, days=2,
                           extra_people=[{"place": "A", "nationality": "Haiti",
                                          "status": "irregular",
                                          "people": 400, "source": "hand"}])
    declare(folder, groups=["elderly"])
    write_csv(folder / "groups.csv", [
        {"nationality": n, "status": "irregular", "groups": "elderly", "share": 1, "source": "hand"}
        for n in ("Venezuela", "Haiti")])
    res = run(folder)
    assert res.flows["entries"][0, 0] == 400 and res.flows["refused"][0, 0] == 400
    with pytest.raises(ValueError, match="two nationalities"):
        load_scenario(folder).vocabulary.parse("Haiti+Venezuela")


def test_a_shelter_for_one_nationality_takes_only_its_people(tmp_path):
    timeline = [{"date": "2026-01-02", "type": "shelter", "place": "A", "crossing": "X-Y",
                 "capacity": 100,
                 "days": 5, "uptake": 1.0, "nationality": "Haiti", "source": "hand"}]
    params = {"shelter_leave_per_day": 0.0}
    folder = tiny_scenario(
        tmp_path,
        people=30,
        entry_admits="visa",
        entry_cap=1000,
        timeline=timeline,
        parameters=params,
        extra_people=[
            {
                "place": "A",
                "nationality": "Haiti",
                "status": "irregular",
                "people": 20,
                "source": "hand",
            }
        ],
    )
    res = run(folder)
    assert res.flows["sheltered"][1, 0] == 20 and res.flows["stranded"][1, 0] == 30

"""A scenario's own legal statuses, and departure drivers by place, nationality and status
(docs/scenario-format.md "Statuses", docs/model.md §2), on tiny scenarios worked out by hand.

The tiny world (tests/scenario_kit.py): town A -- XP | strip | YP -- D; some tests add town B, in
region `s`, on a road to XP.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from scenario_kit import tiny_scenario, write_csv
from travesia.errors import ScenarioError
from travesia.model.engine import Simulation, simulate
from travesia.model.engine.departures import departure_rates
from travesia.model.world import compile_world
from travesia.scenario import load_scenario
from travesia.scenario.admission import Vocabulary

THREE = ["regular", "irregular", "asylum_seeker"]
RATES = {"regular": 1.0, "irregular": 1.0, "asylum_seeker": 1.0}


def with_spec(folder, **keys):
    """Add top-level keys to the folder's scenario.yaml."""
    path = folder / "scenario.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec.update(keys)
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return folder


def add_town_b(folder, people: int, status: str = "irregular") -> None:
    """Town B (region s) 1 km from the exit post, with `people` Venezuelans of `status`."""
    with (folder / "places.csv").open("a", encoding="utf-8") as f:
        f.write("B,X,s,0,-0.01,city,hand\n")
    with (folder / "routes.csv").open("a", encoding="utf-8") as f:
        f.write("B,XP,1,hand\n")
    with (folder / "population.csv").open("a", encoding="utf-8") as f:
        f.write(f"B,Venezuela,{status},{people},hand\n")


def run(folder, seed=0):
    sc = load_scenario(folder)
    world = compile_world(sc)
    return simulate(world, sc.params, seed=seed, events=sc.spec.timeline), world


def sim_for(folder, seed=0):
    sc = load_scenario(folder)
    return Simulation(compile_world(sc), sc.params, seed=seed, events=sc.spec.timeline)


# --- declared statuses --------------------------------------------------------------------------

def test_a_declared_status_is_admitted_by_a_rule_that_names_it(tmp_path):
    # 30 asylum seekers and 20 irregular migrants at A; the entry post admits asylum seekers only
    folder = tiny_scenario(tmp_path, people=30, status="asylum_seeker", entry_cap=1000,
                           entry_admits="asylum_seeker", parameters={
                               "departure_rate_per_day": RATES},
                           extra_people=[{"place": "A", "nationality": "Venezuela",
                                          "status": "irregular", "people": 20,
                                          "source": "hand"}])
    with_spec(folder, statuses=THREE)
    res, world = run(folder)
    assert world.statuses == THREE
    assert world.settled[0].tolist() == [[0, 20, 30]]
    assert res.flows["entries"][:, 0].sum() == 30
    assert res.flows["refused"][:, 0].sum() == 20


def test_a_status_term_compiles_against_the_declared_statuses():
    vocab = Vocabulary(statuses=("resident", "asylum_seeker", "irregular"),
                       nationalities=("Venezuela",))
    rule = vocab.parse("Venezuela+asylum_seeker;resident")
    status = np.array([0, 1, 2, 1])
    nat = np.array([0, 0, 0, -2])
    assert rule.admits(0, status, False, nat).tolist() == [True, True, False, False]


def test_a_deadline_for_a_declared_status_raises_only_its_rate(tmp_path):
    timeline = [{"date": "2026-01-01", "type": "deadline", "deadline": "2026-01-06",
                 "statuses": ["asylum_seeker"], "source": "hand"}]
    params = {"departure_rate_per_day": {"regular": 1e-3, "irregular": 1e-3,
                                         "asylum_seeker": 1e-3},
              "deadline_response": 3.0, "deadline_horizon_days": 5.0}
    folder = with_spec(tiny_scenario(tmp_path, timeline=timeline, parameters=params),
                       statuses=THREE)
    sim = sim_for(folder)
    sim.step(0)
    rates = departure_rates(sim, 0)[0, 0]          # town A, Venezuela: [regular, irregular, asylum]
    assert rates[:2] == pytest.approx([1e-3, 1e-3])
    assert rates[2] == pytest.approx(1e-3 * (1 + 3.0 * np.exp(-5 / 5)))


def test_old_scenarios_keep_regular_and_irregular(tmp_path):
    sc = load_scenario(tiny_scenario(tmp_path))
    assert sc.spec.statuses == ["regular", "irregular"]
    assert compile_world(sc).statuses == ["regular", "irregular"]


@pytest.mark.parametrize("change, where, message", [
    # a status the scenario does not declare, in a table
    (lambda f: (f / "population.csv").write_text(
        "place,nationality,status,people,source\nA,Venezuela,refugee,5,hand\n", encoding="utf-8"),
     "population.csv, row 2, field 'status'", "unknown status 'refugee'"),
    (lambda f: with_spec(f, statuses=["regular", "regular"]), "field 'statuses'",
     "status 'regular' is declared twice"),
    (lambda f: with_spec(f, statuses=["regular", "irregular", "visa"]), "field",
     "'visa' names both a status and a document"),
    (lambda f: with_spec(f, timeline=[{"date": "2026-01-02", "type": "deadline",
                                       "deadline": "2026-01-05", "statuses": ["refugee"],
                                       "source": "hand"}]),
     "timeline[0].statuses[0]", "unknown status 'refugee'"),
    (lambda f: with_spec(f, parameters={"departure_rate_per_day": {
        "regular": 1, "irregular": 1, "refugee": 1}}),
     "parameters.departure_rate_per_day.refugee", "unknown status 'refugee'"),
    (lambda f: with_spec(f, parameters={"nationality_response": {"Venezuela": {"refugee": 2}}}),
     "parameters.nationality_response.Venezuela.refugee", "unknown status 'refugee'"),
    (lambda f: with_spec(f, timeline=[{"date": "2026-01-02", "type": "threat", "level": 0.5,
                                       "regions": ["north"], "source": "hand"}]),
     "timeline[0].regions[0]", "unknown region 'north'"),
    (lambda f: with_spec(f, timeline=[{"date": "2026-01-02", "type": "threat", "level": 0.5,
                                       "places": ["Z"], "source": "hand"}]),
     "timeline[0].places[0]", "unknown place 'Z'"),
])
def test_a_wrong_status_or_threat_name_is_a_one_line_error(tmp_path, change, where, message):
    folder = tiny_scenario(tmp_path)
    change(folder)
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    text = str(err.value)
    assert where in text and message in text and "\n" not in text


# --- departure drivers by place -----------------------------------------------------------------

def test_a_regional_threat_moves_only_its_region(tmp_path):
    # base rate 0.25 and threat_response 3: a threat of 1 makes the rate 1 where it is felt
    timeline = [{"date": "2026-01-01", "type": "threat", "level": 1.0, "regions": "s",
                 "source": "hand"}]
    params = {"departure_rate_per_day": {"regular": 0.25, "irregular": 0.25},
              "threat_response": 3.0}
    folder = tiny_scenario(tmp_path, people=100, timeline=timeline, parameters=params)
    add_town_b(folder, people=40)
    sim = sim_for(folder, seed=2)
    a, b = sim.world.place_index("A"), sim.world.place_index("B")
    sim.step(0)
    rates = departure_rates(sim, 0)[:, 0, 1]
    assert rates[b] == 1.0 and rates[a] == pytest.approx(0.25)
    # all 40 at B left on day 0; of A's 100, a binomial(100, 0.25) did
    assert sim.settled[b].sum() == 0
    assert 50 < sim.settled[a].sum() < 100


def test_a_place_level_holds_until_a_national_level_replaces_it(tmp_path):
    timeline = [
        {"date": "2026-01-01", "type": "threat", "level": 0.2, "source": "hand"},
        {"date": "2026-01-02", "type": "threat", "level": 0.5, "places": ["A"], "source": "hand"},
        {"date": "2026-01-03", "type": "threat", "level": 0.0, "source": "hand"},
    ]
    params = {"departure_rate_per_day": {"regular": 1e-3, "irregular": 1e-3},
              "threat_response": 4.0}
    folder = tiny_scenario(tmp_path, timeline=timeline, parameters=params)
    add_town_b(folder, people=10)
    sim = sim_for(folder)
    a, b = sim.world.place_index("A"), sim.world.place_index("B")
    seen = []
    for day in range(3):
        sim.step(day)
        r = departure_rates(sim, day)[:, 0, 1]
        seen.append((r[a], r[b]))
    assert seen[0] == pytest.approx((1.8e-3, 1.8e-3))     # 1 + 4 x 0.2 everywhere
    assert seen[1] == pytest.approx((3.0e-3, 1.8e-3))     # A: 1 + 4 x 0.5; B keeps the national
    assert seen[2] == pytest.approx((1e-3, 1e-3))         # the national 0 replaces A's level


# --- responses by nationality and status --------------------------------------------------------

def test_nationality_response_by_status_multiplies_each_cell(tmp_path):
    params = {"departure_rate_per_day": {"regular": 1e-3, "irregular": 2e-3},
              "nationality_response": {"Venezuela": {"irregular": 3.0}, "Colombia": 0.5}}
    folder = tiny_scenario(tmp_path, parameters=params, extra_people=[
        {"place": "A", "nationality": "Colombia", "status": "regular", "people": 5,
         "source": "hand"}])
    sim = sim_for(folder)
    sim.step(0)
    nat = sim.world.nationalities
    rates = departure_rates(sim, 0)[sim.world.place_index("A")]
    assert rates[nat.index("Venezuela")] == pytest.approx([1e-3, 6e-3])
    assert rates[nat.index("Colombia")] == pytest.approx([0.5e-3, 1e-3])


def test_a_nationality_that_responds_zero_stays(tmp_path):
    folder = tiny_scenario(tmp_path, people=50, parameters={
        "nationality_response": {"Venezuela": {"irregular": 0.0}}}, extra_people=[
        {"place": "A", "nationality": "Venezuela", "status": "regular", "people": 7,
         "source": "hand"}])
    # documents for the regular cell: none held
    write_csv(folder / "documents.csv", [
        {"nationality": "Venezuela", "status": s, "documents": "none", "share": 1,
         "source": "hand"} for s in ("irregular", "regular")])
    res, world = run(folder)
    # the rate is 1 a day for both statuses; only the 7 regular ones leave
    assert res.flows["departures"][:, 0].sum() == 7
    assert world.settled[0, 0].tolist() == [7, 50]


# --- needs that follow demography ---------------------------------------------------------------

def demography(tmp_path, needs_groups):
    """10 Venezuelan children and 5 pregnant Colombians, all refused at the entry post (it admits
    its nationals only) and stranded there: nobody gives up or crosses at night."""
    folder = tiny_scenario(tmp_path, people=10, entry_admits="national", extra_people=[
        {"place": "A", "nationality": "Colombia", "status": "irregular", "people": 5,
         "source": "hand"}])
    write_csv(folder / "documents.csv", [
        {"nationality": n, "status": "irregular", "documents": "none", "share": 1,
         "source": "hand"} for n in ("Venezuela", "Colombia")])
    write_csv(folder / "groups.csv", [
        {"nationality": "Venezuela", "status": "irregular", "groups": "child", "share": 1,
         "source": "hand"},
        {"nationality": "Colombia", "status": "irregular", "groups": "pregnant", "share": 1,
         "source": "hand"}])
    return with_spec(folder, groups=["child", "pregnant"], needs_groups=needs_groups)


def test_food_follows_the_age_band_and_pregnancy_of_the_people_held(tmp_path):
    from travesia.model.impacts import place_impacts

    folder = demography(tmp_path, {"child": "child_0_4", "pregnant": "pregnant"})
    res, world = run(folder)
    out = place_impacts(res)
    t = 5
    p = int(np.argmax(out["held"][t]))
    assert out["held"][t, p] == 15
    # 10 children under 5 at 1,290 kcal, 5 pregnant women at 2,100 + 285
    assert out["food_kcal"][t, p] == 10 * 1290 + 5 * (2100 + 285)
    assert out["water_litres"][t, p] == 15 * 15           # water does not depend on age here
    assert res.group_people["child_0_4"][t, p] == 10
    assert out["dependent_child_0_4"][t, p] == 10 and out["dependent_pregnant"][t, p] == 5


def test_without_needs_groups_everyone_counts_at_the_sphere_average(tmp_path):
    from travesia.model.impacts import place_impacts

    res, _ = run(demography(tmp_path, {}))
    out = place_impacts(res)
    p = int(np.argmax(out["held"][5]))
    assert out["food_kcal"][5, p] == 15 * 2100
    assert res.group_people == {}


@pytest.mark.parametrize("needs_groups, where, message", [
    ({"elderly": "older_60"}, "needs_groups.elderly", "unknown group 'elderly'"),
    ({"child": "toddler"}, "needs_groups.child", "unknown needs category 'toddler'"),
])
def test_a_wrong_needs_group_is_a_one_line_error(tmp_path, needs_groups, where, message):
    with pytest.raises(ScenarioError) as err:
        load_scenario(demography(tmp_path, needs_groups))
    assert where in str(err.value) and message in str(err.value)


def test_two_age_bands_for_one_person_is_an_error(tmp_path):
    folder = demography(tmp_path, {"child": "child_0_4", "pregnant": "adult_20_59"})
    write_csv(folder / "groups.csv", [
        {"nationality": "Venezuela", "status": "irregular", "groups": "child;pregnant",
         "share": 1, "source": "hand"}])
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    assert "groups.csv, row 2, field 'groups'" in str(err.value)
    assert "a person has one age" in str(err.value)


def test_a_status_without_a_departure_rate_stays(tmp_path):
    # the kit's rates name regular and irregular only: the 30 asylum seekers never consider leaving
    folder = tiny_scenario(tmp_path, people=30, status="asylum_seeker")
    with_spec(folder, statuses=THREE)
    res, world = run(folder)
    assert res.flows["departures"].sum() == 0
    assert world.settled[0, 0].tolist() == [0, 0, 30]


# --- responses by group -------------------------------------------------------------------------

def with_children(tmp_path, people, child_share, group_response, rate=1.0):
    folder = tiny_scenario(tmp_path, people=people, parameters={
        "departure_rate_per_day": {"regular": rate, "irregular": rate},
        "group_response": group_response})
    write_csv(folder / "groups.csv", [
        {"nationality": "Venezuela", "status": "irregular", "groups": "child",
         "share": child_share, "source": "hand"},
        {"nationality": "Venezuela", "status": "irregular", "groups": "none",
         "share": 1 - child_share, "source": "hand"}])
    return with_spec(folder, groups=["child"])


def test_a_group_that_does_not_respond_stays_home(tmp_path):
    # half are children, who never leave: the rate is 1 x (0.5 x 0 + 0.5 x 1) = 0.5
    sim = sim_for(with_children(tmp_path, 1000, 0.5, {"child": 0.0}), seed=4)
    sim.step(0)
    assert departure_rates(sim, 0)[0, 0, 1] == pytest.approx(0.5)
    traits = sim.agents.view("traits")
    assert len(traits) > 400 and not np.any(traits & sim.world.vocabulary.bit("child"))


def test_leavers_hold_the_groups_in_proportion_to_their_response(tmp_path):
    # a quarter are children, who respond 3 times as much: the cell's rate is 0.1 x (0.25 x 3 +
    # 0.75) = 0.15, and children are 0.75 / 1.5 = half of those who leave
    sim = sim_for(with_children(tmp_path, 100_000, 0.25, {"child": 3.0}, rate=0.1), seed=4)
    sim.step(0)
    assert departure_rates(sim, 0)[0, 0, 1] == pytest.approx(0.15)
    traits = sim.agents.view("traits")
    assert len(traits) == pytest.approx(15_000, abs=500)
    child = np.mean((traits & sim.world.vocabulary.bit("child")) != 0)
    assert child == pytest.approx(0.5, abs=0.02)


def test_a_group_response_for_an_undeclared_group_is_an_error(tmp_path):
    folder = tiny_scenario(tmp_path, parameters={"group_response": {"elderly": 0.5}})
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    assert "parameters.group_response.elderly" in str(err.value)
    assert "unknown group 'elderly'" in str(err.value)


def test_a_drawn_value_reaches_a_response_by_nationality_and_status():
    from travesia.runs.priors import with_values
    from travesia.scenario.parameters import Parameters

    p = with_values(Parameters(), {"nationality_response.Venezuela.irregular": 2.5})
    assert p.nationality_response == {"Venezuela": {"irregular": 2.5}}
    base = Parameters(nationality_response={"Venezuela": 2.0})
    with pytest.raises(ScenarioError) as err:
        with_values(base, {"nationality_response.Venezuela.irregular": 2.5})
    assert "is a number, not a mapping" in str(err.value)


def test_a_regional_threat_is_labelled_with_where_it_is_felt():
    from travesia.outputs.plot import event_label
    from travesia.scenario.schema import ThreatEvent

    ev = ThreatEvent(date="2026-01-02", type="threat", level=0.5, regions="Arica;Tarapacá",
                     source="hand")
    assert event_label(ev) == "threat 0.5 in Arica, Tarapacá"
    assert event_label(ThreatEvent(date="2026-01-02", type="threat", level=0.5,
                                   source="hand")) == "threat 0.5"


def test_a_run_folder_counts_the_children_each_region_holds(tmp_path):
    import csv

    res, _ = run(demography(tmp_path / "sc", {"child": "child_0_4", "pregnant": "pregnant"}))
    paths = res.write(tmp_path / "out")
    rows = list(csv.DictReader(paths["impacts"].open(encoding="utf-8")))
    day5 = [r for r in rows if r["date"] == "2026-01-06"]
    # the tiny world is one region, r, in each of X and Y: all 15 are held in one of them
    held = {r["country"]: (int(r["held"]), int(r["dependent_child_0_4"]), float(r["food_kcal"]))
            for r in day5}
    assert sorted(held.values())[-1] == (15, 10, 10 * 1290 + 5 * 2385)

"""The distributions of uncertain parameters: their two spellings, their draws, and their errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenario_kit import tiny_scenario
from travesia.errors import ScenarioError
from travesia.scenario.parameters import Parameters
from travesia.runs.priors import (
    draw_values,
    parse_vary,
    prior_from_mapping,
    scenario_priors,
    with_values,
)
from travesia.scenario import load_scenario


# --- the command-line form -----------------------------------------------------------------------

def test_uniform_from_the_command_line():
    p = parse_vary("giveup_rate_per_day=uniform(0.05,0.3)")
    assert (p.name, p.dist, p.args) == ("giveup_rate_per_day", "uniform", (0.05, 0.3))
    draws = [p.draw(7, i) for i in range(500)]
    assert min(draws) >= 0.05 and max(draws) <= 0.3
    assert abs(np.mean(draws) - 0.175) < 0.01


def test_lognormal_has_the_median_it_is_given_and_reaches_into_a_mapping():
    p = parse_vary("departure_rate_per_day.irregular=lognormal(2e-5,0.7)")
    draws = np.array([p.draw(1, i) for i in range(2000)])
    assert abs(np.median(draws) / 2e-5 - 1) < 0.08
    assert abs(np.std(np.log(draws)) - 0.7) < 0.05
    params = with_values(Parameters(), {p.name: 3e-5})
    assert params.departure_rate_per_day == {"regular": 2.0e-6, "irregular": 3e-5}


def test_a_list_draws_only_its_values_and_keeps_integers_integers():
    p = parse_vary("news_delay_days = [1, 2, 3]")
    draws = {p.draw(0, i) for i in range(100)}
    assert draws == {1, 2, 3} and all(isinstance(d, int) for d in draws)


def test_normal_may_be_clipped_and_integer_parameters_are_rounded():
    p = parse_vary("belief_weight=normal(1.5,2,low=0,high=3)")
    draws = [p.draw(0, i) for i in range(300)]
    assert min(draws) == 0 and max(draws) == 3
    d = parse_vary("news_delay_days=uniform(0,5)").draw(0, 0)
    assert isinstance(d, int)


def test_run_i_gets_the_same_values_whatever_else_varies():
    a = parse_vary("giveup_rate_per_day=uniform(0.05,0.3)")
    b = parse_vary("belief_weight=normal(1.5,0.3)")
    alone = draw_values({a.name: a}, 42, 5)
    together = draw_values({a.name: a, b.name: b}, 42, 5)
    assert alone[a.name] == together[a.name]
    assert draw_values({a.name: a}, 43, 5) != alone     # another base seed, other draws


@pytest.mark.parametrize("text, says", [
    ("giveup_rate_per_day", "expected NAME=DIST"),
    ("no_such=uniform(0,1)", "unknown parameter 'no_such'"),
    ("giveup_rate_per_day=uniform(0.3,0.05)", "low (0.3) must be below high (0.05)"),
    ("giveup_rate_per_day=uniform(0.1)", "uniform takes 2 numbers (low, high), got 1"),
    ("giveup_rate_per_day=uniform(a,b)", "not a number: 'a'"),
    ("giveup_rate_per_day=gamma(1,2)", "unknown distribution 'gamma'"),
    ("giveup_rate_per_day=0.1", "expected a distribution"),
    ("giveup_rate_per_day=[]", "needs a non-empty list"),
    ("giveup_rate_per_day=[1,2", "a list of values is written [1,2,3]"),
    ("belief_weight=normal(1,0)", "sd must be above 0"),
    ("belief_weight=normal(1,1,top=2)", "normal takes no 'top='"),
    ("departure_rate_per_day=lognormal(1e-5,0.5)",
     "'departure_rate_per_day' is a mapping: name one of its keys"),
    ("giveup_rate_per_day.x=uniform(0,1)", "'giveup_rate_per_day' is a number, not a mapping"),
    ("departure_rate_per_day.irregular=lognormal(-1,0.5)", "median must be above 0"),
    ("departure_rate_per_day.irregular=lognormal(1e-5,inf)", "not a finite number"),
])
def test_command_line_mistakes_are_named(text, says):
    with pytest.raises(ScenarioError) as err:
        parse_vary(text)
    assert says in err.value.message and "--vary" in err.value.message


def test_a_draw_outside_a_parameters_bounds_is_a_user_error():
    p = parse_vary("giveup_rate_per_day=uniform(0.5,2)")   # a chance above 1 is not allowed
    values = [p.draw(0, i) for i in range(50)]
    bad = next(v for v in values if v > 1)
    with pytest.raises(ScenarioError, match="a drawn value is not allowed .*giveup_rate_per_day"):
        with_values(Parameters(), {p.name: bad})


# --- the scenario's priors: mapping ---------------------------------------------------------------

def test_scenario_priors_are_read_with_their_fields(tmp_path):
    folder = tiny_scenario(tmp_path)
    text = (folder / "scenario.yaml").read_text()
    text += ("priors:\n"
             "  giveup_rate_per_day: {dist: uniform, low: 0.05, high: 0.3, source: hand}\n"
             "  departure_rate_per_day.irregular: {dist: lognormal, median: 2.0e-5, sigma: 0.7}\n"
             "  belief_weight: {dist: normal, mean: 1.5, sd: 0.3, low: 0}\n"
             "  news_delay_days: {dist: values, values: [1, 2, 3]}\n")
    (folder / "scenario.yaml").write_text(text)
    priors = scenario_priors(load_scenario(folder))
    assert {k: p.text() for k, p in priors.items()} == {
        "giveup_rate_per_day": "uniform(0.05,0.3)",
        "departure_rate_per_day.irregular": "lognormal(2e-05,0.7)",
        "belief_weight": "normal(1.5,0.3,low=0)",
        "news_delay_days": "[1,2,3]",
    }


@pytest.mark.parametrize("spec, field, says", [
    ({"low": 0, "high": 1}, "priors.giveup_rate_per_day", "expected a mapping with 'dist'"),
    ({"dist": "beta", "a": 1}, "priors.giveup_rate_per_day.dist", "unknown dist 'beta'"),
    ({"dist": "uniform", "low": 0}, "priors.giveup_rate_per_day.high", "uniform needs 'high'"),
    ({"dist": "uniform", "low": 0, "high": "x"}, "priors.giveup_rate_per_day.high", "not a number"),
    ({"dist": "uniform", "low": 0, "high": 1, "mean": 2}, "priors.giveup_rate_per_day.mean",
     "takes no 'mean'"),
    ({"dist": "values", "values": []}, "priors.giveup_rate_per_day", "needs a non-empty list"),
])
def test_scenario_prior_mistakes_name_the_file_and_field(spec, field, says):
    with pytest.raises(ScenarioError) as err:
        prior_from_mapping("giveup_rate_per_day", spec, file="scenario.yaml")
    assert (
        err.value.field == field and says in err.value.reason and err.value.file == "scenario.yaml"
    )


def test_lognormal_median_is_exp_of_mu():
    p = prior_from_mapping("belief_weight", {"dist": "lognormal", "median": 2.0, "sigma": 1e-9})
    assert math.isclose(p.draw(0, 0), 2.0, rel_tol=1e-6)

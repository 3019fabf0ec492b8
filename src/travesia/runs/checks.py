"""`travesia scenario check`: every check that `run`, `ensemble`, `calibrate` and `serve` make of a
scenario before they start, in one place, so a folder that passes does not fail later."""

from __future__ import annotations

from dataclasses import dataclass

from travesia.model.impacts import scenario_rates
from travesia.model.world import World, compile_world
from travesia.runs.posterior import scenario_fit
from travesia.runs.priors import scenario_priors
from travesia.runs.runner import fit_parameters, scenario_observations
from travesia.scenario import Scenario, load_scenario


@dataclass
class CheckedScenario:
    scenario: Scenario
    world: World
    priors: int
    observations: int
    fit_draws: int


def check_scenario(path: str | None) -> CheckedScenario:
    """Load and compile the scenario, parse its priors, read its observations and the fit it
    names, apply the fit's medians, and read its impact rates; the first mistake raises a
    ScenarioError naming it."""
    sc = load_scenario(path)
    world = compile_world(sc)
    priors = scenario_priors(sc)
    observations = scenario_observations(sc)
    fit = scenario_fit(sc)
    fit_parameters(sc, fit)      # the fit's medians must be valid parameters of this scenario
    scenario_rates(sc.folder)    # its own impact_rates.csv, if it ships one
    return CheckedScenario(sc, world, len(priors), len(observations),
                           len(fit.sample) if fit else 0)

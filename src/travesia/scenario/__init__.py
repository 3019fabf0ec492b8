"""Scenario folders: the format (schema), reading and checking them (load)."""

from travesia.scenario.load import Scenario, builtin_scenarios, load_scenario, resolve_scenario

__all__ = ["Scenario", "builtin_scenarios", "load_scenario", "resolve_scenario"]

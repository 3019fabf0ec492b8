"""The engine: agent arrays, the step loop and its phases."""

from travesia.model.engine.simulation import PHASES, PLAN, Phase, Simulation, simulate

__all__ = ["PHASES", "PLAN", "Phase", "Simulation", "simulate"]

"""The engine: agent arrays, the step loop and its phases."""

from .simulation import PHASES, PLAN, Phase, Simulation, simulate

__all__ = ["PHASES", "PLAN", "Phase", "Simulation", "simulate"]

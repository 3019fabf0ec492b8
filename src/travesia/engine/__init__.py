"""The engine: agent arrays, the step loop and its phases."""

from .simulation import PHASES, Simulation, simulate

__all__ = ["PHASES", "Simulation", "simulate"]

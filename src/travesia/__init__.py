"""travesia: simulate and forecast cross-border migration under policy shocks."""

__version__ = "0.1.0"

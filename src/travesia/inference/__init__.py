"""Fits, backtests, forecasts and sensitivity: what the runs say about parameters and the future."""

"""The rulesets (engine: travesia's; flee: Flee's), the world they run on, the results and needs."""

"""The house shows its plan: the day step is an explicit list of phases, and no two modules of
the package import each other (directly or round a circle; typing-only imports aside)."""

from __future__ import annotations

import ast
from pathlib import Path

from click.testing import CliRunner

from travesia.cli import main
from travesia.model.engine import PHASES, PLAN, Simulation
from travesia.model.engine.simulation import phase_rng

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "travesia"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


def import_graph() -> dict[str, set[str]]:
    """Module -> modules of the package it imports (at import time or inside functions)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(node.test) for b in node.body for n
                       in ast.walk(b)}
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split("."))
                                          - (node.level - 1)] if node.level else []
                target = ".".join(base + ([node.module] if node.module
                                          else [])) if node.level else node.module or ""
                names = [f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target for a
                         in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                while name and name not in mods:
                    name = name.rsplit(".", 1)[0] if "." in name else ""
                if name and name != mod:
                    graph[mod].add(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_two_modules_import_each_other():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_a_day_is_the_plan_of_phases_in_order(monkeypatch):
    """Simulation.step runs exactly the phases of PLAN, in order; each has its random stream."""
    from scenario_kit import tiny_scenario  # noqa: F401  (the tiny world of the other tests)

    assert PHASES == ("timeline", "departures", "exit_choice", "travel", "network", "crossing",
                      "stranded_choices", "removals", "record")
    seen: list[str] = []

    class Spy:
        def __init__(self, phase):
            self.phase = phase

        def __call__(self, sim, day):
            seen.append(self.phase.name)
            self.phase.run(sim, day)

    from travesia.model.engine import simulation

    monkeypatch.setattr(simulation, "PLAN",
                        tuple(type(p)(p.name, p.section, p.does, Spy(p)) for p in PLAN))
    from travesia.scenario import load_scenario
    from travesia.model.world import compile_world

    sc = load_scenario("chile-peru-2025")
    sim = Simulation(compile_world(sc), sc.params, seed=0, events=sc.spec.timeline, days=2)
    sim.step(0)
    sim.step(1)
    assert seen == list(PHASES) * 2
    assert set(sim.rng) == set(PHASES)
    assert sim.rng["departures"].random() != phase_rng(0, "exit_choice").random()


def test_travesia_phases_prints_the_plan():
    result = CliRunner().invoke(main, ["phases"])
    assert result.exit_code == 0
    assert [line.split()[1] for line in result.output.splitlines()] == list(PHASES)


# The layers, top to bottom (docs/architecture.md). A module may import its own layer and those
# below it, never one above.
LAYERS = {
    1: ("travesia.cli", "travesia.web", "travesia.api", "travesia.__main__"),   # faces
    2: ("travesia.inference",),                                        # fits, backtests, forecasts
    3: ("travesia.runs",),                                             # many runs
    4: ("travesia.outputs",),                                          # store, bands, plots, scores
    5: ("travesia.model",),                                            # rulesets, world, results
    6: ("travesia.scenario", "travesia.scenarios", "travesia.errors", "travesia"),   # formats
}


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for layer, prefixes in LAYERS.items():
        for prefix in prefixes:
            # the bare package name is only the package's own __init__
            inside = module == prefix or (prefix != "travesia" and module.startswith(prefix + "."))
            if inside and (best is None or len(prefix) > best[1]):
                best = (layer, len(prefix))
    return best[0] if best else None


def test_every_module_has_a_layer_and_no_layer_imports_one_above_it():
    graph = import_graph()
    assert [m for m in graph if layer_of(m) is None] == []
    upward = [(m, t) for m, targets in graph.items() for t in targets if layer_of(t) < layer_of(m)]
    assert upward == []

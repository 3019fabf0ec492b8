"""The monthly stock-flow model (docs/stocks.md): stocks of people by cell (nationality x
status) move month by month with arrivals, status changes, removals and departures, each a dated
series or a monthly rate of a stocks folder. Arrays over cells, one row a month; deterministic.

A month, in order (docs/stocks.md, "A month"):
1. arrivals join their cell;
2. regularisations move people from a nationality's irregular cell to its regular cell, at most
   the irregular cell's stock;
3. lapses (a count plus a rate of the regular stock) move people from regular to irregular;
4. removals (expulsions) leave the irregular cell, at most its stock;
5. departures (a count plus a rate of the stock: emigration, onward moves, deaths) leave,
   at most the stock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from travesia.scenario.stocks_format import (
    COMPONENTS,
    COUNT_COMPONENTS,
    STATUSES,
    Measure,
    StocksInput,
    month_end,
    month_index,
    parse_period,
    pattern_matches,
)

APPLIED = ("arrivals", "regularisations", "lapses", "removals", "departures")


@dataclass(frozen=True)
class StockPlan:
    """A stocks folder compiled to arrays: `initial[C]` and, per component, `[T, C]` (month t is
    the t-th month after the start; counts are people in that month, rates shares of a cell)."""

    cells: tuple[str, ...]
    first_month: int            # month index of row 0 (the month after the start)
    initial: np.ndarray
    components: dict[str, np.ndarray]

    @property
    def months(self) -> int:
        return int(next(iter(self.components.values())).shape[0])

    @property
    def partner(self) -> np.ndarray:
        """For each cell, the other status's cell of the same nationality (cells come in pairs
        nationality:regular, nationality:irregular)."""
        return np.arange(len(self.cells)) ^ 1


@dataclass(frozen=True)
class StockPath:
    """What a projection gives: month-end stocks `[T+1, C]` (row 0 the initial stocks) and the
    flows applied in each month, per component `[T, C]` (after the caps)."""

    cells: tuple[str, ...]
    first_month: int
    stocks: np.ndarray
    applied: dict[str, np.ndarray]

    @property
    def dates(self) -> list[dt.date]:
        """Month-end dates of the rows of `stocks`."""
        return [month_end(self.first_month - 1 + t) for t in range(self.stocks.shape[0])]

    def at(self, date: dt.date) -> np.ndarray:
        """Stocks by cell on `date`: the month-end stocks, or between two month ends linearly by
        day (a census night, a mid-month release)."""
        m = month_index(date.year, date.month) - self.first_month + 1   # row of this month's end
        if m < 0 or m >= self.stocks.shape[0]:
            raise ValueError(f"{date} is outside the projection")
        end = month_end(month_index(date.year, date.month))
        if date == end:
            return self.stocks[m]
        if m == 0:
            raise ValueError(f"{date} is before the initial stocks")
        fraction = date.day / end.day
        return self.stocks[m] * fraction + self.stocks[m - 1] * (1 - fraction)


def compile_plan(data: StocksInput, *, until: dt.date | None = None,
                 factors: dict[str, float] | None = None) -> StockPlan:
    """Arrays of a stocks folder, from the month after its start to the month of `until` (default
    its end). A count given for a period is spread evenly over the period's months; the months
    of a period outside the projection are dropped with their share. `factors` (a draw of the
    folder's priors) multiply the rows that name them; without it every factor is 1."""
    first = data.start_month + 1
    last = data.end_month if until is None else month_index(until.year, until.month)
    months = max(last - first + 1, 0)
    index = {cell: i for i, cell in enumerate(data.cells)}
    components = {name: np.zeros((months, len(data.cells))) for name in COMPONENTS}
    for _, flow in data.flows:
        p_first, p_last = parse_period(flow.period)
        span = p_last - p_first + 1
        per_month = flow.value / span if flow.component in COUNT_COMPONENTS else flow.value
        if factors is not None and flow.factor is not None:
            per_month *= factors[flow.factor]
        lo, hi = max(p_first, first) - first, min(p_last, last) - first
        if hi >= lo:
            components[flow.component][lo:hi + 1, index[flow.cell]] += per_month
    initial = np.zeros(len(data.cells))
    for stock in data.spec.initial:
        initial[index[stock.cell]] = stock.people
    for name in ("lapse_rate", "departure_rate"):
        np.clip(components[name], 0.0, 1.0, out=components[name])
    return StockPlan(cells=data.cells, first_month=first, initial=initial,
                     components=components)


def project(plan: StockPlan) -> StockPath:
    """Month-end stocks of every cell (the steps of a month in the module's docstring)."""
    c = plan.components
    partner = plan.partner
    months, n = plan.months, len(plan.cells)
    irregular = np.array([cell.endswith(":irregular") for cell in plan.cells])
    stocks = np.empty((months + 1, n))
    stocks[0] = plan.initial
    applied = {name: np.zeros((months, n)) for name in APPLIED}
    s = plan.initial.astype(float)
    for t in range(months):
        arrived = c["arrivals"][t]
        s = s + arrived
        regularised = np.where(irregular, np.minimum(c["regularisations"][t], s), 0.0)
        s = s - regularised + regularised[partner]
        lapsed = np.where(irregular, 0.0,
                          np.minimum(c["lapses"][t] + c["lapse_rate"][t] * s, s))
        s = s - lapsed + lapsed[partner]
        removed = np.where(irregular, np.minimum(c["removals"][t], s), 0.0)
        s = s - removed
        departed = np.minimum(c["departures"][t] + c["departure_rate"][t] * s, s)
        s = s - departed
        stocks[t + 1] = s
        for name, value in zip(APPLIED, (arrived, regularised, lapsed, removed, departed),
                               strict=True):
            applied[name][t] = value
    return StockPath(cells=plan.cells, first_month=plan.first_month, stocks=stocks,
                     applied=applied)


def measure_weights(measure: Measure, cells: tuple[str, ...],
                    factors: dict[str, float] | None = None) -> np.ndarray:
    """A measure's weight for each cell: the most specific matching pattern's (both parts named
    beats one beats none); 0 for a cell no pattern matches. `factors` (a draw of the priors)
    multiply the weights of the patterns the measure's `factors` name."""
    weights = np.zeros(len(cells))
    for i, cell in enumerate(cells):
        best = -1
        for pattern, weight in measure.weights.items():
            if pattern_matches(pattern, cell):
                rank = sum(part != "*" for part in pattern.split(":"))
                if rank > best:
                    prior = measure.factors.get(pattern)
                    scale = factors[prior] if factors is not None and prior else 1.0
                    best, weights[i] = rank, weight * scale
    return weights


def status_cells(cells: tuple[str, ...], status: str) -> np.ndarray:
    """A mask of the cells of one status."""
    assert status in STATUSES
    return np.array([cell.endswith(":" + status) for cell in cells])

"""Which timeline events a forecast made on a date may know of (docs/calibration.md, "Future
modes").

* `as-happened`: every event, the future included (hindsight: what a backtest did before);
* `planned`: events dated up to the date, and later ones already announced by then;
* `frozen`: events dated up to the date only: policy as it stands that day.
"""

from __future__ import annotations

import datetime as dt

from travesia.errors import ScenarioError
from travesia.scenario.schema import announced_on

FUTURE_MODES = ("planned", "frozen", "as-happened")
FUTURE_MEANING = {"planned": "events announced by DATE", "frozen": "only events dated by DATE",
                  "as-happened": "every event, later ones too (hindsight)"}


def timeline_view(events: list, at: dt.date, future: str) -> list:
    """The events, in their order, that a forecast made on `at` uses under the `future` mode."""
    if future == "as-happened":
        return list(events)
    if future == "planned":
        return [ev for ev in events if ev.date <= at or announced_on(ev) <= at]
    if future == "frozen":
        return [ev for ev in events if ev.date <= at]
    raise ScenarioError(f"unknown future mode '{future}' (known: {', '.join(FUTURE_MODES)})",
                        field="--future")


def timeline_spec(future: str, at: dt.date) -> str | None:
    """The view as a run task carries it ("planned:2025-11-28"); None for all events."""
    if future not in FUTURE_MODES:
        raise ScenarioError(f"unknown future mode '{future}' (known: {', '.join(FUTURE_MODES)})",
                            field="--future")
    return None if future == "as-happened" else f"{future}:{at.isoformat()}"


def apply_timeline_spec(events: list, spec: str | None) -> list:
    """timeline_view for a spec from `timeline_spec` (None: every event)."""
    if not spec:
        return list(events)
    future, _, at = spec.partition(":")
    return timeline_view(events, dt.date.fromisoformat(at), future)

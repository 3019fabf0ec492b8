"""The compiled scenario as plain data, for `travesia scenario show` and the dashboard."""

from __future__ import annotations

from collections import defaultdict

from travesia.scenario.load import Scenario


def describe(sc: Scenario) -> dict:
    by_nat: dict[str, int] = defaultdict(int)
    by_status: dict[str, int] = defaultdict(int)
    by_place: dict[str, int] = defaultdict(int)
    by_nat_status: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in sc.population:
        by_nat[row.nationality] += row.people
        by_status[row.status] += row.people
        by_place[row.place] += row.people
        by_nat_status[row.nationality][row.status] += row.people
    region = {p.name: p.region for p in sc.places}
    by_region: dict[str, int] = defaultdict(int)
    for place, n in by_place.items():
        by_region[region.get(place) or place] += n
    return {
        "name": sc.name,
        "title": sc.spec.title,
        "start": sc.spec.start.isoformat(),
        "end": sc.spec.end.isoformat(),
        "days": sc.days,
        "content_hash": sc.content_hash,
        "population": {
            "total": sum(by_nat.values()),
            "by_nationality": dict(by_nat),
            "by_status": dict(by_status),
            "by_nationality_and_status": {k: dict(v) for k, v in by_nat_status.items()},
            "by_place": dict(by_place),
            "by_region": dict(by_region),
        },
        "places": [p.model_dump(exclude_none=True) for p in sc.places],
        "routes": [r.model_dump(by_alias=True, exclude_none=True) for r in sc.routes],
        "crossings": [c.model_dump(exclude_none=True) for c in sc.crossings],
        "informal_crossings": [r.model_dump(by_alias=True, exclude_none=True)
                               for r in sc.informal],
        "timeline": [ev.model_dump(mode="json", by_alias=True,
                                   exclude_none=True) for ev in sc.spec.timeline],
        "branches": [b.model_dump(mode="json", by_alias=True, exclude_none=True)
                     for b in sc.spec.branches],
        "parameters": sc.params.model_dump(),
        "sources": {k: v.model_dump(exclude_none=True) for k, v in sc.sources.items()},
        **({"inflows": [r.model_dump(mode="json", exclude_none=True) for r in sc.inflows]}
           if sc.inflows else {}),
    }

"""Derive inflows.csv for the darien-2023 scenario (standard library only).

Run from anywhere:  python derive_inflows.py   (writes inflows.csv beside this file)

Everyone who crossed the Darién in 2023 comes into the map at Necoclí as a transit arrival: the
rate of each month is Panama's SNM count of people arriving through the jungle that month
(SOURCES.md, "Monthly counts"), split by nationality with the shares of the period between two
dated nationality reports. So the model's monthly crossings match the SNM counts by construction
(in sample): the rates are the counts.

Monthly totals (SNM, as reported): January 24,634, February 24,657, March 38,099, April 40,297
(dca-2023-05-03); May 166,649 - 127,687 = 38,962 (166,649 to the end of May 2023:
elperiodiquito-2024-06); June 196,370 - 166,649 = 29,721 (fronteraysociedad-2023-07); July 248,901 -
196,370 = 52,531 (pledgetimes-2023-08-01; reported as 52,530, breakinglatest-2023-08); August
81,946 (prensa-2023-09-15); October 49,256, November 37,231, December 24,626
(ultimocable-2024-01); September the remainder of the year's 520,085 = 78,125 (derived).

Nationality shares (Venezuela, Ecuador, Haiti, the rest as Other), by period:
  Jan-Feb  the report of 45,727 in February (focoinformativo-2023-02)
  Mar-Apr  the 127,687 to 30 Apr (dca-2023-05-03) less that report
  May-Jul  the 248,901 to 31 Jul (breakinglatest-2023-08) less the 127,687
  Aug-Dec  the year's 520,085 (ultimocable-2024-01) less the 248,901
Each period's shares are applied to whole months (the February report falls mid-month).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent
NATIONALITIES = ("Venezuela", "Ecuador", "Haiti", "Other")

# cumulative counts by nationality at each report: (total, Venezuela, Ecuador, Haiti)
REPORTS = {
    "feb": (45_727, 7_874, 11_070, 16_110),
    "apr": (127_687, 55_589, 16_992, 28_610),
    "jul": (248_901, 136_650, 34_357, 34_082),
    "dec": (520_085, 328_667, 57_222, 46_558),
}
PERIOD_OF_MONTH = {1: ("", "feb"), 2: ("", "feb"), 3: ("feb", "apr"), 4: ("feb", "apr"),
                   5: ("apr", "jul"), 6: ("apr", "jul"), 7: ("apr", "jul")}
PERIOD_SOURCES = {"feb": "focoinformativo-2023-02", "apr": "dca-2023-05-03;focoinformativo-2023-02",
                  "jul": "breakinglatest-2023-08;dca-2023-05-03",
                  "dec": "ultimocable-2024-01;breakinglatest-2023-08"}

# (first month, last month, people, source ids)
MONTHS = [
    (1, 1, 24_634, "dca-2023-05-03"),
    (2, 2, 24_657, "dca-2023-05-03"),
    (3, 3, 38_099, "dca-2023-05-03"),
    (4, 4, 40_297, "dca-2023-05-03"),
    (5, 5, 166_649 - 127_687, "elperiodiquito-2024-06;dca-2023-05-03"),
    (6, 6, 196_370 - 166_649, "fronteraysociedad-2023-07;elperiodiquito-2024-06"),
    (7, 7, 248_901 - 196_370, "pledgetimes-2023-08-01;fronteraysociedad-2023-07"),
    (8, 8, 81_946, "prensa-2023-09-15"),
    (9, 9, 520_085 - 248_901 - 81_946 - 49_256 - 37_231 - 24_626,
     "ultimocable-2024-01;pledgetimes-2023-08-01;prensa-2023-09-15"),
    (10, 10, 49_256, "ultimocable-2024-01"),
    (11, 11, 37_231, "ultimocable-2024-01"),
    (12, 12, 24_626, "ultimocable-2024-01"),
]


def shares(month: int) -> tuple[dict[str, float], str]:
    """Nationality shares for a month and the report ids they come from."""
    before, after = PERIOD_OF_MONTH.get(month, ("jul", "dec"))
    end = REPORTS[after]
    start = REPORTS[before] if before else (0, 0, 0, 0)
    diff = [e - s for e, s in zip(end, start)]
    total = diff[0]
    named = dict(zip(NATIONALITIES[:3], diff[1:]))
    named["Other"] = total - sum(named.values())
    return {k: v / total for k, v in named.items()}, PERIOD_SOURCES[after]


def rows() -> list[dict]:
    out = []
    for first, last, people, source in MONTHS:
        start = dt.date(2023, first, 1)
        end = dt.date(2023, last, calendar.monthrange(2023, last)[1])
        days = (end - start).days + 1
        share, share_source = shares(first)
        for nat in NATIONALITIES:
            rate = people * share[nat] / days
            out.append({
                "place": "Necoclí", "nationality": nat, "status": "irregular",
                "start": start.isoformat(), "end": end.isoformat(),
                "people_per_day": f"{rate:.2f}", "mode": "transit",
                "source": ";".join(dict.fromkeys(f"{source};{share_source};derived".split(";"))),
                "note": (f"{people:,} crossed the Darién in {start:%b}"
                         f"{'' if first == last else '-' + end.strftime('%b')} 2023 (SNM) x "
                         f"{share[nat]:.3f} {nat} share of the period / {days} days "
                         "(derived: derive_inflows.py)"),
            })
    return out


def main() -> None:
    fields = ["place", "nationality", "status", "start", "end", "people_per_day", "mode",
              "source", "note"]
    with (HERE / "inflows.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows())


if __name__ == "__main__":
    main()

"""Derive population.csv for the chile-peru-2023 scenario from the 2025 scenario's table.

Run from anywhere:  python derive_population.py   (writes population.csv beside this file)

The stock at the start of the 2023 episode is that of 31 December 2022. INE/SERMIG first published
1,625,074 foreign residents for that date (radiopolar-2023-12-29), with a method that counted few
irregular residents (6.6%). The next release, for 31 December 2023, used a wider method (irregular
residents, school enrolment, the biometric registry) and reported 1,918,583, 82,446 more than in
2022 (pauta-2025-01-02): the 2022 total on the new method is therefore 1,918,583 - 82,446 =
1,836,137 (derived). The 2025 scenario's population.csv reproduces the 31 Dec 2023 estimate by
place, nationality and status (its SOURCES.md explains how); here it is scaled back to 2022:

  1. total 1,836,137 (derived above);
  2. irregular 336,984 at 31 Dec 2023 (portaltrabajo-53262) less the 44,235 irregular entries
     denounced to the PDI in 2023 (latercera-pdi-2024) = 292,749 (derived; it ignores exits,
     regularisations and entries never denounced, which pull in opposite directions);
  3. regular = total - irregular = 1,543,388;
  4. every cell of the 2023 table is scaled by the factor of its status (irregular 292,749 /
     336,984, regular 1,543,388 / 1,581,599): the distribution over places and nationalities of
     the end of 2023 stands for the end of 2022 (assumption: no 2022 table by nationality or
     region was found);
  5. integers by largest remainder, so both status totals are exact.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE_TABLE = HERE.parent / "chile_peru_2025" / "population.csv"

TOTAL_2023 = 1_918_583          # pauta-2025-01-02
GROWTH_2023 = 82_446            # pauta-2025-01-02
IRREGULAR_2023 = 336_984        # portaltrabajo-53262
IRREGULAR_ENTRIES_2023 = 44_235  # latercera-pdi-2024

TOTAL = TOTAL_2023 - GROWTH_2023                       # 1,836,137
IRREGULAR = IRREGULAR_2023 - IRREGULAR_ENTRIES_2023    # 292,749
TARGET = {"irregular": IRREGULAR, "regular": TOTAL - IRREGULAR}
SOURCES = {
    "irregular": "pauta-2025-01-02;portaltrabajo-53262;latercera-pdi-2024;derived;assumption",
    "regular": "pauta-2025-01-02;portaltrabajo-53262;latercera-pdi-2024;derived;assumption",
}


def largest_remainder(values: list[float], total: int) -> list[int]:
    floors = [int(v) for v in values]
    order = sorted(range(len(values)), key=lambda i: values[i] - floors[i], reverse=True)
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    return floors


def main() -> None:
    with SOURCE_TABLE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out: list[dict] = []
    for status, target in TARGET.items():
        cells = [r for r in rows if r["status"] == status]
        base = sum(int(r["people"]) for r in cells)
        people = largest_remainder([int(r["people"]) * target / base for r in cells], target)
        for r, n in zip(cells, people):
            out.append({"place": r["place"], "nationality": r["nationality"], "status": status,
                        "people": n,
                        "source": SOURCES[status],
                        "note": f"31 Dec 2023 cell of chile-peru-2025 ({r['people']}) x "
                                f"{target:,}/{base:,} "
                                f"({status} at 31 Dec 2022 on the 2023 method, derived)"})
    out.sort(key=lambda r: ([x["place"] for x in rows].index(r["place"]), r["nationality"],
                            r["status"]))
    with (HERE / "population.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(out[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)
    print(f"total {sum(r['people'] for r in out):,}; irregular "
          f"{sum(r['people'] for r in out if r['status'] == 'irregular'):,}")


if __name__ == "__main__":
    main()

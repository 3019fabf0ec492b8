"""Derive flows.csv for the chile-stocks folder (standard library only).

Run from anywhere:  python derive_flows.py   (writes flows.csv beside this file)

Every row carries its sources and says how it was derived; the values set by hand (the net
regular arrivals of 2019-2021, the multiplier of denounced irregular entries, the nationality
shares) are the constants below, and SOURCES.md says what each was set against.
"""

import csv
from pathlib import Path

K = 1.5          # true irregular entries per denounced one (assumption; SOURCES.md)
VEN_IRR = 0.75   # Venezuelan share of irregular entries (SERMIG's 75% of 2023's irregular)
VEN_2021 = 0.30  # Venezuelan share of the 2021 stock (latercera-2022-10)
VEN_PRE = 0.187  # Venezuelan share of the 2018 regularisation's first 102,133 applicants
# net regular arrivals (Venezuela, other) set by hand against the INE/SERMIG estimates of
# 2019-2021 (SOURCES.md, "Values set by hand")
ARRIVALS = {2019: (169290, 75710), 2020: (0, 0), 2021: (0, 0)}
NEW_VISAS_2022 = 242454 / 3        # Jan-Nov 2022 work visas not from the 2021 regularisation
ART8_2022 = 242454 * 2 / 3         # Jan-Nov 2022 work visas from the 2021 regularisation
DENOUNCED = {"2019": (8048, "humvenezuela-11833"), "2020": (16848, "humvenezuela-11833"),
             "2021": (56586, "latercera-pdi-2022"), "2022": (53875, "latercera-kast-2025"),
             "2023": (44235, "latercera-kast-2025"), "2024": (29269, "latercera-kast-2025"),
             "2025-01/2025-11": (22883, "latercera-kast-2025")}
EXPULSIONS = {
    "2019": (2232, "latercera-2020-05", ""),
    "2020": (465, "latercera-2020-05;derived",
             "2019's pace (186 a month) for Jan to mid-March; almost none after the border "
             "closure (12 of 564 ordered, 18 Mar-May 2020)"),
    "2021": (930, "meganoticias-2023-expulsions;derived", "1,070 in 2022 were 15% more than 2021"),
    "2022": (1070, "meganoticias-2023-expulsions", ""),
    "2023": (946, "laserenaradio-15515", ""),
    "2024": (1100, "laserenaradio-15515", ""),
    "2025": (1117, "meganoticias-2026-01-25", ""),
}
EXIT_AUTHORISATIONS = 29926        # Jan 2022 - Nov 2025
PRE_2019 = 131399 - 110000         # 2018 regularisation visas granted during 2019

rows: list[list] = []


def add(period: str, component: str, cell: str, value: float, source: str, note: str,
        factor: str = "") -> None:
    rows.append([period, component, cell, round(value, 1), source, note, factor])


def split(period, component, venezuelan_share, value, source, note_ven, note_other,
          status, factor="") -> None:
    add(period, component, f"venezuela:{status}", value * venezuelan_share, source, note_ven,
        factor)
    add(period, component, f"other:{status}", value * (1 - venezuelan_share), source, note_other,
        factor)


NET = ("net regular arrivals (arrivals that stay, less emigration and deaths of regular "
       "residents): set by hand against the INE/SERMIG estimates 2018-2021 (SOURCES.md)")
for year, (ven, other) in ARRIVALS.items():
    add(str(year), "arrivals", "venezuela:regular", ven, "assumption", NET)
    add(str(year), "arrivals", "other:regular", other, "assumption", "as above")
split("2022-01/2022-11", "arrivals", VEN_2021, NEW_VISAS_2022,
      "latercera-visas-2022;latercera-2022-10;derived",
      "one third of the 242,454 work visas of Jan-Nov 2022 (those not from the 2021 "
      "regularisation) x 30% Venezuelan (2021 stock share)", "the same x 70%", "regular")
yearly = NEW_VISAS_2022 * 12 / 11
for period in ("2022-12", "2023", "2024", "2025"):
    share = 1 / 12 if period == "2022-12" else 1
    note = ("the 2022 rate of new work visas (88,165 a year) carried forward: no later "
            "figure found")
    split(period, "arrivals", VEN_2021, yearly * share, "latercera-visas-2022;assumption",
          note, note, "regular", factor="later_regular_arrivals")
for period, (n, src) in DENOUNCED.items():
    split(period, "arrivals", VEN_IRR, n * K, f"{src};assumption",
          f"{n:,} irregular entries denounced to PDI x {K} (entries not denounced; SOURCES.md) "
          f"x {VEN_IRR:.0%} Venezuelan", f"{n:,} x {K} x {1 - VEN_IRR:.0%}", "irregular",
          factor="undenounced_entries")
split("2019", "regularisations", VEN_PRE, PRE_2019,
      "elmostrador-2020-01-22;latercera-2019-01;chicureohoy-2018-05;derived",
      "2018 regularisation visas granted in 2019: 131,399 by Jan 2020 - 110,000 by Dec 2018 = "
      "21,399; x 18.7% Venezuelan", "21,399 x 81.3%", "irregular")
split("2022-01/2022-11", "regularisations", VEN_2021, ART8_2022,
      "latercera-visas-2022;latercera-2022-10;derived",
      "two thirds of the 242,454 work visas of Jan-Nov 2022 came from the 2021 regularisation "
      "(Ley 21.325 art. 8 transitorio): 161,636 x 30% Venezuelan", "161,636 x 70%", "irregular")
split("2019-01/2021-10", "lapses", VEN_2021, ART8_2022, "latercera-visas-2022;derived",
      "the 2021 regularisation was for people who entered through a border post before 18 Mar "
      "2020 and had become irregular (expired permits): those regularised in 2022 (161,636) "
      "lapsed before its window closed in Oct 2021; spread over Jan 2019-Oct 2021; x 30%",
      "the same x 70%", "regular")
for period, (n, src, note) in EXPULSIONS.items():
    add(period, "removals", "other:irregular", n, src,
        ("expulsions executed (mostly Bolivians, Colombians, Peruvians); " + note).strip("; "))
split("2022-01/2025-11", "departures", 0.75, EXIT_AUTHORISATIONS,
      "latercera-kast-2025;assumption",
      "SERMIG exit authorisations of irregular residents, 29,926 in Jan 2022-Nov 2025, x 75% "
      "Venezuelan (assumption)", "29,926 x 25%", "irregular")

with (Path(__file__).resolve().parent / "flows.csv").open("w", newline="") as f:
    out = csv.writer(f, lineterminator="\n")
    out.writerow(["period", "component", "cell", "value", "source", "note", "factor"])
    out.writerows(rows)

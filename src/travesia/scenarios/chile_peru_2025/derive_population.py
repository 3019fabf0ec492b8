"""Derive population.csv for the chile-peru-2025 scenario (standard library + numpy only).

Run from anywhere:  python derive_population.py   (writes population.csv beside this file)

What it reproduces exactly (INE/SERMIG estimate of foreign residents in Chile, 31 Dec 2023):
  total 1,918,583; Venezuela 728,586; Peru 260,785; Colombia 209,946; Haiti 188,131;
  Bolivia 180,266; Argentina 83,265; Other = remainder (267,604);
  irregular 336,984, of which Venezuelan 252,738 (= 75% x 336,984, rounded; SERMIG director's
  share).

How (each step is explained in SOURCES.md, "Population"):
  1. Regional shares of the total. The 2023 estimate publishes Metropolitana 56.8%,
     Antofagasta 6.7%, Valparaiso 6.4%. For Tarapaca, Arica y Parinacota, Atacama and Coquimbo
     the 2024 census gives the foreign-born count (directly, or as % of region residents x region
     population); their share of the census foreign-born total (1,608,650) is used. Whatever is
     left (the regions south of Santiago, plus the difference between the two sources' methods)
     goes to Santiago, since the road north from the south passes through it.
     Antofagasta region is split Antofagasta 72.7% / Calama 27.3% by the 2017 census population
     of Calama comuna (assumption: foreigners spread like residents).
  2. Nationality x place: Tarapaca (Iquique) takes the census 2024 nationality mix of Tarapaca
     (Bolivia 50.84, Peru 18.44, Venezuela 13.26, Colombia 7.37%; the remaining 10.09% split among
     Haiti, Argentina and Other in proportion to their national stocks). Every other place gets
     the national stock left after Iquique in proportion to its size (independence).
  3. Status: Venezuelans irregular 252,738 of 728,586; the other 84,246 irregular residents are
     spread over the other nationalities in proportion to their stocks (assumption: no source
     breaks them down). Within a nationality, the irregular fraction is the same in every place.
  4. Integers: every margin is rounded by largest remainder, and the place x (nationality, status)
     table is rounded so that its row sums (place totals) and column sums (nationality x status
     totals) are exact (floor, then +1 to the cells with the largest fractions, with an
     augmenting-path repair if the greedy pass gets stuck).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# --- published figures ------------------------------------------------------------------------
TOTAL = 1_918_583                                   # pauta-2025-01-02; reportediario-2024-12-30
BY_NATIONALITY = {                                  # reportediario-2024-12-30; pauta-2025-01-02
    "Venezuela": 728_586, "Peru": 260_785, "Colombia": 209_946, "Haiti": 188_131,
    "Bolivia": 180_266, "Argentina": 83_265,
}
BY_NATIONALITY["Other"] = TOTAL - sum(BY_NATIONALITY.values())
IRREGULAR = 336_984                                 # portaltrabajo-53262
IRREGULAR_VENEZUELAN = round(0.75 * IRREGULAR)      # 252,738 (derived; 75% per SERMIG director)

# 2023 estimate regional shares (% of foreign residents)       reportediario-2024-12-30
EST_SHARE = {"Metropolitana": 56.8, "Antofagasta": 6.7, "Valparaíso": 6.4}

# 2024 census, foreign-born residents by region
CENSUS_FOREIGN_TOTAL = 1_608_650                    # uchile-2025-04-30
CENSUS_COUNT = {
    "Tarapacá": 84_935,                              # estrellaiquique-2025-05-02 (22.97%)
    "Coquimbo": 44_578,                              # laserenaonline-195829
    # % foreign-born of region residents x census region population:
    # uchile-2025-04-30 (8.5%); diarioatacama-2025-03-28
    "Atacama": 0.085 * 299_180,
    # Arica y Parinacota: 14.9% (vilasradio-94487) x population 2024 derived as 2017 census
    # population 226,068 (aricaldia-2017) + growth of Arica comuna 2017-2024, 20,289
    # (quepasa-2025-04-07); the region's three rural comunas are assumed unchanged.
    "Arica y Parinacota": 0.149 * (226_068 + 20_289),
}

# Census 2024 nationality mix in Tarapaca (% of its foreign-born)   estrellaiquique-2025-05-02
TARAPACA_MIX = {"Bolivia": 50.84, "Peru": 18.44, "Venezuela": 13.26, "Colombia": 7.37}

# Antofagasta region split by 2017 census comuna population           diarioantofagasta-2017
CALAMA_SHARE_OF_ANTOFAGASTA = 165_731 / 607_534

# Region -> place of the scenario
PLACES = ["Santiago", "Valparaíso", "La Serena", "Copiapó", "Antofagasta", "Calama", "Iquique",
          "Arica"]
NATIONALITIES = ["Venezuela", "Peru", "Colombia", "Haiti", "Bolivia", "Argentina", "Other"]
STATUSES = ["regular", "irregular"]

PLACE_SOURCES = {
    "Santiago": "reportediario-2024-12-30;uchile-2025-04-30",
    "Valparaíso": "reportediario-2024-12-30",
    "La Serena": "laserenaonline-195829;uchile-2025-04-30",
    "Copiapó": "uchile-2025-04-30;diarioatacama-2025-03-28",
    "Antofagasta": "reportediario-2024-12-30;diarioantofagasta-2017",
    "Calama": "reportediario-2024-12-30;diarioantofagasta-2017",
    "Iquique": "estrellaiquique-2025-05-02;estrellaiquique-2025-03-28;uchile-2025-04-30",
    "Arica": "vilasradio-94487;aricaldia-2017;quepasa-2025-04-07;uchile-2025-04-30",
}
PLACE_NOTES = {
    "Santiago": "Metropolitana 56.8% (2023 est.) + residual 18.2% (regions south of Santiago and "
                "the estimate/census difference)",
    "Valparaíso": "Valparaíso region 6.4% (2023 est.)",
    "La Serena": "Coquimbo region: census 2024 foreign-born 44,578 / 1,608,650",
    "Copiapó": "Atacama region: census 2024 8.5% x 299,180 / 1,608,650",
    "Antofagasta": "Antofagasta region 6.7% (2023 est.) x 72.7% (non-Calama share, 2017 census)",
    "Calama": "Antofagasta region 6.7% (2023 est.) x 27.3% (Calama comuna, 2017 census)",
    "Iquique": "Tarapacá: census 2024 foreign-born 84,935 / 1,608,650; census nationality mix",
    "Arica": "Arica y Parinacota: census 2024 14.9% x derived 246,357 residents / 1,608,650",
}
COMMON_SOURCES = "pauta-2025-01-02;reportediario-2024-12-30;portaltrabajo-53262"


def largest_remainder(weights, total: int) -> np.ndarray:
    """Integers proportional to weights, summing exactly to total (Hamilton's method)."""
    w = np.asarray(weights, dtype=float)
    exact = w / w.sum() * total
    out = np.floor(exact).astype(np.int64)
    short = total - int(out.sum())
    order = np.argsort(-(exact - out), kind="stable")
    out[order[:short]] += 1
    return out


def round_matrix(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Integer matrix within 1 of x (cell by cell) with exact row and column sums."""
    base = np.floor(x).astype(np.int64)
    frac = x - base
    need_r = rows - base.sum(axis=1)
    need_c = cols - base.sum(axis=0)
    assert need_r.sum() == need_c.sum() and (need_r >= 0).all() and (need_c >= 0).all()
    bump = np.zeros_like(base)
    for idx in np.argsort(-frac, axis=None, kind="stable"):
        i, j = divmod(int(idx), x.shape[1])
        if need_r[i] > 0 and need_c[j] > 0:
            bump[i, j] = 1
            need_r[i] -= 1
            need_c[j] -= 1
    # repair: alternating paths row -> free cell -> column (taken cell) -> row ... -> needy column
    while need_r.sum() > 0:
        start = int(np.flatnonzero(need_r > 0)[0])
        parent_col: dict[int, int] = {}
        parent_row: dict[int, int] = {}
        frontier, seen_rows, end = [start], {start}, None
        while frontier and end is None:
            nxt = []
            for i in frontier:
                for j in range(x.shape[1]):
                    if bump[i, j] == 0 and j not in parent_col:
                        parent_col[j] = i
                        if need_c[j] > 0:
                            end = j
                            break
                        for k in range(x.shape[0]):
                            if bump[k, j] == 1 and k not in seen_rows:
                                seen_rows.add(k)
                                parent_row[k] = j
                                nxt.append(k)
                if end is not None:
                    break
            frontier = nxt
        if end is None:
            raise RuntimeError("no integer rounding with these margins")
        j = end
        while True:
            i = parent_col[j]
            bump[i, j] = 1
            if i == start:
                break
            j_prev = parent_row[i]
            bump[i, j_prev] = 0
            j = j_prev
        need_r[start] -= 1
        need_c[end] -= 1
    return base + bump


def source_ids(place: str, nat: str, status: str) -> str:
    """Source ids of one population row, without repeats."""
    ids = f"{COMMON_SOURCES};{PLACE_SOURCES[place]};derived".split(";")
    if (status == "irregular" and nat != "Venezuela") or place in ("Antofagasta", "Calama",
                                                                    "Santiago"):
        ids.append("assumption")
    return ";".join(dict.fromkeys(ids))


def derive() -> list[dict]:
    # 1. place totals
    census_share = {r: 100.0 * c / CENSUS_FOREIGN_TOTAL for r, c in CENSUS_COUNT.items()}
    known = sum(EST_SHARE.values()) + sum(census_share.values())
    residual = 100.0 - known
    share = {
        "Santiago": EST_SHARE["Metropolitana"] + residual,
        "Valparaíso": EST_SHARE["Valparaíso"],
        "La Serena": census_share["Coquimbo"],
        "Copiapó": census_share["Atacama"],
        "Antofagasta": EST_SHARE["Antofagasta"] * (1 - CALAMA_SHARE_OF_ANTOFAGASTA),
        "Calama": EST_SHARE["Antofagasta"] * CALAMA_SHARE_OF_ANTOFAGASTA,
        "Iquique": census_share["Tarapacá"],
        "Arica": census_share["Arica y Parinacota"],
    }
    row_tot = largest_remainder([share[p] for p in PLACES], TOTAL)

    # 3 (margins first). nationality x status totals
    nat_tot = np.array([BY_NATIONALITY[n] for n in NATIONALITIES], dtype=np.int64)
    irr = np.zeros(len(NATIONALITIES), dtype=np.int64)
    irr[0] = IRREGULAR_VENEZUELAN
    irr[1:] = largest_remainder(nat_tot[1:], IRREGULAR - IRREGULAR_VENEZUELAN)
    reg = nat_tot - irr
    col_tot = np.empty(2 * len(NATIONALITIES), dtype=np.int64)
    col_tot[0::2], col_tot[1::2] = reg, irr             # columns: (n, regular), (n, irregular)
    irr_frac = irr / nat_tot

    # 2. seed: Iquique with the Tarapaca census mix, the rest by independence
    rest = 100.0 - sum(TARAPACA_MIX.values())
    others = ["Haiti", "Argentina", "Other"]
    mix = dict(TARAPACA_MIX)
    for other in others:
        mix[other] = rest * BY_NATIONALITY[other] / sum(BY_NATIONALITY[o] for o in others)
    iq = PLACES.index("Iquique")
    seed = np.zeros((len(PLACES), len(NATIONALITIES)))
    seed[iq] = [row_tot[iq] * mix[n] / 100.0 for n in NATIONALITIES]
    remaining = nat_tot - seed[iq]
    assert (remaining > 0).all()
    for p in range(len(PLACES)):
        if p != iq:
            seed[p] = row_tot[p] * remaining / (TOTAL - row_tot[iq])
    cells = np.empty((len(PLACES), 2 * len(NATIONALITIES)))
    cells[:, 0::2] = seed * (1 - irr_frac)
    cells[:, 1::2] = seed * irr_frac

    # 4. integers with exact margins
    table = round_matrix(cells, row_tot, col_tot)
    assert (table.sum(axis=1) == row_tot).all() and (table.sum(axis=0) == col_tot).all()

    rows = []
    for p, place in enumerate(PLACES):
        for n, nat in enumerate(NATIONALITIES):
            for s, status in enumerate(STATUSES):
                note = PLACE_NOTES[place]
                if place == "Iquique":
                    note += "; nationality mix of Tarapacá (census 2024)"
                else:
                    note += "; nationality mix = national stock net of Iquique (independence)"
                if status == "irregular":
                    note += ("; irregular Venezuelans 75% x 336,984" if nat == "Venezuela" else
                             "; non-Venezuelan irregular 84,246 spread by stock (assumption)")
                rows.append({
                    "place": place, "nationality": nat, "status": status,
                    "people": int(table[p, 2 * n + s]),
                    "source": source_ids(place, nat, status),
                    "note": note,
                })
    return rows


def main() -> None:
    rows = derive()
    out = HERE / "population.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["place", "nationality", "status", "people", "source",
                                          "note"],
                           lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    total = sum(r["people"] for r in rows)
    print(f"wrote {out} ({len(rows)} rows), total {total:,}")
    for nat in NATIONALITIES:
        print(f"  {nat:10s} {sum(r['people'] for r in rows if r['nationality'] == nat):>9,}")
    print(f"  irregular  {sum(r['people'] for r in rows if r['status'] == 'irregular'):>9,}")
    print(
        f"  irregular Venezuelan "
        f"{sum(r['people'] for r in rows if r['status'] == 'irregular' and r['nationality'] == 'Venezuela'):,}"  # noqa: E501 (an f-string expression: no line break before 3.12)
    )
    for place in PLACES:
        print(f"  {place:12s} {sum(r['people'] for r in rows if r['place'] == place):>9,}")


if __name__ == "__main__":
    main()

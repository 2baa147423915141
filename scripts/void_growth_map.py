"""Void-growth map with the coupled interface model: the sign of void growth over stripping
current density × stack pressure for a Li/Li6PS5Cl and a Li/LLZO cell
(``lisse.solver.studies.void_map``; docs/void_growth_map.md).

Writes ``<out>/void_growth_map_<electrolyte>.csv`` (one row per point, units in the column
names) and the figure ``<out>/void_growth_map.png`` (+ PDF): growth, closure and neutral
points of both electrolytes with the analytic boundaries i*(p) = F a ε̇(p)/Ω and
i*/(k_J − 1).

    .venv/bin/python scripts/void_growth_map.py [--electrolytes LLZO] [--out docs]
        [--currents 0.05,0.158,0.5,1.58,5] [--pressures 0.1,0.25,0.63,1.6,4,10]
        [--plot-only]   (the figure from the tables already in <out>)
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

import lisse  # noqa: F401  (DOLFINx wheel set-up)
from lisse.solver.studies.void_map import ELECTROLYTES, analytic_boundary, as_row, cell, run_map
from lisse.units import A_M2_PER_MA_CM2, PA_PER_MPA

CURRENTS = (0.05, 0.158, 0.5, 1.58, 5.0)  # mA/cm², log-spaced
PRESSURES = (0.1, 0.25, 0.63, 1.6, 4.0, 10.0)  # MPa, log-spaced
MARKERS = {1: ("^", "growth"), -1: ("v", "closure"), 0: ("o", "neutral")}


def _number(text: str):
    """A table cell as a number where it is one."""
    try:
        return float(text)
    except ValueError:
        return text


def figure(tables: dict, path: Path) -> None:
    """Signs of both electrolytes on log axes with the analytic boundaries."""
    from lisse import plotstyle
    from lisse.solver.config.schema import resolve, validate_case

    fig, axes = plotstyle.subplots(1, len(tables), figsize=(6.5 * len(tables), 5.2),
                                   squeeze=False)
    colours = {1: plotstyle.OKABE_ITO[1], -1: plotstyle.OKABE_ITO[0], 0: plotstyle.GREY}
    for ax, (name, rows) in zip(axes[0], tables.items(), strict=True):
        params = resolve(validate_case(cell(name, 1.0, 1.0)))
        radius = params.geometry.voids[0].radius  # [m]
        p = np.geomspace(min(r["stack_pressure_MPa"] for r in rows),
                         max(r["stack_pressure_MPa"] for r in rows), 100)
        star = np.array([analytic_boundary(x * PA_PER_MPA, params.electrode,
                                           params.temperature, radius) for x in p])
        k = np.median([r["hotspot_factor"] for r in rows])
        ax.plot(p, star / A_M2_PER_MA_CM2, color=plotstyle.GREY, label="i* = F a ε̇(p)/Ω")
        ax.plot(p, star / (k - 1) / A_M2_PER_MA_CM2, color=plotstyle.GREY, linestyle="--",
                label=f"i*/(k_J − 1), k_J = {k:.3g}")
        for sign, (marker, label) in MARKERS.items():
            chosen = [r for r in rows if r["sign"] == sign]
            if chosen:
                ax.scatter([r["stack_pressure_MPa"] for r in chosen],
                           [r["current_density_mA_cm2"] for r in chosen], marker=marker,
                           s=90, color=colours[sign], label=label, zorder=3)
        currents = [r["current_density_mA_cm2"] for r in rows]
        ax.set(xscale="log", yscale="log", xlabel="stack pressure [MPa]",
               ylabel="stripping current density [mA/cm²]", title=f"Li/{name}",
               ylim=(min(currents) / 2, max(currents) * 12))  # room for the legend
        ax.legend(fontsize=10, loc="upper left")
    path.parent.mkdir(parents=True, exist_ok=True)
    plotstyle.save(fig, path)


def main(argv: list[str] | None = None) -> dict:
    """Run the maps, write tables and the figure; returns {electrolyte: rows}."""
    from mpi4py import MPI

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--electrolytes", default=",".join(ELECTROLYTES))
    parser.add_argument("--currents", default=",".join(map(str, CURRENTS)), help="mA/cm²")
    parser.add_argument("--pressures", default=",".join(map(str, PRESSURES)), help="MPa")
    parser.add_argument("--plot-only", action="store_true",
                        help="redraw the figure from the tables in <out>")
    parser.add_argument("--out", default="docs", help="folder of the tables; figure in "
                        "<out>/figures")
    args = parser.parse_args(argv)
    comm = MPI.COMM_WORLD
    out = Path(args.out)
    currents = [float(x) for x in args.currents.split(",")]
    pressures = [float(x) for x in args.pressures.split(",")]
    tables = {}
    start = time.perf_counter()
    if args.plot_only:
        for name in args.electrolytes.split(","):
            with open(out / f"void_growth_map_{name}.csv") as f:
                tables[name] = [{k: _number(v) for k, v in row.items()}
                                for row in csv.DictReader(f)]
        figure(tables, out / "figures" / "void_growth_map.png")
        return tables
    for name in args.electrolytes.split(","):
        def say(point) -> None:
            if comm.rank == 0:
                print(f"  {point.electrolyte:9s} i = {point.current_density_mA_cm2:6.3g} "
                      f"mA/cm²  p = {point.stack_pressure_MPa:5.3g} MPa  "
                      f"{MARKERS[point.sign][1]:8s} V/V0 = {point.void_ratio:.4g}  contact "
                      f"{point.contact_fraction:.3f}  k_J {point.hotspot_factor:.3g}  "
                      f"({point.steps} steps, {point.seconds:.1f} s)", flush=True)

        rows = [as_row(p) for p in run_map(name, currents, pressures, comm, say)]
        tables[name] = rows
        if comm.rank == 0:
            out.mkdir(parents=True, exist_ok=True)
            with open(out / f"void_growth_map_{name}.csv", "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
    if comm.rank == 0:
        figure(tables, out / "figures" / "void_growth_map.png")
        print(f"map of {sum(map(len, tables.values()))} points: "
              f"{time.perf_counter() - start:.0f} s wall")
    return tables


if __name__ == "__main__":
    main()

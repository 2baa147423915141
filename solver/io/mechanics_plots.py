"""Figures of the mechanics (lisse style: ``lisse.plotstyle``; rank 0 draws)."""

from __future__ import annotations

import numpy as np

from lisse import plotstyle
from lisse.units import NM_PER_UM, PA_PER_MPA, UM_PER_M


def interface_pressure(path, rows: np.ndarray, gdim: int, stack_pressure: float,
                       formats=plotstyle.FIGURE_FORMATS) -> None:
    """Normal contact pressure [MPa] along the interface (bonded nodes and closed roof) and
    the gap of the void roofs [µm; nm below 0.1 µm]; rows from
    ``mechanics_run.interface_table`` (µm, MPa); ``stack_pressure`` [MPa]."""
    fig, ax = plotstyle.subplots(figsize=(8, 4.5) if gdim == 2 else (6.5, 5.5))
    if gdim == 2:
        x, roof, gap, pn = rows[:, 0], rows[:, 1] > 0, rows[:, 2], rows[:, 3]
        ax.plot(x[~roof], pn[~roof], ".", color=plotstyle.OKABE_ITO[0], label="bonded contact")
        ax.plot(x[roof], pn[roof], ".", color=plotstyle.OKABE_ITO[1],
                label="void roof (penalty)")
        ax.axhline(stack_pressure, color="k", ls="--", lw=1.5, label="stack pressure")
        ax.set_xlabel("x [µm]")
        ax.set_ylabel("contact pressure [MPa]")
        twin = ax.twinx()
        twin.grid(False)
        # a gap below 0.1 µm in nm: µm needed a ×1e−5 multiplier above the axis
        small = np.abs(gap[roof]).max(initial=0.0) < 0.1
        scale, unit = (NM_PER_UM, "nm") if small else (1.0, "µm")
        twin.plot(x[roof], gap[roof] * scale, "-", color=plotstyle.GREY)
        twin.set_ylabel(f"roof gap [{unit}]", color=plotstyle.GREY)
        twin.ticklabel_format(axis="y", useOffset=False)
        ax.legend(loc="best")
    else:
        sc = ax.scatter(rows[:, 0], rows[:, 1], c=rows[:, 3], s=8, cmap=plotstyle.SEQUENTIAL)
        fig.colorbar(sc, ax=ax, label="contact pressure [MPa]")
        ax.set_aspect("equal")
        ax.set_xlabel("x [µm]")
        ax.set_ylabel("y [µm]")
    ax.set_title("Interface contact pressure after the pressure hold")
    plotstyle.save(fig, path, formats)


def history(path, rows: np.ndarray, formats=plotstyle.FIGURE_FORMATS) -> None:
    """Mechanical contact fraction against time [s] (rows of mechanics_history.csv)."""
    fig, ax = plotstyle.subplots(figsize=(7, 4.5))
    t = rows[1:, 0] if len(rows) > 1 else rows[:, 0]
    f = rows[1:, 1] if len(rows) > 1 else rows[:, 1]
    ax.semilogx(t, f, "o-")
    ax.axhline(rows[0, 1], color="k", ls=":", lw=1.5, label="at loading")
    ax.set_xlabel("time under pressure [s]")
    ax.set_ylabel("contact fraction [–]")
    ax.legend()
    ax.set_title("Contact during the pressure hold")
    plotstyle.save(fig, path, formats)


def gather_cells(mech, comm):
    """Vertex coordinates (n, 3, 2) [m] and von Mises stress [Pa] of the owned cells."""
    msh = mech.msh
    von_mises = mech.cell_fields()[0]
    ncells = msh.topology.index_map(msh.topology.dim).size_local
    tri = msh.geometry.x[msh.geometry.dofmaps[0][:ncells]][:, :, :2]
    tri, values = comm.gather(tri, root=0), comm.gather(von_mises.x.array[:ncells].copy(), 0)
    if comm.rank != 0:
        return None
    return np.concatenate(tri), np.concatenate(values)


def stress_field(
    path, triangles: np.ndarray, values: np.ndarray, window: float, axisymmetric: bool,
    formats=plotstyle.FIGURE_FORMATS,
) -> None:
    """Von Mises stress [Pa, drawn in MPa] within ``window`` [m] of the interface y = 0, to
    scale, with one colour scale per material: Li (cells above the interface, y > 0) and
    the electrolyte (below); each clipped at its own 99.5th percentile."""
    keep = np.abs(triangles[:, :, 1]).min(axis=1) <= window
    tri, val = triangles[keep] * UM_PER_M, values[keep] / PA_PER_MPA
    above = tri[:, :, 1].mean(axis=1) > 0
    fig, ax = plotstyle.subplots(
        figsize=plotstyle.map_size(np.ptp(tri[:, :, 0]), 2 * window * UM_PER_M, 9.0, bars=2))
    for part, cmap, name in ((above, plotstyle.SEQUENTIAL, "Li"),
                             (~above, plotstyle.SEQUENTIAL_SECOND, "electrolyte")):
        if not part.any():
            continue
        points = tri[part].reshape(-1, 2)
        pc = ax.tripcolor(points[:, 0], points[:, 1], np.arange(len(points)).reshape(-1, 3),
                          facecolors=val[part], cmap=cmap, vmin=0.0,
                          vmax=np.percentile(val[part], 99.5), shading="flat")
        fig.colorbar(pc, ax=ax, label=f"von Mises stress, {name} [MPa]", extend="max",
                     pad=0.02)
    ax.axhline(0.0, color="k", lw=1.0)
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_ylim(-window * UM_PER_M, window * UM_PER_M)
    ax.set_xlabel("r [µm]" if axisymmetric else "x [µm]")
    ax.set_ylabel("y [µm]")
    ax.set_title("Stress near the interface after the pressure hold")
    plotstyle.save(fig, path, formats)

"""The interface picture of a coupled evolution run in a 3D cell (``interface_picture.png``
and its data ``interface_picture.csv``; ``solver.studies.interface_picture``,
docs/moving_interface.md "Interface picture"): the interface plane z = 0 seen from above.

The table has one row per electrolyte interface node and picture time
(``solver.physics.li_map``): ``time_s``, ``x_um``, ``y_um``, ``gap_um``, ``in_contact`` (1 or
0: gap ≤ the contact tolerance), ``pores_um``, ``contact_share`` [–],
``current_density_mA_cm2``, ``contact_pressure_MPa``, ``area_um2`` (the node's interface
area w_k: Σ w_k s_k / Σ w_k is the node-share contact fraction, first order in h) and
``contact_fraction`` (the run's contact fraction at that time, the timeseries' sub-element
measure of the Li bottom, ``li_contact_area_3d``, the same on every row of the time). The
figure has one row of maps per time (its label: the time and the run's contact fraction)
over (x, y) in µm, to scale, piecewise linear on the electrolyte's interface triangles: the
gap, the pore content (with the cavity
criterion), the contact pressure and the local current density, one colour scale per
quantity shared by the times (the current density's diverging about 0 if it changes sign),
and on every map the void edges, the contour gap = t."""

from __future__ import annotations

import matplotlib.colors
import matplotlib.tri
import numpy as np

from lisse import plotstyle
from lisse.solver.io.interface_plots import time_label
from lisse.units import A_M2_PER_MA_CM2, NM_PER_UM, PA_PER_MPA, UM_PER_M

EDGE_COLOUR = "#D55E00"  # the void edges (vermillion, as the 2D picture's contact)
DIVERGING = "PuOr_r"  # signed current density (colour-blind safe)
PANEL_IN = 2.4  # width and height of one map [in]
BAR_IN = 1.0  # height of a colourbar below its column, with its ticks and label [in]
LABEL_IN = 1.5  # width of the row labels (time, contact fraction, y axis) [in]
COLUMNS = ["time_s", "x_um", "y_um", "gap_um", "in_contact", "pores_um", "contact_share",
           "current_density_mA_cm2", "contact_pressure_MPa", "area_um2", "contact_fraction"]
# the maps: (column, colourbar label, factor from the column's unit, known before the first
# step); the pores (≪ the gaps) in nm
MAPS = (("gap_um", "gap [µm]", 1.0, True), ("pores_um", "pore content [nm]", NM_PER_UM, True),
        ("contact_pressure_MPa", "contact pressure [MPa]", 1.0, False),
        ("current_density_mA_cm2", "current density [mA/cm²]", 1.0, True))


def header() -> list[str]:
    """The columns of interface_picture.csv (3D)."""
    return list(COLUMNS)


def rows(maps) -> np.ndarray:
    """The table of ``maps`` (``li_map.InterfaceMap`` with current densities)."""
    blocks = [np.column_stack([np.full(len(m.x), m.time), m.x * UM_PER_M, m.y * UM_PER_M,
                               m.gap * UM_PER_M, m.in_contact.astype(float),
                               m.pores * UM_PER_M, m.share,
                               m.current_density / A_M2_PER_MA_CM2,
                               m.contact_pressure / PA_PER_MPA, m.area * UM_PER_M**2,
                               np.full(len(m.x), m.contact_fraction)])
              for m in maps]
    return np.concatenate(blocks) if blocks else np.zeros((0, len(COLUMNS)))


def _norm(values: np.ndarray, signed: bool):
    """(colour map, norm) of one quantity over all times."""
    low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    if signed and low < 0 < high:
        return DIVERGING, matplotlib.colors.TwoSlopeNorm(0.0, low, high)
    if high <= low:  # uniform (all zero): a scale that shows it
        high = low + 1.0
    return plotstyle.SEQUENTIAL, matplotlib.colors.Normalize(low, high)


def picture(path, table: np.ndarray, triangles: np.ndarray, tolerance_um: float,
            pores: bool, formats=plotstyle.FIGURE_FORMATS) -> None:
    """Draw ``table`` (the rows of interface_picture.csv, the nodes of each time in one
    order) with the interface ``triangles`` (rows of 3 node indices of that order) into
    ``path``; ``tolerance_um`` the contact tolerance t [µm]; ``pores``: a pore map too."""
    col = {name: k for k, name in enumerate(COLUMNS)}
    shown = [m for m in MAPS if pores or m[0] != "pores_um"]
    times = list(dict.fromkeys(table[:, 0]))
    fig, axes = plotstyle.subplots(len(times), len(shown), sharex=True, sharey=True,
                                   squeeze=False,
                                   figsize=(PANEL_IN * len(shown) + LABEL_IN,
                                            (PANEL_IN + 0.2) * len(times) + BAR_IN + 0.6))
    for c, (name, label, factor, at_start) in enumerate(shown):
        cmap, norm = _norm(table[:, col[name]] * factor, name == "current_density_mA_cm2")
        for r, t in enumerate(times):
            part = table[table[:, 0] == t]
            ax = axes[r, c]
            mesh = matplotlib.tri.Triangulation(part[:, col["x_um"]], part[:, col["y_um"]],
                                                triangles)
            drawn = ax.tripcolor(mesh, part[:, col[name]] * factor, shading="gouraud",
                                 cmap=cmap, norm=norm)
            gap = part[:, col["gap_um"]]
            if gap.min() <= tolerance_um < gap.max():
                ax.tricontour(mesh, gap, levels=[tolerance_um], colors=EDGE_COLOUR,
                              linewidths=2.0)
            if not at_start and t == 0.0:
                ax.text(0.5, 0.5, "no Li flow\nsolved yet", transform=ax.transAxes,
                        ha="center", va="center", fontsize=13, color="white")
            ax.set_aspect("equal")
            ax.grid(False)
            if r == 0:
                ax.set_title(label.split(" [")[0], fontsize=14)
            if c == 0:
                contact = part[0, col["contact_fraction"]]
                ax.set_ylabel(f"{time_label(t)}\ncontact {contact:.1%}\ny [µm]")
            if r == len(times) - 1:
                ax.set_xlabel("x [µm]")
        fig.colorbar(drawn, ax=axes[:, c], label=label, location="bottom", shrink=0.9,
                     aspect=15)
    fig.suptitle(f"interface plane seen from above; void edges (gap = {tolerance_um * NM_PER_UM:g} "
                 "nm) in vermillion", fontsize=14)
    plotstyle.save(fig, path, formats)

"""The interface picture of a coupled evolution run (``interface_picture.png`` and its data
``interface_picture.csv``; ``solver.studies.interface_picture``, docs/moving_interface.md).

The table has one row per sample point and picture time (``solver.physics.li_profile``):
``time_s``, ``x_um`` (``r_um`` axisymmetric), ``li_height_um``, ``electrolyte_height_um``,
``in_contact`` (1 or 0), ``current_density_mA_cm2``, ``contact_pressure_MPa``. The figure
has one panel per time — the electrolyte (grey, top at its height), the Li (blue, down to its
bottom surface), the gaps between them hatched and the contact stretches as a thick line on
the plane — over a panel of the local current density and one of the contact pressure along
the interface at each time. Heights share one
axis range over the panels; the vertical exaggeration (µm per inch along x over µm per inch
along the height) is stated above the first panel."""

from __future__ import annotations

import numpy as np

from lisse import plotstyle
from lisse.units import A_M2_PER_MA_CM2, PA_PER_MPA, SECONDS_PER_HOUR, UM_PER_M

LI_COLOUR, ELECTROLYTE_COLOUR = "#9ecae1", "0.75"
SHOW_HOURS_FROM_S = 360.0  # legend: times from 0.1 h = 360 s on in h, shorter ones in s
MIN_HEIGHT_UM = 0.05  # height axis range of a flat interface (all in contact)


def header(axisymmetric: bool) -> list[str]:
    """The columns of interface_picture.csv."""
    return ["time_s", "r_um" if axisymmetric else "x_um", "li_height_um",
            "electrolyte_height_um", "in_contact", "current_density_mA_cm2",
            "contact_pressure_MPa"]


def rows(profiles) -> np.ndarray:
    """The table of ``profiles`` (``li_profile.InterfaceProfile`` with current densities)."""
    blocks = [np.column_stack([np.full(len(p.x), p.time), p.x * UM_PER_M,
                               p.li_height * UM_PER_M, p.electrolyte_height * UM_PER_M,
                               p.in_contact.astype(float),
                               p.current_density / A_M2_PER_MA_CM2,
                               p.contact_pressure / PA_PER_MPA]) for p in profiles]
    return np.concatenate(blocks) if blocks else np.zeros((0, 7))


def time_label(t: float) -> str:
    """``t = 36 s`` or ``t = 0.5 h`` (from 0.1 h on)."""
    if t >= SHOW_HOURS_FROM_S:
        return f"t = {t / SECONDS_PER_HOUR:.3g} h"
    return f"t = {t:.3g} s"


def picture(path, table: np.ndarray, axisymmetric: bool,
            formats=plotstyle.FIGURE_FORMATS) -> float:
    """Draw ``table`` (the rows of interface_picture.csv) into ``path``; returns the vertical
    exaggeration [–] of the height panels."""
    times = list(dict.fromkeys(table[:, 0]))
    fig, axes = plotstyle.subplots(len(times) + 2, 1, sharex=True,
                                   figsize=(8, 1.9 * len(times) + 5.5),
                                   height_ratios=[1.0] * len(times) + [1.5, 1.5])
    colours = plotstyle.colours(len(times))
    top = max(float(table[:, 2].max(initial=0.0)), MIN_HEIGHT_UM) * 1.25
    bottom = -0.3 * top
    for ax, t, colour in zip(axes[:-2], times, colours, strict=True):
        x, li, sse, touch = (table[table[:, 0] == t][:, k] for k in (1, 2, 3, 4))
        touch = touch > 0
        ax.fill_between(x, bottom, sse, color=ELECTROLYTE_COLOUR, lw=0, label="electrolyte")
        ax.fill_between(x, li, top, color=LI_COLOUR, lw=0, label="Li")
        gap = ~touch  # with the stretches from its ends to the neighbouring contact points
        gap = gap | np.r_[gap[1:], False] | np.r_[False, gap[:-1]]
        ax.fill_between(x, sse, li, where=gap, facecolor="white", edgecolor=plotstyle.GREY,
                        hatch="//", lw=0, label="gap (void)")
        ax.plot(x, li, color=colour, lw=1.5)
        ax.plot(x, np.where(touch, sse, np.nan), color="#D55E00", lw=5, solid_capstyle="butt",
                label="contact")
        ax.set_ylim(bottom, top)
        ax.set_ylabel("height [µm]")
        ax.set_title(time_label(t), loc="left", fontsize=13)
        ax.grid(False)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncol=4)
    for ax, column, label in ((axes[-2], 5, "current density [mA/cm²]"),
                              (axes[-1], 6, "contact pressure [MPa]")):
        for t, colour in zip(times, colours, strict=True):
            part = table[table[:, 0] == t]
            ax.plot(part[:, 1], part[:, column], color=colour, label=time_label(t))
        ax.set_ylabel(label)
    axes[-2].legend(fontsize=12)
    axes[-1].set_xlabel(("radius r" if axisymmetric else "position along the interface x")
                        + " [µm]")
    title = axes[0].set_title("vertical exaggeration ×1000", loc="right", fontsize=13)
    exaggeration = _exaggeration(fig, axes[0])
    title.set_text(f"vertical exaggeration ×{exaggeration:.3g}")
    plotstyle.save(fig, path, formats)
    return exaggeration


def _exaggeration(fig, ax) -> float:
    """Data units per inch along x over those along y of ``ax`` after the layout."""
    fig.canvas.draw()
    box = ax.get_window_extent()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return ((x1 - x0) / box.width) / ((y1 - y0) / box.height)

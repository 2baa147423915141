"""Figures of a current distribution (lisse style: ``lisse.plotstyle``; rank 0 draws)."""

from __future__ import annotations

import numpy as np

from lisse import plotstyle
from lisse.units import A_M2_PER_MA_CM2, UM_PER_M


def interface_profile(path, x: np.ndarray, j: np.ndarray, contact: np.ndarray, gdim: int,
                      mean_contact: float, axisymmetric: bool,
                      formats=plotstyle.FIGURE_FORMATS) -> None:
    """Local current density j [A/m²] along the interface at positions ``x`` [m]: a line
    with the voids shaded (2D) or a map of the plane drawn to scale (3D), in mA/cm² and µm."""
    fig, ax = plotstyle.subplots(figsize=(7, 4.5) if gdim == 2 else (6.5, 5.5))
    x_um, j_ma = x * UM_PER_M, j / A_M2_PER_MA_CM2
    if gdim == 2:
        ax.plot(x_um[:, 0], np.where(contact, j_ma, np.nan), "-", label="local")
        ax.axhline(mean_contact / A_M2_PER_MA_CM2, color="k", ls="--", lw=1.5,
                   label="mean over contact")
        if (~contact).any():  # no void entry in a cell without voids
            ax.fill_between(x_um[:, 0], 0, 1, where=~contact, color="0.8",
                            transform=ax.get_xaxis_transform(), label="void (no contact)")
        plotstyle.flat_from_zero(ax, j_ma[contact])
        ax.set_xlabel("r [µm]" if axisymmetric else "x [µm]")
        ax.set_ylabel("current density [mA/cm²]")
        ax.legend(loc="best")
    else:
        sc = ax.scatter(x_um[contact, 0], x_um[contact, 1], c=j_ma[contact], s=8,
                        cmap=plotstyle.SEQUENTIAL)
        if plotstyle.is_uniform(j_ma[contact]):  # one colour, not colours of round-off
            sc.set_clim(*sorted((0.0, float(j_ma[contact][0]))))
        fig.colorbar(sc, ax=ax, label="current density [mA/cm²]")
        ax.set_aspect("equal")
        ax.set_xlabel("x [µm]")
        ax.set_ylabel("y [µm]")
        if (~contact).any():  # no void entry in a cell without voids
            ax.scatter(x_um[~contact, 0], x_um[~contact, 1], c="0.85", s=6, label="void")
            ax.legend(loc="upper right")
    ax.set_title("Interface current density")
    plotstyle.save(fig, path, formats)


def current_field(path, triangles: np.ndarray, magnitude: np.ndarray, window: float,
                  axisymmetric: bool, formats=plotstyle.FIGURE_FORMATS) -> None:
    """Magnitude of the ionic current density |i| [A/m², drawn in mA/cm²] on the electrolyte
    cells within ``window`` [m] of the interface, to scale; colours clipped at the 99.5th
    percentile (the edge singularities). ``triangles``: cell vertex coordinates, (n, 3, 2)
    [m]."""
    keep = triangles[:, :, 1].max(axis=1) >= -window
    tri, mag = triangles[keep] * UM_PER_M, magnitude[keep] / A_M2_PER_MA_CM2
    points = tri.reshape(-1, 2)
    connectivity = np.arange(len(points)).reshape(-1, 3)
    fig, ax = plotstyle.subplots(
        figsize=plotstyle.map_size(np.ptp(points[:, 0]), window * UM_PER_M))
    top = np.percentile(mag, 99.5)
    pc = ax.tripcolor(points[:, 0], points[:, 1], connectivity, facecolors=mag,
                      cmap=plotstyle.SEQUENTIAL, vmin=0.0, vmax=top, shading="flat")
    fig.colorbar(pc, ax=ax, label="|i| [mA/cm²]", extend="max")  # arrow: clipped above
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_ylim(-window * UM_PER_M, 0)
    ax.set_xlim(points[:, 0].min(), points[:, 0].max())
    ax.set_xlabel("r [µm]" if axisymmetric else "x [µm]")
    ax.set_ylabel("y [µm]")
    ax.set_title("Ionic current density near the interface")
    plotstyle.save(fig, path, formats)

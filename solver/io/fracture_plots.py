"""Figures of the fracture and plating criterion (lisse style: ``lisse.plotstyle``)."""

from __future__ import annotations

import numpy as np

from lisse import plotstyle
from lisse.units import A_M2_PER_MA_CM2, PA_PER_MPA, UM_PER_M


def plating_ccd_curve(path, flaw_depth: np.ndarray, ccd: dict[str, np.ndarray],
                      measured: dict[str, tuple[float, float, str]] | None = None,
                      formats=plotstyle.FIGURE_FORMATS) -> None:
    """Plating CCD against flaw depth on log–log axes (``solver.physics.plating``).

    flaw_depth: a [m]; ccd: electrolyte name → i_CCD(a) [A/m²]; measured: electrolyte name →
    (lowest, highest measured CCD [mA/cm²], source), drawn as a band in the curve's colour.
    """
    fig, ax = plotstyle.subplots(figsize=(7.5, 5))
    colours = plotstyle.OKABE_ITO[:len(ccd)]
    for colour, (name, values) in zip(colours, ccd.items(), strict=True):
        ax.loglog(flaw_depth * UM_PER_M, values / A_M2_PER_MA_CM2, "-", color=colour,
                  label=f"{name}: predicted")
        if measured and name in measured:
            low, high, source = measured[name]
            ax.axhspan(low, high, color=colour, alpha=0.2, label=f"{name}: measured ({source})")
    ax.set_xlabel("flaw depth a [µm]")
    ax.set_ylabel("plating CCD [mA/cm²]")
    ax.set_title("Li-filled surface flaw: K_I(p_Li = Fη/Ω) = K_IC")
    ax.legend(loc="best")
    plotstyle.save(fig, path, formats)


def plating_pressure_history(path, time: np.ndarray, li_pressure: np.ndarray,
                             stress_intensity: np.ndarray, fracture_toughness: float,
                             current_density: float, formats=plotstyle.FIGURE_FORMATS) -> None:
    """Li pressure in the flaw and K_I against time at one plating current density
    (``lisse ccd --plating``, at the CCD; ``solver.physics.flaw_extrusion``).

    time [s]; li_pressure p_Li [Pa]; stress_intensity K_I and fracture_toughness K_IC
    [Pa m^0.5]; current_density j [A/m²] (title)."""
    fig, (top, bottom) = plotstyle.subplots(2, 1, figsize=(7.5, 6.5), sharex=True)
    top.plot(time, li_pressure / PA_PER_MPA, "-", color=plotstyle.OKABE_ITO[0])
    top.set_ylabel(r"Li pressure $p_\mathrm{Li}$ [MPa]")
    bottom.plot(time, stress_intensity / PA_PER_MPA, "-", color=plotstyle.OKABE_ITO[1],
                label=r"$K_\mathrm{I}$")
    bottom.axhline(fracture_toughness / PA_PER_MPA, color=plotstyle.GREY, ls="--",
                   label=r"$K_\mathrm{IC}$")
    bottom.set_ylabel(r"stress intensity $K_\mathrm{I}$ [MPa m$^{1/2}$]")
    bottom.set_xlabel("time [s]")
    bottom.legend(loc="best")
    top.set_title(f"Li-filled flaw at j = {current_density / A_M2_PER_MA_CM2:.3g} mA/cm²")
    plotstyle.save(fig, path, formats)

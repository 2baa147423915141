"""Figures of the fracture and plating criterion (lisse style: ``lisse.plotstyle``)."""

from __future__ import annotations

import numpy as np

from lisse import plotstyle
from lisse.units import A_M2_PER_MA_CM2, UM_PER_M


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

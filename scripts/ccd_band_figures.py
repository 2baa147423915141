"""The figures of scripts/ccd_uncertainty.py: a CCD band against stack pressure or
temperature with the nominal prediction and the measured CCDs (talk quality:
``lisse.plotstyle``)."""

from __future__ import annotations

import csv
from pathlib import Path


def measured(path: Path, electrolyte: str, x: str,
             temperature_C: float | None = None) -> list[tuple[float, float, str]]:
    """(x, CCD [mA/cm²], label) of the rows of a measurements CSV (columns electrolyte,
    stack_pressure_MPa, temperature_C, ccd_mA_cm2, label) for one electrolyte, at one
    temperature [°C] if given (a figure against pressure shows only its own temperature's)."""
    with open(path, newline="") as f:
        return [(float(row[x]), float(row["ccd_mA_cm2"]),
                 f"{row['label']}, {float(row['temperature_C']):g} °C")
                for row in csv.DictReader(f) if row["electrolyte"] == electrolyte
                and temperature_C in (None, float(row["temperature_C"]))]


def figure(path: Path, rows: list[dict], points: list[tuple[float, float, str]],
           title: str, x_key: str = "stack_pressure_MPa", wide: list[dict] | None = None,
           labels: tuple[str, str] = ("band: library ranges (ensemble)",
                                      "predicted, library values"),
           calibration: tuple[float, float] | None = None) -> None:
    """CCD against stack pressure (or temperature, ``x_key="temperature_C"``): nominal
    prediction, ensemble band (``labels``: band, nominal), an optional second, wider band
    ``wide`` (cavity: ℓ_eff held fixed), measured ``points`` (x, CCD [mA/cm²], label) and
    the ``calibration`` point (x, CCD) circled."""
    from lisse import plotstyle
    from lisse.solver.io import evolution_plots
    fig, ax = plotstyle.subplots(figsize=(10, 6.5))
    blue = plotstyle.OKABE_ITO[0]
    x = [r[x_key] for r in rows]
    if wide:
        ax.fill_between([r[x_key] for r in wide], [r["low"] for r in wide],
                        [r["high"] for r in wide], alpha=0.12, color=blue, hatch="//",
                        label="band: library ranges, ℓ_eff fixed")
    ax.fill_between(x, [r["low"] for r in rows], [r["high"] for r in rows], alpha=0.35,
                    color=blue, label=labels[0])
    ax.plot(x, [r["nominal"] for r in rows], "-" if len(x) > 8 else "o-", color=blue,
            label=labels[1])
    evolution_plots.measured_markers(ax, points)
    if calibration:
        evolution_plots.calibration_ring(ax, *calibration, "calibration point (ℓ_eff)")
    evolution_plots.ccd_axis(ax, x_key, title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    plotstyle.save(fig, path, formats=("png",))

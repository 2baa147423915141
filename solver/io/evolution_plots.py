"""Figures of an interface evolution and of CCD studies (lisse style: ``lisse.plotstyle``)."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter

from lisse import plotstyle
from lisse.units import A_M2_PER_MA_CM2, MV_PER_V, SECONDS_PER_HOUR

# (column of solver.studies.evolution.TIMESERIES_COLUMNS, factor to the plotted unit, label)
TIMESERIES_PANELS = (
    (2, MV_PER_V, "cell voltage [mV]"),
    (3, 1.0, "contact fraction [–]"),
    (6, 1.0, "hotspot factor [–]"),
)
CURRENT_COLUMN, HOTSPOT_COLUMN = 1, 6  # applied current density [mA/cm²], hotspot factor


def timeseries(path, table: np.ndarray, formats=plotstyle.FIGURE_FORMATS) -> None:
    """Cell voltage [mV], contact fraction and hotspot factor against time [h] (``table``:
    the columns of ``solver.studies.evolution.TIMESERIES_COLUMNS``, time in s, voltage in V)."""
    hours = table[:, 0] / SECONDS_PER_HOUR
    fig, axes = plotstyle.subplots(3, 1, figsize=(7, 8), sharex=True)
    for ax, (col, factor, label) in zip(axes, TIMESERIES_PANELS, strict=True):
        values = table[:, col] * factor
        if col == HOTSPOT_COLUMN:  # a rest (no current) has no hotspot: a gap, not a 0
            values = np.where(table[:, CURRENT_COLUMN] == 0, np.nan, values)
        ax.plot(hours, values, "-")
        ax.set_ylabel(label)
    axes[-1].set_xlabel("time [h]")
    axes[0].set_title("Interface evolution")
    plotstyle.save(fig, path, formats)


def interface(path, rows: np.ndarray, snapshots: list[tuple[str, float]],
              formats=plotstyle.FIGURE_FORMATS) -> None:
    """Gap (solid) and pore content (dashed, same colour) [µm] along the interface [µm] at
    each snapshot (label, time [s]) (2D cells; ``rows``: the columns of interface.csv)."""
    fig, ax = plotstyle.subplots(figsize=(8, 4.5))
    colours = plotstyle.colours(len(snapshots))
    for k, ((label, t), colour) in enumerate(zip(snapshots, colours, strict=True)):
        gap, pores = rows[:, 1 + 3 * k], rows[:, 2 + 3 * k]
        ax.plot(rows[:, 0], gap, color=colour,
                label=f"{label}, t = {t / SECONDS_PER_HOUR:.3g} h")
        ax.plot(rows[:, 0], pores, ls="--", color=colour)
    ax.plot([], [], "k-", label="gap")
    ax.plot([], [], "k--", label="pore content")
    ax.set_xlabel("position along the interface [µm]")
    ax.set_ylabel("gap, pore content [µm]")
    fig.legend(loc="outside lower center", ncol=3)  # beside the curves, never over them
    ax.set_title("Gap between Li and electrolyte")
    plotstyle.save(fig, path, formats)


def _two_and_five(value: float, _) -> str:
    """Minor tick label of a log axis: 2 and 5 times a power of ten, as plain numbers."""
    mantissa = value / 10 ** np.floor(np.log10(value))
    return f"{value:g}" if round(mantissa) in (2, 5) else ""


FAILURE_CLASSES = (  # words in a failure message (solver.physics.failure) → legend entry
    ("interface intact", "voltage cut-off, interface intact"),
    ("solver", "solver error"),
    ("contact", "contact loss"),
    ("divergence", "voltage divergence"),
    ("dV/dt", "voltage rate dV/dt"),
    ("voltage", "voltage cut-off"),
    ("void", "void growth"),
    ("lithium exhausted", "lithium exhausted"),  # not the interface's (li_exhaustion)
    ("time step collapsed", "time step collapsed"),
)


def failure_class(mode: str) -> str:
    """The kind of a failure message (``InterfaceEvolution`` outcome), for a legend."""
    for word, name in FAILURE_CLASSES:
        if word in mode:
            return name
    return mode or "not recorded"


def ccd_curve(path, values: list[float], ccd: list[float], brackets: list[tuple[float, float]],
              key: str, failure_modes: list[str] | None = None,
              measurements: list[tuple[float, float, str]] | None = None,
              formats=plotstyle.FIGURE_FORMATS) -> None:
    """Stripping CCD [mA/cm²] against one varied config ``key`` (axis labelled with its
    physical name and unit). The CCD is the highest current that survived; the search bracket
    [survived, failed] is the error bar; the failure mode at the failing current gives the
    marker (legend). ``measurements``: measured (value, ccd [mA/cm²], label) to compare."""
    fig, ax = plotstyle.subplots(figsize=(7, 4.5))
    x, lo = np.asarray(values, float), np.asarray(ccd, float)
    hi = np.array([b[1] for b in brackets], float)
    ax.errorbar(x, lo, yerr=[np.zeros_like(lo), hi - lo], fmt="-", color=plotstyle.OKABE_ITO[0],
                capsize=4, label="simulated CCD, bracket to first failure")
    modes = [failure_class(m) for m in failure_modes or [""] * len(x)]
    markers = "osD^v<>p"
    for k, mode in enumerate(dict.fromkeys(modes)):
        pick = np.array([m == mode for m in modes])
        ax.plot(x[pick], lo[pick], markers[k % len(markers)], color=plotstyle.OKABE_ITO[0],
                ms=8, ls="none", label=f"fails by: {mode}")
    measured_markers(ax, measurements or [])
    ccd_axis(ax, key, "Critical current density")
    ax.legend(loc="best")
    plotstyle.save(fig, path, formats)


def ccd_trials(path, trials: list[list], values: list[str], key: str | None,
               formats=plotstyle.FIGURE_FORMATS) -> None:
    """Every trial of CCD searches: the current density [mA/cm²] of each whole-simulation
    trial, filled circles where the interface survived, a marker per failure mode where it
    failed (legend), and the final bracket [highest survived, lowest failed] as a bar.

    ``trials``: per searched case, its ``ccd_search.Trial`` list (A/m²) in search order;
    ``values``: the value of the varied config ``key`` per case (None: one case, drawn
    against the trial number)."""
    fig, ax = plotstyle.subplots(figsize=(7, 4.5))
    seen: set[str] = set()
    markers = dict(zip((name for _, name in FAILURE_CLASSES), "XsD^Pph*d", strict=True))
    for case, (value, case_trials) in enumerate(zip(values, trials, strict=True)):
        j = np.array([t.current_density for t in case_trials]) / A_M2_PER_MA_CM2
        alive = np.array([t.survived for t in case_trials], bool)
        x = np.arange(1, len(j) + 1.0) if key is None else np.full(len(j), _number(value, case))
        passed, failed = j[alive], j[~alive]
        if passed.size and failed.size:  # the bracket the search ended with
            ax.plot([x[0], x[0]] if key else [0.5, len(j) + 0.5],
                    [passed.max(), failed.min()], color=plotstyle.GREY, lw=6, alpha=0.4,
                    solid_capstyle="butt", label=None if "bracket" in seen else "bracket")
            seen.add("bracket")
        ax.plot(x[alive], passed, "o", color=plotstyle.OKABE_ITO[0], ms=8, ls="none",
                label=None if "survived" in seen else "survived")
        seen.add("survived")
        for t, xi, ji in zip((t for t in case_trials if not t.survived), x[~alive], failed,
                             strict=True):
            mode = failure_class(t.failure_mode)
            ax.plot(xi, ji, markers.get(mode, "v"), color=plotstyle.OKABE_ITO[1], ms=9,
                    ls="none", label=None if mode in seen else f"failed: {mode}")
            seen.add(mode)
    if key is not None and any(_number(v, -1) == -1 and v != "-1" for v in values):
        ax.set_xticks(range(len(values)), values)  # values that are not numbers
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(_two_and_five))
    ax.set_xlabel("trial number [–]" if key is None else plotstyle.key_label(key))
    ax.set_ylabel("stripping current density [mA/cm²]")
    ax.grid(True, which="both")
    ax.legend(loc="best")
    ax.set_title("CCD search: whole-simulation trials")
    plotstyle.save(fig, path, formats)


def _number(value: str, index: int) -> float:
    """A varied value as a number for the x axis (its position if it is not one)."""
    try:
        return float(value)
    except ValueError:
        return float(index)


def ccd_models(path, key: str, models: dict[str, tuple[list, list, list]],
               measurements: list[tuple[float, float, str]],
               formats=plotstyle.FIGURE_FORMATS) -> None:
    """Stripping CCD [mA/cm²] of several interface models against one config ``key`` (axis
    with its physical name and unit), with the measurements. ``models``: label → (values,
    CCD, brackets (survived, failed)) in mA/cm², only the points the model could compute; the
    bracket is the error bar. ``measurements``: (value, CCD [mA/cm²], label)."""
    fig, ax = plotstyle.subplots(figsize=(7, 4.5))
    for k, (label, (values, ccd, brackets)) in enumerate(models.items()):
        lo = np.asarray(ccd, float)
        hi = np.array([b[1] for b in brackets], float)
        ax.errorbar(np.asarray(values, float), lo, yerr=[np.zeros_like(lo), hi - lo],
                    fmt="os"[k % 2] + "-", ms=7, capsize=4, color=plotstyle.OKABE_ITO[k],
                    label=f"predicted, {label}")
    measured_markers(ax, measurements, first_colour=2)
    ccd_axis(ax, key, "Critical current density: reduced and coupled interface models")
    ax.legend(loc="best")
    plotstyle.save(fig, path, formats)


MEASURED_MARKERS = ("*", "D", "s", "^", "v", "P")


def ccd_axis(ax, key: str, title: str) -> None:
    """The CCD axes of every CCD figure: log CCD [mA/cm²] with plain tick labels (0.1, not
    10⁻¹; 2 and 5 between decades) against the config ``key`` (its name and unit)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(_two_and_five))
    ax.set_xlabel(plotstyle.key_label(key))
    ax.set_ylabel("stripping CCD [mA/cm²]")
    ax.grid(True, which="both")
    ax.set_title(title)


def measured_markers(ax, points: list[tuple[float, float, str]], first_colour: int = 1) -> None:
    """Measured CCDs (x, CCD [mA/cm²], source label): one marker, colour and legend entry per
    source, the later sources' markers smaller so that coinciding points stay visible."""
    for k, label in enumerate(dict.fromkeys(lab for _, _, lab in points)):
        pts = [(x, ccd) for x, ccd, lab in points if lab == label]
        ax.plot([x for x, _ in pts], [c for _, c in pts], MEASURED_MARKERS[k % 6],
                ms=16 if k == 0 else 9, ls="none", mec="k", mew=0.8,
                color=plotstyle.OKABE_ITO[(first_colour + k) % 7], label=f"measured: {label}")


def calibration_ring(ax, x: float, ccd: float, label: str) -> None:
    """Circle the calibration point (x, CCD [mA/cm²]); ``label`` names what it fits."""
    ax.plot(x, ccd, "o", ms=22, mfc="none", mec="k", mew=2, ls="none", label=label)


def ccd_prediction(path, title: str, curves: dict[str, tuple[list, list]],
                   measurements: list[tuple[float, float, str]],
                   brackets: dict[str, tuple[list, list, list]] | None = None,
                   calibration: tuple[float, float, str] | None = None,
                   key: str = "evolution.stack_pressure_MPa", formats=("png",)) -> None:
    """A predicted CCD [mA/cm²] against the config ``key`` beside the measurements, for a
    talk: ``curves`` label → (x, CCD) drawn as lines (a closed form); ``brackets`` label →
    (x, CCD, failing current) of searches, the CCD a point and the bracket [CCD, failing) its
    error bar; ``measurements`` (x, CCD, source); ``calibration`` (x, CCD, label) circled."""
    fig, ax = plotstyle.subplots(figsize=(9, 6.5))
    for k, (label, (x, ccd)) in enumerate(curves.items()):
        ax.plot(x, ccd, ("-", "--", ":")[k % 3], color=plotstyle.OKABE_ITO[0], label=label)
    for k, (label, (x, ccd, failing)) in enumerate((brackets or {}).items()):
        lo = np.asarray(ccd, float)
        ax.errorbar(np.asarray(x, float), lo, yerr=[np.zeros_like(lo), np.asarray(failing) - lo],
                    fmt="os^"[k % 3], ms=6, capsize=8, elinewidth=2, capthick=2, zorder=5,
                    color=plotstyle.OKABE_ITO[(4, 6, 5)[k % 3]], label=label)  # over the points
    measured_markers(ax, measurements)
    if calibration:
        calibration_ring(ax, *calibration)
    ccd_axis(ax, key, title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    plotstyle.save(fig, path, formats)

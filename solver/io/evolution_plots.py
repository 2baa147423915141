"""PNG plots of an interface evolution and of CCD studies (matplotlib, Agg)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def timeseries(path, table: np.ndarray) -> None:
    """Cell voltage, contact fraction and hotspot factor against time (columns of
    ``solver.studies.evolution.TIMESERIES_COLUMNS``)."""
    hours = table[:, 0] / 3600
    fig, axes = plt.subplots(3, 1, figsize=(7, 7), sharex=True, layout="constrained")
    for ax, col, label in zip(axes, (2, 3, 6), ("cell voltage (V)", "contact fraction",
                                                "hotspot factor"), strict=True):
        ax.plot(hours, table[:, col], "-", lw=1.3)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (h)")
    axes[0].set_title("Interface evolution")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def interface(path, rows: np.ndarray, snapshots: list[tuple[str, float]]) -> None:
    """Gap (solid) and pore content (dashed, same colour) along the interface at each
    snapshot (label, time [s]) (2D cells)."""
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(snapshots)))
    for k, ((label, t), colour) in enumerate(zip(snapshots, colours, strict=True)):
        gap, pores = rows[:, 1 + 3 * k], rows[:, 2 + 3 * k]
        ax.plot(rows[:, 0], gap, lw=1.2, color=colour, label=f"{label}, t = {t / 3600:.3g} h")
        ax.plot(rows[:, 0], pores, ls="--", lw=1.0, color=colour)
    ax.set_xlabel("position along the interface (µm)")
    ax.set_ylabel("µm")
    ax.legend(fontsize=8)
    ax.set_title("Gap between Li and electrolyte")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def ccd_curve(path, values: list[float], ccd: list[float], brackets: list[tuple[float, float]],
              label: str) -> None:
    """CCD [mA/cm²] against one varied parameter, with the search brackets as error bars."""
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    lo = np.array(ccd)
    hi = np.array([b[1] for b in brackets])
    ax.errorbar(values, lo, yerr=[np.zeros_like(lo), hi - lo], fmt="o-", capsize=3)
    ax.set_yscale("log")
    ax.set_xlabel(label)
    ax.set_ylabel("stripping CCD (mA/cm²)")
    ax.grid(alpha=0.3, which="both")
    fig.savefig(path, dpi=130)
    plt.close(fig)

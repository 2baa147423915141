"""The figures of ``lisse report`` (PNG, the project's plot style): time series, metrics
against the varied parameters of a sweep, interface current profiles and histories."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lisse import plotstyle
from lisse.units import A_M2_PER_MA_CM2, SECONDS_PER_HOUR

FIGSIZE = (6.4, 4.0)  # inches
DPI = 100
METRICS = ("hotspot_factor", "asr_total_ohm_cm2", "asr_constriction_ohm_cm2", "cell_voltage_V")
MAX_LINES = 8  # more combinations of the other parameters: points, no lines
MAX_PROFILES = 12


def timeseries_figure(path: Path, out: Path) -> Path | None:
    """Cell voltage [V] and contact fraction against time [h] of an evolution run."""
    with open(path, newline="") as fh:
        table = list(csv.DictReader(fh))
    if not table:
        return None
    t = [float(row["time_s"]) / SECONDS_PER_HOUR for row in table]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=FIGSIZE, dpi=DPI, layout="constrained",
                                      sharex=True)
    top.plot(t, [float(row["cell_voltage_V"]) for row in table], lw=1.2)
    top.set(ylabel="cell voltage (V)", title="Evolution run")
    bottom.plot(t, [float(row["contact_fraction"]) for row in table], lw=1.2)
    bottom.set(xlabel="time (h)", ylabel="contact fraction")
    return save(fig, out / "timeseries.png")


def metric_names(rows: list[dict]) -> list[str]:
    """The headline metrics present, and any critical current density column (``ccd_*``)."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [m for m in METRICS if m in keys] + [k for k in keys if k.startswith("ccd")]


def versus(ax, rows: list[dict], param: str, metric: str, others: list[str]) -> None:
    """``metric`` against ``param``: a line per combination of the other parameters."""
    groups = sorted({tuple(fmt(r.get(o)) for o in others) for r in rows})
    lines = len(groups) <= MAX_LINES
    for group in groups:
        members = [r for r in rows if tuple(fmt(r.get(o)) for o in others) == group]
        pts = sorted((number(r[param]), number(r.get(metric))) for r in members)
        pts = [p for p in pts if None not in p]
        label = ", ".join(f"{short(o)}={g}" for o, g in zip(others, group, strict=True))
        ax.plot(
            *zip(*pts, strict=True),
            "o-" if lines else "o",
            ms=4,
            lw=1.2,
            label=label if lines and label else None,
        )
    ax.set(xlabel=short(param), ylabel=metric, title=f"{metric} against {short(param)}")
    if lines and others:
        ax.legend(fontsize=7)


def profiles_figure(results: Path, rows: list[dict], params: list[str], out: Path) -> Path | None:
    """Local interface current density of up to ``MAX_PROFILES`` cases (2D cases only)."""
    fig, ax = figure()
    drawn = 0
    for r in rows[:MAX_PROFILES]:
        table = read_csv(results / "cases" / r["case_id"] / "interface.csv")
        if table and len(table[0]) == 4:
            label = ", ".join(f"{short(p)}={fmt(r.get(p))}" for p in params)
            draw_profile(ax, table, label)
            drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    ax.legend(fontsize=6, ncol=2)
    return save(fig, out / "interface_profiles.png")


def histories_figure(results: Path, rows: list[dict], params: list[str], out: Path) -> Path | None:
    """Contact fraction against time of up to ``MAX_PROFILES`` cases with a protocol
    (their ``timeseries.csv``; failed runs that wrote one included)."""
    fig, ax = figure()
    drawn = 0
    for r in rows[:MAX_PROFILES]:
        path = results / "cases" / r["case_id"] / "timeseries.csv"
        if not path.exists():
            continue
        with open(path, newline="") as fh:
            table = list(csv.DictReader(fh))
        if not table:
            continue
        t = [float(row["time_s"]) / SECONDS_PER_HOUR for row in table]
        f = [float(row["contact_fraction"]) for row in table]
        label = ", ".join(f"{short(p)}={fmt(r.get(p))}" for p in params)
        ax.plot(t, f, lw=1.0, label=label)
        drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    ax.set(
        xlabel="time (h)", ylabel="contact fraction", title="Interface contact during the protocol"
    )
    ax.legend(fontsize=6, ncol=2)
    return save(fig, out / "contact_fraction-vs-time.png")


def draw_profile(ax, table: list[list[float]], label: str) -> None:
    data = np.array(table)
    x, j, contact = data[:, 0], data[:, 2] / A_M2_PER_MA_CM2, data[:, 3] > 0.5
    ax.plot(x, np.where(contact, j, np.nan), lw=1.0, label=label)
    ax.set(
        xlabel="position along the interface (µm)",
        ylabel="current density (mA/cm²)",
        title="Interface current density (gaps: voids)",
    )


def figure():
    return plotstyle.subplots(figsize=FIGSIZE)


def save(fig, path: Path) -> Path:
    return plotstyle.save(fig, path, ("png",), dpi=DPI)[0]


def read_csv(path: Path) -> list[list[float]] | None:
    if not path.exists():
        return None
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return [[float(v) for v in row] for row in rows]


def number(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def short(path: str) -> str:
    return path.rsplit(".", 1)[-1] if not path.rsplit(".", 1)[-1].isdigit() else path


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")

def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value)
    return "" if value is None else str(value)


DIGITS = 4  # significant digits of the numbers shown


def rounded(value):
    """``value`` rounded to ``DIGITS`` significant digits (numbers only)."""
    if isinstance(value, float) and np.isfinite(value) and value != 0:
        return float(f"{value:.{DIGITS}g}")
    return value

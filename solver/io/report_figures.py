"""The figures of ``lisse report`` (the project's plot style, PNG embedded in the page and
the default vector format beside it): time series, metrics against the varied parameters of
a sweep, interface current profiles and histories. Axes carry physical names with units
(``label``), never raw column names."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lisse import plotstyle
from lisse.units import A_M2_PER_MA_CM2, MV_PER_V, SECONDS_PER_HOUR, split_key

FIGSIZE = (6.4, 4.0)  # inches
CASES_FIGSIZE = (9.6, 4.8)  # a line per case, the legend beside the axes
DPI = 100
METRICS = ("hotspot_factor", "asr_total_ohm_cm2", "asr_constriction_ohm_cm2", "cell_voltage_V")
MAX_LINES = 8  # more combinations of the other parameters: points, no lines
MAX_PROFILES = 12
# column → (axis label, factor from the column's unit to the plotted one); other columns:
# their physical name and unit from the column name (``plotstyle.key_label``)
LABELS = {
    "cell_voltage_V": ("cell voltage [mV]", MV_PER_V),
    "asr_total_ohm_cm2": ("total ASR [Ω cm²]", 1.0),
    "asr_constriction_ohm_cm2": ("constriction ASR [Ω cm²]", 1.0),
    "ccd_mA_cm2": ("stripping CCD [mA/cm²]", 1.0),
}


def label(column: str) -> str:
    """Axis label of a column or varied config path: physical name [unit]."""
    return LABELS[column][0] if column in LABELS else plotstyle.key_label(column)


def factor(column: str) -> float:
    """Factor from a column's unit to the unit of its axis (V → mV)."""
    return LABELS[column][1] if column in LABELS else 1.0


def legend_entry(column: str, value) -> str:
    """``"radius = 5 µm"`` of a varied path and its value."""
    name = split_key(column)[0]
    return f"{name} = {value_entry(column, value)}"


def value_entry(column: str, value) -> str:
    """``"5 µm"``: a value of a varied path with its unit."""
    unit = split_key(column)[1]
    return fmt(value) + ("" if unit == "–" else f" {unit}")


def line_style(n: int) -> dict:
    """Colour and dash of the ``n``-th line of a figure with a line per case: the colours
    in order, then again dashed, then dotted (past 7 lines colours alone repeated)."""
    colours = plotstyle.OKABE_ITO
    return {"color": colours[n % len(colours)], "ls": ("-", "--", ":")[n // len(colours) % 3]}


def case_legend(fig, params: list[str]) -> None:
    """The legend of one line per case beside the axes: values only, the parameters named
    in its title."""
    fig.legend(loc="outside right upper", title=", ".join(split_key(p)[0] for p in params))


def timeseries_figure(path: Path, out: Path) -> Path | None:
    """Cell voltage [mV] and contact fraction against time [h] of an evolution run."""
    with open(path, newline="") as fh:
        table = list(csv.DictReader(fh))
    if not table:
        return None
    t = [float(row["time_s"]) / SECONDS_PER_HOUR for row in table]
    fig, (top, bottom) = plotstyle.subplots(2, 1, figsize=(FIGSIZE[0], 1.5 * FIGSIZE[1]),
                                            sharex=True)
    top.plot(t, [float(row["cell_voltage_V"]) * MV_PER_V for row in table])
    top.set(ylabel="cell voltage [mV]", title="Evolution run")
    bottom.plot(t, [float(row["contact_fraction"]) for row in table])
    bottom.set(xlabel="time [h]", ylabel="contact fraction [–]")
    return save(fig, out / "timeseries.png")


def metric_names(rows: list[dict]) -> list[str]:
    """The headline metrics present, and any critical current density column (``ccd_*``)."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [m for m in METRICS if m in keys] + [k for k in keys if k.startswith("ccd")]


def versus(ax, rows: list[dict], param: str, metric: str, others: list[str]) -> None:
    """``metric`` against ``param``: a line per combination of the other parameters."""
    groups = sorted({tuple(fmt(r.get(o)) for o in others) for r in rows})
    lines = len(groups) <= MAX_LINES
    for n, group in enumerate(groups):
        members = [r for r in rows if tuple(fmt(r.get(o)) for o in others) == group]
        pts = sorted((number(r[param]), number(r.get(metric))) for r in members)
        pts = [(x, y * factor(metric)) for x, y in pts if None not in (x, y)]
        entry = ", ".join(legend_entry(o, g) for o, g in zip(others, group, strict=True))
        style = line_style(n) | ({} if lines else {"ls": "none"})  # points only: no lines
        ax.plot(*zip(*pts, strict=True), marker="o", **style,
                label=entry if lines and entry else None)
    ax.set(xlabel=label(param), ylabel=label(metric))
    ax.set_title(f"{label(metric).split(' [')[0]} against {label(param).split(' [')[0]}")
    if lines and others:
        ax.legend()


def metric_figures(rows: list[dict], params: list[str], metrics: list[str],
                   out: Path) -> list[Path]:
    """Each metric against each varied parameter with more than one numeric value."""
    figures = []
    numeric = [p for p in params if len({number(r[p]) for r in rows} - {None}) > 1]
    for metric in metrics:
        for param in numeric:
            fig, ax = figure()
            versus(ax, rows, param, metric, [p for p in params if p != param])
            figures.append(save(fig, out / f"{slug(metric)}-vs-{slug(param)}.png"))
    return figures


def hotspot_figure(rows: list[dict], out: Path) -> Path:
    """Hotspot factor against contact fraction of the finished cases of a sweep."""
    fig, ax = figure()
    ax.plot([r["contact_fraction"] for r in rows], [r["hotspot_factor"] for r in rows], "o")
    ax.set(xlabel="contact fraction [–]", ylabel="hotspot factor [–]",
           title="Hotspot factor against contact fraction")
    return save(fig, out / "hotspot_factor-vs-contact_fraction.png")


def profile_figure(table: list[list[float]], mean: float, out: Path) -> Path:
    """The local current density [mA/cm²] along a 2D interface (interface.csv rows) with
    the mean over the contact ``mean`` [A/m²] dashed."""
    fig, ax = figure()
    draw_profile(ax, table, "local")
    plotstyle.flat_from_zero(ax, [row[2] / A_M2_PER_MA_CM2 for row in table if row[3] > 0.5])
    ax.axhline(mean / A_M2_PER_MA_CM2, color="k", ls="--", label="mean over contact")
    ax.legend()
    return save(fig, out / "interface_profile.png")


def profiles_figure(results: Path, rows: list[dict], params: list[str], out: Path) -> Path | None:
    """Local interface current density of up to ``MAX_PROFILES`` cases (2D cases only)."""
    fig, ax = figure(CASES_FIGSIZE)
    drawn = 0
    for r in rows[:MAX_PROFILES]:
        table = read_csv(results / "cases" / r["case_id"] / "interface.csv")
        if table and len(table[0]) == 4:
            draw_profile(ax, table, ", ".join(value_entry(p, r.get(p)) for p in params),
                         **line_style(drawn))
            drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    case_legend(fig, params)
    return save(fig, out / "interface_profiles.png")


def histories_figure(results: Path, rows: list[dict], params: list[str], out: Path) -> Path | None:
    """Contact fraction against time of up to ``MAX_PROFILES`` cases with a protocol
    (their ``timeseries.csv``; failed runs that wrote one included)."""
    fig, ax = figure(CASES_FIGSIZE)
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
        ax.plot(t, f, label=", ".join(value_entry(p, r.get(p)) for p in params),
                **line_style(drawn))
        drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    ax.set(xlabel="time [h]", ylabel="contact fraction [–]",
           title="Interface contact during the protocol")
    case_legend(fig, params)
    return save(fig, out / "contact_fraction-vs-time.png")


def draw_profile(ax, table: list[list[float]], label: str, **style) -> None:
    data = np.array(table)
    x, j, contact = data[:, 0], data[:, 2] / A_M2_PER_MA_CM2, data[:, 3] > 0.5
    ax.plot(x, np.where(contact, j, np.nan), label=label, **style)
    ax.set(
        xlabel="position along the interface [µm]",
        ylabel="current density [mA/cm²]",
        title="Interface current density (gaps: voids)",
    )


def figure(size: tuple[float, float] = FIGSIZE):
    return plotstyle.subplots(figsize=size)


def save(fig, path: Path) -> Path:
    """Write ``fig`` as PNG (embedded in the report) and the default vector format; returns
    the PNG."""
    return plotstyle.save(fig, path, plotstyle.FIGURE_FORMATS, dpi=DPI)[0]


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


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value)
    if isinstance(value, dict):  # interface_profile_times_s: "initial 0, t1 103.6, ..."
        return ", ".join(f"{k} {fmt(rounded(v))}" for k, v in value.items())
    return "" if value is None else str(value)


DIGITS = 4  # significant digits of the numbers shown


def rounded(value):
    """``value`` rounded to ``DIGITS`` significant digits (numbers only)."""
    if isinstance(value, float) and np.isfinite(value) and value != 0:
        return float(f"{value:.{DIGITS}g}")
    return value

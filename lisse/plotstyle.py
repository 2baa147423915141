"""The one matplotlib style of lisse and the helper that writes every figure.

Every figure lisse writes is made with :func:`subplots` and written with :func:`save`:

* readable at slide size: text ≥ 12 pt and lines 2 pt at the saved size (figures are saved
  at their own size, so a 7 × 4.5 in figure shown full-width on a slide keeps these sizes);
* colour-blind safe: the Okabe–Ito cycle for lines, ``cividis``/``viridis`` for maps;
* labels name the physical quantity and carry the unit in square brackets at the end,
  ``"cell voltage [mV]"``; dimensionless quantities carry ``[–]``
  (``tests/unit/test_figures.py`` enforces it); :func:`key_label` makes such a label from a
  config key (``evolution.stack_pressure_MPa`` → ``"stack pressure [MPa]"``);
* each figure is written as PNG (always, for reports) and in the vector formats of
  ``output.figure_formats`` (default PDF) next to it.

The style is applied to matplotlib's global ``rcParams`` the first time :func:`subplots` is
called (lisse draws with the Agg backend in its own processes).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from cycler import cycler  # noqa: E402

from lisse.units import split_key  # noqa: E402

# Okabe & Ito (2008), "Color universal design": distinguishable with every common colour
# vision deficiency
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
SEQUENTIAL = "cividis"  # maps of one material / quantity
SEQUENTIAL_SECOND = "viridis"  # the second material of a two-material map
GREY = "0.55"
FIGURE_FORMATS = ("png", "pdf")  # default of output.figure_formats
SUPPORTED_FORMATS = ("png", "pdf", "svg")
DPI = 150  # PNG resolution [dots per inch]
MIN_FONT_PT = 12.0
UNIFORM = 1e-8  # a spread below this fraction of the peak is round-off (is_uniform)

STYLE = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 14,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "figure.titlesize": 15,
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    "axes.linewidth": 1.2,
    "xtick.major.width": 1.2,
    "ytick.major.width": 1.2,
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.8,
    "image.cmap": SEQUENTIAL,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "pdf.fonttype": 42,  # TrueType in PDF: editable text in Illustrator/Inkscape
    "svg.fonttype": "none",
}

_recorders: list[list] = []


def use() -> None:
    """Apply the lisse style to matplotlib's rcParams."""
    matplotlib.rcParams.update(STYLE)


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``plt.subplots`` in the lisse style with constrained (tight) layout."""
    use()
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, **kwargs)


def map_size(width: float, height: float, inches: float = 8.0, bars: int = 1) -> tuple:
    """Figure size [in] of an equal-aspect map of ``width`` × ``height`` (any one unit) with
    ``bars`` colourbars beside it, ``inches`` wide: the colourbars then span the map, not the
    empty space above and below it."""
    plot_width = inches - 1.2 - 1.3 * bars  # y label and ticks; each colourbar with label
    return inches, min(max(plot_width * height / width + 1.4, 3.0), 9.0)


def colours(n: int) -> list:
    """``n`` colours of an ordered series (snapshots in time): steps through ``viridis``."""
    return [matplotlib.colormaps[SEQUENTIAL_SECOND](k / max(n - 1, 1) * 0.9) for k in range(n)]


def key_label(key: str) -> str:
    """Axis label of a config key or column name: ``"protocol.current_density_mA_cm2"`` →
    ``"current density [mA/cm²]"``."""
    name, unit = split_key(key)
    return f"{name} [{unit}]"


def is_uniform(values) -> bool:
    """Whether ``values`` are one number up to round-off (spread ≤ ``UNIFORM`` of the peak):
    the current of a cell without voids."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return values.size > 0 and np.ptp(values) <= UNIFORM * np.abs(values).max()


def flat_from_zero(ax, values) -> None:
    """The y axis of a line plot: from 0 when ``values`` are uniform up to round-off (else
    matplotlib magnifies the round-off under an offset such as "1e−12+5e−1"), and never an
    offset beside a unit in the label."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if is_uniform(values):
        peak = float(values[np.abs(values).argmax()])
        ax.set_ylim(*sorted((0.0, 1.2 * peak or 1.0)))
    ax.ticklabel_format(axis="y", useOffset=False)


def save(fig, path, formats=FIGURE_FORMATS, dpi: float = DPI) -> list[Path]:
    """Write ``fig`` as ``path`` with the suffix of each format (PNG always) and close it.

    ``dpi``: PNG resolution [dots per inch]. Returns the files written, the PNG first."""
    path = Path(path)
    written = []
    for fmt in dict.fromkeys(("png", *formats)):
        if fmt not in SUPPORTED_FORMATS:
            raise ValueError(f"figure format {fmt!r}: expected one of {SUPPORTED_FORMATS}")
        target = path.with_suffix(f".{fmt}")
        fig.savefig(target, dpi=dpi)
        written.append(target)
    for recorder in _recorders:
        recorder.append((fig, written))
    plt.close(fig)
    return written


@contextlib.contextmanager
def record():
    """Collect ``(figure, files)`` of every figure saved inside the block (tests, docs)."""
    saved: list = []
    _recorders.append(saved)
    try:
        yield saved
    finally:
        _recorders.remove(saved)

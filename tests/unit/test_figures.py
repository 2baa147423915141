"""Every figure lisse writes, drawn from small synthetic data (no FEM): labels name the
physical quantity with its unit in square brackets (``lisse.plotstyle``), never a raw config
key; text is ≥ 12 pt at the saved size; PNG and the vector format are written.

With ``LISSE_WRITE_DOCS=1`` the PNGs are also copied, small, to ``docs/figures/`` as the
thumbnails of ``docs/figures.md``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib.text
import meshio
import numpy as np
import pytest

from lisse import plotstyle
from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS
from lisse.units import split_key

ROOT = Path(__file__).resolve().parents[2]
UNIT = re.compile(r"\S \[[^\[\]]+\]$")  # "... [unit]" at the end
SNAKE = re.compile(r"\b[A-Za-z]+_[A-Za-z0-9_]+\b")  # current_density_mA_cm2, time_s
ALLOWED_SNAKE = {"k_J", "j_far", "v_far", "v_centre"}  # symbols with subscripts

N = 41
X = np.linspace(0.0, 50e-6, N)  # m
CONTACT = np.abs(X - 25e-6) > 8e-6


def _triangles(y0: float, y1: float, n: int = 6) -> np.ndarray:
    """Triangle vertex coordinates (m, (k, 3, 2)) tiling [0, 50 µm] x [y0, y1]."""
    xs, ys = np.linspace(0, 50e-6, n + 1), np.linspace(y0, y1, n + 1)
    tri = []
    for i in range(n):
        for k in range(n):
            a, b = (xs[i], ys[k]), (xs[i + 1], ys[k])
            c, d = (xs[i + 1], ys[k + 1]), (xs[i], ys[k + 1])
            tri += [[a, b, c], [a, c, d]]
    return np.array(tri)


def _mesh(path: Path) -> None:
    """A two-triangle-per-layer gmsh file: electrolyte below y = 0, Li above, the contact
    facet on [0, 20] µm (metres)."""
    points = np.array([[0, -10, 0], [50, -10, 0], [50, 0, 0], [0, 0, 0], [50, 10, 0],
                       [0, 10, 0], [20, 0, 0]], float) * 1e-6
    triangles = np.array([[0, 1, 2], [0, 2, 3], [3, 2, 4], [3, 4, 5]])
    meshio.write(
        path,
        meshio.Mesh(points, [("triangle", triangles), ("line", np.array([[3, 6]]))],
                    cell_data={"gmsh:physical": [np.array([CELL_TAGS["electrolyte"]] * 2
                                                          + [CELL_TAGS["lithium"]] * 2),
                                                 np.array([FACET_TAGS["contact"]])],
                               "gmsh:geometrical": [np.zeros(4, int), np.zeros(1, int)]}),
        file_format="gmsh22",
        binary=False,
    )


def _draw_all(out: Path) -> dict[str, str]:
    """Draw every figure into ``out``; returns file name → what it shows."""
    from lisse.meshes.picture import mesh_picture
    from lisse.solver.io import evolution_plots, mechanics_plots, plots
    from lisse.solver.studies.patch import centre_velocity, flux_concentration

    shown = {}
    j = np.where(CONTACT, 20.0 + 5e6 * np.abs(X - 25e-6), 0.0)  # A/m²
    plots.interface_profile(out / "interface_current.png", np.column_stack([X, 0 * X]), j,
                            CONTACT, 2, j[CONTACT].mean(), False)
    shown["interface_current.png"] = "run: local current density along a 2D interface"
    xy = np.column_stack([np.tile(X, N), np.repeat(X, N)])
    contact_3d = np.hypot(xy[:, 0] - 25e-6, xy[:, 1] - 25e-6) > 10e-6
    plots.interface_profile(out / "interface_current_3d.png", xy,
                            np.where(contact_3d, 15.0, 0.0), contact_3d, 3, 15.0, False)
    shown["interface_current_3d.png"] = "run (3D): current density map of the interface plane"
    tri = _triangles(-30e-6, 0.0)
    plots.current_field(out / "current_field.png", tri, 10 + 1e6 * tri[:, :, 0].mean(axis=1),
                        20e-6, True)
    shown["current_field.png"] = "run (2D): |i| in the electrolyte near the interface"

    t = np.linspace(0, 7200, 30)
    table = np.zeros((30, 7))
    table[:, 0], table[:, 2] = t, 0.01 + 0.02 * t / 7200  # s, V
    table[:, 3], table[:, 6] = 0.9 - 0.3 * t / 7200, 1 + t / 7200
    evolution_plots.timeseries(out / "timeseries.png", table)
    shown["timeseries.png"] = "evolution: cell voltage, contact fraction, hotspot factor"
    rows = np.column_stack([X * 1e6] + [c for k in range(3) for c in
                                        (0.1 * k * ~CONTACT, 0.05 * k * ~CONTACT, CONTACT)])
    evolution_plots.interface(out / "interface_evolution.png", rows,
                              [("initial", 0.0), ("t1", 1800.0), ("final", 3600.0)])
    shown["interface_evolution.png"] = "evolution: gap and pore content along the interface"
    evolution_plots.ccd_curve(
        out / "ccd.png", [0.5, 1, 3, 7], [0.2, 0.4, 1.1, 2.0],
        [(0.2, 0.25), (0.4, 0.45), (1.1, 1.2), (2.0, 2.2)], "evolution.stack_pressure_MPa",
        ["contact fraction 0.08 fell below 0.1", "contact fraction 0.09 fell below 0.1",
         "cell voltage 1.2 V beyond the 1 V cut-off", "void growth ran away"],
        measurements=[(3.0, 1.0, "Kasemchainan 2019"), (7.0, 2.4, "own cell")])
    shown["ccd.png"] = ("ccd --vary: CCD with search brackets, failure modes, measurements")

    pressure = np.column_stack([X * 1e6, ~CONTACT, 0.2 * ~CONTACT, 1 + CONTACT * 2.0])
    mechanics_plots.interface_pressure(out / "contact_pressure.png", pressure, 2, 1.0)
    shown["contact_pressure.png"] = "mechanics: contact pressure and roof gap"
    mechanics_plots.history(out / "contact_fraction.png",
                            np.array([[0, 0.6], [0.01, 0.62], [1, 0.7], [100, 0.8]]))
    shown["contact_fraction.png"] = "mechanics: contact fraction during the pressure hold"
    both = np.concatenate([_triangles(-20e-6, 0.0), _triangles(0.0, 20e-6)])
    stress = np.where(both[:, :, 1].mean(axis=1) > 0, 0.8e6, 50e6)  # Pa
    mechanics_plots.stress_field(out / "stress_field.png", both, stress, 20e-6, False)
    shown["stress_field.png"] = "mechanics: von Mises stress, one scale per material"

    _mesh(out / "mesh.msh")
    mesh_picture(out / "mesh.msh", out / "mesh.png", SimpleNamespace(gdim=2, dimension="plane"))
    shown["mesh.png"] = "lisse mesh: regions and the bonded contact, to scale"
    results = [SimpleNamespace(abar=a, k_J=1 + 1 / a, contact=c, n=n, v_ratio=1 - n * a / 10)
               for a in (0.1, 1, 10) for c in ("bonded", "sliding") for n in (1, 6.67)]
    flux_concentration(out / "flux_concentration.png", results)
    shown["flux_concentration.png"] = "patch study: flux concentration at the patch edge"
    centre_velocity(out / "centre_velocity.png", results)
    shown["centre_velocity.png"] = "patch study: centre velocity ratio, opening criterion"
    return shown


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    with plotstyle.record() as saved:
        shown = _draw_all(out)
    return out, shown, saved


def _labels(fig) -> list[str]:
    """The labels every axis of ``fig`` must carry: the y label of each colourbar; the x and
    y labels of each ordinary axes, except where an axes sharing that axis (a panel of
    ``sharex``/``sharey``, a twin) carries it."""
    labels = []
    for ax in fig.axes:
        if _is_colorbar(ax):
            labels.append(ax.get_ylabel())
            continue
        for name in ("x", "y"):
            label = getattr(ax, f"get_{name}label")()
            shared = getattr(ax, f"get_shared_{name}_axes")().get_siblings(ax)
            if label or not any(getattr(s, f"get_{name}label")() for s in shared):
                labels.append(label)
    return labels


def _is_colorbar(ax) -> bool:
    return hasattr(ax, "_colorbar")


def test_every_label_is_physical_with_unit(drawn):
    _, shown, saved = drawn
    assert len(saved) == len(shown)
    for fig, files in saved:
        fig.canvas.draw()
        for label in _labels(fig):
            where = f"{files[0].name}: {label!r}"
            assert label.strip(), f"{files[0].name}: an axis without a label"
            assert UNIT.search(label), f"{where}: no unit in [..] at the end"
            raw = set(SNAKE.findall(label)) - ALLOWED_SNAKE
            assert not raw, f"{where}: raw config key {raw}"


def test_text_readable_at_slide_size(drawn):
    _, _, saved = drawn
    for fig, files in saved:
        for text in fig.findobj(matplotlib.text.Text):
            if text.get_visible() and text.get_text().strip():
                assert text.get_fontsize() >= plotstyle.MIN_FONT_PT, (
                    f"{files[0].name}: {text.get_text()!r} at {text.get_fontsize()} pt")


def test_png_and_vector_written(drawn):
    out, shown, saved = drawn
    for name in shown:
        for fmt in plotstyle.FIGURE_FORMATS:
            path = (out / name).with_suffix(f".{fmt}")
            assert path.stat().st_size > 1000, path
    assert (out / "ccd.pdf").read_bytes().startswith(b"%PDF")
    if os.environ.get("LISSE_WRITE_DOCS") == "1":
        _thumbnails(out, shown)


def test_stress_has_one_colour_scale_per_material(drawn):
    _, _, saved = drawn
    fig = next(f for f, files in saved if files[0].name == "stress_field.png")
    bars = sorted(a.get_ylabel() for a in fig.axes if _is_colorbar(a))
    assert bars == ["von Mises stress, Li [MPa]", "von Mises stress, electrolyte [MPa]"]
    limits = sorted(round(a.get_ylim()[1], 3) for a in fig.axes if _is_colorbar(a))
    assert limits == [0.8, 50.0]  # each material clipped at its own 99.5th percentile, MPa


def test_ccd_legend_has_failure_modes_and_measurements(drawn):
    _, _, saved = drawn
    fig = next(f for f, files in saved if files[0].name == "ccd.png")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "fails by: contact loss" in legend
    assert "fails by: voltage cut-off" in legend
    assert "fails by: void growth" in legend
    assert "measured: Kasemchainan 2019" in legend
    assert fig.axes[0].get_xlabel() == "stack pressure [MPa]"


@pytest.mark.parametrize(
    ("key", "expected"),
    [("protocol.current_density_mA_cm2", ("current density", "mA/cm²")),
     ("temperature_C", ("temperature", "°C")),
     ("evolution.ccd.capacity_mAh_cm2", ("capacity", "mAh/cm²")),
     ("geometry.random_voids.contact_fraction", ("contact fraction", "–")),
     ("time_s", ("time", "s"))],
)
def test_split_key(key, expected):
    assert split_key(key) == expected


def test_unknown_format_refused(tmp_path):
    fig, _ = plotstyle.subplots()
    with pytest.raises(ValueError, match="eps"):
        plotstyle.save(fig, tmp_path / "a.png", ("png", "eps"))


def _thumbnails(out: Path, shown: dict[str, str]) -> None:
    """docs/figures/<name>.png at 60 dpi and the table of docs/figures.md."""
    import matplotlib.image

    docs = ROOT / "docs" / "figures"
    docs.mkdir(exist_ok=True)
    for name in shown:
        matplotlib.image.thumbnail(out / name, docs / name, scale=0.3)

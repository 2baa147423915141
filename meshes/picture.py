"""Picture of a cell mesh to scale (µm): regions coloured, the bonded contact highlighted
(lisse style: ``lisse.plotstyle``; colours from the Okabe–Ito palette)."""

from __future__ import annotations

import os

import meshio
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.patches import Patch

from lisse import plotstyle
from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS, CellGeometry
from lisse.units import UM_PER_M

COLOURS = {
    "electrolyte": "#a6d5f0",  # light Okabe–Ito sky blue
    "lithium": "#d9d9d9",
    "grain_boundary": "#0072B2",
    "interlayer": "#f2c46d",
    "liquid": "#7fcfb9",
    "contact": "#D55E00",  # Okabe–Ito vermillion
    "contact_face": "#f0b27f",
    "void_electrolyte": "#ffffff",
}


def _cells_with_tag(mesh: meshio.Mesh, cell_type: str, tag: int) -> np.ndarray:
    """Connectivity of the cells of one type carrying a physical tag."""
    blocks = [
        block.data[np.asarray(tags) == tag]
        for block, tags in zip(mesh.cells, mesh.cell_data["gmsh:physical"], strict=True)
        if block.type == cell_type
    ]
    return np.concatenate(blocks) if blocks else np.empty((0, 3), dtype=int)


def mesh_picture(
    msh_path: str | os.PathLike,
    png_path: str | os.PathLike,
    geom: CellGeometry,
    formats=plotstyle.FIGURE_FORMATS,
) -> list:
    """Write a PNG (and the vector ``formats``) of the mesh in ``msh_path`` (metres) to
    ``png_path``, axes in µm, equal aspect; returns the files written (PNG first).

    2D: triangles coloured by region, contact facets drawn in red. 3D: the interface
    plane z = 0 seen from above, contact triangles red, void footprints white.
    """
    mesh = meshio.read(msh_path, file_format="gmsh")
    points = mesh.points * UM_PER_M
    extent = np.ptp(points[:, 0]), np.ptp(points[:, 1])
    fig, ax = plotstyle.subplots(figsize=plotstyle.map_size(*extent, 9.0, bars=2))
    ax.grid(False)
    if geom.gdim == 2:
        _draw_section(ax, mesh, points, geom)
    else:
        _draw_interface(ax, mesh, points)
    ax.set_aspect("equal")
    ax.autoscale_view()
    return plotstyle.save(fig, png_path, formats)


def _draw_section(ax, mesh: meshio.Mesh, points: np.ndarray, geom: CellGeometry) -> None:
    present = []
    for region, tag in CELL_TAGS.items():
        triangles = points[_cells_with_tag(mesh, "triangle", tag)][:, :, :2]
        ax.add_collection(
            PolyCollection(triangles, facecolor=COLOURS[region], edgecolor="k", linewidth=0.15)
        )
        if len(triangles):
            present.append(region)
    contact = points[_cells_with_tag(mesh, "line", FACET_TAGS["contact"])][:, :, :2]
    ax.add_collection(LineCollection(contact, colors=COLOURS["contact"], linewidths=2.5))
    legend = [
        Patch(facecolor=COLOURS[name], edgecolor="k", label=name.replace("_", " "))
        for name in (*present, "contact")
    ]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_xlabel("r [µm]" if geom.dimension == "axisymmetric" else "x [µm]")
    ax.set_ylabel("y [µm]")


def _draw_interface(ax, mesh: meshio.Mesh, points: np.ndarray) -> None:
    for name, colour in (("contact", "contact_face"), ("void_electrolyte", "void_electrolyte")):
        triangles = points[_cells_with_tag(mesh, "triangle", FACET_TAGS[name])][:, :, :2]
        ax.add_collection(
            PolyCollection(triangles, facecolor=COLOURS[colour], edgecolor="k", linewidth=0.15)
        )
    legend = [
        Patch(facecolor=COLOURS["contact_face"], label="contact"),
        Patch(facecolor="white", edgecolor="k", label="void"),
    ]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Interface plane z = 0")
    ax.set_xlabel("x [µm]")
    ax.set_ylabel("y [µm]")

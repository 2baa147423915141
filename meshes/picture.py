"""PNG picture of a cell mesh: regions coloured, the bonded contact highlighted."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import meshio  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS, CellGeometry  # noqa: E402
from lisse.units import UM_PER_M

UM = 1 / UM_PER_M  # metres per micrometre (the CAD unit)
COLOURS = {
    "electrolyte": "#9ecae1",
    "lithium": "#d9d9d9",
    "grain_boundary": "#08519c",
    "interlayer": "#fdae6b",
    "liquid": "#a1d99b",
    "contact": "#d62728",
    "contact_face": "#f4a3a3",
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
    msh_path: str | os.PathLike, png_path: str | os.PathLike, geom: CellGeometry
) -> None:
    """Write a PNG of the mesh in ``msh_path`` (metres) to ``png_path``, axes in µm.

    2D: triangles coloured by region, contact facets drawn in red. 3D: the interface
    plane z = 0 seen from above, contact triangles red, void footprints white.
    """
    mesh = meshio.read(msh_path, file_format="gmsh")
    points = mesh.points / UM
    fig, ax = plt.subplots(figsize=(7, 5), dpi=150)
    if geom.gdim == 2:
        _draw_section(ax, mesh, points, geom)
    else:
        _draw_interface(ax, mesh, points)
    ax.set_aspect("equal")
    ax.autoscale_view()
    fig.tight_layout()
    fig.savefig(png_path)
    plt.close(fig)


def _draw_section(ax, mesh: meshio.Mesh, points: np.ndarray, geom: CellGeometry) -> None:
    for region, tag in CELL_TAGS.items():
        triangles = points[_cells_with_tag(mesh, "triangle", tag)][:, :, :2]
        ax.add_collection(
            PolyCollection(triangles, facecolor=COLOURS[region], edgecolor="k", linewidth=0.15)
        )
    contact = points[_cells_with_tag(mesh, "line", FACET_TAGS["contact"])][:, :, :2]
    ax.add_collection(LineCollection(contact, colors=COLOURS["contact"], linewidths=2.5))
    legend = [Patch(color=COLOURS[name], label=name) for name in ("electrolyte", "lithium")]
    ax.legend(
        handles=[*legend, Patch(color=COLOURS["contact"], label="contact")], loc="upper right"
    )
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
    ax.legend(handles=legend, loc="upper right")
    ax.set_title("interface z = 0")
    ax.set_xlabel("x [µm]")
    ax.set_ylabel("y [µm]")

"""Quarter plates with a circular hole, for mechanics verification (Kirsch, void closure).

The quarter domain {x ≥ 0, y ≥ 0, r ≥ a} is bounded outside by a square of side ``b``
(``outer="square"``) or a circle of radius ``b`` (``outer="circle"``). Tags follow
``meshes.geometry``: all cells carry ``material`` (CELL_TAGS), the symmetry edges x = 0
and y = 0 are "side_lithium", the loaded outer boundary is "collector" (for a square only
the face x = b); the hole and any other edge are untagged (traction-free). Gmsh runs on
rank 0 only.
"""

from __future__ import annotations

import math

import gmsh

from lisse.meshes.cache import start_gmsh
from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS


def quarter_plate(
    comm,
    a: float,
    b: float,
    hole_size: float,
    far_size: float,
    outer: str = "square",
    material: str = "lithium",
):
    """Mesh (dolfinx.io.gmsh MeshData) of a quarter plate with a hole of radius a [m]."""
    from dolfinx.io.gmsh import model_to_mesh

    if comm.rank == 0:
        owns = not gmsh.isInitialized()
        if owns:
            start_gmsh()
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("quarter_plate")
        try:
            _build(a, b, hole_size, far_size, outer, material)
            return model_to_mesh(gmsh.model, comm, 0, gdim=2)
        finally:
            gmsh.model.remove()
            if owns:
                gmsh.finalize()
    return model_to_mesh(gmsh.model, comm, 0, gdim=2)


def _build(
    a: float, b: float, hole_size: float, far_size: float, outer: str, material: str
) -> None:
    occ = gmsh.model.occ
    scale = 1.0 / a  # build in units of the hole radius
    bb = b * scale
    body = occ.addRectangle(0, 0, 0, bb, bb) if outer == "square" else occ.addDisk(0, 0, 0, bb, bb)
    if outer == "circle":
        quarter = occ.addRectangle(0, 0, 0, bb, bb)
        body = occ.intersect([(2, body)], [(2, quarter)])[0][0][1]
    hole = occ.addDisk(0, 0, 0, 1.0, 1.0)
    plate = occ.cut([(2, body)], [(2, hole)])[0][0][1]
    occ.synchronize()
    sides, loaded, rim = [], [], []
    for _, tag in gmsh.model.getBoundary([(2, plate)], oriented=False):
        x = gmsh.model.occ.getCenterOfMass(1, tag)
        if math.isclose(x[0], 0.0, abs_tol=1e-9) or math.isclose(x[1], 0.0, abs_tol=1e-9):
            sides.append(tag)
        elif math.hypot(x[0], x[1]) < 1.0:
            rim.append(tag)
        elif outer == "circle" or math.isclose(x[0], bb, abs_tol=1e-9):
            loaded.append(tag)
    gmsh.model.addPhysicalGroup(2, [plate], CELL_TAGS[material], material)
    gmsh.model.addPhysicalGroup(1, sides, FACET_TAGS["side_lithium"], "side_lithium")
    gmsh.model.addPhysicalGroup(1, loaded, FACET_TAGS["collector"], "collector")
    dist = gmsh.model.mesh.field.add("Distance")
    gmsh.model.mesh.field.setNumbers(dist, "CurvesList", rim)
    grow = gmsh.model.mesh.field.add("MathEval")
    h0, h1 = hole_size * scale, far_size * scale
    gmsh.model.mesh.field.setString(grow, "F", f"min({h0} + 0.15 * F{dist}, {h1})")
    gmsh.model.mesh.field.setAsBackgroundMesh(grow)
    for key in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
        gmsh.option.setNumber(f"Mesh.{key}", 0)
    gmsh.model.mesh.generate(2)
    gmsh.model.mesh.affineTransform([a, 0, 0, 0, 0, a, 0, 0, 0, 0, 1, 0])

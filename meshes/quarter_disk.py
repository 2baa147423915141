"""The quarter-disk Li of ``CellGeometry.lithium_shape == "quarter_disk"`` (plane only).

The Li is the quarter disk x² + y² ≤ b², x, y ≥ 0 (b = lithium_thickness) on the
electrolyte layer −t ≤ y ≤ 0, 0 ≤ x ≤ width < b. Its arc r = b is the collector face (tag
``collector``: the stack pressure acts on it), x = 0 the symmetry line (``side_lithium``),
y = 0 the contact (0 ≤ x ≤ width) and beyond the electrolyte a face on the plane y = 0
(``void_lithium``). The Li overhangs the electrolyte because its outer arc moves inward as
it creeps (by b − √(b² − a²) when a hole of radius a closes): the electrolyte's interface
stays under the Li. A void of radius a = height at x = 0 (an ``ellipse`` void) cuts the hole
r < a: the Li is then the quarter annulus a ≤ r ≤ b, the thick-walled cylinder under an
outer pressure of validation M2 (the frictionless contact at y = 0 acts as the symmetry
plane while it stays compressive). The hole's arc is meshed at ``sizes.edge``.
"""

from __future__ import annotations

import gmsh

from lisse.meshes.errors import GeometryError
from lisse.meshes.geometry import CellGeometry


def validate(geom: CellGeometry) -> None:
    """One-line GeometryError if the quarter disk cannot be built from ``geom``."""
    if geom.dimension != "plane":
        raise GeometryError("geometry.lithium_shape: quarter_disk needs dimension plane "
                            f"(got {geom.dimension})")
    if not geom.width < geom.lithium_thickness:
        raise GeometryError("geometry.lithium_shape: quarter_disk needs width < "
                            "lithium_thickness (the disk's radius: the Li overhangs)")
    if geom.contact_spot_radius is not None or geom.microstructure is not None:
        raise GeometryError("geometry.lithium_shape: quarter_disk takes voids only (no contact "
                            "spot, no microstructure)")


def lithium_layer(um: float, geom: CellGeometry) -> tuple[int, int]:
    """The Li quarter disk in the OCC model (CAD unit ``um`` metres): (dim, tag)."""
    occ, b = gmsh.model.occ, geom.lithium_thickness / um
    disk = occ.addDisk(0, 0, 0, b, b)
    box = occ.addRectangle(0, 0, 0, b, b)
    (layer, *_), _ = occ.intersect([(2, disk)], [(2, box)])
    return layer


def is_collector(geom: CellGeometry, box: list[float], tol: float, um: float) -> bool:
    """Whether a Li boundary curve with bounding box ``box`` (CAD units) is the outer arc:
    it reaches both x = b and y = b."""
    b = geom.lithium_thickness / um
    return abs(box[3] - b) < tol and abs(box[4] - b) < tol


def hole_size_field(geom: CellGeometry, hole_curves: set[int], um: float, threshold) -> list:
    """Size fields: ``sizes.edge`` on the void arcs, growing to the bulk size (``threshold``
    of ``meshes.build``)."""
    if not hole_curves:
        return []
    field = gmsh.model.mesh.field
    distance = field.add("Distance")
    field.setNumbers(distance, "CurvesList", sorted(hole_curves))
    field.setNumber(distance, "Sampling", 200)
    return [threshold(distance, geom.sizes.edge / um, geom.sizes.bulk / um, geom.sizes.growth)]

"""Geometry description of a layered Li | solid electrolyte | counter-electrode cell.

All lengths are in metres (SI). Coordinates: the Li/electrolyte interface is the plane
``y = 0`` (``z = 0`` in 3D); the electrolyte fills ``-electrolyte_thickness <= y <= 0`` and
the Li fills ``0 <= y <= lithium_thickness``. The lateral extent is ``0 <= x <= width``
(``x`` is the radius ``r`` for axisymmetric cells, the axis is ``x = 0``) and, in 3D,
``0 <= y <= depth`` with the stacking direction ``z``. The counter electrode is the bottom
face of the electrolyte; the Li current collector is the top face of the Li.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lisse.meshes.microstructure import Microstructure

DIMENSIONS = ("plane", "axisymmetric", "3d")
VOID_SHAPES = ("ellipse", "cap")
LITHIUM_SHAPES = ("layer", "quarter_disk")  # CellGeometry.lithium_shape

# Physical-group tags written into every mesh (name -> integer tag).
CELL_TAGS = {
    "electrolyte": 1,  # solid electrolyte (grain interiors of a polycrystal)
    "lithium": 2,  # Li metal, including Li-filled cracks
    "grain_boundary": 3,  # resolved grain-boundary band (meshes.microstructure)
    "interlayer": 4,  # resolved layer between Li and electrolyte
    "liquid": 5,  # ionic liquid filling interfacial voids
}
FACET_TAGS = {
    "contact": 11,  # Li/electrolyte interface where the two are bonded
    "void_electrolyte": 12,  # electrolyte face under a void (insulating, traction-free)
    "void_lithium": 13,  # Li face of a void (traction-free)
    "counter": 14,  # bottom of the electrolyte: counter electrode
    "collector": 15,  # top of the Li: current collector
    "side_electrolyte": 16,  # lateral faces of the electrolyte (symmetry)
    "side_lithium": 17,  # lateral faces of the Li (symmetry)
    "axis": 18,  # axisymmetric only: the r = 0 axis (both layers)
    "crack_lithium": 19,  # faces of a Li-filled crack: Li/electrolyte, reacting like contact
    "liquid_lithium": 20,  # wetted roof of a liquid-filled void: Li/liquid, reacting
    "pore": 21,  # surface of a closed pore (insulating)
    "crack_face": 22,  # faces of an empty crack (insulating, traction-free)
}


@dataclass(frozen=True)
class Void:
    """An interfacial void in the Li, resting on the electrolyte surface.

    center: position on the interface plane, (x,) in 2D/axisymmetric, (x, y) in 3D [m].
        A void may be centred exactly on a symmetry face (x = 0, x = width, y = 0,
        y = depth): only the part inside the cell is kept (a half or quarter void).
    radius: half-width of the void footprint on the interface [m].
    height: extent of the void into the Li, perpendicular to the interface [m].
    shape: "ellipse" (half-ellipse / half-ellipsoid) or "cap" (spherical cap of the given
        footprint radius and height).
    """

    center: tuple[float, ...]
    radius: float
    height: float
    shape: str = "ellipse"


@dataclass(frozen=True)
class MeshSizes:
    """Target element sizes [m]: bulk, on the interface, and at contact edges; ``growth`` is
    the increase of the element size per unit distance away from the interface and the
    contact edges (smaller is finer and more accurate near singular contact edges);
    ``refinements``: Gmsh meshes with 2^refinements times the sizes and growth, then every
    cell is split that many times (``lisse.meshes.refine``), giving these sizes faster."""

    bulk: float
    interface: float
    edge: float
    growth: float = 0.2
    refinements: int = 0


@dataclass(frozen=True)
class CellGeometry:
    """A Li | electrolyte stack with interfacial voids (all lengths in metres).

    contact_spot_radius: if set, the Li touches the electrolyte only on one circular spot
        (a strip of half-width ``contact_spot_radius`` in plane geometry) centred at the
        origin; elsewhere a flat gap of height ``gap_height`` separates them. Used for
        constriction-resistance verification; exclusive with ``voids``.
    lithium_shape: "layer" (the Li fills 0 <= y <= lithium_thickness) or "quarter_disk"
        (plane only: the Li is the quarter disk x² + y² <= lithium_thickness², x, y >= 0,
        overhanging the electrolyte, width < lithium_thickness; its arc is the collector
        face; with a void of radius = height at x = 0 it is a thick-walled cylinder,
        ``meshes.quarter_disk``).
    """

    dimension: str
    width: float
    lithium_thickness: float
    electrolyte_thickness: float
    sizes: MeshSizes
    depth: float = 0.0
    voids: tuple[Void, ...] = field(default_factory=tuple)
    contact_spot_radius: float | None = None
    gap_height: float = 0.0
    microstructure: Microstructure | None = None  # grains, cracks, pores, interlayer, liquid
    lithium_shape: str = "layer"

    @property
    def gdim(self) -> int:
        return 3 if self.dimension == "3d" else 2

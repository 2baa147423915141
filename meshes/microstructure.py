"""Electrolyte microstructure in the layered cell: grains, cracks, pores, an interlayer and
liquid-filled voids (Gmsh OCC, model units of micrometres; see docs/microstructure.md).

Coordinates as in ``meshes.geometry``: interface y = 0, electrolyte below, Li above.

* Grains: a Voronoi tessellation of seeds on a jittered lattice of spacing ``size``
  (``spread`` = 0 gives aligned square grains) filling the electrolyte below the
  interlayer. Each grain is shrunk by half the band width ``band_width`` from every
  boundary; the remainder is the resolved grain-boundary band (cell tag grain_boundary),
  whose conductivity tensor ``solver.physics.conductivity`` scales to the physical boundary.
  In 3D the grains are convex polyhedra (the region box clipped by bisector planes) and
  the band is split by the Voronoi faces and the continued planes of the grain faces, so
  the mesh resolves where bands cross (``polycrystal_3d``).
* Cracks: polylines of straight segments starting on the interface (or on another crack,
  a branch), thickened to the opening with round joints; the last segment tapers to the
  tip radius. Li-filled cracks become part of the Li (faces tagged crack_lithium), empty
  ones are holes (faces tagged crack_face).
* Pores: closed circular (spherical) holes in the electrolyte (faces tagged pore).
* Interlayer: the top ``interlayer_thickness`` of the electrolyte layer (tag interlayer).
* Liquid voids: the interfacial voids are kept as liquid cells (tag liquid) whose Li roof
  is tagged liquid_lithium; their floor (void_electrolyte) becomes an interior facet.

This module holds the description (the dataclasses) and its validation; the Voronoi
geometry is in ``meshes.polycrystal`` and the Gmsh CAD, facet classification and size
fields in ``meshes.microstructure_cad``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lisse.meshes.errors import GeometryError
from lisse.meshes.polycrystal import grain_box
from lisse.units import UM_PER_M

UM = 1 / UM_PER_M  # metres per micrometre (the CAD unit)


@dataclass(frozen=True)
class Grains:
    """Voronoi grains: mean size ``size`` [m], seed jitter ``spread`` (fraction of the
    lattice spacing, 0..1), random ``seed``, resolved band width ``band_width`` [m]."""

    size: float
    band_width: float
    spread: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class Crack:
    """A crack: ``start`` (x,) on the interface or (x, y) on another crack [m];
    ``segments`` ((length [m], angle [rad]), ...) with the angle measured from the
    downward normal (−y) towards +x; ``opening`` width [m]; ``tip_radius`` ≤ opening/2 [m];
    ``filled`` True for a Li-filled crack."""

    start: tuple[float, ...]
    segments: tuple[tuple[float, float], ...]
    opening: float
    tip_radius: float
    filled: bool = False


@dataclass(frozen=True)
class Pore:
    """A closed pore: ``center`` (x, y) or (x, y, z) [m], ``radius`` [m]."""

    center: tuple[float, ...]
    radius: float


@dataclass(frozen=True)
class Microstructure:
    """Features of the electrolyte (all optional)."""

    grains: Grains | None = None
    cracks: tuple[Crack, ...] = field(default_factory=tuple)
    pores: tuple[Pore, ...] = field(default_factory=tuple)
    interlayer_thickness: float = 0.0
    liquid_voids: bool = False




# ---------------------------------------------------------------------------------------
# Crack polylines
# ---------------------------------------------------------------------------------------


def crack_points(crack: Crack) -> np.ndarray:
    """Polyline vertices (n+1, 2) of a 2D crack [m]: start, joints, tip."""
    start = np.array([crack.start[0], crack.start[1] if len(crack.start) > 1 else 0.0])
    points = [start]
    for length, angle in crack.segments:
        points.append(points[-1] + length * np.array([math.sin(angle), -math.cos(angle)]))
    return np.array(points)


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    t = np.clip((p - a) @ (b - a) / max((b - a) @ (b - a), 1e-300), 0.0, 1.0)
    return float(np.linalg.norm(p - a - t * (b - a)))


def _polyline_distance(p: np.ndarray, points: np.ndarray) -> float:
    return min(_segment_distance(p, points[k], points[k + 1]) for k in range(len(points) - 1))

# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


def _um(length: float) -> str:
    return f"{length / UM:.4g} µm"


def validate(geom, clearance: float) -> None:
    """Raise GeometryError (one line naming the field) for impossible microstructures."""
    ms = geom.microstructure
    name = "geometry.microstructure"
    if geom.contact_spot_radius is not None:
        raise GeometryError(f"{name}: cannot be combined with geometry.contact_spot_radius")
    t = ms.interlayer_thickness
    if t < 0 or t >= geom.electrolyte_thickness:
        raise GeometryError(
            f"{name}.interlayer.thickness_um: {_um(t)} must be in "
            f"[0, electrolyte thickness {_um(geom.electrolyte_thickness)})"
        )
    if ms.liquid_voids and not geom.voids:
        raise GeometryError(f"{name}.void_filling: there are no voids to fill")
    if ms.grains is not None:
        _validate_grains(geom, ms.grains, f"{name}.grains")
    if geom.dimension == "3d" and any(len(c.start) > 1 for c in ms.cracks):
        raise GeometryError(f"{name}.cracks: branches are plane and axisymmetric only")
    polylines = [crack_points(c) for c in ms.cracks]
    for i, crack in enumerate(ms.cracks):
        _validate_crack(geom, i, crack, polylines, clearance)
    for i, pore in enumerate(ms.pores):
        _validate_pore(geom, i, pore, polylines, clearance)


def _validate_grains(geom, grains: Grains, name: str) -> None:
    if not grains.size > 0 or not grains.band_width > 0 or not 0 <= grains.spread <= 1:
        raise GeometryError(f"{name}: size and band width must be positive, spread in [0, 1]")
    if grains.size < 2 * geom.sizes.bulk:
        raise GeometryError(
            f"{name}.size_um: grain size {_um(grains.size)} is below twice "
            f"the mesh size {_um(geom.sizes.bulk)}; lower geometry.mesh.size_um"
        )
    if grains.band_width > 0.25 * grains.size:
        raise GeometryError(
            f"{name}.band_width_um: {_um(grains.band_width)} must be at most a "
            f"quarter of the grain size {_um(grains.size)}"
        )
    lo, hi = grain_box(geom)
    if np.any(hi - lo < grains.size):
        raise GeometryError(
            f"{name}.size_um: grain size {_um(grains.size)} exceeds the polycrystalline region"
        )


def _validate_crack(
    geom, i: int, crack: Crack, polylines: list[np.ndarray], clearance: float
) -> None:
    name = f"geometry.microstructure.cracks[{i}]"
    if not crack.segments or any(length <= 0 for length, _ in crack.segments):
        raise GeometryError(f"{name}: needs segments of positive length")
    if not crack.opening > 0 or not 0 < crack.tip_radius <= 0.5 * crack.opening:
        raise GeometryError(f"{name}: opening must be positive and tip radius in (0, opening/2]")
    points = polylines[i]
    half = 0.5 * crack.opening
    if points[:, 1].min() - half < -geom.electrolyte_thickness + clearance:
        raise GeometryError(
            f"{name}: longer than the electrolyte (reaches y = "
            f"{_um(points[:, 1].min() - half)}, electrolyte thickness "
            f"{_um(geom.electrolyte_thickness)})"
        )
    if np.any(points[1:, 1] > -half):
        raise GeometryError(f"{name}: must run into the electrolyte (y < 0)")
    if points[:, 0].min() - half < clearance or points[:, 0].max() + half > geom.width - clearance:
        raise GeometryError(f"{name}: extends outside the cell laterally")
    if len(crack.start) > 1:
        others = [p for k, p in enumerate(polylines) if k != i]
        if not others or min(_polyline_distance(points[0], p) for p in others) > 1e-9:
            raise GeometryError(f"{name}.start_um: a branch must start on another crack")
    for void in geom.voids:
        if abs(points[0, 0] - void.center[0]) < void.radius + half + clearance:
            raise GeometryError(f"{name}: overlaps geometry.voids at its mouth")


def _validate_pore(geom, i: int, pore: Pore, polylines: list[np.ndarray], clearance: float) -> None:
    name = f"geometry.microstructure.pores[{i}]"
    c, r = np.asarray(pore.center), pore.radius
    if len(c) != geom.gdim or not r > 0:
        raise GeometryError(f"{name}: needs {geom.gdim} centre coordinates and a positive radius")
    up = geom.gdim - 1
    lateral = [geom.width, geom.depth][: geom.gdim - 1]
    inside = all(clearance <= c[k] - r and c[k] + r <= lateral[k] - clearance for k in range(up))
    top = -geom.microstructure.interlayer_thickness
    if (
        not inside
        or c[up] + r > top - clearance
        or c[up] - r < -geom.electrolyte_thickness + clearance
    ):
        raise GeometryError(f"{name}: must lie inside the electrolyte (below the interlayer)")
    for k, crack in enumerate(geom.microstructure.cracks):
        if _polyline_distance(c[[0, up]], polylines[k]) < r + 0.5 * crack.opening + clearance:
            raise GeometryError(f"{name}: overlaps geometry.microstructure.cracks[{k}]")
    for k, other in enumerate(geom.microstructure.pores[:i]):
        if math.dist(pore.center, other.center) < r + other.radius + clearance:
            raise GeometryError(f"{name}: overlaps geometry.microstructure.pores[{k}]")

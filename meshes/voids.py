"""Void footprints on the interface: contact fraction and random void populations.

The contact fraction is the share of the interface still bonded: a length fraction in
plane geometry, an area fraction weighted by ``2 pi r`` (ring areas) in axisymmetric
geometry and a plain area fraction in 3D. All lengths are in metres.
"""

from __future__ import annotations

import math

import numpy as np

from lisse.meshes.errors import GeometryError
from lisse.meshes.geometry import DIMENSIONS, VOID_SHAPES, CellGeometry, Void

CONTACT_FRACTION_TOL = 1e-6  # |reached - target| guaranteed by random_voids
MAX_ATTEMPTS = 20_000  # random draws before random_voids gives up
FACE_TOL = 1e-9  # relative tolerance for "centred exactly on a symmetry face"


def lateral_extent(void: Void) -> float:
    """Largest half-width of the void body parallel to the interface [m].

    Equals the footprint radius except for a cap taller than its footprint radius, whose
    sphere bulges beyond the footprint.
    """
    return void.radius * extent_ratio(void.shape, void.height / void.radius)


def extent_ratio(shape: str, height_ratio: float) -> float:
    """Lateral extent / footprint radius for a void of the given height / radius ratio."""
    if shape == "cap" and height_ratio > 1.0:
        return (1.0 + height_ratio**2) / (2.0 * height_ratio)
    return 1.0


def cap_sphere_radius(void: Void) -> float:
    """Radius of the sphere (circle in 2D) whose cap is the void [m]."""
    return (void.radius**2 + void.height**2) / (2.0 * void.height)


def on_face(coordinate: float, length: float) -> bool:
    """True if a centre coordinate lies exactly (to FACE_TOL) on the face 0 or ``length``."""
    return abs(coordinate) <= FACE_TOL * length or abs(coordinate - length) <= FACE_TOL * length


def interface_measure(dimension: str, width: float, depth: float = 0.0) -> float:
    """Length [m] (plane) or area [m^2] (axisymmetric: pi W^2, 3D: W D) of the interface."""
    if dimension == "plane":
        return width
    if dimension == "axisymmetric":
        return math.pi * width**2
    return width * depth


def footprint_measure(dimension: str, void: Void, width: float, depth: float = 0.0) -> float:
    """Measure of the part of a void footprint inside the cell [m or m^2].

    Plane: the segment length; axisymmetric: the ring (or disk) area; 3D: the disk area,
    halved for each symmetry face the centre lies on (valid for validated geometries).
    """
    x, a = void.center[0], void.radius
    if dimension == "plane":
        return max(0.0, min(width, x + a) - max(0.0, x - a))
    if dimension == "axisymmetric":
        r_in, r_out = max(0.0, x - a), min(width, x + a)
        return math.pi * max(0.0, r_out**2 - r_in**2)
    area = math.pi * a**2
    for coordinate, length in zip(void.center, (width, depth), strict=True):
        if on_face(coordinate, length):
            area /= 2.0
    return area


def contact_fraction(geom: CellGeometry) -> float:
    """Analytic fraction of the interface in contact (bonded) for a geometry [-]."""
    total = interface_measure(geom.dimension, geom.width, geom.depth)
    if geom.contact_spot_radius is not None:
        a = geom.contact_spot_radius
        spot = {"plane": a, "axisymmetric": math.pi * a**2, "3d": math.pi * a**2 / 4.0}
        return spot[geom.dimension] / total
    voided = sum(footprint_measure(geom.dimension, v, geom.width, geom.depth) for v in geom.voids)
    return 1.0 - voided / total


def _radius_for_measure(dimension: str, center: tuple[float, ...], measure: float) -> float:
    """Footprint radius of a void fully inside the cell that covers ``measure`` [m]."""
    if dimension == "plane":
        return measure / 2.0
    if dimension == "axisymmetric":
        return measure / (4.0 * math.pi * center[0])
    return math.sqrt(measure / math.pi)


def _centre_range(extent: float, length: float, spacing: float) -> tuple[float, float]:
    """Interval of centre coordinates keeping a void of this extent off the side faces."""
    return extent + spacing, length - extent - spacing


def _fits(center: tuple[float, ...], extent: float, lengths: tuple[float, ...], spacing: float):
    return all(
        lo <= c <= hi
        for c, (lo, hi) in zip(
            center, (_centre_range(extent, L, spacing) for L in lengths), strict=True
        )
    )


def _clear_of(void: Void, others: list[Void], spacing: float) -> bool:
    """True if the void keeps at least ``spacing`` from every other void."""
    for other in others:
        gap = math.dist(void.center, other.center) - lateral_extent(void) - lateral_extent(other)
        if gap < spacing:
            return False
    return True


def _check_random_inputs(dimension, width, depth, target, radius_range, height_ratio, shape):
    r_min, r_max = radius_range
    problems = [
        (dimension not in DIMENSIONS, f"dimension must be one of {', '.join(DIMENSIONS)}"),
        (shape not in VOID_SHAPES, f"shape must be one of {', '.join(VOID_SHAPES)}"),
        (width <= 0 or (dimension == "3d" and depth <= 0), "width and depth must be positive"),
        (not 0.0 < target <= 1.0, f"contact fraction {target:g} must be in (0, 1]"),
        (not 0.0 < r_min <= r_max, "radius range must satisfy 0 < min <= max"),
        (height_ratio <= 0, "height ratio must be positive"),
    ]
    for failed, message in problems:
        if failed:
            raise GeometryError(f"random voids: {message}")


def random_voids(
    dimension: str,
    width: float,
    depth: float,
    contact_fraction: float,
    radius_range: tuple[float, float],
    height_ratio: float,
    shape: str = "ellipse",
    seed: int = 0,
    min_spacing: float = 0.0,
) -> tuple[Void, ...]:
    """A reproducible random population of voids reaching a target contact fraction.

    Random sequential addition: footprint radii uniform in ``radius_range`` [m], centres
    uniform over positions keeping ``min_spacing`` [m] to the side faces and to other
    voids; heights are ``height_ratio * radius``. When the next void would leave less
    uncovered area than a smallest void could fill, its radius is set to close the gap
    exactly, so the contact fraction is reached within CONTACT_FRACTION_TOL. ``depth`` is
    used in 3D only. ``min_spacing`` should be at least the clearance validate_geometry
    demands (5 % of sizes.edge). Raises GeometryError after MAX_ATTEMPTS draws.
    """
    _check_random_inputs(
        dimension, width, depth, contact_fraction, radius_range, height_ratio, shape
    )
    rng = np.random.default_rng(seed)
    lengths = (width, depth) if dimension == "3d" else (width,)
    total = interface_measure(dimension, width, depth)
    missing = (1.0 - contact_fraction) * total
    voids: list[Void] = []
    for _ in range(MAX_ATTEMPTS):
        if missing <= 0.1 * CONTACT_FRACTION_TOL * total:
            return tuple(voids)
        void = _draw_void(
            rng, dimension, lengths, radius_range, height_ratio, shape, missing, min_spacing
        )
        if void is None:
            continue
        extent = lateral_extent(void)
        if _fits(void.center, extent, lengths, min_spacing) and _clear_of(void, voids, min_spacing):
            voids.append(void)
            missing -= footprint_measure(dimension, void, width, depth)
    reached = 1.0 - missing / total
    raise GeometryError(
        f"random voids: cannot reach contact fraction {contact_fraction:g} "
        f"(reached {reached:.4f} after {MAX_ATTEMPTS} draws); "
        "raise the target, lower the radii or the spacing"
    )


def _draw_void(rng, dimension, lengths, radius_range, height_ratio, shape, missing, spacing):
    """One candidate void, its radius shrunk or grown to close ``missing`` if it is the last."""
    r_min, r_max = radius_range
    ratio = extent_ratio(shape, height_ratio)
    radius = rng.uniform(r_min, r_max)
    bounds = [_centre_range(ratio * radius, L, spacing) for L in lengths]
    if any(lo > hi for lo, hi in bounds):
        return None
    center = tuple(float(rng.uniform(lo, hi)) for lo, hi in bounds)
    width, depth = lengths[0], (lengths[1] if len(lengths) > 1 else 0.0)

    def measure(r: float) -> float:
        return footprint_measure(dimension, Void(center, r, height_ratio * r, shape), width, depth)

    if measure(radius) > missing - measure(r_min):
        radius = _radius_for_measure(dimension, center, missing)
        if radius < 0.5 * r_min:
            return None
    return Void(center, float(radius), float(height_ratio * radius), shape)


def interface_gap(geom: CellGeometry, x: np.ndarray) -> np.ndarray:
    """Gap [m] between the undeformed Li and the electrolyte surface at interface points
    ``x`` (coordinates, shape (n, 3)): the void height above each point, 0 on the contact."""
    gdim = geom.gdim
    planar = x[:, : gdim - 1]
    if geom.contact_spot_radius is not None:
        dist = np.linalg.norm(planar, axis=1)
        return np.where(dist <= geom.contact_spot_radius, 0.0, geom.gap_height)
    gap = np.zeros(len(x))
    for void in geom.voids:
        gap = np.maximum(gap, _void_height(void, planar))
    return gap


def _void_height(void: Void, planar: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(planar - np.asarray(void.center)[None, :], axis=1)
    inside = d < void.radius
    if void.shape == "ellipse":
        h = void.height * np.sqrt(np.clip(1 - (d / void.radius) ** 2, 0, None))
    else:
        rs = cap_sphere_radius(void)
        h = np.sqrt(np.clip(rs**2 - d**2, 0, None)) + void.height - rs
    return np.where(inside, np.maximum(h, 0.0), 0.0)

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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import gmsh
import numpy as np

from lisse.meshes.errors import GeometryError

UM = 1e-6


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
# Pure geometry (no Gmsh): seeds, grain polygons, crack polylines
# ---------------------------------------------------------------------------------------


def grain_box(geom) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corners of the polycrystalline region [m] (below the interlayer)."""
    ms = geom.microstructure
    top = -ms.interlayer_thickness
    if geom.gdim == 3:
        return np.array([0, 0, -geom.electrolyte_thickness]), np.array(
            [geom.width, geom.depth, top]
        )
    return np.array([0.0, -geom.electrolyte_thickness]), np.array([geom.width, top])


def grain_seeds(geom) -> np.ndarray:
    """Voronoi seeds [m], shape (n, gdim): a lattice of about ``size`` spacing fitted to
    the region, each point jittered uniformly by ±spread/2 of the spacing (deterministic
    in ``seed``)."""
    grains = geom.microstructure.grains
    lo, hi = grain_box(geom)
    counts = np.maximum(1, np.round((hi - lo) / grains.size)).astype(int)
    step = (hi - lo) / counts
    axes = [lo[k] + (np.arange(counts[k]) + 0.5) * step[k] for k in range(len(lo))]
    points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(lo))
    rng = np.random.default_rng(grains.seed)
    return points + (rng.uniform(-0.5, 0.5, points.shape) * grains.spread * step)


def _clip(polygon: list[np.ndarray], normal: np.ndarray, offset: float) -> list[np.ndarray]:
    """Sutherland–Hodgman: the part of a convex polygon with normal·x ≤ offset."""
    out = []
    for k, p in enumerate(polygon):
        q = polygon[(k + 1) % len(polygon)]
        dp, dq = normal @ p - offset, normal @ q - offset
        if dp <= 0:
            out.append(p)
        if dp * dq < 0:
            out.append(p + (q - p) * dp / (dp - dq))
    return out


def grain_polygons(geom) -> list[np.ndarray]:
    """2D grain interiors [m]: each Voronoi cell clipped to the region and shrunk by
    band_width/2 from every boundary with another grain (not from the region's faces)."""
    seeds = grain_seeds(geom)
    half = 0.5 * geom.microstructure.grains.band_width
    lo, hi = grain_box(geom)
    box = [
        np.array(p, dtype=float)
        for p in ((lo[0], lo[1]), (hi[0], lo[1]), (hi[0], hi[1]), (lo[0], hi[1]))
    ]
    polygons = []
    for i, s in enumerate(seeds):
        poly = box
        for k, t in enumerate(seeds):
            if k == i or not poly:
                continue
            normal = (t - s) / np.linalg.norm(t - s)
            poly = _clip(poly, normal, normal @ (0.5 * (s + t)) - half)
        if len(poly) >= 3:
            polygons.append(np.array(poly))
    return polygons


def _clip_polyhedron(
    faces: list[list[np.ndarray]], normal: np.ndarray, offset: float, tol: float
) -> list[list[np.ndarray]]:
    """The part of a convex polyhedron (its planar faces) with normal·x ≤ offset; the cut
    adds a cap face (the section by the plane)."""
    out = []
    for face in faces:
        clipped = _dedupe(_clip(face, normal, offset), tol)
        if len(clipped) >= 3:
            out.append(clipped)
    cap = _section(out, normal, offset, tol)
    return out + [cap] if cap else out


def _section(
    faces: list[list[np.ndarray]], normal: np.ndarray, offset: float, tol: float
) -> list[np.ndarray]:
    """The vertices of a polyhedron lying on the plane normal·x = offset, ordered by angle
    (a polygon if at least three)."""
    cap = _dedupe([p for f in faces for p in f if abs(normal @ p - offset) <= tol], tol, False)
    if len(cap) < 3:
        return []
    centre = np.mean(cap, axis=0)
    u = cap[0] - centre
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    return sorted(cap, key=lambda p: math.atan2((p - centre) @ v, (p - centre) @ u))


def _dedupe(points: list[np.ndarray], tol: float, ring: bool = True) -> list[np.ndarray]:
    """Drop points within ``tol`` of an earlier one (``ring``: of the previous one, and the
    last of the first)."""
    out: list[np.ndarray] = []
    for p in points:
        near = out[-1:] if ring else out
        if not any(np.linalg.norm(p - q) <= tol for q in near):
            out.append(p)
    if ring and len(out) > 1 and np.linalg.norm(out[0] - out[-1]) <= tol:
        out.pop()
    return out


def _area(polygon: list[np.ndarray]) -> float:
    return 0.5 * float(
        np.linalg.norm(
            sum(np.cross(p, q) for p, q in zip(polygon, polygon[1:] + polygon[:1], strict=True))
        )
    )


@dataclass(frozen=True)
class Polycrystal3D:
    """A 3D Voronoi polycrystal [m]: ``grains`` (interiors, each a list of planar faces,
    shrunk by band_width/2 from every boundary with another grain), ``junction_faces``
    (the Voronoi faces, and the planes of the shrunk faces continued across the band to
    the Voronoi cell boundary, so the mesh resolves where two bands cross) and
    ``neighbours`` (seed pairs sharing a face of area above (size/100)²)."""

    grains: list
    junction_faces: list
    neighbours: np.ndarray


def polycrystal_3d(geom) -> Polycrystal3D:
    """Clip the region box by the bisector planes of each seed with the others."""
    grains_spec = geom.microstructure.grains
    seeds = grain_seeds(geom)
    half = 0.5 * grains_spec.band_width
    lo, hi = grain_box(geom)
    tol = 1e-9 * float(np.max(hi - lo))
    corners = np.array([[(lo, hi)[(k >> a) & 1][a] for a in range(3)] for k in range(8)])
    box = [
        [corners[k] for k in face]
        for face in (
            (0, 2, 6, 4),
            (1, 3, 7, 5),
            (0, 1, 5, 4),
            (2, 3, 7, 6),
            (0, 1, 3, 2),
            (4, 5, 7, 6),
        )
    ]
    grains, junctions = [], []
    neighbours = np.zeros((len(seeds), len(seeds)), dtype=bool)
    for i, s in enumerate(seeds):
        order = np.argsort(((seeds - s) ** 2).sum(axis=1))[1:]
        planes, cell = [], box
        for k in order:
            gap = np.linalg.norm(seeds[k] - s)
            if gap / 2 > max(np.linalg.norm(p - s) for f in cell for p in f):
                break  # this and all farther bisectors miss the cell
            normal = (seeds[k] - s) / gap
            planes.append((k, normal, normal @ (0.5 * (s + seeds[k]))))
            cell = _clip_polyhedron(cell, normal, planes[-1][2], tol)
        grain = cell
        for k, normal, offset in planes:
            face = _section(cell, normal, offset, tol)
            if face and _area(face) > (1e-2 * grains_spec.size) ** 2:
                if k > i:  # the boundary itself, so the junction faces end on a surface
                    junctions.append(face)
                neighbours[i, k] = neighbours[k, i] = True
                cut = _clip_polyhedron(cell, normal, offset - half, tol)
                junctions.append(_section(cut, normal, offset - half, tol))
                grain = _clip_polyhedron(grain, normal, offset - half, tol)
        if len(grain) >= 4:
            grains.append(grain)
    return Polycrystal3D(grains, [j for j in junctions if j], neighbours)


def boundary_normals(geom, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For points [m] (n, gdim): the unit normal of the nearest grain boundary and whether
    the point lies in a junction (within band_width/2 of two or more boundaries).

    The boundary between the grains of seeds s and t is the bisector plane; the distance of
    x to it is (|x − t|² − |x − s|²) / (2|t − s|) with s the seed of x's grain.
    """
    seeds, s, distance = _boundary_distances(geom, points)
    half = 0.5 * geom.microstructure.grains.band_width
    normal = seeds[np.argmin(distance, axis=1)] - s
    normal /= np.linalg.norm(normal, axis=1)[:, None]
    junction = (distance <= half * (1 + 1e-9)).sum(axis=1) >= 2
    return normal, junction


def _boundary_distances(geom, points: np.ndarray):
    """Seeds, the seed of each point's grain and the distances (n, seeds) of the points to
    the bisector planes with every other seed (inf for the own seed)."""
    seeds = grain_seeds(geom)
    d2 = ((points[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
    own = np.argmin(d2, axis=1)
    s = seeds[own]
    gap = np.linalg.norm(seeds[None, :, :] - s[:, None, :], axis=2)
    gap[np.arange(len(points)), own] = np.inf
    distance = (d2 - d2[np.arange(len(points)), own][:, None]) / (2 * gap)
    distance[np.arange(len(points)), own] = np.inf
    return seeds, s, distance


def band_projectors(geom, points: np.ndarray, neighbours: int = 6) -> np.ndarray:
    """For points [m] (n, gdim) in the bands: the orthogonal projector (n, gdim, gdim) onto
    the span of the normals of all grain boundaries within band_width/2 (of the
    ``neighbours`` nearest): n⊗n in a plain band, the plane of two normals where two bands
    cross (a junction line in 3D), the identity at a corner. The span counts directions
    with an eigenvalue of Σ n⊗n above 0.1. Only seeds sharing a face count (3D)."""
    seeds, s, distance = _boundary_distances(geom, points)
    half = 0.5 * geom.microstructure.grains.band_width
    own = np.argmin(((points[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2), axis=1)
    distance[~polycrystal_3d(geom).neighbours[own]] = np.inf  # only true faces
    nearest = np.argsort(distance, axis=1)[:, : min(neighbours, len(seeds) - 1)]
    normals = seeds[nearest] - s[:, None, :]
    normals /= np.maximum(np.linalg.norm(normals, axis=2), 1e-300)[:, :, None]
    near = np.take_along_axis(distance, nearest, axis=1) <= half * (1 + 1e-9)
    near[:, 0] = True  # the nearest face, even where the mesh strays past w/2
    moment = np.einsum("nk,nki,nkj->nij", near.astype(float), normals, normals)
    values, vectors = np.linalg.eigh(moment)
    keep = (values > 0.1).astype(float)
    return np.einsum("nk,nik,njk->nij", keep, vectors, vectors)


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


# ---------------------------------------------------------------------------------------
# CAD (model units: µm)
# ---------------------------------------------------------------------------------------


def _polygon(points: np.ndarray) -> int:
    """A plane surface bounded by the polygon (model units)."""
    occ = gmsh.model.occ
    tags = [occ.addPoint(x, y, 0) for x, y in points]
    lines = [occ.addLine(tags[k], tags[(k + 1) % len(tags)]) for k in range(len(tags))]
    return occ.addPlaneSurface([occ.addCurveLoop(lines)])


def _polyhedron(faces: list[list[np.ndarray]]) -> int:
    """A volume bounded by planar faces [m] (model units)."""
    return gmsh.model.occ.addVolume([gmsh.model.occ.addSurfaceLoop(_surfaces(faces))])


def _surfaces(faces: list[list[np.ndarray]]) -> list[int]:
    """Plane surfaces of planar polygons [m] (model units); vertices and edges shared by
    neighbouring faces are created once so a polyhedron's shell is closed."""
    occ = gmsh.model.occ
    scale = max(np.abs(p).max() for face in faces for p in face) / UM
    points: list[tuple[np.ndarray, int]] = []
    lines: dict[tuple[int, int], int] = {}

    def point(p: np.ndarray) -> int:
        for q, tag in points:
            if np.linalg.norm(p - q) <= 1e-9 * scale:
                return tag
        points.append((p, occ.addPoint(*p)))
        return points[-1][1]

    surfaces = []
    for face in faces:
        tags = [point(p / UM) for p in face]
        curves = []
        for a, b in zip(tags, tags[1:] + tags[:1], strict=True):
            if (b, a) in lines:
                curves.append(-lines[(b, a)])
            else:
                lines[(a, b)] = lines.get((a, b)) or occ.addLine(a, b)
                curves.append(lines[(a, b)])
        surfaces.append(occ.addPlaneSurface([occ.addCurveLoop(curves)]))
    return surfaces


def _crack_body(crack: Crack, depth: float | None = None) -> list[tuple[int, int]]:
    """The crack as a union of tapered quads and disks (model units), fused; in 3D
    (``depth`` [m]) the section in the x–z plane extruded through the depth (a slot)."""
    occ = gmsh.model.occ
    points = crack_points(crack) / UM
    half, tip = 0.5 * crack.opening / UM, crack.tip_radius / UM
    if len(crack.start) == 1:  # start above the interface so the mouth cuts cleanly
        direction = (points[1] - points[0]) / np.linalg.norm(points[1] - points[0])
        points[0] = points[0] - 2 * half * direction / max(-direction[1], 0.2)
    parts = []
    last = len(points) - 2
    for k in range(len(points) - 1):
        a, b = points[k], points[k + 1]
        d = (b - a) / np.linalg.norm(b - a)
        n = np.array([-d[1], d[0]])
        h_end = tip if k == last else half
        quad = np.array([a + half * n, b + h_end * n, b - h_end * n, a - half * n])
        parts.append((2, _polygon(quad)))
        radius = tip if k == last else half
        parts.append((2, occ.addDisk(b[0], b[1], 0, radius, radius)))
    body, _ = occ.fuse(parts[:1], parts[1:])
    if depth is None:
        return body
    occ.rotate(body, 0, 0, 0, 1, 0, 0, math.pi / 2)  # (x, y, 0) → (x, 0, y)
    slot = occ.extrude(body, 0, depth / UM, 0)
    return [e for e in slot if e[0] == 3]


def build_cad(
    geom, electrolyte: tuple[int, int], lithium: tuple[int, int], void_tools: list[tuple[int, int]]
) -> dict[int, str]:
    """Fragment the layers with the microstructure; returns {cell tag: region name}.

    ``electrolyte`` and ``lithium`` are the layer entities, ``void_tools`` the full void
    shapes (not yet cut from the Li). Steps: partition the electrolyte layer (interlayer,
    grains and bands), cut pores and cracks from every piece, add Li-filled cracks to the
    Li, fragment everything into one conforming model. Region labels follow each entity
    through the Boolean operations.
    """
    occ = gmsh.model.occ
    ms = geom.microstructure
    dim = geom.gdim
    default = "grain_boundary" if ms.grains is not None else "electrolyte"
    parts = [(electrolyte, default)]
    if ms.interlayer_thickness > 0:
        parts.append(((dim, _layer_tool(geom)), "interlayer"))
    if ms.grains is not None and dim == 3:
        crystal = polycrystal_3d(geom)
        parts += [((dim, _polyhedron(p)), "electrolyte") for p in crystal.grains]
        parts += [((2, _surfaces([f])[0]), "junction") for f in crystal.junction_faces]
    elif ms.grains is not None:
        parts += [((dim, _polygon(p / UM)), "electrolyte") for p in grain_polygons(geom)]
    parts = _fragment(parts)  # later parts override: interlayer and grains lie in the layer
    cracks = [(c, _crack_body(c, geom.depth if dim == 3 else None)) for c in ms.cracks]
    holes = [(dim, _pore_tool(dim, p)) for p in ms.pores]
    holes += [e for c, body in cracks if not c.filled for e in body]
    filled = [e for c, body in cracks if c.filled for e in body]
    if holes or filled:
        out, children = occ.cut([e for e, _ in parts], holes + filled, removeTool=False)
        parts = [
            (child, label)
            for (_, label), kids in zip(parts, children, strict=False)
            for child in kids
            if child[0] == dim
        ]
        occ.remove(holes, recursive=True)
    li = [lithium]
    liquid: list[tuple[int, int]] = []
    if void_tools and ms.liquid_voids:
        liquid, _ = occ.intersect(void_tools, [lithium], removeObject=False, removeTool=False)
        li, _ = occ.cut(li, liquid, removeTool=False)
        occ.remove(void_tools, recursive=True)
    elif void_tools:
        li, _ = occ.cut(li, void_tools)
    if filled:
        li, _ = occ.fuse(li, filled)
    parts += [(e, "lithium") for e in li] + [(e, "liquid") for e in liquid]
    parts = _fragment(parts)
    occ.synchronize()
    return {tag: label for (_, tag), label in parts}


def _fragment(parts: list[tuple[tuple[int, int], str]]) -> list[tuple[tuple[int, int], str]]:
    """Fragment labelled entities; a piece shared by several takes the last one's label."""
    if len(parts) == 1:
        return parts
    _, children = gmsh.model.occ.fragment([e for e, _ in parts], [])
    labels: dict[tuple[int, int], str] = {}
    for (_, label), kids in zip(parts, children, strict=True):
        for child in kids:
            labels[child] = label
    dim = parts[0][0][0]
    return [(e, label) for e, label in labels.items() if e[0] == dim]


def _pore_tool(dim: int, pore: Pore) -> int:
    occ = gmsh.model.occ
    c, r = [x / UM for x in pore.center], pore.radius / UM
    if dim == 2:
        return occ.addDisk(c[0], c[1], 0, r, r)
    return occ.addSphere(c[0], c[1], c[2], r)


def _layer_tool(geom) -> int:
    """The interlayer slab −t ≤ y ≤ 0 (z in 3D), used to split the electrolyte."""
    occ = gmsh.model.occ
    w, d, t = geom.width / UM, geom.depth / UM, geom.microstructure.interlayer_thickness / UM
    if geom.gdim == 3:
        return occ.addBox(0, 0, -t, w, d, t)
    return occ.addRectangle(0, -t, 0, w, t)


# ---------------------------------------------------------------------------------------
# Classification of facets
# ---------------------------------------------------------------------------------------

SOLID = ("electrolyte", "grain_boundary", "interlayer")


def classify(geom, regions: dict[int, str], outer_group) -> dict[str, set[int]]:
    """Physical groups from the cell regions and the facet adjacencies.

    ``outer_group(layer, tag)`` names a facet on the cell's outer faces (counter,
    collector, sides, axis) or returns a void_* name otherwise (``meshes.build``).
    """
    from lisse.meshes.geometry import CELL_TAGS, FACET_TAGS

    dim = geom.gdim
    groups: dict[str, set[int]] = {name: set() for name in (*CELL_TAGS, *FACET_TAGS)}
    for tag, region in regions.items():
        groups.setdefault(region, set()).add(tag)
    tol = 1e-6 * max(geom.width, geom.electrolyte_thickness, geom.lithium_thickness) / UM
    for _, facet in gmsh.model.getEntities(dim - 1):
        up, _ = gmsh.model.getAdjacencies(dim - 1, facet)
        sides = sorted(regions[c] for c in up if c in regions)
        name = _facet_name(geom, facet, sides, outer_group, tol)
        if name:
            groups.setdefault(name, set()).add(facet)
    return groups


def _facet_name(geom, facet: int, sides: list[str], outer_group, tol: float) -> str | None:
    dim = geom.gdim
    if len(sides) == 2:
        a, b = sides
        other = b if a == "lithium" else a
        if "lithium" in sides and other in SOLID:
            below = gmsh.model.getBoundingBox(dim - 1, facet)[dim - 1] < -tol
            return "crack_lithium" if below else "contact"
        if {a, b} == {"lithium", "liquid"}:
            return "liquid_lithium"
        if "liquid" in sides:
            return "void_electrolyte"
        return None
    if len(sides) != 1:
        return None
    layer = "lithium" if sides[0] == "lithium" else "electrolyte"
    name = outer_group(layer, facet)
    if name != "void_electrolyte":
        return name
    box = gmsh.model.getBoundingBox(dim - 1, facet)
    if box[dim - 1] > -tol:  # on the interface plane: a dry void floor
        return name
    if _in_pore(geom, box):
        return "pore"
    internal = dim == 3 and sides[0] == "grain_boundary" and not geom.microstructure.cracks
    return None if internal else "crack_face"


def _in_pore(geom, box) -> bool:
    centre = np.array([(box[k] + box[k + 3]) / 2 for k in range(geom.gdim)]) * UM
    return any(
        math.dist(centre, p.center) < p.radius * (1 + 1e-6) for p in geom.microstructure.pores
    )


# ---------------------------------------------------------------------------------------
# Mesh sizes
# ---------------------------------------------------------------------------------------


def size_fields(geom, groups: dict[str, set[int]], threshold) -> list[int]:
    """Extra Gmsh size fields (model units): band_width/2 in grain-boundary bands (in 3D
    at most sizes.interface),
    sizes.edge at crack tips, sizes.interface on crack and pore faces.

    ``threshold(field, size_min, size_max, growth)`` is ``meshes.build._threshold``.
    """
    field = gmsh.model.mesh.field
    ms, sizes, dim = geom.microstructure, geom.sizes, geom.gdim
    bulk, growth = sizes.bulk / UM, sizes.growth
    out = []
    lists = "SurfacesList" if dim == 3 else "CurvesList"

    def distance_to(facets: set[int]) -> int:
        tag = field.add("Distance")
        field.setNumbers(tag, lists, sorted(facets))
        if dim == 2:
            field.setNumber(tag, "Sampling", 200)
        return tag

    if ms.grains is not None and groups.get("grain_boundary"):
        facets = _facets_of(dim, groups["grain_boundary"])
        band = ms.grains.band_width / 2
        if dim == 3:  # refinable: the interface size, at most half the band width
            band = min(band, sizes.interface)
        out.append(threshold(distance_to(facets), band / UM, bulk, growth))
    faces = set()
    for name in ("crack_lithium", "crack_face", "pore"):
        faces |= groups.get(name, set())
    if faces:
        out.append(threshold(distance_to(faces), sizes.interface / UM, bulk, growth))
    for crack in ms.cracks:  # distance to the centre of the tip
        x, y = (float(c) for c in crack_points(crack)[-1] / UM)
        tag = field.add("MathEval")
        up = "z" if dim == 3 else "y"  # the tip is a line along y in 3D
        field.setString(tag, "F", f"Sqrt((x - ({x!r}))^2 + ({up} - ({y!r}))^2)")
        out.append(threshold(tag, sizes.edge / UM, bulk, growth))
    return out


def _facets_of(dim: int, cells: set[int]) -> set[int]:
    pairs = gmsh.model.getBoundary([(dim, t) for t in cells], combined=False, oriented=False)
    return {tag for _, tag in pairs}

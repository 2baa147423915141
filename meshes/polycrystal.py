"""Voronoi polycrystals of the electrolyte, pure geometry (no Gmsh; lengths in metres).

The grains of ``meshes.microstructure.Grains`` fill the region below the interlayer
(``grain_box``): Voronoi cells of seeds on a jittered lattice of spacing ``size``
(``grain_seeds``; ``spread`` = 0 gives aligned squares or cubes), each shrunk by half the
band width from every boundary with another grain; the remainder is the resolved
grain-boundary band. In 2D the grains are convex polygons (``grain_polygons``), in 3D convex
polyhedra, the region box clipped by the bisector planes, with the junction faces that let
the mesh resolve where bands cross (``polycrystal_3d``). ``boundary_normals`` and
``band_projectors`` give, at points of the bands, the boundary normals that
``solver.physics.conductivity`` turns into the laminate conductivity tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


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

"""Uniform refinement of a cached cell mesh, the curved void surfaces kept.

A large mesh costs Gmsh minutes (≈ 5 min for the 1.1 M-unknown 3D benchmark cell, one
core) but a uniform refinement of a coarse one costs seconds. With
``geometry.mesh.refinements: n`` Gmsh meshes the cell with every size multiplied by 2ⁿ and
the growth rate too (``coarse_geometry``), and each cell is then split n times
(``refine_arrays``): a triangle into 4 at its edge midpoints, a tetrahedron into 8 (the four
corner tetrahedra and the inner octahedron cut along its shortest diagonal, which keeps the
shape quality bounded, Bey 1995). The size field h(d) = 2⁻ⁿ(2ⁿh₀ + 2ⁿg·d) of the refined
mesh is the one asked for, so the resolution is that of a direct mesh (docs/geometry.md,
"Refined meshes"; the benchmark cell at 0.9 µm, n = 2: Gmsh 5 s, this split 5.5 s, 10 M
tetrahedra).

**Curved surfaces.** A midpoint of an edge of a void's Li surface (facet group
``void_lithium``: half-ellipsoids, spherical caps; half-ellipses and circular arcs in 2D)
lies on the chord, ≈ h²/(8R) inside the surface; it is moved onto the nearest void's surface
(``snap_to_voids``): along the ray from the ellipsoid's centre (on the interface) or the
cap's sphere centre, or, for a midpoint on the interface plane (an edge of the footprint
circle where the void meets the contact), radially within the plane onto the footprint
circle, so the contact stays plane. Every other boundary is plane and its midpoints stay on
it. A cell the move would squeeze below ``MIN_MEASURE_RATIO`` of its volume has its moved
nodes pulled back towards the chords (``untangle``): none is inverted. Only cells with
``voids`` are refined: the curved faces of a microstructure, a contact spot or a
quarter-disk Li are not snapped, and such a geometry is refused by ``check_refinable``.

Node numbers: the parent's nodes keep theirs, the midpoints follow in the order of their
edges' (smaller, larger) node pair; the 8 children of cell i are rows 8i … 8i + 7 (4 in
2D). The result is a mesh file of its own (``lisse.meshes.mesh_arrays``) whose node numbers
do not depend on the number of ranks, so the run outputs ordered by them do not either.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lisse.meshes.errors import GeometryError
from lisse.meshes.geometry import FACET_TAGS, CellGeometry
from lisse.meshes.voids import cap_sphere_radius

MAX_REFINEMENTS = 3  # 8³ = 512 tetrahedra per Gmsh tetrahedron
MIN_MEASURE_RATIO = 0.25  # of a cell's volume (area) on the chords, kept after snapping
MAX_PULLBACKS = 30  # halvings of a snap before the midpoint stays on its chord
ON_PLANE = 1e-9  # |z| / cell height below which a midpoint lies on the interface plane

# the 6 edges of a tetrahedron (local vertex pairs) and of a triangle (3)
EDGES = {4: [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)], 3: [(0, 1), (0, 2), (1, 2)]}
# TOUCHES[n][v, e]: edge e of a cell of n vertices has the vertex v
TOUCHES = {n: np.array([[v in edge for edge in edges] for v in range(n)])
           for n, edges in EDGES.items()}


def check_refinable(geom: CellGeometry) -> None:
    """Raise GeometryError (naming ``geometry.mesh.refinements``) if the cell has curved
    faces that ``snap_to_voids`` does not know."""
    reasons = [(geom.microstructure is not None, "a microstructure"),
               (geom.contact_spot_radius is not None, "a contact spot"),
               (geom.lithium_shape != "layer", f"lithium_shape {geom.lithium_shape}")]
    for refused, what in reasons:
        if refused and geom.sizes.refinements:
            raise GeometryError(f"geometry.mesh.refinements: cells with {what} are meshed by "
                                "Gmsh directly (only void surfaces are kept on refining); set 0")


def coarse_geometry(geom: CellGeometry) -> CellGeometry:
    """The geometry Gmsh meshes: every size and the growth rate times 2^refinements, no
    refinements."""
    s, factor = geom.sizes, 2.0 ** geom.sizes.refinements
    sizes = dataclasses.replace(s, bulk=s.bulk * factor, interface=s.interface * factor,
                                edge=s.edge * factor, growth=s.growth * factor, refinements=0)
    return dataclasses.replace(geom, sizes=sizes)


def refine_arrays(arrays: dict[str, np.ndarray], geom: CellGeometry,
                  snap: bool = True) -> dict[str, np.ndarray]:
    """The arrays of a mesh file (``x``, ``cells``, ``cell_values`` and the facet arrays,
    ``lisse.meshes.mesh_arrays``) refined ``geom.sizes.refinements`` times; without
    ``snap`` every midpoint stays on its chord."""
    out = {name: arrays[name] for name in ("x", "cells", "cell_values")}
    facets = None
    if "facet_cell" in arrays:
        facets = (arrays["facet_cell"], arrays["facet_local"], arrays["facet_values"])
    for _ in range(geom.sizes.refinements):
        out, facets = refine_once(out, facets, geom, snap)
    if facets is not None:
        out.update(zip(("facet_cell", "facet_local", "facet_values"), facets, strict=True))
    return out


def _edge_numbers(cells: np.ndarray, count: int):
    """The unique edges (sorted node pairs, as keys a·count + b in ascending order) and,
    for each cell, the index of each of its edges (columns in ``EDGES`` order)."""
    pairs = EDGES[cells.shape[1]]
    a = np.stack([cells[:, i] for i, _ in pairs], axis=1)
    b = np.stack([cells[:, j] for _, j in pairs], axis=1)
    keys = np.minimum(a, b) * count + np.maximum(a, b)
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, inverse.reshape(keys.shape)


def refine_once(mesh: dict, facets, geom: CellGeometry, snap: bool = True):
    """One uniform refinement (module docstring) of ``mesh`` (``x``, ``cells``,
    ``cell_values``) and its tagged facets (cell next to each, local index there, tag; or
    None): returns both refined."""
    x, cells = mesh["x"], mesh["cells"]
    count = len(x)
    edges, cell_edges = _edge_numbers(cells, count)
    a, b = edges // count, edges % count
    straight = np.concatenate([x, 0.5 * (x[a] + x[b])])  # the midpoints on the chords
    m = cell_edges + count  # node number of each cell edge's midpoint
    if cells.shape[1] == 3:
        v0, v1, v2 = cells.T
        m01, m02, m12 = m.T
        children = [(v0, m01, m02), (v1, m12, m01), (v2, m02, m12), (m01, m12, m02)]
    else:
        children = _tetrahedron_children(cells, m, straight)
    new = np.stack([np.stack(c, axis=1) for c in children], axis=1).reshape(-1, cells.shape[1])
    x = straight
    if facets is not None and snap:
        curved = facets[2] == FACET_TAGS["void_lithium"]
        cell, local = facets[0][curved], facets[1][curved]
        moved = np.unique(_facet_nodes(cells, m, cell, local)[:, cells.shape[1] - 1:])
        x = straight.copy()
        x[moved] = snap_to_voids(straight[moved], geom)
        x = untangle(x, straight, new, moved)
    if facets is not None:
        facets = _child_facets(cells, m, new, len(children), facets)
    refined = {"x": x, "cells": new, "cell_values": np.repeat(mesh["cell_values"], len(children))}
    return refined, facets


def _facet_nodes(cells: np.ndarray, m: np.ndarray, cell: np.ndarray,
                 local: np.ndarray) -> np.ndarray:
    """The nodes on each facet (cell, local index) after the split: the cell's vertices
    but the opposite one, and the midpoints of the edges not touching it (rows)."""
    nodes_per = cells.shape[1]
    keep = np.arange(nodes_per) != local[:, None]
    vertices = cells[cell][keep].reshape(len(cell), nodes_per - 1)
    on_facet = ~TOUCHES[nodes_per][local]  # the facet's edges
    midpoints = m[cell][on_facet].reshape(len(cell), -1)
    return np.concatenate([vertices, midpoints], axis=1)


def _child_facets(cells, m, new, per_cell: int, facets):
    """The tagged facets of the refined mesh: each parent facet (cell c, local index f)
    splits into 2 (2D) or 4 (3D) facets, each a facet of the one child of c holding all but
    one of its nodes among the facet's nodes; the child's local index is that node's."""
    cell, local, values = facets
    nodes_per = cells.shape[1]
    children = new.reshape(-1, per_cell, nodes_per)[cell]  # (facets, per_cell, nodes)
    nodes = _facet_nodes(cells, m, cell, local)
    on_facet = (children[..., None] == nodes[:, None, None, :]).any(axis=-1)
    row, child = np.nonzero(on_facet.sum(axis=2) == nodes_per - 1)
    child_local = np.argmin(on_facet[row, child], axis=1).astype(np.int32)
    return (cell[row] * per_cell + child).astype(np.int64), child_local, values[row]


def signed_measures(x: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Signed areas (triangles, in the x-y plane) or volumes (tetrahedra) [m², m³]."""
    e = x[cells]
    if cells.shape[1] == 3:
        u, v = e[:, 1, :2] - e[:, 0, :2], e[:, 2, :2] - e[:, 0, :2]
        return 0.5 * (u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0])
    u, v, w = e[:, 1] - e[:, 0], e[:, 2] - e[:, 0], e[:, 3] - e[:, 0]
    return np.einsum("ij,ij->i", np.cross(u, v), w) / 6.0


def untangle(x: np.ndarray, straight: np.ndarray, cells: np.ndarray,
             moved: np.ndarray) -> np.ndarray:
    """The snapped nodes ``moved`` pulled back halfway to their chords, repeatedly, while a
    cell of theirs keeps less than ``MIN_MEASURE_RATIO`` of its measure on the chords (or is
    inverted): a coarse mesh of a tight curve (a void rim) cannot take the full move."""
    flagged = np.zeros(len(x), dtype=bool)
    flagged[moved] = True
    touched = cells[flagged[cells].any(axis=1)]
    reference = signed_measures(straight, touched)
    for _ in range(MAX_PULLBACKS):
        bad = signed_measures(x, touched) / reference < MIN_MEASURE_RATIO
        if not bad.any():
            return x
        nodes = np.intersect1d(touched[bad], moved)
        x[nodes] = 0.5 * (x[nodes] + straight[nodes])
    bad = signed_measures(x, touched) / reference < MIN_MEASURE_RATIO
    nodes = np.intersect1d(touched[bad], moved)
    x[nodes] = straight[nodes]
    return x


def _tetrahedron_children(cells, m, x):
    """The 8 children of each tetrahedron (node columns): 4 corners and the octahedron of
    the midpoints cut into 4 along its shortest diagonal."""
    v0, v1, v2, v3 = cells.T
    m01, m02, m03, m12, m13, m23 = m.T
    corners = [(v0, m01, m02, m03), (v1, m01, m12, m13), (v2, m02, m12, m23),
               (v3, m03, m13, m23)]
    # the three diagonals (opposite midpoints) and the ring of four around each
    diagonals = [((m01, m23), (m02, m03, m13, m12)), ((m02, m13), (m01, m03, m23, m12)),
                 ((m03, m12), (m01, m02, m23, m13))]
    lengths = np.stack([np.linalg.norm(x[p] - x[q], axis=1) for (p, q), _ in diagonals], axis=1)
    choice = np.argmin(lengths, axis=1)
    inner = []
    for k in range(4):
        columns = []
        for slot in range(4):  # p, q, ring[k], ring[k + 1] of the chosen diagonal
            options = []
            for (p, q), ring in diagonals:
                options.append((p, q, ring[k], ring[(k + 1) % 4])[slot])
            columns.append(np.choose(choice, options))
        inner.append(tuple(columns))
    return corners + inner


def snap_to_voids(points: np.ndarray, geom: CellGeometry) -> np.ndarray:
    """``points`` (rows, 3) [m] near a void's Li surface moved onto the nearest void's
    surface (module docstring); returns the moved rows."""
    if not geom.voids:
        raise GeometryError("a void_lithium facet in a cell without voids")
    up = geom.gdim - 1  # the stacking coordinate
    lateral = points[:, :up]
    # on the interface plane (a footprint circle's edge): moved within the plane
    flat = np.abs(points[:, up]) <= ON_PLANE * (geom.lithium_thickness
                                                + geom.electrolyte_thickness)
    misfit, moved = [], []
    for void in geom.voids:
        c = np.asarray(void.center)
        if void.shape == "cap":
            radius = cap_sphere_radius(void)
            centre = np.append(c, void.height - radius)
            offset = points[:, : up + 1] - centre
            rho = np.linalg.norm(offset, axis=1) / radius
        else:
            centre = np.append(c, 0.0)
            offset = points[:, : up + 1] - centre
            rho = np.linalg.norm(offset / np.append(np.full(up, void.radius), void.height),
                                 axis=1)
        tiny = np.finfo(float).tiny  # a point at a centre (never on a surface) stays finite
        target = centre + offset / np.maximum(rho, tiny)[:, None]
        planar = lateral[flat] - c
        distance = np.maximum(np.linalg.norm(planar, axis=1), tiny)[:, None]
        target[flat] = np.column_stack([c + planar * void.radius / distance,
                                        np.zeros(np.count_nonzero(flat))])
        misfit.append(np.abs(rho - 1.0))
        moved.append(target)
    nearest = np.argmin(np.stack(misfit, axis=1), axis=1)
    out = points.copy()
    out[:, : up + 1] = np.stack(moved, axis=0)[nearest, np.arange(len(points))]
    return out

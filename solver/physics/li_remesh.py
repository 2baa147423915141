"""Remeshing of the moving Li mesh of the coupled interface model, 2D cells (issue 12 item 4,
docs/moving_interface.md "Li remeshing").

Why. The ALE smoothing (``li_smoothing``) moves nodes with the topology fixed and the
boundary pieces it cannot slide along held; it is off with Anand hardening (per-cell S). When
the smallest cell quality q (``li_smoothing.cell_quality``) stays below
``evolution.remesh_quality`` (default 0.25; 0: never) × that of the initial mesh at the start
of a step (after the last step's smoothing, or with no smoothing), the Li domain is meshed
anew.

New mesh. Gmsh meshes the present Li domain bounded by the straight segments between the
present boundary vertices of the P2 mesh, one element edge per segment (transfinite, 2
nodes; size at a vertex: its shorter boundary edge): the new mesh has exactly the old
boundary vertices (same coordinates, copied) and no others; its boundary edges get the old
mid-edge nodes (copied; re-centred on the straight faces: the plane y = 0 and the side
faces x = min or max), its interior edges straight mid-edge nodes. But first the longest
edge of a cell below the trigger with all vertices on the boundary (which a mesh keeping
the vertices cannot repair) is split into the halves of its P2 curve, its mid node a vertex
(``li_boundary_split``). Facet tags (collector, contact, void_lithium, side, axis) are
carried over edge by edge (same vertex pair; a half takes its edge's). Two boundary repairs
before meshing, both volume-neutral: bottom nodes within the contact tolerance of the plane
are set on it and the Li this adds is taken off the collector face (``_closed``, the pocket
closure's rule; a vertex landing on another is merged), and a side face vertex whose two
face edges differ in length by more than 1/``MERGE_RATIO`` is removed (its edges become one
straight edge; a closing void leaves such a vertex just above the corner on the axis).

Conservation. The Li volume, ∫ dA (plane) or ∫ r dA (axisymmetric, 2π dropped), is a sum of
cell integrals of the P2 map; every interior edge is shared by two cells with the same
quadratic parametrisation and opposite orientation, so by the divergence theorem the sum is
the boundary integral ∮ x dy (or ∮ (r²/2) dz) over the boundary P2 edges alone. These are
the old ones node for node (a split edge's halves: the same curve), except on the straight
faces, where ∮ x dy (∮ (r²/2) dz) along the face depends on its end points only, and the
closed nodes, whose vertical move changes the volume by exactly Σ W_i y_i, given back at
the collector: the volume is conserved to round-off (tests/verification/test_li_remesh.py:
< 1e-12 relative).

State transfer (``li_remesh_transfer``, shared with 3D). The Li flow is reset to rest (as after
a smoothing; the next Newton continues in n from 1). The per-cell fields, Anand's S/σ0
(``body.strength``) and ε_eq of ``li_output``, are remapped by point sampling: a new cell takes
the value of the old cell that contains its vertex centroid (straight-sided test; the nearest
old centroid if none, in a curved boundary sliver). It is exact for a uniform field and not
conservative: for a field linear in x the integral changes by O(h ∇S) per cell with cancelling
signs (measured in the test, within 1 %). The contact active set restarts empty (the next step
activates the dofs on the plane), the body time is kept.

Parallel. Under MPI every rank gathers the old mesh (nodes, cells, tagged facets, per-cell
values) in the rank-independent numbering of ``li_gather``; the repairs and Gmsh run on
those arrays (Gmsh on rank 0 only, its result or refusal broadcast), so the new mesh does
not depend on the number of ranks; ``create_mesh`` distributes it from rank 0. Every rank
tags its own new facets from the gathered edge → tag map and samples the gathered old cells
for its own new cells (ghosts included). A run under ``mpirun -n 2`` gives serial's records
to round-off (tests/verification/test_li_remesh.py).

The elastic electrolyte (``electrolyte_elastic``, one-way) holds no Li mesh data: it reads
the present Li body's obstacle dofs and contact pressures at every update, so it is loaded
by the new body after a remeshing.

Resume. A checkpoint written after a remeshing holds the new mesh as
``li_remesh_transfer.body_on`` built it (gathered, rank-independent: the nodes as built, the
cells in their input order, the tagged facets), and the resume builds the body on it through
``body_on`` again
(``coupled_checkpoint``): the same mesh with the same partition on the same number of ranks,
then the checkpointed state.

Output. After a remeshing the Li nodes are no longer points of the cell mesh, so
``fields.xdmf`` holds no Li point data; the Li's fields go into ``li_remesh<k>.xdmf`` on the
new mesh (``solver.io.li_dataset``).
"""

from __future__ import annotations

import gmsh
import numpy as np
from scipy.spatial import cKDTree

from lisse.meshes.geometry import FACET_TAGS
from lisse.solver.errors import SolverError
from lisse.solver.physics.li_boundary_split import SPLIT_FLOOR, split_edges
from lisse.solver.physics.li_gather import GatheredMesh
from lisse.solver.physics.li_remesh_transfer import facet_key, gmsh_mesh, rebuild
from lisse.solver.physics.li_smoothing import EDGES
from lisse.solver.physics.li_surface import OBSTACLE, projection_weights
from lisse.solver.physics.lithium_body import LithiumBody

MERGE_RATIO = 0.1  # a side-face vertex goes when its face edges' lengths differ by more


def boundary_edges(cells: np.ndarray) -> np.ndarray:
    """(vertex, vertex, mid node) rows of the P2 edges in one cell only."""
    edges = cells[:, EDGES].reshape(-1, 3)
    pairs = np.sort(edges[:, :2], axis=1)
    _, index, counts = np.unique(pairs, axis=0, return_index=True, return_counts=True)
    return edges[np.sort(index[counts == 1])]


def _loops(edges: np.ndarray) -> list[list[int]]:
    """The boundary edges chained into closed loops of vertex indices."""
    neighbours: dict[int, list[int]] = {}
    for a, b, _ in edges:
        neighbours.setdefault(int(a), []).append(int(b))
        neighbours.setdefault(int(b), []).append(int(a))
    if any(len(n) != 2 for n in neighbours.values()):
        raise SolverError("Li remeshing: the Li boundary touches itself at a vertex")
    loops, seen = [], set()
    for start in neighbours:
        if start in seen:
            continue
        loop, previous, node = [start], None, start
        while True:
            seen.add(node)
            a, b = neighbours[node]
            following = b if a == previous else a
            previous, node = node, following
            if node == start:
                break
            loop.append(node)
        loops.append(loop)
    return loops


def triangulate(x: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gmsh triangulation of the domain bounded by the straight boundary ``edges`` of the
    nodes ``x`` (N, 2), no node added on them: (vertex coordinates (M, 2), triangles (T, 3)),
    the boundary vertices' coordinates the given ones exactly."""
    lengths = np.linalg.norm(x[edges[:, 0]] - x[edges[:, 1]], axis=1)
    size = np.full(len(x), np.inf)
    count = np.zeros(len(x))
    for k in (0, 1):
        np.minimum.at(size, edges[:, k], lengths)
        np.add.at(count, edges[:, k], 1)
    loops = _loops(edges)
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("li_remesh")
        geo = gmsh.model.geo
        for node in np.flatnonzero(count):
            geo.addPoint(x[node, 0], x[node, 1], 0.0, size[node], int(node) + 1)
        curve_loops, areas = [], []
        for loop in loops:
            lines = []
            for a, b in zip(loop, loop[1:] + loop[:1], strict=True):
                lines.append(geo.addLine(a + 1, b + 1))
            curve_loops.append(geo.addCurveLoop(lines))
            p = x[loop]
            areas.append(abs(np.sum(p[:, 0] * np.roll(p[:, 1], -1)
                                    - np.roll(p[:, 0], -1) * p[:, 1])))
        order = np.argsort(areas)[::-1]  # the outer loop first, holes after
        geo.addPlaneSurface([curve_loops[k] for k in order])
        geo.synchronize()
        for _, line in gmsh.model.getEntities(1):
            gmsh.model.mesh.setTransfiniteCurve(line, 2)
        gmsh.model.mesh.generate(2)
        coords, triangles = gmsh_mesh(2)
    finally:
        gmsh.finalize()
    points = coords[:, :2].copy()
    boundary = np.flatnonzero(count)  # copy the boundary vertices exactly
    near = cKDTree(points).query(x[boundary])[1]
    points[near] = x[boundary]
    return points, triangles


def _closed(body: LithiumBody, x: np.ndarray, facets: np.ndarray) -> np.ndarray:
    """``x`` (gathered nodes) with the Li bottom's nodes within the contact tolerance of the
    plane (0 < y ≤ t) set on it and the collector face lowered by the Li this adds,
    ΔV = Σ W_i y_i (exact: ``li_surface.projection_weights``), over its projected area (the
    pocket closure's rule, ``li_pockets``): the volume is unchanged. ``facets``: the
    gathered tagged facets (``GatheredMesh.facets``)."""
    bottom = facets[np.isin(facets[:, 3], OBSTACLE), :3]
    top = facets[facets[:, 3] == FACET_TAGS["collector"], :3]
    out = x.copy()
    low = np.zeros(len(x), dtype=bool)
    low[np.unique(bottom)] = True
    low &= (x[:, 1] > 0) & (x[:, 1] <= body.touching_height(float(np.max(np.abs(x)))))
    if np.any(low):
        added = float(projection_weights(x[:, 0], bottom, body.axisymmetric)[low] @ x[low, 1])
        out[low, 1] = 0.0
        out[np.unique(top), 1] -= added / float(np.sum(projection_weights(
            x[:, 0], top, body.axisymmetric)))
    return out


def p2_mesh(x: np.ndarray, cells: np.ndarray, split_below: float,
            shortest: float) -> tuple[np.ndarray, np.ndarray, dict]:
    """A new P2 mesh of the domain of the P2 mesh (x (N, 2), cells (C, 6), DOLFINx order),
    boundary edges split first (``li_boundary_split.split_edges(..., split_below,
    shortest)``): (nodes (M, 2), cells (T, 6) counter-clockwise, DOLFINx order, {key of a
    merged face edge or a split edge's half: key of the old edge whose tag it takes})."""
    edges = boundary_edges(cells)
    gone = np.all(x[edges[:, 0]] == x[edges[:, 1]], axis=1)  # a vertex set on another
    for a, b, _ in edges[gone]:
        edges[:, :2][edges[:, :2] == b] = a
    x, edges, split = split_edges(x, cells, edges[~gone], split_below, shortest)
    halves = {facet_key(x[p], x[q]): facet_key(x[a], x[b]) for a, b, m in split
              for p, q in ((a, m), (m, b))}
    edges, aliases = _merge_face_vertices(x, edges)
    aliases |= halves
    points, tri = triangulate(x, edges)
    a, b, c = (points[tri[:, k]] for k in range(3))
    turn = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    tri[turn < 0] = tri[turn < 0][:, [0, 2, 1]]
    old = {facet_key(x[e[0]], x[e[1]]): e for e in edges}
    pairs = np.sort(tri[:, EDGES[:, :2]].reshape(-1, 2), axis=1)
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    mids = 0.5 * (points[unique[:, 0]] + points[unique[:, 1]])
    counts = np.bincount(inverse.ravel(), minlength=len(unique))
    straight = _straight(x, edges)
    for k in np.flatnonzero(counts == 1):
        edge = old.get(facet_key(points[unique[k, 0]], points[unique[k, 1]]))
        if edge is None:
            raise SolverError("Li remeshing: Gmsh changed the Li boundary")
        if not straight[edge[2]]:
            mids[k] = x[edge[2]]
    nodes = np.concatenate([points, mids])
    return nodes, np.column_stack([tri, len(points) + inverse.reshape(-1, 3)]), aliases


def _merge_face_vertices(x: np.ndarray, edges: np.ndarray, ratio: float = MERGE_RATIO):
    """Remove the vertices of a side face x = min or max (axis, lateral face) whose shorter
    face edge is below ``ratio`` × the longer: their two edges become one straight edge
    (its mid node re-centred: ``_straight``). Volume-neutral: ∮ x dy (∮ (r²/2) dz) along a
    face x = const depends on its end points only. Returns (edges, {new key: old key})."""
    tol = 1e-12 * float(np.max(np.abs(x)))
    faces = (np.min(x[:, 0]), np.max(x[:, 0]))
    rows = [list(e) for e in edges]
    aliases: dict = {}
    while True:
        on = {}
        for i, (a, b, m) in enumerate(rows):
            for face in faces:
                if all(abs(x[n, 0] - face) <= tol for n in (a, b, m)):
                    on.setdefault(a, []).append(i)
                    on.setdefault(b, []).append(i)
        for v, pair in on.items():
            if len(pair) != 2:
                continue
            e1, e2 = rows[pair[0]], rows[pair[1]]
            l1, l2 = (abs(x[e[0], 1] - x[e[1], 1]) for e in (e1, e2))
            if min(l1, l2) >= ratio * max(l1, l2):
                continue
            ends = [n for n in (*e1[:2], *e2[:2]) if n != v]
            longer = e1 if l1 >= l2 else e2
            merged = facet_key(x[longer[0]], x[longer[1]])
            aliases[facet_key(x[ends[0]], x[ends[1]])] = aliases.get(merged, merged)
            rows = [r for i, r in enumerate(rows) if i not in pair]
            rows.append([ends[0], ends[1], longer[2]])
            break
        else:
            return np.array(rows, dtype=edges.dtype).reshape(-1, 3), aliases


def _straight(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per node: True for the mid node of a boundary edge lying on the plane y = 0 or on a
    side face x = min or max (all three nodes within 1e-12 of the mesh size)."""
    tol = 1e-12 * float(np.max(np.abs(x)))
    p = x[edges]  # (E, 3, 2)
    on = np.all(np.abs(p[..., 1]) <= tol, axis=1)
    for face in (np.min(x[:, 0]), np.max(x[:, 0])):
        on |= np.all(np.abs(p[..., 0] - face) <= tol, axis=1)
    flags = np.zeros(len(x), dtype=bool)
    flags[edges[on, 2]] = True
    return flags


def remesh(body: LithiumBody, strain,
           split_below: float) -> tuple[LithiumBody, np.ndarray] | None:
    """A new ``LithiumBody`` on a new mesh of ``body``'s domain, its strength and hooks
    carried over, and ε_eq per new local cell (DG0 array) from ``strain`` (DG0 Function of
    the old mesh); None if the new mesh is not better (smaller min q) than the old;
    ``split_below``: the trigger q of the boundary-edge split (``li_boundary_split``). Under
    MPI the old mesh is gathered in a rank-independent numbering (``li_gather``), Gmsh runs
    on rank 0 and ``create_mesh`` distributes its mesh; every rank tags and samples its own
    new cells from the gathered old ones (module docstring)."""
    old = GatheredMesh(body.msh, body.comm)
    facets = old.facets(body.tags)
    x = _closed(body, old.nodes(body.msh.geometry.x), facets)
    shortest = SPLIT_FLOOR * body.touching_height(float(np.max(np.abs(x))))
    return rebuild(body, strain, old, x, facets,
                   lambda x, cells: p2_mesh(x, cells, split_below, shortest))
